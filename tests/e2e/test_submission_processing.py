"""The submission_processing worker under `kazrockets run`: every upload ends checked."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.client import Platform, User, query


async def test_a_valid_pdf_is_validated_and_a_broken_one_rejected_with_its_reason(
    platform: Platform, organizer: User
) -> None:
    captain = await platform.participant("checked")
    team_id = await platform.team(captain, f"Checked {platform.run_id}")
    event_id = await platform.event(organizer)
    good = await platform.submission(captain, team_id, event_id)
    broken = await platform.submit(captain, team_id, event_id, b"%PDF-1.7\nnot really a pdf\n")
    assert broken.status_code == 202, broken.text

    valid = await platform.checked(captain, good)
    assert (valid["file_check"], valid["file_pages"], valid["status"]) == ("VALID", 1, "PENDING")
    invalid = await platform.checked(captain, broken.json()["submission_id"])
    assert (invalid["file_check"], invalid["status"]) == ("INVALID", "REJECTED")
    assert "PDF" in invalid["rejection_reason"]

    # The verdict is the platform's, caused by the upload, in the upload's request.
    rows = await platform_events(platform, broken.json()["submission_id"])
    uploaded, rejected = rows
    assert rejected[1] == "SubmissionFileRejected"
    assert rejected[2]["actor_role"] == "SYSTEM"
    assert rejected[2]["causation_id"] == str(uploaded[0])
    assert rejected[2]["correlation_id"] == uploaded[2]["correlation_id"]


async def platform_events(platform: Platform, submission_id: str) -> list[Any]:
    return await query(
        platform.database_url,
        "SELECT event_id, event_type, metadata FROM eventstore.events WHERE stream_id = %s"
        " ORDER BY version",
        f"submission-{submission_id}",
    )


async def assigned_by_the_worker(platform: Platform, submission_id: str) -> list[str]:
    """The submission's judges once the evaluation_assignment worker has assigned them."""
    [(judges,)] = await query(
        platform.database_url,
        "SELECT count(*) FROM read.app_user WHERE role = 'JUDGE' AND deleted_at IS NULL",
    )
    expected = min(3, judges)  # fewer when fewer judges exist
    rows: list[Any] = []
    for _ in range(150):
        rows = await query(
            platform.database_url,
            "SELECT judge_id FROM read.judge_assignment WHERE submission_id = %s", submission_id,
        )  # fmt: skip
        if len(rows) >= expected:
            break
        await asyncio.sleep(0.1)
    assert len(rows) >= expected, rows
    return [str(row[0]) for row in rows]


async def test_a_validated_submission_is_assigned_judges_who_see_it(
    platform: Platform, organizer: User
) -> None:
    judge = await platform.account(organizer, "JUDGE")
    captain = await platform.participant("assigned")
    team_id = await platform.team(captain, f"Assigned {platform.run_id}")
    event_id = await platform.event(organizer)
    submission_id = await platform.submission(captain, team_id, event_id)
    await platform.checked(captain, submission_id)

    rows = await assigned_by_the_worker(platform, submission_id)
    if judge.user_id in rows:
        answer = await platform.read("/judges/me/assignments", judge)
        assert submission_id in [item["submission_id"] for item in answer.json()["items"]]


async def test_an_organizer_takes_a_submission_away_from_a_judge_who_then_cannot_score_it(
    platform: Platform, organizer: User
) -> None:
    judge = await platform.account(organizer, "JUDGE")
    captain = await platform.participant("unassigned")
    team_id = await platform.team(captain, f"Unassigned {platform.run_id}")
    event_id = await platform.event(organizer)
    submission_id = await platform.submission(captain, team_id, event_id)
    await platform.checked(captain, submission_id)
    await assigned_by_the_worker(platform, submission_id)  # the worker is done with it
    await platform.assign(organizer, submission_id, judge)

    taken = await platform.call(
        "DELETE", f"/submissions/{submission_id}/assignments/{judge.user_id}", organizer
    )
    assert taken.status_code == 200, taken.text
    scored = await platform.call(
        "POST", "/evaluations", judge, json={"submission_id": submission_id, "score": 50}
    )
    assert scored.status_code == 403
    mine = await platform.read("/judges/me/assignments", judge, position=taken.json()["position"])
    assert submission_id not in [item["submission_id"] for item in mine.json()["items"]]
    again = await platform.call(
        "DELETE", f"/submissions/{submission_id}/assignments/{judge.user_id}", organizer
    )
    assert again.status_code == 404
