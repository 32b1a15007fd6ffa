"""The `tables` projector: consumes its partition queues and keeps the read tables current.

Each message is applied in one transaction together with the stream's version and the
partition's position, so a redelivered message changes nothing. A message whose stream
version is more than one ahead of what was applied means the predecessors were missed: they
are read from the event store and applied first, never guessed. Ticks from the relay move a
partition's position even when none of its streams changed. A message that keeps failing is
retried in place (order matters here), then parked in the partition's dead-letter queue.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from aio_pika.abc import AbstractIncomingMessage
from psycopg import AsyncConnection, AsyncCursor
from psycopg_pool import AsyncConnectionPool

from eventstore.records import RecordedEvent
from eventstore.store import EventStore, look_up_stored
from projections import tables
from projections.cache import Cache
from projections.changes import RecomputeLeaderboard
from workers.consumer import PartitionConsumer, Run, held, unpack
from workers.tables import Statement, TableWriter, publish_standings, recompute_standings

log = logging.getLogger(__name__)

REPLAY_LOCK = 0x6B727265706C  # held exclusively by `kazrockets replay` while it swaps schemas

# The replay lock shared, then each stream's lock in the order given (sorted by the caller).
LOCKS = """
SELECT pg_advisory_xact_lock_shared(%s), count(pg_advisory_xact_lock(hashtextextended(s, 0)))
FROM unnest(%s::text[]) AS s
"""
# One primary-key look-up per stream, whatever the statistics say. With "stream_id = ANY(...)"
# the planner, going by statistics taken while the table was small (a dozen rows), read every
# row of the projection and filtered (thousands, then more as the table grew). The LIMIT keeps
# the subquery from being flattened into a join that could do the same.
VERSIONS = """
SELECT s.stream_id, v.version FROM unnest(%s::text[]) AS s(stream_id)
CROSS JOIN LATERAL (
    SELECT version FROM stream_versions
    WHERE projection = %s AND stream_id = s.stream_id LIMIT 1
) v
"""
RECORD_VERSIONS = """
INSERT INTO stream_versions (projection, stream_id, version)
SELECT %s, s, v FROM unnest(%s::text[], %s::integer[]) AS t(s, v)
ON CONFLICT (projection, stream_id) DO UPDATE SET version = excluded.version
"""
ADVANCE_PARTITION = """
INSERT INTO partition_positions (projection, partition, position, updated_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (projection, partition) DO UPDATE
SET position = GREATEST(partition_positions.position, excluded.position), updated_at = now()
"""


Write = tuple[str | bytes, list[Any]]  # a statement whose result nobody reads, its values


class TablesProjector(PartitionConsumer):
    name = tables.NAME

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection],
        store: EventStore,
        writer: TableWriter,
        cache: Cache | None = None,
    ) -> None:
        self._pool = pool
        self._store = store
        self._writer = writer
        self._cache = cache
        self.applied = 0

    async def apply(self, recorded: RecordedEvent, partition: int | None) -> bool:
        """Apply one event exactly once; False when it was applied before."""
        [applied] = await self._apply_all([recorded], partition, recorded.global_position)
        return applied

    async def handle(self, batch: list[AbstractIncomingMessage]) -> None:
        """Apply a run of one partition's messages in one transaction, ticks included."""
        run = unpack(batch)
        await self._apply_all(run, run.partition, run.position)

    async def _apply_all(
        self, source: list[RecordedEvent] | Run, partition: int | None, position: int
    ) -> list[bool]:
        """Events, the standings they change and the partition's position, in one
        transaction of two round trips whatever the number of events (more when standings
        change): the streams are locked and their versions read (and a run's events looked
        up in the store, see ``workers.consumer.stored``), then every row change, the new
        versions, the position and the commit go together (the position after the
        standings, when an event changes them: they are recomputed from what the transaction
        wrote). The new standings go to Redis after the commit."""
        recomputes: list[RecomputeLeaderboard] = []
        async with self._pool.connection() as conn, conn.pipeline(), conn.transaction():
            given = source.events if isinstance(source, Run) else source
            streams = sorted({e.stream_id for e in given})
            looking = await self._look_up(conn, source)
            before = await self._lock(conn, streams)
            events, position = await self._stored_only(source, looking, position)
            seen = dict(before)
            planned: list[Statement] = []
            applied = [await self._plan(e, seen, planned, recomputes) for e in events]
            writes: list[Write] = [(s.sql, s.params) for s in planned]
            if moved := [stream for stream in streams if seen[stream] != before[stream]]:
                versions = [seen[stream] for stream in moved]
                writes.append((RECORD_VERSIONS, [tables.NAME, moved, versions]))
            advance: list[Write] = []
            if partition is not None:
                advance.append((ADVANCE_PARTITION, [tables.NAME, partition, position]))
            await self._send(conn, writes if recomputes else writes + advance)
            changed = await recompute_standings(conn, recomputes, position)
            if recomputes:
                await self._send(conn, advance)
        await self._publish(changed)
        self.applied += sum(applied)
        return applied

    @staticmethod
    async def _look_up(
        conn: AsyncConnection, source: list[RecordedEvent] | Run
    ) -> AsyncCursor[Any] | None:
        """Queue the look-up of a run's events in the store (``workers.consumer.stored``)."""
        if not isinstance(source, Run) or not source.events:
            return None
        return await look_up_stored(conn, [e.event_id for e in source.events])

    async def _stored_only(
        self, source: list[RecordedEvent] | Run, looking: AsyncCursor[Any] | None, position: int
    ) -> tuple[list[RecordedEvent], int]:
        """The events to apply and how far the run reaches: a run without the events the store
        does not hold, decoded."""
        if not isinstance(source, Run):
            return source, position
        found: dict[UUID, int] = {} if looking is None else dict(await looking.fetchall())
        run = await held(self._store, source, found)
        return [self._store.decode(e) for e in run.events], run.position

    @staticmethod
    async def _send(conn: AsyncConnection, statements: list[Write]) -> None:
        """Statements whose results nobody reads, in order: queued in the pipeline, sent with
        whatever is read next (or the commit)."""
        for query, params in statements:
            await conn.execute(query, params)

    @staticmethod
    async def _lock(conn: AsyncConnection, streams: list[str]) -> dict[str, int]:
        """Lock the streams (shared: a replay's swap waits for us; per stream, in one order:
        two consumers of one partition overlapping during a hand-over apply a stream's events
        one at a time, and cannot deadlock); the version each has applied (0: none).

        In the pipeline with what was queued before (the transaction's start): one round
        trip, two statements, the versions read by a statement of their own, whose snapshot
        is taken once the locks are held."""
        if not streams:  # only ticks
            return {}
        await conn.execute(LOCKS, (REPLAY_LOCK, streams))
        reading = await conn.execute(VERSIONS, (streams, tables.NAME))
        found = {stream: 0 for stream in streams}
        found.update({str(stream): int(version) for stream, version in await reading.fetchall()})
        return found

    async def _plan(
        self,
        recorded: RecordedEvent,
        seen: dict[str, int],
        statements: list[Statement],
        recomputes: list[RecomputeLeaderboard],
    ) -> bool:
        """Plan one event's row changes after those of the run before it; False when its
        version was applied before. ``seen`` moves on to the versions planned."""
        applied = seen[recorded.stream_id]
        if recorded.version <= applied:
            return False
        missed: list[RecordedEvent] = []
        if recorded.version > applied + 1:
            missed = await self._store.read_stream(
                recorded.stream_id, after_version=applied, up_to_version=recorded.version - 1
            )
            log.warning(
                "filling a gap", extra={"stream_id": recorded.stream_id, "events": len(missed)}
            )
        for event in [*missed, recorded]:
            planned, more = await self._writer.plan(event)
            statements += planned
            recomputes += more
        seen[recorded.stream_id] = recorded.version
        return True

    async def _publish(self, events: list[UUID]) -> None:
        if self._cache is not None and events:
            async with self._pool.connection() as conn:
                await publish_standings(conn, self._cache, events)
