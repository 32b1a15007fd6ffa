"""The RabbitMQ topology, declared idempotently by every process that needs it.

    relay --> kazrockets.events (topic, key "<stream_type>.<EventType>")
               |-- "#" --> kazrockets.partitions (headers)
               |             '-- partition=k --> projector.<name>.<k>  (one active consumer)
               |-- "submission.SubmissionUploaded" --> submission_processing
               '-- ...                   --> notifications, evaluation_assignment
    each queue Q: Q --> Q.retry.<delay> --(TTL)--> Q; after the last attempt --> Q.dead

Per-entity order: every event of one stream carries the same ``partition`` header (a hash of
the stream id), so it lands in the same projector queue, consumed by one consumer at a time
(``x-single-active-consumer``). Another number of partitions: stop the relay, let the
projector queues drain, change KAZROCKETS_PROJECTOR_PARTITIONS everywhere, start again
(streams re-hash to other queues, and nothing is in flight that could overtake); the steps
are in docs/fan-out.md.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import aio_pika
import msgspec
from aio_pika.abc import AbstractChannel, AbstractExchange
from pamqp.common import Arguments

EVENTS_EXCHANGE = "kazrockets.events"
PARTITIONS_EXCHANGE = "kazrockets.partitions"
PROJECTORS = ("tables", "redis")
RETRY_DELAYS_MS = (1_000, 5_000, 30_000, 120_000)


class TaskQueue(msgspec.Struct, frozen=True):
    name: str
    bindings: tuple[str, ...]


TASK_QUEUES = (
    TaskQueue("submission_processing", ("submission.SubmissionUploaded",)),
    TaskQueue("evaluation_assignment", ("submission.SubmissionFileValidated",)),
    TaskQueue(
        "notifications",
        (
            "submission.SubmissionFileValidated",
            "submission.SubmissionFileRejected",
            "submission.SubmissionApproved",
            "submission.SubmissionRejected",
            "submission.JudgeAssigned",
            "event.WinnerDeclared",
            "user.UserRegistered",
        ),
    ),
)


def partition_of(stream_id: str, partitions: int) -> int:
    """The projector partition of a stream: stable across processes and restarts."""
    return zlib.crc32(stream_id.encode()) % partitions


def projector_queue(projector: str, partition: int) -> str:
    return f"projector.{projector}.{partition}"


def routing_key(stream_type: str, event_type: str) -> str:
    return f"{stream_type}.{event_type}"


async def declare_exchanges(channel: AbstractChannel) -> AbstractExchange:
    events = await channel.declare_exchange(
        EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )
    partitions = await channel.declare_exchange(
        PARTITIONS_EXCHANGE, aio_pika.ExchangeType.HEADERS, durable=True
    )
    await partitions.bind(events, routing_key="#")
    return events


async def declare_with_retries(
    channel: AbstractChannel,
    name: str,
    arguments: Arguments = None,
    delays: Sequence[int] = RETRY_DELAYS_MS,
) -> aio_pika.abc.AbstractQueue:
    """A durable queue, its retry queues (TTL, then back to it) and its dead-letter queue."""
    queue = await channel.declare_queue(name, durable=True, arguments=arguments or {})
    for delay in delays:
        await channel.declare_queue(
            f"{name}.retry.{delay}",
            durable=True,
            arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": name,
            },
        )
    await channel.declare_queue(f"{name}.dead", durable=True)
    return queue


PARTITION_QUEUE: Arguments = {"x-single-active-consumer": True}


async def declare_projector_queues(
    channel: AbstractChannel, projector: str, partitions: int
) -> list[aio_pika.abc.AbstractQueue]:
    await declare_exchanges(channel)
    queues = []
    for k in range(partitions):
        queue = await declare_with_retries(channel, projector_queue(projector, k), PARTITION_QUEUE)
        await queue.bind(PARTITIONS_EXCHANGE, arguments={"x-match": "all", "partition": k})
        queues.append(queue)
    return queues


async def partition_queue(
    channel: AbstractChannel, projector: str, partition: int
) -> aio_pika.abc.AbstractQueue:
    """A partition's queue again, on its consumer's own channel (a robust channel restores
    what was declared on it after a reconnect, so it is declared, not just looked up)."""
    return await channel.declare_queue(
        projector_queue(projector, partition), durable=True, arguments=PARTITION_QUEUE
    )


async def declare_task_queues(
    channel: AbstractChannel, queues: Sequence[TaskQueue] = TASK_QUEUES
) -> None:
    await declare_exchanges(channel)
    for task in queues:
        queue = await declare_with_retries(channel, task.name)
        for key in task.bindings:
            await queue.bind(EVENTS_EXCHANGE, routing_key=key)


async def declare_all(channel: AbstractChannel, partitions: int) -> None:
    for projector in PROJECTORS:
        await declare_projector_queues(channel, projector, partitions)
    await declare_task_queues(channel)
