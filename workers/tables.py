"""Applying row changes to the read tables: SQL built once per shape, personal data opened."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple
from uuid import UUID

from psycopg import AsyncConnection, sql
from redis.exceptions import RedisError

from events.users import UserErased
from eventstore.pool import list_look_up
from eventstore.records import RecordedEvent
from eventstore.vault import PREFIX, Vault, open_many, open_with
from projections import tables
from projections.cache import Cache, Standing, Standings
from projections.changes import (
    Delete,
    Fact,
    RecomputeLeaderboard,
    Sealed,
    Update,
    Upsert,
)

RowChange = Upsert | Update | Delete


class Statement(NamedTuple):
    """One row change as SQL: its table, the statement (composed once per shape), values."""

    table: str
    sql: bytes
    params: list[Any]


log = logging.getLogger(__name__)

# Standings are recomputed from the tables under one lock for all of them, taken before the
# affected events are even looked up: of two transactions whose changes meet in one event's
# standings (an evaluation in one partition, its submission's approval in another), the one
# that takes the lock second sees every row the first one wrote (read committed), including
# a submission row that did not exist yet when the first looked. A lock per event cannot give
# that: the first may not know the event yet. The same holds for a team's row, whose name the
# standings show. One lock also means no lock-order deadlocks.
LOCK_STANDINGS = "SELECT pg_advisory_xact_lock(hashtextextended('kazrockets:leaderboard', 0))"
EVENTS_OF = """
SELECT DISTINCT s.event_id FROM submission s
WHERE s.submission_id = ANY(%(submissions)s::uuid[])
   OR s.team_id = ANY(%(teams)s::uuid[])
   OR s.submission_id IN (SELECT e.submission_id FROM evaluation e
                          WHERE e.evaluation_id = ANY(%(evaluations)s::uuid[]))
"""
CLEAR_LEADERBOARD = "DELETE FROM leaderboard WHERE event_id = %s"
# The rule of commands/ranking.py, in SQL (tested against it). COLLATE "C" orders ids as
# Python compares strings.
FILL_LEADERBOARD = """
INSERT INTO leaderboard (event_id, team_id, team_name, submission_id, submitted_at, evaluations,
                         mean_score, median_score, rank)
WITH scored AS (
    SELECT s.team_id, s.submission_id, s.submitted_at, count(*)::integer AS evaluations,
           round(avg(e.score)::numeric, 6)::double precision AS mean_score,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY e.score) AS median_score
    FROM submission s
    JOIN evaluation e ON e.submission_id = s.submission_id AND e.deleted_at IS NULL
    WHERE s.event_id = %(event)s AND s.status = 'APPROVED' AND s.deleted_at IS NULL
    GROUP BY s.team_id, s.submission_id, s.submitted_at
), best AS (
    SELECT DISTINCT ON (team_id) * FROM scored
    ORDER BY team_id, mean_score DESC, median_score DESC, evaluations DESC, submitted_at,
             submission_id::text COLLATE "C"
)
SELECT %(event)s, b.team_id, coalesce(t.name, ''), b.submission_id, b.submitted_at,
       b.evaluations, b.mean_score, b.median_score,
       row_number() OVER (ORDER BY b.mean_score DESC, b.median_score DESC, b.evaluations DESC,
                          b.submitted_at, b.submission_id::text COLLATE "C")
FROM best b LEFT JOIN team t ON t.team_id = b.team_id
"""
# Revisions come from the clock read under the lock, so they grow in the order recomputations
# happen, also across a replay that starts the table over (never below the last one + 1).
BUMP_REVISION = """
INSERT INTO leaderboard_revision (event_id, revision, position)
VALUES (%(event)s, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, %(position)s)
ON CONFLICT (event_id) DO UPDATE
SET revision = GREATEST(excluded.revision, leaderboard_revision.revision + 1),
    position = GREATEST(excluded.position, leaderboard_revision.position)
"""
READ_STANDINGS = """
SELECT r.revision, r.position, l.rank, l.team_id, l.team_name, l.mean_score, l.median_score,
       l.evaluations, l.submission_id
