"""Task workers with the real broker: retries through the retry queues, dead letters that
keep the failure, nothing blocked behind a poison message, nothing lost to a dead worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from events.base import EventMetadata
from events.catalog import domain_codec
from events.competitions import CompetitiveEventCreated
from eventstore.records import NewEvent, RawEvent, RecordedEvent
from eventstore.store import EventStore
from tests.support.broker import fresh_vhost
from workers.dlq import list_dead, replay_dead
from workers.relay import to_message
from workers.tasks import TaskWorker, run_task_worker
from workers.topology import declare_with_retries

VHOST = "kazrockets_test_tasks"
URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
QUEUE = "test_tasks"
DELAYS = (200, 400)  # two retries, then the dead-letter queue


@pytest.fixture
async def channel() -> AsyncIterator[AbstractChannel]:
    fresh_vhost(VHOST)
    connection = await aio_pika.connect(URL)
    channel = await connection.channel(publisher_confirms=True)
    await declare(channel)
    yield channel
    await connection.close()


async def declare(channel: AbstractChannel) -> None:
    await declare_with_retries(channel, QUEUE, delays=DELAYS)


@pytest.fixture
async def events(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> Callable[[int], Awaitable[list[UUID]]]:
    store = EventStore(pool, domain_codec())

    async def make(count: int) -> list[UUID]:
        ids = [uuid4() for _ in range(count)]
        metadata = EventMetadata(
            actor_id=uuid4(), actor_role="ORGANIZER", correlation_id=uuid4(), causation_id=uuid4()
        )
        now = datetime.now(UTC)
        for event_id in ids:
            created = CompetitiveEventCreated(
                event_id=event_id, title="T", start_date=now, end_date=now + timedelta(days=1),
                created_by=uuid4(),
            )  # fmt: skip
            await store.append(f"event-{event_id}", 0, [NewEvent(created)], metadata)
        return ids

    return make


async def stored(pool: AsyncConnectionPool[AsyncConnection]) -> list[RawEvent]:
    """Every event appended, once all are safe to read (an older open transaction holds
    newer positions back for a moment)."""
    store = EventStore(pool, domain_codec())
    async with asyncio.timeout(10):
        while await store.safe_head_position() < await store.head_position():  # noqa: ASYNC110 -- polled
            await asyncio.sleep(0.02)
    return await store.read_all_raw(0, 100)


async def publish(channel: AbstractChannel, pool: AsyncConnectionPool[AsyncConnection]) -> None:
    for raw in await stored(pool):
        _, message = to_message(raw, 1)
        await channel.default_exchange.publish(message, routing_key=QUEUE)


class Worker:
    """A TaskWorker running in this loop until stopped."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection], handler: object) -> None:
        self.worker = TaskWorker(QUEUE, EventStore(pool, domain_codec()), handler, DELAYS)  # type: ignore[arg-type]  # test handlers are plain coroutine functions
        self.stopping = asyncio.Event()
        self.task = asyncio.create_task(
            run_task_worker(self.worker, URL, self.stopping, declare=declare)
        )

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.wait_for(self.task, 10)


