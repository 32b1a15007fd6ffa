"""Entities and leaderboards rebuilt as of a point agree with the write side's own fold, and
with what the read tables held at that moment, for random command histories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.competitions import CompetitionState
from commands.evaluations import EvaluationState
from commands.ports import Services
from commands.submissions import SubmissionState
from commands.teams import TeamState
from commands.users import UserState
from eventstore.records import RecordedEvent
from eventstore.store import EventStore
from eventstore.vault import Vault
from read_api import audit
from read_api.audit import AsOf
from tests.conftest import RESET
from tests.integration.fanout.scenario import World, step
from workers.projector import TablesProjector
from workers.tables import TableWriter, read_standings

# A competition under way (three participants in two teams, two judges, two approved and
# scored submissions), then random steps, most of which find something to act on.
UNDER_WAY = [
    ("participant", 0, 0, 0), ("participant", 1, 0, 0), ("participant", 2, 0, 0),
    ("judge", 0, 0, 0), ("judge", 1, 0, 0), ("event", 0, 0, 1), ("team", 0, 0, 2),
    ("team", 1, 0, 3), ("join", 2, 0, 0), ("submit", 0, 0, 0), ("submit", 1, 0, 0),
    ("approve", 0, 0, 0), ("approve", 1, 0, 0), ("score", 0, 0, 70), ("score", 1, 1, 40),
    ("score", 1, 0, 90),
]  # fmt: skip
steps = st.lists(step, min_size=5, max_size=30).map(lambda more: UNDER_WAY + more)
HISTORIES = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Each entity's read-table row, in the terms of its folded state (see `facts`).
ROWS = {
    "user": """SELECT role, language, team_id, deleted_at IS NOT NULL, erased_at IS NOT NULL
               FROM app_user WHERE user_id = %s""",
    "team": """SELECT t.name, t.captain_id, t.deleted_at IS NOT NULL,
                      array(SELECT user_id FROM team_member m WHERE m.team_id = t.team_id
                            ORDER BY user_id)
               FROM team t WHERE team_id = %s""",
    "event": """SELECT title, start_date, end_date, winner_team_id, deleted_at IS NOT NULL
                FROM competitive_event WHERE event_id = %s""",
    "submission": """
        SELECT team_id, event_id, submitted_at, status, deleted_at IS NOT NULL,
               array(SELECT judge_id FROM judge_assignment j
                     WHERE j.submission_id = s.submission_id ORDER BY judge_id),
               array(SELECT json_build_array(evaluation_id, score) FROM evaluation e
                     WHERE e.submission_id = s.submission_id AND e.deleted_at IS NULL
                     ORDER BY evaluation_id)
        FROM submission s WHERE submission_id = %s""",
    "evaluation": """SELECT submission_id, judge_id, score, comments, deleted_at IS NOT NULL
                     FROM evaluation WHERE evaluation_id = %s""",
}


def facts(state: Any) -> tuple[Any, ...]:
    """What of a folded state the read tables also hold, as their row reads."""
    match state:
        case UserState() as u:
            return (u.role.value, u.language, u.team_id, u.deleted, u.erased)
        case TeamState() as t:
            return (t.name, t.captain_id, t.deleted, sorted(t.members))
        case CompetitionState() as c:
            return (c.title, c.start_date, c.end_date, c.winner_team_id, c.deleted)
        case SubmissionState() as s:
            scores = [[str(e), score] for e, score in sorted(s.scores.items())]
            return (
                s.team_id, s.event_id, s.submitted_at, s.status.value, s.deleted, sorted(s.judges),
                scores,
            )  # fmt: skip
        case EvaluationState() as e:
            return (e.submission_id, e.judge_id, e.score, e.comments, e.deleted)
    raise AssertionError(f"no facts for {state!r}")


def entity_of(stream_id: str) -> tuple[str, UUID]:
    kind, _, entity_id = stream_id.partition("-")
    return kind, UUID(entity_id)


def shown(state: Any) -> Any:
    """A folded state as the audit route shows it (a password hash never leaves)."""
    if isinstance(state, UserState) and state.password_hash:
        return msgspec.structs.replace(state, password_hash=audit.REDACTED)
    return state


def commits(log: Sequence[RecordedEvent]) -> Iterator[list[RecordedEvent]]:
    """The log cut into transactions (a position is the transaction id << 16 | index)."""
    batch: list[RecordedEvent] = []
    for recorded in log:
        if batch and recorded.global_position >> 16 != batch[0].global_position >> 16:
            yield batch
            batch = []
        batch.append(recorded)
    if batch:
        yield batch


async def run(pool: AsyncConnectionPool[AsyncConnection], services: Services, history: Any) -> None:
    async with pool.connection() as conn:
        await conn.execute(RESET)
    await World(services).run(history)


async def check_stream(
    conn: AsyncConnection, store: EventStore, stream_id: str, stream: list[RecordedEvent]
) -> None:
    kind, entity_id = entity_of(stream_id)
    aggregate = audit.KINDS[kind][0]
    before = AsOf(position=stream[0].global_position - 1)
    assert await audit.entity_as_of(conn, kind, entity_id, before) is None
    for recorded in stream:
        upto = await store.read_stream(stream_id, up_to_version=recorded.version)
        at = await audit.entity_as_of(conn, kind, entity_id, AsOf(recorded.global_position))
        assert at is not None and at.version == recorded.version
        assert at.state == shown(aggregate.fold([r.event for r in upto])), (stream_id, recorded)
        then = await store.read_stream(stream_id, up_to_time=recorded.recorded_at)
        by_time = await audit.entity_as_of(conn, kind, entity_id, AsOf(time=recorded.recorded_at))
        assert by_time is not None
        assert by_time.state == shown(aggregate.fold([r.event for r in then]))


@HISTORIES
@given(history=steps)
async def test_the_state_as_of_every_position_is_the_fold_of_the_stream_up_to_it(
    pool: AsyncConnectionPool[AsyncConnection],
    read_pool: AsyncConnectionPool[AsyncConnection],
    services: Services,
    domain_store: EventStore,
    history: list[tuple[str, int, int, int]],
) -> None:
    await run(pool, services, history)
    log = await domain_store.read_all(0, 100_000)
    streams: dict[str, list[RecordedEvent]] = {}
    for recorded in log:
        streams.setdefault(recorded.stream_id, []).append(recorded)

    async with read_pool.connection() as conn:
        for stream_id, stream in streams.items():
            if entity_of(stream_id)[0] in audit.KINDS:  # the five entities (not notifications)
                await check_stream(conn, domain_store, stream_id, stream)


async def compare_with_tables(conn: AsyncConnection, streams: set[str], position: int) -> None:
    for stream_id in sorted(streams):
        kind, entity_id = entity_of(stream_id)
        rebuilt = await audit.entity_as_of(conn, kind, entity_id, AsOf(position))
        assert rebuilt is not None
        row = await (await conn.execute(ROWS[kind].encode(), (entity_id,))).fetchone()
        assert row is not None and facts(rebuilt.state) == tuple(row), (stream_id, position)
        if kind != "event":
            continue
        board = await audit.leaderboard_as_of(conn, entity_id, AsOf(position))
        held = await read_standings(conn, entity_id)
        assert board is not None
        assert board.items == (held.items if held else []), (stream_id, position)


@HISTORIES
@given(history=steps)
async def test_the_state_as_of_each_commit_is_what_the_read_tables_held_then(
    pool: AsyncConnectionPool[AsyncConnection],
    read_pool: AsyncConnectionPool[AsyncConnection],
    services: Services,
    domain_store: EventStore,
    history: list[tuple[str, int, int, int]],
) -> None:
    await run(pool, services, history)
    projector = TablesProjector(read_pool, domain_store, TableWriter(Vault(pool)))
    seen: set[str] = set()

    for commit in commits(await domain_store.read_all(0, 100_000)):
        for recorded in commit:  # the tables projector, one transaction per event, in order
            assert await projector.apply(recorded, None)
            if entity_of(recorded.stream_id)[0] in audit.KINDS:
                seen.add(recorded.stream_id)
        async with read_pool.connection() as conn:
            await compare_with_tables(conn, seen, commit[-1].global_position)