FROM leaderboard_revision r LEFT JOIN leaderboard l ON l.event_id = r.event_id
WHERE r.event_id = %s ORDER BY l.rank
"""


def fact(recorded: RecordedEvent) -> Fact:
    return Fact(recorded.stream_id, recorded.recorded_at, recorded.event)


class TableWriter:
    """Writes what ``projections.tables.project`` decides, with a per-process key cache."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._keys: dict[UUID, bytes | None] = {}
        # Composed once per shape and kept as bytes: composing on every execute costs more
        # than running the statement (measured in replay).
        self._statements: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], bytes] = {}

    async def open_all(self, changes: list[RowChange]) -> None:
        """Open the personal data of many row changes (a replay's batch) with one look-up of
        their users' keys and one cipher per user. The value dicts are the policy's fresh
        output, so they are opened in place. No key is kept: a replay would keep them all."""
        found = [
            (change.values, column, value)
            for change in changes
            if not isinstance(change, Delete)
            for column, value in change.values.items()
            if isinstance(value, Sealed)
        ]
        users = list({s.user_id for _, _, s in found if s.token.startswith(PREFIX)})
        keys = await self._vault.keys(users) if users else {}
        opened = open_many(keys, [(sealed.user_id, sealed.token) for _, _, sealed in found])
        for (values, column, _), plaintext in zip(found, opened, strict=True):
            values[column] = plaintext

    async def _open(self, value: Any) -> Any:
        if not isinstance(value, Sealed):
            return value
        if not value.token.startswith(PREFIX):  # stored before personal data was sealed
            return value.token
        if value.user_id not in self._keys:
            self._keys[value.user_id] = await self._vault.key(value.user_id)
        return open_with(self._keys[value.user_id], value.user_id, value.token)

    def _statement(self, change: RowChange) -> Statement:
        keys = tuple(change.key)
        columns = () if isinstance(change, Delete) else tuple(change.values)
        shape = (type(change).__name__, change.table, keys, columns)
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._build(change, keys, columns).as_string(None).encode()
            self._statements[shape] = statement
        values = [] if isinstance(change, Delete) else list(change.values.values())
        key_values = list(change.key.values())
        if isinstance(change, Upsert):
            return Statement(change.table, statement, key_values + values)
        return Statement(change.table, statement, values + key_values)

    @staticmethod
    def _build(change: RowChange, keys: tuple[str, ...], columns: tuple[str, ...]) -> sql.Composed:
        table = sql.Identifier(change.table)
        where = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in keys)
        sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns)
        match change:
            case Upsert():
                names = [*keys, *columns]
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns
                )
                return sql.SQL(
                    "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}"
                ).format(
                    table,
                    sql.SQL(", ").join(map(sql.Identifier, names)),
                    sql.SQL(", ").join(sql.Placeholder() * len(names)),
                    sql.SQL(", ").join(map(sql.Identifier, keys)),
                    updates,
                )
            case Update():
                return sql.SQL("UPDATE {} SET {} WHERE {}").format(table, sets, where)
            case Delete():
                return sql.SQL("DELETE FROM {} WHERE {}").format(table, where)

    async def changes(
        self, recorded: RecordedEvent
    ) -> tuple[list[RowChange], list[RecomputeLeaderboard]]:
        """The row changes one event makes, in order, personal data opened; and the
        standings it may change."""
        if isinstance(recorded.event, UserErased):
            self._keys.pop(UUID(recorded.stream_id.split("-", 1)[1]), None)
        changes: list[RowChange] = []
        recomputes = []
        for change in tables.project(fact(recorded)):
            if isinstance(change, RecomputeLeaderboard):
                recomputes.append(change)
                continue
            if not isinstance(change, Delete):
                opened = {k: await self._open(v) for k, v in change.values.items()}
                change = type(change)(change.table, change.key, opened)
            changes.append(change)
        return changes, recomputes

    async def plan(
        self, recorded: RecordedEvent
    ) -> tuple[list[Statement], list[RecomputeLeaderboard]]:
        """The statements one event needs, in order, and the standings it may change."""
        changes, recomputes = await self.changes(recorded)
        return [self._statement(change) for change in changes], recomputes


async def recompute_standings(
    conn: AsyncConnection, changes: list[RecomputeLeaderboard], position: int
) -> list[UUID]:
    """Recompute the standings these changes touch; the events whose standings were rewritten."""
    if not changes:
        return []
    await conn.execute(LOCK_STANDINGS)
    params = {
        "submissions": [c.submission_id for c in changes if c.submission_id is not None],
        "evaluations": [c.evaluation_id for c in changes if c.evaluation_id is not None],
        "teams": [c.team_id for c in changes if c.team_id is not None],
    }
    events = [row[0] for row in await (await list_look_up(conn, EVENTS_OF, params)).fetchall()]
    for event_id in events:
        await _rewrite(conn, event_id, position)
    return events


async def _rewrite(conn: AsyncConnection, event_id: UUID, position: int) -> None:
    await conn.execute(CLEAR_LEADERBOARD, (event_id,))
    await conn.execute(FILL_LEADERBOARD, {"event": event_id})
    await conn.execute(BUMP_REVISION, {"event": event_id, "position": position})


async def publish_standings(conn: AsyncConnection, cache: Cache, events: list[UUID]) -> None:
    """Copy committed standings to Redis (a newer copy there is kept)."""
    try:
        for event_id in events:
            standings = await read_standings(conn, event_id)
            if standings is not None:
                await cache.write_standings(standings)
    except RedisError as error:  # a cache: the read side refills it from the tables
        log.warning("standings not copied to Redis", extra={"error": str(error)})


async def read_standings(conn: AsyncConnection, event_id: UUID) -> Standings | None:
    """An event's standings as the tables hold them (None: never computed)."""
    rows = await (await conn.execute(READ_STANDINGS, (event_id,))).fetchall()
    if not rows:
        return None
    items = [Standing(*row[2:]) for row in rows if row[2] is not None]
    return Standings(event_id, as_of_position=rows[0][1], revision=rows[0][0], items=items)


APPROVED_EVENTS = "SELECT DISTINCT event_id FROM submission WHERE status = 'APPROVED'"


async def recompute_all_standings(conn: AsyncConnection, position: int) -> list[UUID]:
    """Every event's standings from the tables as they are (a replay does this once)."""
    await conn.execute(LOCK_STANDINGS)
    events = [row[0] for row in await (await conn.execute(APPROVED_EVENTS)).fetchall()]
    for event_id in events:
        await _rewrite(conn, event_id, position)
    return events
