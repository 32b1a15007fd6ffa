"""Consuming a projector's partition queues: in order, in batches, retried, then parked.

Each partition queue has one active consumer (x-single-active-consumer) and is read in
order. A relay batch's share of the partition is handed to the projector as one run; a run
that fails is retried message by message (in place: order matters for a projection), and a
message that keeps failing is parked in the partition's dead-letter queue with the error.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from uuid import UUID

import aio_pika
import msgspec
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from eventstore.records import RawEvent
from eventstore.store import EventStore
from workers import topology
from workers.relay import EventMessage

log = logging.getLogger(__name__)

ATTEMPTS = 5
BATCH = 200
# How long a run waits for the rest of a relay batch: the relay publishes a batch's messages
# back to back and ends each partition's share with ``through`` (or a tick), so the wait is
# normally the time between two deliveries; the bound only matters for a batch whose end was
# never published (the relay died mid-batch and publishes it again, ended, from its checkpoint).
RUN_WAIT_SECONDS = 0.05


_decoder = msgspec.json.Decoder(EventMessage)


def decode_raw(message: AbstractIncomingMessage) -> RawEvent:
    return _decoder.decode(message.body).raw()


class Run(msgspec.Struct, frozen=True):
    """A run of one partition's messages: its events, and how far the run reaches."""

    partition: int
    position: int
    events: list[RawEvent]


def ends_run(message: AbstractIncomingMessage) -> bool:
    """The last message of a partition's share of a relay batch: every event up to its
    ``through`` (or its tick's position) was published before it."""
    headers = message.headers or {}
    return "through" in headers or bool(headers.get("tick"))


def unpack(batch: list[AbstractIncomingMessage]) -> Run:
    """Events in order; ticks only move the position, as does the ``through`` of the last
    event of a partition in a relay batch (every event up to it was published before)."""
    partition, position, events = -1, 0, []
    for message in batch:
        headers = dict(message.headers or {})
        partition = int(str(headers["partition"]))
        reached = headers.get("through", headers["position"])
        position = max(position, int(str(reached)))
        if not headers.get("tick"):
            events.append(decode_raw(message))
    return Run(partition, position, events)


async def stored(store: EventStore, run: Run) -> Run:
    """The run without events this store does not hold.

    Messages outlive the database: after it is dropped or restored from a backup, the queues
    can still hold events it never had, or no longer has, and those must not project phantom
    rows. One look-up per run; a run that lost events reaches no further than the store's head.
    """
    if not run.events:
        return run
    positions = await store.stored_positions([event.event_id for event in run.events])
    return await held(store, run, positions)


async def held(store: EventStore, run: Run, positions: dict[UUID, int]) -> Run:
    """The run without the events not stored at their position (``positions``: where the
    store holds each of them, as ``EventStore.stored_positions`` finds them)."""
    kept = [e for e in run.events if positions.get(e.event_id) == e.global_position]
    if len(kept) == len(run.events):
        return run
    log.warning(
        "dropped events the store does not hold",
        extra={"partition": run.partition, "events": len(run.events) - len(kept)},
    )
    head = await store.safe_head_position()
    return Run(run.partition, min(run.position, head), kept)


class PartitionConsumer(ABC):
    name: str

    @abstractmethod
    async def handle(self, batch: list[AbstractIncomingMessage]) -> None:
        """Apply a run of one partition's messages (events and ticks), all or nothing."""

    async def consume(self, queue: AbstractQueue, dead: aio_pika.abc.AbstractExchange) -> None:
        """One partition in queue order, a relay batch's share at a time (``next_run``).

        The queue has a channel of its own, so one ack with ``multiple`` settles a whole
        applied batch (and nothing of another partition)."""
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(inbox.put)
        while True:
            batch = await next_run(inbox)
            try:
                await self.handle(batch)
            except Exception:
                for message in batch:
                    await self._settle(self._process(message, queue.name, dead))
                continue
            await self._settle(batch[-1].ack(multiple=True))

    @staticmethod
    async def _settle(step: Awaitable[object]) -> None:
        """Ack or park; if the channel died meanwhile, the broker redelivers (deduplicated)."""
        try:
            await step
        except Exception as error:
            log.warning("could not settle a message", extra={"error": repr(error)})

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


async def next_run(inbox: asyncio.Queue[AbstractIncomingMessage]) -> list[AbstractIncomingMessage]:
    """The next run: messages up to the end of a relay batch's share (``ends_run``), at most
    ``BATCH``. Applying a whole share at once costs one transaction where message by message
    cost one each (a relay batch at 500 events/s holds about 30), and it makes the partition
    no later: its position reaches the batch's end only with the share's last message."""
    batch = [await inbox.get()]
    while len(batch) < BATCH and not ends_run(batch[-1]):
        if not inbox.empty():
            batch.append(inbox.get_nowait())
            continue
        try:
            async with asyncio.timeout(RUN_WAIT_SECONDS):
                batch.append(await inbox.get())
        except TimeoutError:
            break
    return batch


async def leftover_partitions(rabbitmq_url: str, projector: str, partitions: int) -> list[int]:
    """Partitions beyond ``partitions`` whose queues exist: left by a setting that was higher
    (queues are declared 0, 1, ... so the first one missing ends the search). A plain
    connection: a passive declaration of a missing queue closes its channel."""
    connection = await aio_pika.connect(rabbitmq_url)
    partition = partitions
    try:
        while True:
            probe = await connection.channel()
            try:
                await probe.declare_queue(
                    topology.projector_queue(projector, partition), passive=True
                )
            except aio_pika.exceptions.ChannelClosed:
                return list(range(partitions, partition))
            await probe.close()
            partition += 1
    finally:
        await connection.close()


async def run_consumer(
    consumer: PartitionConsumer, rabbitmq_url: str, partitions: int, stopping: asyncio.Event
) -> None:
    """Consume the configured partitions, and the queues of partitions a higher setting left
    behind: they get no new messages, but what they still held (the setting was lowered
    without letting them drain first) is applied instead of stranded. Events applied out of
    order across partitions are absorbed by the stream versions (duplicates skipped, gaps
    filled from the store)."""
    leftovers = await leftover_partitions(rabbitmq_url, consumer.name, partitions)
    if leftovers:
        log.warning(
            "consuming partition queues left by a higher KAZROCKETS_PROJECTOR_PARTITIONS",
            extra={"projector": consumer.name, "partitions": leftovers},
        )
    connection = await aio_pika.connect_robust(rabbitmq_url)
    try:
        channel = await connection.channel()
        await topology.declare_projector_queues(channel, consumer.name, partitions)
        tasks = []
        for partition in [*range(partitions), *leftovers]:
            own = await connection.channel()  # per partition: see ``consume``
            await own.set_qos(prefetch_count=BATCH)
            queue = await topology.partition_queue(own, consumer.name, partition)
            tasks.append(asyncio.create_task(consumer.consume(queue, own.default_exchange)))
        log.info("projector started", extra={"projector": consumer.name, "partitions": partitions})
        await stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await connection.close()
        log.info("projector stopped", extra={"projector": consumer.name})
