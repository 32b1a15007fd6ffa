"""The outbox relay: publishes every committed event, in safe order, with publisher confirms.

The event table itself is the outbox: the relay tails it below the safe position limit (see
eventstore/migrations/0001_event_store.sql), so an event is published only once committed,
and its checkpoint (eventstore.subscriptions) advances only after the broker confirmed the
whole batch. Killed at any instant it resumes from the checkpoint; the events of a batch that
was not confirmed are published again (projectors absorb duplicates).

Only one relay publishes: it holds a PostgreSQL session advisory lock while it works, and a
standby waits for that lock, taking over when the active relay's session ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection
from typing import Any
from uuid import UUID

import aio_pika
import msgspec
from aio_pika.abc import AbstractExchange
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.notify import CHANNEL
from eventstore.records import RawEvent
from eventstore.store import EventStore
from workers import topology
from workers.lifecycle import sleep_or_stop

log = logging.getLogger(__name__)

RELAY_LOCK = 0x6B72726C6179  # arbitrary advisory lock id: "krrlay"
SUBSCRIPTION = "relay"
POLL_SECONDS = 1.0
UNSAFE_RETRY_SECONDS = 0.003
IDLE_TICK_SECONDS = 5.0

CHECKPOINT = "SELECT position FROM eventstore.subscriptions WHERE name = %s"
# An upsert: the checkpoint row may have been removed (a restore, a reset) while running.
ADVANCE = """
INSERT INTO eventstore.subscriptions AS s (name, position) VALUES (%(name)s, %(position)s)
ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()
WHERE s.position < excluded.position
"""


class EventMessage(msgspec.Struct, frozen=True):
    """An event as it travels: the audit shape of API.md, data and metadata as stored."""

    global_position: int
    event_id: UUID
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
        """Back to the stored row, as a consumer receives it."""
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


class _Correlated(msgspec.Struct):
    correlation_id: str | None = None


_encoder = msgspec.json.Encoder()
# Only the correlation id is read from the stored metadata: no need to decode the rest.
_correlation = msgspec.json.Decoder(_Correlated)


def to_message(
    event: RawEvent, partitions: int, through: int | None = None
) -> tuple[str, aio_pika.Message]:
    """An event's message. ``through``: the last of its partition's events in a batch also
    says that every event of the log up to that position was published before it (what a
    tick says), so a partition that received an event needs no tick."""
    headers: dict[str, Any] = {
        "position": event.global_position,
        "partition": topology.partition_of(event.stream_id, partitions),
    }
    if through is not None:
        headers["through"] = through
    body = EventMessage(
        global_position=event.global_position,
        event_id=event.event_id,
        stream_id=event.stream_id,
        stream_type=event.stream_type,
        version=event.version,
        type=event.type,
        schema_version=event.schema_version,
        data=msgspec.Raw(event.data.encode()),
        metadata=msgspec.Raw(event.metadata.encode()),
        recorded_at=event.recorded_at.isoformat(),
        hash=event.hash.hex(),
        prev_hash=event.prev_hash.hex(),
    )
    correlation = _correlation.decode(event.metadata).correlation_id
    message = aio_pika.Message(
        _encoder.encode(body),
        message_id=str(event.event_id),
        correlation_id=correlation,
        type=event.type,  # what `kazrockets dlq list` shows of a parked message
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers=headers,
    )
    return topology.routing_key(event.stream_type, event.type), message


def tick(position: int, partition: int) -> aio_pika.Message:
    """Tells a partition's consumer: every event up to ``position`` was published before me.

    Not persistent: the broker confirms it without waiting for its disk (a persistent
    message waits for the queue's next sync, up to tens of milliseconds under load), and a
    tick lost with a broker restart is made good by the next batch or the idle tick."""
    return aio_pika.Message(
        b"{}",
        type="tick",
        delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        headers={"position": position, "partition": partition, "tick": True},
    )


class Relay:
    def __init__(
        self,
        store: EventStore,
        pool: AsyncConnectionPool[AsyncConnection],
        database_url: str,
        rabbitmq_url: str,
        partitions: int,
        batch_size: int = 1000,
    ) -> None:
        self._store = store
        self._pool = pool
        self._database_url = database_url
        self._rabbitmq_url = rabbitmq_url
        self._partitions = partitions
        self._batch_size = batch_size
        self.published = 0
        # Only the active relay moves the checkpoint, so after one read it is kept here.
        self._position: int | None = None
        # The next batch, read while the broker confirms the current one: (after, reading).
        self._next: tuple[int, asyncio.Task[list[RawEvent]]] | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        async with await AsyncConnection.connect(self._database_url, autocommit=True) as lock:
            while not stopping.is_set():
                got = await (
                    await lock.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK,))
                ).fetchone()
                if got is not None and got[0]:
                    break
                log.info("standing by: another relay is active")
                await sleep_or_stop(stopping, 2.0)
            if stopping.is_set():
                return
            log.info("relay active")
            await self._serve(stopping)

    async def _serve(self, stopping: asyncio.Event) -> None:
        listener = await AsyncConnection.connect(self._database_url, autocommit=True)
        await listener.execute(f"LISTEN {CHANNEL}")
        try:
            while not stopping.is_set():
                try:
                    await self._publish_until_broken(listener, stopping)
                except Exception as error:
                    log.warning(
                        "broker connection lost; reconnecting", extra={"error": repr(error)}
                    )
                    await sleep_or_stop(stopping, 1.0)
        finally:
            await listener.close()

    async def _publish_until_broken(
        self, listener: AsyncConnection, stopping: asyncio.Event
    ) -> None:
        """One broker connection: publish until stopped or until the connection fails.

        A batch that fails is published again on the next connection, from the checkpoint."""
        connection = await aio_pika.connect(self._rabbitmq_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            await topology.declare_all(channel, self._partitions)
            exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE)
            partitions = await channel.get_exchange(topology.PARTITIONS_EXCHANGE)
            log.info("publishing", extra={"partitions": self._partitions})
            idle_since = time.monotonic()
            while not stopping.is_set():
                sent = await self.publish_batch(exchange, partitions)
                if sent:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > IDLE_TICK_SECONDS:
                    # Idle: tell every partition again how far the log goes, so a projector
                    # that started (or a partition that was added) since knows it is current.
                    await self._tick(partitions, await self.checkpoint())
                    idle_since = time.monotonic()
                if sent < self._batch_size:
                    await self._wait(listener, stopping)
        finally:
            self.forget_read_ahead()
            with contextlib.suppress(Exception):
                await connection.close()

    async def _wait(self, listener: AsyncConnection, stopping: asyncio.Event) -> None:
        """Until there may be something to publish, or we are asked to stop.

        Events committed but not yet safe to read (an older transaction is still open) are
        retried after a few milliseconds: their NOTIFY has already come and gone. Otherwise
        the relay sleeps until the next NOTIFY or the poll interval."""
        if await self._store.head_position() > await self.checkpoint():
            await sleep_or_stop(stopping, UNSAFE_RETRY_SECONDS)
            return
        async for _ in listener.notifies(timeout=POLL_SECONDS, stop_after=1):
            break

    async def checkpoint(self) -> int:
        """The position up to which every event is confirmed by the broker."""
        if self._position is None:
            async with self._pool.connection() as conn:
                row = await (await conn.execute(CHECKPOINT, (SUBSCRIPTION,))).fetchone()
            self._position = 0 if row is None else int(row[0])
        return self._position

    async def publish_batch(self, exchange: AbstractExchange, partitions: AbstractExchange) -> int:
        """Publish the next batch with confirms in flight together; then move the checkpoint.

        While the broker confirms a batch, the next one is already being read, so the
        database and the broker work at the same time."""
        events = await self._take(await self.checkpoint())
        if not events:
            return 0
        last = events[-1].global_position
        reading = asyncio.create_task(self._store.read_all_raw(last, self._batch_size))
        self._next = (last, reading)
        messages, reached = self._messages(events, last)
        # In order: each publish takes the channel's lock before its first suspension, in
        # the order gather starts them, so a partition's "through" follows its events.
        await asyncio.gather(*(exchange.publish(m, routing_key=key) for key, m in messages))
        await self._tick(partitions, last, skip=reached)
        async with self._pool.connection() as conn:
            await conn.execute(ADVANCE, {"name": SUBSCRIPTION, "position": last})
        self._position = last
        self.published += len(events)
        return len(events)

    def _messages(
        self, events: list[RawEvent], last: int
    ) -> tuple[list[tuple[str, aio_pika.Message]], set[int]]:
        """The batch's messages, each partition's last one carrying ``through``; and the
        partitions that got one (the others get a tick)."""
        ends = {
            topology.partition_of(e.stream_id, self._partitions): i for i, e in enumerate(events)
        }
        finals = set(ends.values())
        messages = [
            to_message(event, self._partitions, last if i in finals else None)
            for i, event in enumerate(events)
        ]
        return messages, set(ends)

    async def _take(self, after: int) -> list[RawEvent]:
        """The batch after ``after``: the one read ahead if it starts there, topped up by a
        fresh read when it is not full. It was read before the broker confirmed the last
        batch, so what committed meanwhile is read now instead of waiting a whole round."""
        events: list[RawEvent] = []
        ahead, self._next = self._next, None
        if ahead is not None:
            start, reading = ahead
            if start == after:
                with contextlib.suppress(Exception):
                    events = await reading
            else:
                _discard(reading)
        if len(events) < self._batch_size:
            # Safe to read on from the last event read ahead: no event can commit below it later.
            since = events[-1].global_position if events else after
            events += await self._store.read_all_raw(since, self._batch_size - len(events))
        return events

    def forget_read_ahead(self) -> None:
        """Drop the batch read ahead (the relay stops, or lost the broker)."""
        if self._next is not None:
            _discard(self._next[1])
            self._next = None

    async def _tick(
        self, partitions: AbstractExchange, position: int, skip: Collection[int] = ()
    ) -> None:
        """A tick to every partition but ``skip`` (those told by an event's ``through``)."""
        await asyncio.gather(
            *(
                partitions.publish(tick(position, k), routing_key="")
                for k in range(self._partitions)
                if k not in skip
            )
        )


def _discard(reading: asyncio.Task[list[RawEvent]]) -> None:
    """Cancel a read nobody will use; its outcome is retrieved so nothing is reported."""
    reading.cancel()
    reading.add_done_callback(lambda done: done.cancelled() or done.exception())
