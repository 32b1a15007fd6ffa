"""Lag is reported per reader, in events and seconds."""

from __future__ import annotations

from projections.watermark import Checkpoints
from tests.integration.fanout.conftest import PARTITIONS, Fanout
from tests.integration.fanout.scenario import World
from workers.status import lags


async def test_caught_up_readers_report_no_lag_and_new_events_show_as_lag(fanout: Fanout) -> None:
    world = World(fanout.services)
    await world.run([("event", 0, 0, i) for i in range(3)])
    await fanout.caught_up()
    async with fanout.pool.connection() as conn:
        current = {lag.reader: lag for lag in await lags(conn, PARTITIONS)}
    assert current["tables"].events_behind == 0
    assert current["relay"].events_behind == 0

    # Only the log moves: a reader at an old position is behind by what came after it.
    async with fanout.pool.connection() as conn:
        stored = await fanout.store.read_all(0, 100)
        await conn.execute(
            "UPDATE read.partition_positions SET position = %s WHERE projection = 'tables'",
            (stored[-3].global_position,),
        )
        behind = {lag.reader: lag for lag in await lags(conn, PARTITIONS)}
    assert behind["tables"].events_behind == 2
    assert behind["tables"].seconds_behind >= 0


async def test_rows_of_partitions_beyond_the_configured_ones_are_ignored(fanout: Fanout) -> None:
    """Fewer partitions than before: the old partitions' rows stay behind, stale; neither the
    watermark (read-your-writes) nor the lag report may count them."""
    world = World(fanout.services)
    await world.run([("event", 0, 0, i) for i in range(3)])
    await fanout.caught_up()
    async with fanout.pool.connection() as conn:
        for stale in (PARTITIONS, PARTITIONS + 1):
            await conn.execute(
                "INSERT INTO read.partition_positions (projection, partition, position)"
                " VALUES ('tables', %s, 1)",
                (stale,),
            )
        current = {lag.reader: lag for lag in await lags(conn, PARTITIONS)}
    assert current["tables"].events_behind == 0
    head = (await fanout.store.read_all(0, 100))[-1].global_position
    checkpoints = Checkpoints(fanout.pool, ("tables",), PARTITIONS)
    assert await checkpoints.watermark() >= head
    assert await fanout.watermark() >= head
