"""Messages that outlive the database never project rows the event store does not hold."""

from __future__ import annotations

from uuid import uuid4

import msgspec

from tests.integration.fanout.conftest import Fanout
from tests.integration.fanout.scenario import World
from workers.consumer import Run, stored


async def test_events_missing_from_the_store_are_dropped_and_do_not_move_the_partition(
    fanout: Fanout,
) -> None:
    world = World(fanout.services)
    await world.run([("participant", 0, 0, 0), ("participant", 1, 0, 0)])
    real = await fanout.store.read_all_raw(0, 10)
    head = await fanout.store.safe_head_position()
    # As after a restore from a backup: one event the store lost, one at a position it never had.
    lost = msgspec.structs.replace(real[0], event_id=uuid4())
    beyond = msgspec.structs.replace(real[1], global_position=head + 1_000_000)
    run = Run(partition=0, position=head + 1_000_000, events=[lost, real[0], beyond, real[1]])

    kept = await stored(fanout.store, run)

    assert kept.events == [real[0], real[1]]
    # No further than the store's head (the safe head moves up as other transactions end).
    assert head <= kept.position <= await fanout.store.head_position()
    untouched = Run(partition=0, position=head, events=list(real))
    assert await stored(fanout.store, untouched) is untouched
