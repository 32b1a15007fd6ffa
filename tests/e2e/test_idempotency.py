"""Idempotency-Key: a repeated request returns the first answer and appends nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from tests.e2e.client import Platform, User, assert_problem, query

# Other sessions may share the end-to-end database, so events are counted by key, not all.
EVENTS_WITH_KEY = "SELECT count(*) FROM eventstore.events WHERE metadata->>'idempotency_key' = %s"
EVENTS_OF_STREAM = "SELECT count(*) FROM eventstore.events WHERE stream_id = %s"


async def count(platform: Platform, sql: str, value: str) -> int:
    rows = await query(platform.database_url, sql, value)
    return int(rows[0][0])


def event_body(title: str, *, days: int = 2) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=1)
    return {
        "title": title,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days)).isoformat(),
    }


async def send(
    platform: Platform, user: User, key: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    return await platform.call(method, path, user, headers={"Idempotency-Key": key}, **kwargs)


def assert_replay_of(first: httpx.Response, repeat: httpx.Response) -> None:
    assert "idempotent-replayed" not in first.headers
    assert repeat.headers["idempotent-replayed"] == "true"
    assert repeat.status_code == first.status_code
    assert repeat.content == first.content
    assert repeat.headers["content-type"] == first.headers["content-type"]
    assert repeat.headers.get("x-event-position") == first.headers.get("x-event-position")


async def test_a_repeated_request_returns_the_first_answer_and_appends_nothing(
    platform: Platform, organizer: User
) -> None:
    key = str(uuid4())
    body = event_body("Idempotent Cup")
    first = await send(platform, organizer, key, "POST", "/events", json=body)
    assert first.status_code == 201, first.text
    event_id = first.json()["event_id"]
    appended = await count(platform, EVENTS_WITH_KEY, key)
    in_stream = await count(platform, EVENTS_OF_STREAM, f"event-{event_id}")

    repeats = [await send(platform, organizer, key, "POST", "/events", json=body) for _ in range(3)]

    assert appended >= 1
    assert first.headers["x-event-position"] == str(first.json()["position"])
    for repeat in repeats:
        assert_replay_of(first, repeat)
    assert await count(platform, EVENTS_WITH_KEY, key) == appended
    assert await count(platform, EVENTS_OF_STREAM, f"event-{event_id}") == in_stream


async def test_a_repeated_change_is_applied_once(platform: Platform, organizer: User) -> None:
    event_id = await platform.event(organizer, open_now=False)
    key = str(uuid4())
    first = await send(
        platform, organizer, key, "PATCH", f"/events/{event_id}", json={"title": "Renamed once"}
    )
    assert first.status_code == 200, first.text
    in_stream = await count(platform, EVENTS_OF_STREAM, f"event-{event_id}")

    repeat = await send(
        platform, organizer, key, "PATCH", f"/events/{event_id}", json={"title": "Renamed once"}
    )

    assert_replay_of(first, repeat)
    assert await count(platform, EVENTS_OF_STREAM, f"event-{event_id}") == in_stream


async def test_the_same_key_with_another_body_is_refused_with_422(
    platform: Platform, organizer: User
) -> None:
    key = str(uuid4())
    first = await send(platform, organizer, key, "POST", "/events", json=event_body("One"))
    assert first.status_code == 201, first.text
    appended = await count(platform, EVENTS_WITH_KEY, key)

    other = await send(platform, organizer, key, "POST", "/events", json=event_body("Two"))

    assert_problem(other, 422)
    assert "idempotent-replayed" not in other.headers
    assert await count(platform, EVENTS_WITH_KEY, key) == appended


async def test_the_same_key_on_another_route_is_refused_with_422(
    platform: Platform, organizer: User
) -> None:
    event_id = await platform.event(organizer, open_now=False)
    key = str(uuid4())
    change = {"title": "Renamed"}
    first = await send(platform, organizer, key, "PATCH", f"/events/{event_id}", json=change)
    assert first.status_code == 200, first.text
    appended = await count(platform, EVENTS_WITH_KEY, key)

    other = await send(platform, organizer, key, "DELETE", f"/events/{event_id}")

    assert_problem(other, 422)
    assert await count(platform, EVENTS_WITH_KEY, key) == appended


async def test_different_callers_may_use_the_same_key_independently(
    platform: Platform,
) -> None:
    captains = [await platform.participant(f"captain{i}") for i in range(2)]
    key = str(uuid4())

    answers = [
        await send(platform, captain, key, "POST", "/teams", json={"name": "Same Key"})
        for captain in captains
    ]

    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert all("idempotent-replayed" not in a.headers for a in answers)
    assert answers[0].json()["team_id"] != answers[1].json()["team_id"]
    assert await count(platform, EVENTS_WITH_KEY, key) >= 2
    for answer in answers:
        team = f"team-{answer.json()['team_id']}"
        assert await count(platform, EVENTS_OF_STREAM, team) >= 1


async def test_a_refused_first_request_is_replayed_as_it_was(
    platform: Platform, organizer: User
) -> None:
    key = str(uuid4())
    backwards = event_body("Backwards Cup", days=-1)  # end_date before start_date
    first = await send(platform, organizer, key, "POST", "/events", json=backwards)
    assert_problem(first, 422)

    repeat = await send(platform, organizer, key, "POST", "/events", json=backwards)

    assert_replay_of(first, repeat)
    assert await count(platform, EVENTS_WITH_KEY, key) == 0


async def test_a_refusal_is_replayed_even_after_its_cause_is_gone(platform: Platform) -> None:
    """A member of a team cannot create one; once they leave, only a new key creates it."""
    captain = await platform.participant("captain")
    team_id = await platform.team(captain)
    member = await platform.participant("member")
    joined = await platform.call("POST", f"/teams/{team_id}/members", member)
    assert joined.status_code == 200, joined.text
    key = str(uuid4())
    first = await send(platform, member, key, "POST", "/teams", json={"name": "Breakaway"})
    assert_problem(first, 409)
    left = await platform.call("DELETE", f"/teams/{team_id}/members/{member.user_id}", member)
    assert left.status_code == 200, left.text

    repeat = await send(platform, member, key, "POST", "/teams", json={"name": "Breakaway"})
    fresh = await send(platform, member, str(uuid4()), "POST", "/teams", json={"name": "Breakaway"})

    assert_replay_of(first, repeat)
    assert fresh.status_code == 201, fresh.text
    assert await count(platform, EVENTS_WITH_KEY, key) == 0


async def test_concurrent_repeats_append_once(platform: Platform, organizer: User) -> None:
    key = str(uuid4())
    body = event_body("Concurrent Cup")

    answers = await asyncio.gather(
        *(send(platform, organizer, key, "POST", "/events", json=body) for _ in range(10))
    )

    created = [a for a in answers if a.status_code == 201]
    assert created, [a.text for a in answers]
    assert len({a.json()["event_id"] for a in created}) == 1
    for answer in answers:
        if answer.status_code != 201:  # still running when it arrived
            assert_problem(answer, 409)
    assert await count(platform, EVENTS_WITH_KEY, key) == 1
