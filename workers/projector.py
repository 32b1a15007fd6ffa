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
from uuid import UUID

from aio_pika.abc import AbstractIncomingMessage
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.records import RecordedEvent
from eventstore.store import EventStore
from projections import tables
from projections.cache import Cache
from projections.changes import RecomputeLeaderboard
from workers.consumer import PartitionConsumer, stored, unpack
from workers.tables import TableWriter, publish_standings, recompute_standings

log = logging.getLogger(__name__)

REPLAY_LOCK = 0x6B727265706C  # held exclusively by `kazrockets replay` while it swaps schemas

LOCKS = """
SELECT pg_advisory_xact_lock_shared(%s), pg_advisory_xact_lock(hashtextextended(%s, 0))
"""
ADVANCE_PARTITION = """
INSERT INTO partition_positions (projection, partition, position, updated_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (projection, partition) DO UPDATE
SET position = GREATEST(partition_positions.position, excluded.position), updated_at = now()
"""


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
        run = await stored(self._store, unpack(batch))
        events = [self._store.decode(raw) for raw in run.events]
        await self._apply_all(events, run.partition, run.position)

    async def _apply_all(
        self, events: list[RecordedEvent], partition: int | None, position: int
    ) -> list[bool]:
        """Events, the standings they change and the partition's position, in one
        transaction; the new standings are copied to Redis after the commit."""
        recomputes: list[RecomputeLeaderboard] = []
        async with self._pool.connection() as conn, conn.transaction():
            applied = [await self._apply_in(conn, e, recomputes) for e in events]
            changed = await recompute_standings(conn, recomputes, position)
            if partition is not None:
                await conn.execute(ADVANCE_PARTITION, (tables.NAME, partition, position))
        await self._publish(changed)
        return applied

    async def _publish(self, events: list[UUID]) -> None:
        if self._cache is not None and events:
            async with self._pool.connection() as conn:
                await publish_standings(conn, self._cache, events)

    async def _apply_in(
        self, conn: AsyncConnection, recorded: RecordedEvent, recomputes: list[RecomputeLeaderboard]
    ) -> bool:
        # Shared: a replay's swap waits for us. Per stream: two consumers of one partition
        # overlapping during a hand-over still apply a stream's events one at a time.
        await conn.execute(LOCKS, (REPLAY_LOCK, recorded.stream_id))
        seen = await self._writer.applied_version(conn, tables.NAME, recorded.stream_id)
        if recorded.version <= seen:
            return False
        if recorded.version > seen + 1:
            missed = await self._store.read_stream(
                recorded.stream_id, after_version=seen, up_to_version=recorded.version - 1
            )
            log.warning(
                "filling a gap", extra={"stream_id": recorded.stream_id, "events": len(missed)}
            )
            for earlier in missed:
                recomputes += await self._writer.apply(conn, earlier)
        recomputes += await self._writer.apply(conn, recorded)
        await self._writer.record_version(conn, tables.NAME, recorded.stream_id, recorded.version)
        self.applied += 1
        return True
