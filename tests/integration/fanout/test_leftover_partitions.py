"""Lowering the number of partitions strands nothing: a projector also consumes the queues of
partitions a higher setting left behind, and applies what they still held."""

from __future__ import annotations

import asyncio
import time

import aio_pika
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.ports import Services
from tests.integration.fanout.scenario import World
from tests.support.broker import fresh_vhost, rabbitmqctl
from workers import projector, topology
from workers.consumer import leftover_partitions, run_consumer
from workers.relay import to_message
from workers.tables import TableWriter

VHOST = "kazrockets_test_leftover"
URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


async def test_a_lowered_setting_still_applies_what_the_old_partitions_held(
    services: Services, read_pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    await World(services).run([("participant", 0, 0, 0), ("team", 0, 0, 0)])
    store = services.repository.store
    events = await store.read_all_raw(0, 100)
    assert events
    await asyncio.to_thread(fresh_vhost, VHOST)
    try:
        # What a platform run with three partitions left in its last queue when the setting
        # was lowered to one: events no projector applied yet.
        async with await aio_pika.connect(URL) as connection:
            channel = await connection.channel(publisher_confirms=True)
            await topology.declare_projector_queues(channel, "tables", 3)
            last = events[-1].global_position
            for event in events:
                _, message = to_message(event, 3, last if event is events[-1] else None)
                message.headers["partition"] = 2
                await channel.default_exchange.publish(
                    message, routing_key=topology.projector_queue("tables", 2)
                )
        assert await leftover_partitions(URL, "tables", 1) == [1, 2]
        assert await leftover_partitions(URL, "tables", 3) == []

        tables = projector.TablesProjector(read_pool, store, TableWriter(services.vault))
        stopping = asyncio.Event()
        consuming = asyncio.create_task(run_consumer(tables, URL, 1, stopping))
        deadline = time.monotonic() + 30
        while tables.applied < len(events):
            assert time.monotonic() < deadline, "the leftover queue was not consumed"
            await asyncio.sleep(0.05)
        stopping.set()
        await asyncio.wait_for(consuming, timeout=30)
        async with read_pool.connection() as conn:
            teams = await (await conn.execute("SELECT count(*) FROM team")).fetchone()
        assert teams == (1,)
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", VHOST)
