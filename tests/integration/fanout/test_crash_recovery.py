"""Kill -9 the relay and the projector in the middle of a burst; nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import aio_pika
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from events.base import EventMetadata
from events.catalog import domain_codec
from events.competitions import CompetitiveEventCreated
from eventstore.records import NewEvent
from eventstore.store import EventStore
from tests.integration.fanout.conftest import PARTITIONS
from workers import topology

BURST = 5000


def start(command: str, database_url: str, rabbitmq_url: str) -> subprocess.Popen[bytes]:
    """One process (``projector`` means the tables projector alone, no supervisor)."""
    env = {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": database_url,
        "KAZROCKETS_RABBITMQ_URL": rabbitmq_url,
        "KAZROCKETS_PROJECTOR_PARTITIONS": str(PARTITIONS),
    }
    return subprocess.Popen(  # noqa: S603 -- our own console script
        [sys.executable, "-m", "workers.cli", *command.split()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def burst(store: EventStore, count: int) -> None:
    metadata = EventMetadata(
        actor_id=uuid4(), actor_role="ORGANIZER", correlation_id=uuid4(), causation_id=uuid4()
    )
    start_date = datetime.now(UTC)

    async def one() -> None:
        event_id = uuid4()
        event = CompetitiveEventCreated(
            event_id=event_id, title="Burst", start_date=start_date,
            end_date=start_date + timedelta(days=1), created_by=metadata.actor_id or uuid4(),
        )  # fmt: skip
        await store.append(f"event-{event_id}", 0, [NewEvent(event)], metadata)

    for _ in range(count // 50):
        await asyncio.gather(*(one() for _ in range(50)))


async def counts(pool: AsyncConnectionPool[AsyncConnection]) -> tuple[int, int]:
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT (SELECT count(*) FROM read.competitive_event),"
                " (SELECT count(*) FROM read.stream_versions WHERE version <> 1)"
            )
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def dead_letters(rabbitmq_url: str) -> int:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        total = 0
        for k in range(PARTITIONS):
            name = f"{topology.projector_queue('tables', k)}.dead"
            queue = await channel.declare_queue(name, durable=True, passive=True)
            total += queue.declaration_result.message_count or 0
        return total


async def test_killed_relay_and_projector_resume_without_loss_or_doubles(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None, database_url: str, rabbitmq_url: str
) -> None:
    store = EventStore(pool, domain_codec())
    relay = start("relay", database_url, rabbitmq_url)
    projector = start("projector tables", database_url, rabbitmq_url)
    try:
        writing = asyncio.create_task(burst(store, BURST))
        await asyncio.sleep(1.5)
        relay.send_signal(signal.SIGKILL)
        projector.send_signal(signal.SIGKILL)
        relay.wait()
        projector.wait()
        await writing
        relay = start("relay", database_url, rabbitmq_url)
        projector = start("projector tables", database_url, rabbitmq_url)
        deadline = time.monotonic() + 120
        while (await counts(pool))[0] < BURST:
            assert time.monotonic() < deadline, f"only {(await counts(pool))[0]} of {BURST} landed"
            await asyncio.sleep(0.5)
    finally:
        for process in (relay, projector):
            process.terminate()
            process.wait(timeout=30)

    assert await counts(pool) == (BURST, 0)
    assert await dead_letters(rabbitmq_url) == 0
