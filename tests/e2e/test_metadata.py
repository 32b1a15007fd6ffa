"""Every event names its actor, the request's correlation id and its causation id."""

from __future__ import annotations

import json
from uuid import uuid4

import psycopg

from tests.e2e.client import Platform


async def test_correlation_id_travels_from_the_request_into_the_events(
    platform: Platform,
) -> None:
    correlation = str(uuid4())
    captain = await platform.participant()

    answer = await platform.call(
        "POST", "/teams", captain, json={"name": "Meta"}, headers={"X-Correlation-Id": correlation}
    )

    assert answer.status_code == 201
    assert answer.headers["x-correlation-id"] == correlation
    with psycopg.connect(platform.database_url) as conn:
        rows = conn.execute(
            "SELECT stream_id, metadata::text FROM eventstore.events WHERE global_position = %s"
            " OR (metadata->>'correlation_id') = %s ORDER BY global_position",
            (answer.json()["position"], correlation),
        ).fetchall()
    streams = {stream for stream, _ in rows}
    assert streams == {f"team-{answer.json()['team_id']}", f"user-{captain.user_id}"}
    for _, text in rows:
        metadata = json.loads(text)
        assert metadata["correlation_id"] == correlation
        assert metadata["causation_id"] == correlation
        assert metadata["actor_id"] == captain.user_id
        assert metadata["actor_role"] == "PARTICIPANT"


async def test_a_request_without_correlation_id_gets_a_new_one(platform: Platform) -> None:
    answer = await platform.client.post(
        "/auth/register",
        json={"email": platform.email("corr"), "password": "long-enough-1", "name": "C"},
        headers={"X-Correlation-Id": "not-a-uuid"},
    )
    assert answer.status_code == 201
    assert answer.headers["x-correlation-id"] != "not-a-uuid"
