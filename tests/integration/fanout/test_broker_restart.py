"""RabbitMQ stopped and started while commands keep coming: nothing is lost once it is back."""

from __future__ import annotations

import asyncio

from tests.integration.fanout.conftest import Fanout
from tests.integration.fanout.scenario import World
from tests.support.broker import rabbitmqctl


async def test_events_written_while_the_broker_is_down_arrive_after_it_returns(
    fanout: Fanout,
) -> None:
    world = World(fanout.services)
    await world.setup()
    await world.run([("event", 0, 0, i) for i in range(5)])
    await fanout.caught_up()

    await asyncio.to_thread(rabbitmqctl, "stop_app")
    try:
        await world.run([("event", 0, 0, i) for i in range(20)])  # the write side goes on
    finally:
        await asyncio.to_thread(rabbitmqctl, "start_app")
    await world.run([("event", 0, 0, i) for i in range(5)])
    await fanout.caught_up(seconds=90)

    async with fanout.read_pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) FROM competitive_event")).fetchone()
    assert row is not None
    assert row[0] == len(world.events) == 30
