"""The `tables` projector: consumes its partition queues and keeps the read tables current.

Each message is applied in one transaction together with the stream's version and the
partition's position, so a redelivered message changes nothing. A message whose stream
version is more than one ahead of what was applied means the predecessors were missed: they
are read from the event store and applied first, never guessed. Ticks from the relay move a
partition's position even when none of its streams changed. A message that keeps failing is
retried in place (order matters here), then parked in the partition's dead-letter queue.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
import msgspec
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.records import RawEvent, RecordedEvent
from eventstore.store import EventStore
from projections import tables
from workers import topology
from workers.tables import TableWriter

log = logging.getLogger(__name__)

ATTEMPTS = 5
BATCH = 200
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


class IncomingEvent(msgspec.Struct, frozen=True):
    global_position: int
    event_id: str
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: msgspec.Raw
    metadata: msgspec.Raw
    recorded_at: str
    hash: str
    prev_hash: str

    def raw(self) -> RawEvent:
        return msgspec.convert(
            {
                **{f: getattr(self, f) for f in self.__struct_fields__},
                "data": bytes(self.data).decode(),
                "metadata": bytes(self.metadata).decode(),
                "hash": bytes.fromhex(self.hash),
                "prev_hash": bytes.fromhex(self.prev_hash),
            },
            RawEvent,
            strict=False,
        )


_decoder = msgspec.json.Decoder(IncomingEvent)


class TablesProjector:
    def __init__(
        self, pool: AsyncConnectionPool[AsyncConnection], store: EventStore, writer: TableWriter
    ) -> None:
        self._pool = pool
        self._store = store
        self._writer = writer
        self.applied = 0

    async def apply(self, recorded: RecordedEvent, partition: int | None) -> bool:
        """Apply one event exactly once; False when it was applied before."""
        async with self._pool.connection() as conn, conn.transaction():
            applied = await self._apply_in(conn, recorded)
            if partition is not None:
                position = recorded.global_position
                await conn.execute(ADVANCE_PARTITION, (tables.NAME, partition, position))
        return applied

    async def _apply_in(self, conn: AsyncConnection, recorded: RecordedEvent) -> bool:
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
                await self._writer.apply(conn, earlier)
        await self._writer.apply(conn, recorded)
        await self._writer.record_version(conn, tables.NAME, recorded.stream_id, recorded.version)
        self.applied += 1
        return True

    async def handle(self, batch: list[AbstractIncomingMessage]) -> None:
        """Apply a run of one partition's messages in one transaction, ticks included."""
        partition, position = -1, 0
        async with self._pool.connection() as conn, conn.transaction():
            for message in batch:
                headers: dict[str, Any] = dict(message.headers or {})
                partition = int(headers["partition"])
                position = max(position, int(headers["position"]))
                if not headers.get("tick"):
                    event = self._store.decode(_decoder.decode(message.body).raw())
                    await self._apply_in(conn, event)
            await conn.execute(ADVANCE_PARTITION, (tables.NAME, partition, position))

    async def consume(self, queue: AbstractQueue, dead: aio_pika.abc.AbstractExchange) -> None:
        """One partition in queue order: whatever has arrived is applied together."""
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(inbox.put)
        while True:
            batch = [await inbox.get()]
            while not inbox.empty() and len(batch) < BATCH:
                batch.append(inbox.get_nowait())
            try:
                await self.handle(batch)
            except Exception:
                for message in batch:
                    await self._process(message, queue.name, dead)
                continue
            for message in batch:
                await message.ack()

    async def _process(
        self, message: AbstractIncomingMessage, queue: str, dead: aio_pika.abc.AbstractExchange
    ) -> None:
        error: Exception | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.handle([message])
            except Exception as failure:
                error = failure
                log.warning(
                    "projection failed",
                    extra={"queue": queue, "attempt": attempt, "error": repr(failure)},
                )
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
                continue
            await message.ack()
            return
        await dead.publish(
            aio_pika.Message(
                message.body,
                headers={**(message.headers or {}), "x-error": repr(error), "x-attempts": ATTEMPTS},
                message_id=message.message_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=f"{queue}.dead",
        )
        await message.ack()
        log.error(
            "message parked in the dead-letter queue", extra={"queue": queue, "error": repr(error)}
        )


async def run(
    projector: TablesProjector, rabbitmq_url: str, partitions: int, stopping: asyncio.Event
) -> None:
    connection = await aio_pika.connect_robust(rabbitmq_url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        queues = await topology.declare_projector_queues(channel, tables.NAME, partitions)
        consumers = [
            asyncio.create_task(projector.consume(q, channel.default_exchange)) for q in queues
        ]
        log.info("projector started", extra={"projector": tables.NAME, "partitions": partitions})
        await stopping.wait()
        for task in consumers:
            task.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)
    finally:
        await connection.close()
        log.info("projector stopped", extra={"applied": projector.applied})
