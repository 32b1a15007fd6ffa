"""A whole competition over real HTTP, PostgreSQL and the local S3 server."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.client import PASSWORD, Platform, User


async def test_a_whole_competition_from_sign_up_to_winner(
    platform: Platform, organizer: User
) -> None:
    judges = [await platform.account(organizer, "JUDGE", f"judge{i}") for i in range(2)]
    event_id = await platform.event(organizer)
    captains = [await platform.participant(f"captain{i}") for i in range(3)]
    teams = [await platform.team(c, f"Team {i}") for i, c in enumerate(captains)]
    member = await platform.participant("member")
    joined = await platform.call("POST", f"/teams/{teams[0]}/members", member)
    assert joined.status_code == 200
    assert int(joined.headers["X-Event-Position"]) == joined.json()["position"]

    submissions = [
        await platform.submission(member if i == 0 else c, t, event_id)
        for i, (c, t) in enumerate(zip(captains, teams, strict=True))
    ]
    for submission_id in submissions[:2]:
        approved = await platform.call("POST", f"/submissions/{submission_id}/approve", organizer)
        assert approved.status_code == 200
    rejected = await platform.call(
        "POST", f"/submissions/{submissions[2]}/reject", organizer, json={"reason": "not a rocket"}
    )
    assert rejected.status_code == 200
    again = await platform.call("POST", f"/submissions/{submissions[2]}/approve", organizer)
    assert again.status_code == 409

    scores = {submissions[0]: (90, 80), submissions[1]: (95, 60)}  # means 85 and 77.5
    for submission_id, pair in scores.items():
        for judge, score in zip(judges, pair, strict=True):
            await platform.assign(organizer, submission_id, judge)
            answer = await platform.call(
                "POST", "/evaluations", judge,
                json={"submission_id": submission_id, "score": score, "comments": "ok"},
            )  # fmt: skip
            assert answer.status_code == 201, answer.text
    early = await platform.call("POST", f"/events/{event_id}/winner", organizer, json={})
    assert early.status_code == 409
    await platform.close_event(organizer, event_id)

    winner = await platform.call("POST", f"/events/{event_id}/winner", organizer, json={})

    assert winner.status_code == 200, winner.text
    assert winner.json()["winner_team_id"] == teams[0]
    twice = await platform.call("POST", f"/events/{event_id}/winner", organizer, json={})
    assert twice.status_code == 409
    frozen = await platform.call("PATCH", f"/events/{event_id}", organizer, json={"title": "New"})
    assert frozen.status_code == 409


async def test_thirty_concurrent_sign_ups_with_one_email_have_one_winner(
    platform: Platform,
) -> None:
    email = platform.email("race")

    async def sign_up(index: int) -> int:
        answer = await platform.client.post(
            "/auth/register",
            json={"email": email if index % 2 else email.upper(), "password": PASSWORD,
                  "name": f"Racer {index}"},
        )  # fmt: skip
        return answer.status_code

    statuses = await asyncio.gather(*(sign_up(i) for i in range(30)))

    assert statuses.count(201) == 1
    assert statuses.count(409) == 29


async def test_judges_scoring_while_an_organizer_rejects_leaves_no_contradiction(
    platform: Platform, organizer: User
) -> None:
    judges = [await platform.account(organizer, "JUDGE", f"racer{i}") for i in range(2)]
    event_id = await platform.event(organizer)
    captain = await platform.participant()
    team_id = await platform.team(captain)
    submission_id = await platform.submission(captain, team_id, event_id)
    for judge in judges:
        await platform.assign(organizer, submission_id, judge)

    async def score(judge: User) -> httpx.Response:
        return await platform.call(
            "POST", "/evaluations", judge, json={"submission_id": submission_id, "score": 70}
        )

    results = await asyncio.gather(
        score(judges[0]),
        platform.call(
            "POST", f"/submissions/{submission_id}/reject", organizer, json={"reason": "late"}
        ),
        score(judges[1]),
    )
    assert all(r.status_code in (200, 201) for r in results), [r.text for r in results]
    # Every accepted change is in the submission's history exactly once, in one order.
    reject_again = await platform.call(
        "POST", f"/submissions/{submission_id}/reject", organizer, json={"reason": "x"}
    )
    assert reject_again.status_code == 409
    for judge in judges:
        duplicate = await score(judge)
        assert duplicate.status_code == 409
