"""The read API against the running platform: read-your-writes, pages, downloads, ETags, and
answers that survive Redis being flushed."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
from redis.asyncio import Redis

from tests.e2e.client import REDIS_URL, Platform, User, pdf_bytes
from tests.e2e.conftest import VIEW_CACHE_SECONDS


async def test_a_read_with_the_commands_position_always_sees_the_command(
    platform: Platform, organizer: User
) -> None:
    user = await platform.participant("reader")
    for attempt in range(200):
        name = f"Name {attempt}"
        changed = await platform.call("PATCH", f"/users/{user.user_id}", user, json={"name": name})
        assert changed.status_code == 200, changed.text
        position = changed.json()["position"]
        answer = await platform.read("/users/me", user, position=position)
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == name, f"attempt {attempt} read a stale profile"


async def test_a_position_the_projections_cannot_reach_in_time_is_503_with_retry_after(
    platform: Platform, organizer: User
) -> None:
    answer = await platform.read("/users/me", organizer, position=2**62)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-type"].startswith("application/problem+json")
    bad = await platform.read("/users/me", organizer, headers={"X-Min-Position": "soon"})
    assert bad.status_code == 422


async def test_a_caller_without_a_valid_token_is_refused_before_any_wait(
    platform: Platform, organizer: User
) -> None:
    """A position nobody reaches would hold the request for the whole wait: without a valid
    token the answer is 401 at once."""
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        started = asyncio.get_running_loop().time()
        answer = await platform.read("/users/me", position=2**62, headers=headers)
        assert answer.status_code == 401
        assert asyncio.get_running_loop().time() - started < 1.0  # the wait is 2 s


async def test_walking_the_pages_during_inserts_returns_each_existing_row_once(
    platform: Platform, organizer: User
) -> None:
    created = [await platform.event(organizer) for _ in range(12)]
    last = await platform.call("PATCH", f"/events/{created[-1]}", organizer, json={"title": "x"})
    position = last.json()["position"]
    before = await _all_ids(platform, organizer, "/events/", "event_id", position, limit=200)
    assert set(created) <= set(before)

    async def insert_more() -> None:
        for _ in range(10):
            await platform.event(organizer)

    inserting = asyncio.create_task(insert_more())
    walked = await _all_ids(platform, organizer, "/events/", "event_id", None, limit=3)
    await inserting
    assert len(walked) == len(set(walked)), "a row came twice"
    assert set(before) <= set(walked), "a row that existed at the start was skipped"


async def _all_ids(
    platform: Platform, user: User, path: str, field: str, position: int | None, limit: int
) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await platform.read(path, user, position=position, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [item[field] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


async def test_the_download_url_serves_exactly_the_uploaded_bytes(
    platform: Platform, organizer: User
) -> None:
    captain = await platform.participant("captain")
    team_id = await platform.team(captain, f"Downloaders {platform.run_id}")
    event_id = await platform.event(organizer)
    content = pdf_bytes("download me " * 100)
    sent = await platform.submit(captain, team_id, event_id, content)
    assert sent.status_code == 202, sent.text
    body = sent.json()
    answer = await platform.read(
        f"/submissions/{body['submission_id']}", captain, position=body["position"]
    )
    assert answer.status_code == 200, answer.text
    async with httpx.AsyncClient() as s3:
        download = await s3.get(answer.json()["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(content).hexdigest()
    assert answer.json()["sha256"] == hashlib.sha256(content).hexdigest()


async def test_single_resources_carry_an_etag_and_answer_304_when_unchanged(
    platform: Platform, organizer: User
) -> None:
    event_id = await platform.event(organizer)
    first = await _eventually(platform, organizer, f"/events/{event_id}")
    etag = first.headers["etag"]
    again = await platform.read(f"/events/{event_id}", organizer, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    changed = await platform.call("PATCH", f"/events/{event_id}", organizer, json={"title": "New"})
    after = await platform.read(
        f"/events/{event_id}", organizer, position=changed.json()["position"],
        headers={"If-None-Match": etag},
    )  # fmt: skip
    assert after.status_code == 200
    assert after.json()["title"] == "New"
    assert after.headers["etag"] != etag


async def _eventually(platform: Platform, user: User, path: str) -> httpx.Response:
    for _ in range(100):
        answer = await platform.read(path, user)
        if answer.status_code == 200:
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


async def test_answers_stay_the_same_when_redis_is_flushed_mid_test(
    platform: Platform, organizer: User
) -> None:
    judge = await platform.account(organizer, "JUDGE")
    captain = await platform.participant("flushed")
    team_id = await platform.team(captain, f"Flushed {platform.run_id}")
    event_id = await platform.event(organizer)
    submission_id = await platform.submission(captain, team_id, event_id)
    await platform.checked(captain, submission_id)  # the worker's verdict is in, too
    await platform.call("POST", f"/submissions/{submission_id}/approve", organizer)
    await platform.assign(organizer, submission_id, judge)
    scored = await platform.call(
        "POST", "/evaluations", judge, json={"submission_id": submission_id, "score": 64}
    )
    position = scored.json()["position"]
    paths = [
        "/users/me", f"/users/{captain.user_id}", f"/events/{event_id}",
        f"/events/{event_id}/leaderboard", f"/submissions/{submission_id}", f"/teams/{team_id}",
    ]  # fmt: skip
    warm = {p: (await platform.read(p, captain, position=position)).json() for p in paths}
    assert warm[f"/events/{event_id}/leaderboard"]["items"][0]["mean_score"] == 64.0

    redis: Redis = Redis.from_url(REDIS_URL)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    await asyncio.sleep(VIEW_CACHE_SECONDS * 2)  # what the read API itself kept has expired

    for _ in range(2):  # a miss refills from the tables, then the refilled view answers
        cold = {p: (await platform.read(p, captain)).json() for p in paths}
        for path in paths:
            assert _stable(cold[path]) == _stable(warm[path]), path


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    """An answer without what changes between two reads of the same state (a fresh link)."""
    return {k: v for k, v in body.items() if k != "download_url"}
