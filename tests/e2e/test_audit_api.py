"""The audit routes over HTTP: an AUDITOR answers "who changed this score, when, and what was
the leaderboard before?" with the API alone; roles; the hash chain check notices an edit made
behind the platform's back; one request's events; the NDJSON export."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest

from tests.e2e.client import Platform, User, assert_problem

GENESIS_HEX = "00" * 32
EVENT_KEYS = {
    "global_position", "event_id", "stream_id", "stream_type", "version", "type",
    "schema_version", "data", "metadata", "recorded_at", "hash", "prev_hash",
}  # fmt: skip


@dataclass
class Scored:
    """An event with one approved submission scored by two judges, the first score revised."""

    event_id: str
    evaluation_id: str
    judge: User
    first: int  # the positions the three commands returned
    second: int
    revised: int


def ok(answer: httpx.Response, status: int = 200) -> Any:
    """The JSON of an answer that must have this status."""
    assert answer.status_code == status, answer.text
    return answer.json()


async def scored(platform: Platform, organizer: User) -> Scored:
    judges = [await platform.account(organizer, "JUDGE", f"judge{i}") for i in range(2)]
    event_id = await platform.event(organizer)
    captain = await platform.participant("captain")
    team_id = await platform.team(captain, f"Auditees {platform.run_id}")
    submission_id = await platform.submission(captain, team_id, event_id)
    ok(await platform.call("POST", f"/submissions/{submission_id}/approve", organizer))
    positions, evaluations = [], []
    for judge, score in zip(judges, (40, 60), strict=True):
        assigned = await platform.call(
            "POST", f"/submissions/{submission_id}/assignments", organizer,
            json={"judge_id": judge.user_id},
        )  # fmt: skip
        assert assigned.status_code in (200, 409), assigned.text  # 409: the worker was first
        body = {"submission_id": submission_id, "score": score, "comments": "first look"}
        answer = ok(await platform.call("POST", "/evaluations", judge, json=body), 201)
        positions.append(answer["position"])
        evaluations.append(answer["evaluation_id"])
    revised = await platform.call(
        "PATCH", f"/evaluations/{evaluations[0]}", judges[0], json={"score": 90}
    )
    ok(revised)
    position = int(revised.headers["X-Event-Position"])
    return Scored(event_id, evaluations[0], judges[0], positions[0], positions[1], position)


@pytest.fixture
async def auditor(platform: Platform, organizer: User) -> User:
    return await platform.account(organizer, "AUDITOR")


async def test_an_auditor_finds_who_changed_a_score_when_and_the_leaderboard_before(
    platform: Platform, organizer: User, auditor: User
) -> None:
    story = await scored(platform, organizer)

    stream = ok(await platform.read(f"/audit/streams/evaluation-{story.evaluation_id}", auditor))
    first = await platform.read(
        f"/audit/entities/evaluation/{story.evaluation_id}", auditor,
        params={"as_of": story.first},
    )  # fmt: skip
    board = f"/events/{story.event_id}/leaderboard"
    before = ok(await platform.read(board, auditor, params={"as_of": story.second}))
    after = ok(await platform.read(board, auditor, params={"as_of": story.revised}))
    live = ok(await platform.read(board, auditor, position=story.revised))

    scoring, revision = stream["items"]
    assert (scoring["type"], revision["type"]) == ("SubmissionScored", "EvaluationRevised")
    assert (scoring["data"]["score"], revision["data"]["score"]) == (40, 90)
    for event in (scoring, revision):
        assert set(event) == EVENT_KEYS
        assert event["metadata"]["actor_id"] == story.judge.user_id
        assert event["metadata"]["actor_role"] == "JUDGE"
    assert scoring["recorded_at"] < revision["recorded_at"]
    assert scoring["prev_hash"] == GENESIS_HEX and revision["prev_hash"] == scoring["hash"]
    assert stream["next_cursor"] is None
    first_state = ok(first)
    assert first_state["state"]["score"] == 40 and first_state["kind"] == "evaluation"
    assert [i["mean_score"] for i in before["items"]] == [50.0]
    assert [i["mean_score"] for i in after["items"]] == [75.0]
    assert after["items"] == live["items"]
    assert after["as_of_position"] <= story.revised


async def test_an_entity_as_of_a_time_and_the_problems_of_a_bad_as_of(
    platform: Platform, organizer: User, auditor: User
) -> None:
    story = await scored(platform, organizer)
    path = f"/audit/entities/evaluation/{story.evaluation_id}"
    stream = ok(await platform.read(f"/audit/streams/evaluation-{story.evaluation_id}", auditor))
    first_time = stream["items"][0]["recorded_at"]

    at_time = ok(await platform.read(path, auditor, params={"as_of": first_time}))
    now = ok(await platform.read(path, auditor))
    too_early = await platform.read(path, auditor, params={"as_of": story.first - 2**16})
    bad = await platform.read(path, auditor, params={"as_of": "last tuesday"})
    naive = await platform.read(path, auditor, params={"as_of": "2026-01-01T00:00:00"})
    unknown = await platform.read(f"/audit/entities/robot/{uuid4()}", auditor)
    nobody = await platform.read(f"/audit/entities/user/{uuid4()}", auditor)
    board = await platform.read(
        f"/events/{story.event_id}/leaderboard", auditor, params={"as_of": "soon"}
    )

    assert at_time["state"]["score"] == 40 and now["state"]["score"] == 90
    assert now["version"] == 2 and now["as_of_position"] <= story.revised
    assert_problem(too_early, 404)
    for answer in (bad, naive, board):
        assert assert_problem(answer, 422)["invalid_fields"][0]["field"] == "as_of"
    assert_problem(unknown, 404)
    assert_problem(nobody, 404)


async def test_the_history_filters_by_actor_type_stream_and_time_and_pages_by_position(
    platform: Platform, organizer: User, auditor: User
) -> None:
    story = await scored(platform, organizer)
    stream_id = f"evaluation-{story.evaluation_id}"
    own = (ok(await platform.read(f"/audit/streams/{stream_id}", auditor)))["items"]
    since, until = own[0]["recorded_at"], own[-1]["recorded_at"]
    # The history shows what is safe to read: X-Min-Position waits until the revision is.
    last = own[-1]["global_position"]
    revisions = ok(await platform.read("/audit/events", auditor, position=last, params={
        "actor": story.judge.user_id, "type": "EvaluationRevised", "from": since, "to": until,
    }))  # fmt: skip
    pages, after = [], 0
    while after is not None:
        params = {"stream": stream_id, "limit": 1, "after": after}
        page = ok(await platform.read("/audit/events", organizer, params=params))
        pages.append(page["items"])
        after = page["next_cursor"]

    assert [e["global_position"] for e in revisions["items"]] == [own[1]["global_position"]]
    assert [item for page in pages for item in page] == own
    assert [len(page) for page in pages] in ([1, 1], [1, 1, 0])


async def test_personal_data_reads_back_for_the_living_and_as_erased_once_erased(
    platform: Platform, auditor: User
) -> None:
    person = await platform.participant("forgettable")
    path = f"/audit/streams/user-{person.user_id}"

    living = (ok(await platform.read(path, auditor)))["items"][0]["data"]
    ok(await platform.call("POST", f"/users/{person.user_id}/erase", person))
    erased = (ok(await platform.read(path, auditor)))["items"]

    assert living["email"] == person.email and living["name"] == "Forgettable"
    assert living["password_hash"] == "[redacted]"
    assert erased[0]["data"]["email"] == "[erased]" and erased[0]["data"]["name"] == "[erased]"
    assert erased[-1]["type"] == "UserErased"


async def test_only_organizers_and_auditors_read_the_audit(
    platform: Platform, organizer: User, auditor: User
) -> None:
    judge = await platform.account(organizer, "JUDGE")
    participant = await platform.participant()
    event_id = await platform.event(organizer)
    paths = [
        "/audit/events", f"/audit/streams/event-{event_id}", f"/audit/entities/event/{event_id}",
        "/audit/verify", f"/audit/correlations/{uuid4()}", "/audit/export",
        f"/events/{event_id}/leaderboard?as_of=1",
    ]  # fmt: skip

    for path in paths:
        assert_problem(await platform.read(path), 401)
        for caller in (participant, judge):
            assert_problem(await platform.read(path, caller), 403)
        for caller in (organizer, auditor):
            answer = await platform.read(path, caller)
            assert answer.status_code in (200, 404), (path, answer.text)
    assert (await platform.read(f"/events/{event_id}/leaderboard", participant)).status_code == 200


async def test_verify_notices_an_edited_event_and_is_ok_once_it_is_restored(
    platform: Platform, organizer: User, auditor: User
) -> None:
    story = await scored(platform, organizer)
    stream = ok(await platform.read(f"/audit/streams/evaluation-{story.evaluation_id}", auditor))
    target = stream["items"][0]["global_position"]
    clean = ok(await platform.read("/audit/verify", auditor))

    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT data::text FROM eventstore.events WHERE global_position = %s", (target,)
        ).fetchone()
        assert row is not None
        try:  # the e2e database is shared by the session's tests: always put the row back
            conn.execute(
                "UPDATE eventstore.events SET data = %s::json WHERE global_position = %s",
                (row[0].replace('"score":40', '"score":99'), target),
            )
            broken = ok(await platform.read("/audit/verify", auditor))
        finally:
            conn.execute(
                "UPDATE eventstore.events SET data = %s::json WHERE global_position = %s",
                (row[0], target),
            )
    mended = ok(await platform.read("/audit/verify", organizer))

    assert clean["ok"] is True and clean["first_bad_position"] is None and clean["checked"] > 0
    assert broken["ok"] is False and broken["first_bad_position"] == target
    assert mended["ok"] is True and mended["checked"] >= clean["checked"]


async def test_one_requests_events_are_found_by_its_correlation_id(
    platform: Platform, auditor: User
) -> None:
    correlation = str(uuid4())
    captain = await platform.participant()

    made = await platform.call(
        "POST",
        "/teams",
        captain,
        json={"name": "Traced"},
        headers={"X-Correlation-Id": correlation},
    )
    found = ok(await platform.read(f"/audit/correlations/{correlation}", auditor))

    team_id = (ok(made, 201))["team_id"]
    assert {e["stream_id"] for e in found["items"]} == {
        f"team-{team_id}",
        f"user-{captain.user_id}",
    }
    assert {e["type"] for e in found["items"]} == {"TeamCreated", "UserJoinedTeam"}
    for event in found["items"]:
        assert event["metadata"]["correlation_id"] == correlation
        assert event["metadata"]["actor_id"] == captain.user_id
    assert_problem(await platform.read(f"/audit/correlations/{uuid4()}", auditor), 404)


async def walk(platform: Platform, user: User, params: dict[str, Any]) -> list[dict[str, Any]]:
    items, after = [], 0
    while after is not None:
        page = ok(
            await platform.read(
                "/audit/events", user, params={**params, "after": after, "limit": 1000}
            )
        )
        items += page["items"]
        after = page["next_cursor"]
    return items


async def test_the_export_is_the_history_as_ndjson_with_its_hashes(
    platform: Platform, organizer: User, auditor: User
) -> None:
    story = await scored(platform, organizer)
    newest = ok(await platform.read(f"/audit/streams/event-{story.event_id}", auditor))
    until = {"to": newest["items"][-1]["recorded_at"]}

    async with platform.reader.stream(
        "GET", "/audit/export", params=until, headers=auditor.auth
    ) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) async for line in answer.aiter_lines() if line]
    listed = await walk(platform, auditor, until)
    one = await platform.read(
        "/audit/export", auditor, params={"stream": f"event-{story.event_id}"}
    )

    assert len(lines) == len(listed) > 0 and lines == listed
    assert all(set(line) == EVENT_KEYS and len(line["hash"]) == 64 for line in lines)
    positions = [line["global_position"] for line in lines]
    assert positions == sorted(positions)
    one_lines = [json.loads(line) for line in one.text.splitlines()]
    assert [line["type"] for line in one_lines] == [e["type"] for e in newest["items"]]
