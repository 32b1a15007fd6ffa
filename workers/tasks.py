"""Task workers: one queue each, retried through the retry queues, parked with their failure.

A message is acknowledged only after its handler succeeded or after its next stop (a retry
queue, or the dead-letter queue) confirmed it, so a worker killed at any instant leaves the
message to be redelivered, never lost. A failing message waits in ``Q.retry.<delay>`` (1 s,
5 s, 30 s, 2 min) and comes back through dead-lettering; after the last delay it goes to
``Q.dead`` with the error, the number of attempts and its original headers. Handlers must be
idempotent (a redelivery, or a crash after the handler and before the ack, repeats them):
the commands they issue record each effect once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from eventstore.records import RecordedEvent
from eventstore.store import EventStore
from workers import topology
from workers.consumer import decode_raw

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-attempt"
Handler = Callable[[RecordedEvent], Awaitable[None]]


def next_stop(queue: str, attempt: int, delays: Sequence[int] = topology.RETRY_DELAYS_MS) -> str:
    """Where a message that failed its ``attempt``-th try goes next."""
    if attempt <= len(delays):
        return f"{queue}.retry.{delays[attempt - 1]}"
    return f"{queue}.dead"


class TaskWorker:
    def __init__(
        self,
        queue: str,
        store: EventStore,
        handler: Handler,
        delays: Sequence[int] = topology.RETRY_DELAYS_MS,
    ) -> None:
        self.queue = queue
        self._store = store
        self._handler = handler
        self._delays = delays
        self.handled = 0

    async def process(self, message: AbstractIncomingMessage, channel: AbstractChannel) -> None:
        headers: dict[str, Any] = dict(message.headers or {})
        attempt = int(str(headers.get(ATTEMPT_HEADER, 1)))
        try:
            await self._handler(self._store.decode(decode_raw(message)))
            self.handled += 1
        except Exception as error:
            try:
                await self._fail(message, channel, headers, attempt, error)
            except Exception as lost:  # the broker is gone: it redelivers the unacked message
                log.warning("could not re-queue a failed task", extra={"error": repr(lost)})
                return
        await message.ack()

    async def _fail(
        self,
        message: AbstractIncomingMessage,
        channel: AbstractChannel,
        headers: dict[str, Any],
        attempt: int,
        error: Exception,
    ) -> None:
        stop = next_stop(self.queue, attempt, self._delays)
        log.warning(
            "task failed",
            extra={"queue": self.queue, "attempt": attempt, "next": stop, "error": repr(error)},
        )
        headers = {**headers, ATTEMPT_HEADER: attempt + 1}
        if stop.endswith(".dead"):
            headers = {**headers, "x-error": repr(error)[:2000], "x-attempts": attempt}
        await channel.default_exchange.publish(
            aio_pika.Message(
                message.body,
                headers=headers,
                message_id=message.message_id,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=stop,
        )


async def run_task_worker(
    worker: TaskWorker,
    rabbitmq_url: str,
    stopping: asyncio.Event,
    prefetch: int = 4,
    declare: Callable[[AbstractChannel], Awaitable[None]] = topology.declare_task_queues,
) -> None:
    """Consume until stopped; messages in hand are finished (or left unacked) on the way out."""
    connection = await aio_pika.connect_robust(rabbitmq_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=prefetch)
        await declare(channel)
        queue = await channel.get_queue(worker.queue)
        running: set[asyncio.Task[None]] = set()

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.create_task(worker.process(message, channel))
            running.add(task)
            task.add_done_callback(running.discard)

        tag = await queue.consume(on_message)
        log.info("worker started", extra={"queue": worker.queue})
        await stopping.wait()
        await queue.cancel(tag)
        await asyncio.gather(*running, return_exceptions=True)
    finally:
        await connection.close()
        log.info("worker stopped", extra={"queue": worker.queue})
