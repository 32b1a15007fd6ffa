"""Applying row changes to the read tables: SQL built once per shape, personal data opened."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from events.users import UserErased
from eventstore.records import RecordedEvent
from eventstore.vault import Vault, open_with
from projections import tables
from projections.changes import (
    Delete,
    Fact,
    RecomputeLeaderboard,
    Sealed,
    Update,
    Upsert,
)

RowChange = Upsert | Update | Delete

# Standings are recomputed from the tables, after a lock per competitive event: a second
# transaction recomputing the same event waits, then its statement sees the first one's rows
# (read committed), so the last recomputation always includes every committed change.
EVENT_OF = """
SELECT s.event_id FROM submission s
WHERE s.submission_id = coalesce(
    %(submission)s::uuid,
    (SELECT e.submission_id FROM evaluation e WHERE e.evaluation_id = %(evaluation)s::uuid))
"""
LOCK_EVENT = "SELECT pg_advisory_xact_lock(hashtextextended('leaderboard:' || %s::text, 0))"
CLEAR_LEADERBOARD = "DELETE FROM leaderboard WHERE event_id = %s"
# The rule of commands/ranking.py, in SQL (tested against it). COLLATE "C" orders ids as
# Python compares strings.
FILL_LEADERBOARD = """
INSERT INTO leaderboard (event_id, team_id, submission_id, submitted_at, evaluations,
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
SELECT %(event)s, team_id, submission_id, submitted_at, evaluations, mean_score, median_score,
       row_number() OVER (ORDER BY mean_score DESC, median_score DESC, evaluations DESC,
                          submitted_at, submission_id::text COLLATE "C")
FROM best
"""

UPSERT_VERSION = """
INSERT INTO stream_versions (projection, stream_id, version) VALUES (%s, %s, %s)
ON CONFLICT (projection, stream_id) DO UPDATE SET version = excluded.version
"""
READ_VERSION = "SELECT version FROM stream_versions WHERE projection = %s AND stream_id = %s"


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

    async def _open(self, value: Any) -> Any:
        if not isinstance(value, Sealed):
            return value
        if value.user_id not in self._keys:
            self._keys[value.user_id] = await self._vault.key(value.user_id)
        return open_with(self._keys[value.user_id], value.user_id, value.token)

    def _statement(self, change: RowChange) -> tuple[bytes, list[Any]]:
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
            return statement, key_values + values
        return statement, values + key_values

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

    async def plan(
        self, recorded: RecordedEvent
    ) -> tuple[list[tuple[bytes, list[Any]]], list[RecomputeLeaderboard]]:
        """The statements one event needs, in order, and the standings it may change."""
        if isinstance(recorded.event, UserErased):
            self._keys.pop(UUID(recorded.stream_id.split("-", 1)[1]), None)
        statements, recomputes = [], []
        for change in tables.project(fact(recorded)):
            if isinstance(change, RecomputeLeaderboard):
                recomputes.append(change)
                continue
            if not isinstance(change, Delete):
                opened = {k: await self._open(v) for k, v in change.values.items()}
                change = type(change)(change.table, change.key, opened)
            statements.append(self._statement(change))
        return statements, recomputes

    async def apply(self, conn: AsyncConnection, recorded: RecordedEvent) -> None:
        statements, recomputes = await self.plan(recorded)
        for statement, params in statements:
            await conn.execute(statement, params)
        for change in recomputes:
            await recompute_leaderboard(conn, change)

    async def applied_version(self, conn: AsyncConnection, projection: str, stream_id: str) -> int:
        row = await (await conn.execute(READ_VERSION, (projection, stream_id))).fetchone()
        return 0 if row is None else int(row[0])

    async def record_version(
        self, conn: AsyncConnection, projection: str, stream_id: str, version: int
    ) -> None:
        await conn.execute(UPSERT_VERSION, (projection, stream_id, version))


async def recompute_leaderboard(conn: AsyncConnection, change: RecomputeLeaderboard) -> None:
    params = {"submission": change.submission_id, "evaluation": change.evaluation_id}
    row = await (await conn.execute(EVENT_OF, params)).fetchone()
    if row is None:
        return  # the submission is not projected yet: its own events will recompute
    await conn.execute(LOCK_EVENT, (row[0],))
    await conn.execute(CLEAR_LEADERBOARD, (row[0],))
    await conn.execute(FILL_LEADERBOARD, {"event": row[0]})


APPROVED_EVENTS = "SELECT DISTINCT event_id FROM submission WHERE status = 'APPROVED'"


async def recompute_all_leaderboards(conn: AsyncConnection) -> None:
    """Every event's standings from the tables as they are (a replay does this once)."""
    for (event_id,) in await (await conn.execute(APPROVED_EVENTS)).fetchall():
        await conn.execute(CLEAR_LEADERBOARD, (event_id,))
        await conn.execute(FILL_LEADERBOARD, {"event": event_id})
