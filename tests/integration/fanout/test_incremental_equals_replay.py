"""The read tables built event by event through RabbitMQ equal those a replay builds."""

from __future__ import annotations

import asyncio
import random
import time
from uuid import UUID

from hypothesis import HealthCheck, given, settings

from eventstore.vault import Vault
from projections.cache import Standing
from projections.tables import TABLES
from tests.conftest import RESET
from tests.integration.fanout.conftest import PARTITIONS, Fanout
from tests.integration.fanout.scenario import World, steps
from tests.integration.fanout.snapshots import snapshot
from workers.projector import TablesProjector
from workers.replay import Replayer
from workers.tables import TableWriter, read_standings


async def replayed(fanout: Fanout) -> dict[str, list[tuple[object, ...]]]:
    writer = TableWriter(Vault(fanout.pool))
    replayer = Replayer(fanout.pool, fanout.store, writer, PARTITIONS, batch=7, cache=fanout.cache)
    await replayer.run(show_progress=False)
    return await snapshot(fanout.read_pool)


async def stream_versions(fanout: Fanout) -> list[tuple[object, ...]]:
    async with fanout.read_pool.connection() as conn:
        query = "SELECT projection, stream_id, version FROM stream_versions ORDER BY 1, 2"
        return list(await (await conn.execute(query)).fetchall())


async def tabled_standings(fanout: Fanout) -> dict[UUID, list[Standing]]:
    async with fanout.read_pool.connection() as conn:
        rows = await (await conn.execute("SELECT event_id FROM leaderboard_revision")).fetchall()
        found = {row[0]: await read_standings(conn, row[0]) for row in rows}
    return {event: s.items for event, s in found.items() if s is not None and s.items}


async def cached_standings(fanout: Fanout) -> dict[UUID, list[Standing]]:
    async with fanout.read_pool.connection() as conn:
        rows = await (await conn.execute("SELECT event_id FROM leaderboard_revision")).fetchall()
    found = {row[0]: await fanout.cache.read_standings(row[0]) for row in rows}
    return {event: s.items for event, s in found.items() if s is not None and s.items}


async def cached_when_copied(fanout: Fanout, seconds: float = 5.0) -> dict[UUID, list[Standing]]:
    """Redis's standings once they equal the tables' (or as they are after ``seconds``): the
    projector copies them after its commit, so the watermark can pass them a moment before."""
    tabled = await tabled_standings(fanout)
    deadline = time.monotonic() + seconds
    cached = await cached_standings(fanout)
    while cached != tabled and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        cached = await cached_standings(fanout)
    return cached


def differences(
    incremental: dict[str, list[tuple[object, ...]]], rebuilt: dict[str, list[tuple[object, ...]]]
) -> str:
    lines = []
    for table, rows in incremental.items():
        for row in set(rows) ^ set(rebuilt[table]):
            side = "incremental" if row in rows else "replay"
            lines.append(f"{table} only in {side}: {row}")
    return "\n".join(lines)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
async def test_incremental_projection_equals_a_full_replay(
    fanout: Fanout, history: list[tuple[str, int, int, int]]
) -> None:
    async with fanout.pool.connection() as conn:
        await conn.execute(RESET)
    world = World(fanout.services)
    await world.run(history)
    await fanout.caught_up()

    incremental = await snapshot(fanout.read_pool)
    versions = await stream_versions(fanout)
    cached = await cached_when_copied(fanout)
    rebuilt = await replayed(fanout)

    assert rebuilt == incremental, differences(incremental, rebuilt)
    assert await stream_versions(fanout) == versions
    assert cached == await tabled_standings(fanout)  # Redis holds what the tables hold
    assert await cached_standings(fanout) == cached  # and so it does after the replay
    assert len(incremental["app_user"]) == 1 + len(world.participants) + len(world.judges)


async def test_duplicate_and_reordered_deliveries_change_nothing(fanout: Fanout) -> None:
    world = World(fanout.services)
    await world.run(
        [("participant", 0, 0, 0), ("participant", 1, 0, 0), ("event", 0, 0, 1), ("team", 0, 0, 2),
         ("join", 1, 0, 0), ("judge", 0, 0, 0), ("submit", 1, 0, 0), ("approve", 0, 0, 0),
         ("score", 0, 0, 77), ("revise", 0, 0, 50), ("rename", 1, 0, 3), ("leave", 1, 0, 0)]
    )  # fmt: skip
    await fanout.caught_up()
    expected = await snapshot(fanout.read_pool)

    # Start the tables over and deliver the history again: each event twice, shuffled within
    # a window of three, so some arrive before their predecessor (a gap) or after themselves.
    async with fanout.read_pool.connection() as conn:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}, stream_versions".encode())
    events = await fanout.store.read_all(0, 10_000)
    deliveries = [e for e in events for _ in range(2)]
    shuffler = random.Random(7)
    for start in range(0, len(deliveries), 3):
        window = deliveries[start : start + 3]
        shuffler.shuffle(window)
        deliveries[start : start + 3] = window
    second = TablesProjector(fanout.read_pool, fanout.store, TableWriter(Vault(fanout.pool)))
    applied = [await second.apply(e, None) for e in deliveries]

    assert await snapshot(fanout.read_pool) == expected
    assert applied.count(False) >= len(events)  # every duplicate (and gap-filled event) skipped
