"""`kazrockets audit verify-results`: a declared winner recomputed from the raw events verifies;
a score edited in the database is named; no declared winner is exit 2."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.errors import DomainError
from commands.ports import Services
from tests.conftest import RESET
from tests.integration.audit.competition import declared, under_way
from tests.integration.fanout.scenario import step
from tests.integration.test_cli import kazrockets
from workers.audit_results import NoResult, check_results

LAST_OF_TYPE = """
SELECT global_position, data::text FROM eventstore.events
WHERE stream_id = %s AND event_type = %s ORDER BY version DESC LIMIT 1
"""
WINNERS = """
SELECT stream_id FROM eventstore.events WHERE event_type = 'WinnerDeclared' ORDER BY 1
"""


def verify_results(database_url: str, event_id: UUID) -> tuple[int, dict[str, Any] | None, str]:
    done = kazrockets(database_url, "audit", "verify-results", str(event_id))
    lines = done.stdout.splitlines()
    return done.returncode, json.loads(lines[-1]) if lines else None, done.stderr


async def rescore(conn: AsyncConnection, evaluation_id: UUID, event_type: str, score: int) -> None:
    """Edit a score in place, as someone with database access could."""
    stream = f"evaluation-{evaluation_id}"
    row = await (await conn.execute(LAST_OF_TYPE, (stream, event_type))).fetchone()
    assert row is not None, (stream, event_type)
    data = json.loads(row[1])
    assert data["score"] != score
    data["score"] = score
    await conn.execute(
        "UPDATE eventstore.events SET data = %s::json WHERE global_position = %s",
        (json.dumps(data), row[0]),
    )


async def test_a_declared_winner_verifies(services: Services, database_url: str) -> None:
    world = await declared(services, [])
    code, report, stderr = verify_results(database_url, world.events[0])
    assert code == 0, stderr
    assert report is not None and report["ok"] is True and report["differences"] == []
    assert report["recorded_digest"] == report["recomputed_digest"]
    assert report["method"] == "computed"


@pytest.mark.parametrize(
    ("more", "edited"),
    [([], "SubmissionScored"), ([("revise", 1, 0, 55)], "EvaluationRevised")],
)
async def test_a_score_edited_in_the_database_fails_and_names_the_evaluation(
    services: Services,
    pool: AsyncConnectionPool[AsyncConnection],
    database_url: str,
    more: list[tuple[str, int, int, int]],
    edited: str,
) -> None:
    world = await declared(services, more)
    evaluation_id = world.evaluations[1]  # team 1's only score: 40, or 55 once revised
    async with pool.connection() as conn:
        await rescore(conn, evaluation_id, edited, 99)

    code, report, stderr = verify_results(database_url, world.events[0])

    assert code == 1
    assert report is not None and report["ok"] is False
    assert report["recomputed_digest"] != report["recorded_digest"]
    assert report["recomputed_winner_team_id"] != report["recorded_winner_team_id"]
    named = [d for d in report["differences"] if str(evaluation_id) in d]
    assert any("its own stream gives score 99" in d for d in named), report["differences"]
    assert any("recomputed [99]" in d for d in named), report["differences"]
    assert f"evaluation {evaluation_id}" in stderr and "do not verify" in stderr


async def test_no_declared_winner_is_exit_2_with_a_message(
    services: Services, database_url: str
) -> None:
    world = await under_way(services, [])
    code, report, stderr = verify_results(database_url, world.events[0])
    assert (code, report) == (2, None)
    assert f"no winner is declared for competitive event {world.events[0]}" in stderr
    unknown = uuid4()
    code, _, stderr = verify_results(database_url, unknown)
    assert code == 2 and f"there is no competitive event {unknown}" in stderr


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(more=st.lists(step, min_size=0, max_size=20))
async def test_every_winner_declared_in_a_random_history_verifies(
    services: Services,
    pool: AsyncConnectionPool[AsyncConnection],
    more: list[tuple[str, int, int, int]],
) -> None:
    async with pool.connection() as conn:
        await conn.execute(RESET)
    world = await under_way(services, more)
    for op, a, b, n in [("close", 0, 0, 0), ("winner", 0, 0, 0)]:
        with contextlib.suppress(DomainError):  # declared on the way already, or refused
            await world.step(op, a, b, n)
    async with pool.connection() as conn:
        streams = [row[0] for row in await (await conn.execute(WINNERS)).fetchall()]
        for stream_id in streams:
            report = await check_results(conn, UUID(stream_id.removeprefix("event-")))
            assert report.ok, report.differences
        with pytest.raises(NoResult):
            await check_results(conn, uuid4())