async def until(condition: Callable[[], bool], seconds: float = 15) -> None:
    """Poll a condition other tasks make true (they have no event to signal it)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 -- a plain condition, polled
            await asyncio.sleep(0.05)


async def count(channel: AbstractChannel, name: str) -> int:
    queue = await channel.declare_queue(name, passive=True)
    return queue.declaration_result.message_count or 0


async def test_a_task_that_fails_twice_then_succeeds_is_processed_once(
    channel: AbstractChannel,
    pool: AsyncConnectionPool[AsyncConnection],
    events: Callable[[int], Awaitable[list[UUID]]],
) -> None:
    await events(1)
    calls: Counter[UUID] = Counter()

    async def flaky(recorded: RecordedEvent) -> None:
        calls[recorded.event_id] += 1
        if calls[recorded.event_id] <= 2:
            raise RuntimeError("not yet")

    worker = Worker(pool, flaky)
    await publish(channel, pool)
    await until(lambda: worker.worker.handled == 1)
    await asyncio.sleep(0.5)
    await worker.stop()
    assert list(calls.values()) == [3]
    assert worker.worker.handled == 1
    assert await count(channel, f"{QUEUE}.dead") == 0


async def test_a_poison_message_is_dead_lettered_with_its_failure_and_blocks_nothing(
    channel: AbstractChannel,
    pool: AsyncConnectionPool[AsyncConnection],
    events: Callable[[int], Awaitable[list[UUID]]],
) -> None:
    poison, *good = await events(4)
    done: list[UUID] = []

    async def handler(recorded: RecordedEvent) -> None:
        assert isinstance(recorded.event, CompetitiveEventCreated)
        if recorded.event.event_id == poison:
            raise ValueError("this one never works")
        done.append(recorded.event.event_id)

    worker = Worker(pool, handler)
    await publish(channel, pool)
    await until(lambda: len(done) == 3, seconds=2)  # before the poison's first retry is over
    assert sorted(done) == sorted(good)
    deadline = asyncio.get_running_loop().time() + 10
    while await count(channel, f"{QUEUE}.dead") == 0:
        assert asyncio.get_running_loop().time() < deadline, "the poison never reached .dead"
        await asyncio.sleep(0.1)
    await worker.stop()

    dead = await channel.get_queue(f"{QUEUE}.dead")
    message = await dead.get(no_ack=True)
    headers = message.headers or {}
    assert headers["x-attempts"] == len(DELAYS) + 1
    assert "this one never works" in str(headers["x-error"])
    assert headers["partition"] == 0  # the original headers are kept
    assert message.message_id is not None
    assert await count(channel, QUEUE) == 0
    assert all([await count(channel, f"{QUEUE}.retry.{d}") == 0 for d in DELAYS])


async def test_a_worker_that_dies_mid_message_leaves_it_to_the_next_one(
    channel: AbstractChannel,
    pool: AsyncConnectionPool[AsyncConnection],
    events: Callable[[int], Awaitable[list[UUID]]],
) -> None:
    [event_id] = await events(1)
    started = asyncio.Event()

    async def hangs(recorded: RecordedEvent) -> None:
        started.set()
        await asyncio.sleep(3600)

    first = Worker(pool, hangs)
    await publish(channel, pool)
    await asyncio.wait_for(started.wait(), 10)
    first.task.cancel()  # dies without acknowledging: the connection goes with it
    await asyncio.gather(first.task, return_exceptions=True)

    seen: list[UUID] = []

    async def works(recorded: RecordedEvent) -> None:
        assert isinstance(recorded.event, CompetitiveEventCreated)
        seen.append(recorded.event.event_id)

    second = Worker(pool, works)
    await until(lambda: seen == [event_id])
    await second.stop()
    assert await count(channel, f"{QUEUE}.dead") == 0


async def test_dead_letters_are_listed_in_place_and_replayed_for_fresh_attempts(
    channel: AbstractChannel,
    pool: AsyncConnectionPool[AsyncConnection],
    events: Callable[[int], Awaitable[list[UUID]]],
) -> None:
    await events(2)
    for raw in await stored(pool):
        _, message = to_message(raw, 1)
        message.headers.update({"x-error": "ValueError('boom')", "x-attempts": 3})
        await channel.default_exchange.publish(message, routing_key=f"{QUEUE}.dead")

    [listed] = await list_dead(channel, [QUEUE])
    assert listed.messages == 2
    assert [s.error for s in listed.samples] == ["ValueError('boom')"] * 2
    # Listing leaves them where they are: they were taken unacknowledged and handed back (a
    # rejection has no answer from the broker, so the count is right a moment later).
    async with asyncio.timeout(5):
        while await count(channel, f"{QUEUE}.dead") != 2:  # noqa: ASYNC110 -- polled
            await asyncio.sleep(0.05)

    assert await replay_dead(channel, QUEUE) == 2
    assert await count(channel, f"{QUEUE}.dead") == 0
    queue = await channel.get_queue(QUEUE)
    back = await queue.get(no_ack=True)
    assert (back.headers or {})["x-attempt"] == 1
    assert "x-error" not in (back.headers or {})
