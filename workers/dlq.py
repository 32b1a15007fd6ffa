"""`kazrockets dlq list` and `kazrockets dlq replay NAME`: look at and re-drive dead letters."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import aio_pika
import msgspec
from aio_pika.abc import AbstractChannel

from workers import topology
from workers.tasks import ATTEMPT_HEADER

SAMPLES = 3


class DeadLetter(msgspec.Struct, frozen=True):
    message_id: str | None
    type: str | None
    attempts: Any
    error: str


class DeadQueue(msgspec.Struct, frozen=True):
    queue: str
    messages: int
    samples: list[DeadLetter]


def queues(partitions: int) -> list[str]:
    """Every queue that has a dead-letter queue."""
    names = [task.name for task in topology.TASK_QUEUES]
    for projector in topology.PROJECTORS:
        names += [topology.projector_queue(projector, k) for k in range(partitions)]
    return names


async def list_dead(channel: AbstractChannel, names: Sequence[str]) -> list[DeadQueue]:
    """Each dead-letter queue's size and its first few messages (left in place)."""
    found = []
    for name in names:
        dead = await channel.declare_queue(f"{name}.dead", durable=True)
        size = dead.declaration_result.message_count or 0
        samples, held = [], []
        for _ in range(min(size, SAMPLES)):
            message = await dead.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
            headers = message.headers or {}
            samples.append(
                DeadLetter(
                    message.message_id,
                    message.type,
                    headers.get("x-attempts"),
                    str(headers.get("x-error", "")),
                )
            )
        for message in held:
            await message.nack(requeue=True)
        found.append(DeadQueue(name, size, samples))
    return found


async def replay_dead(channel: AbstractChannel, name: str) -> int:
    """Move every message of ``name``.dead back to ``name`` for a fresh set of attempts."""
    dead = await channel.declare_queue(f"{name}.dead", durable=True)
    moved = 0
    while (message := await dead.get(no_ack=False, fail=False)) is not None:
        headers = {
            k: v for k, v in (message.headers or {}).items() if k not in ("x-error", "x-attempts")
        }
        headers[ATTEMPT_HEADER] = 1
        await channel.default_exchange.publish(
            aio_pika.Message(
                message.body, headers=headers, message_id=message.message_id,
                type=message.type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=name,
        )  # fmt: skip
        await message.ack()
        moved += 1
    return moved


async def run_dlq(rabbitmq_url: str, partitions: int, action: str, name: str | None) -> int:
    connection = await aio_pika.connect(rabbitmq_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await topology.declare_all(channel, partitions)
        if action == "list":
            for queue in await list_dead(channel, queues(partitions)):
                print(msgspec.json.encode(queue).decode())
            return 0
        if name is None or name not in queues(partitions):
            print(f"unknown queue {name!r}; one of: {', '.join(queues(partitions))}")
            return 2
        print(
            msgspec.json.encode(
                {"queue": name, "replayed": await replay_dead(channel, name)}
            ).decode()
        )
        return 0
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
