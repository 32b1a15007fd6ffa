"""Redis views: written with a version check, so duplicates and late events change nothing."""

from __future__ import annotations

import json
from uuid import UUID, uuid4

from redis.asyncio import Redis

from eventstore.vault import Vault
from projections.cache import ViewUpdate
from projections.changes import Fact
from projections.views import project
from read_api.schemas import EventView, UserView
from read_api.views import V, Views
from tests.integration.fanout.conftest import Fanout
from tests.integration.fanout.scenario import World
from workers.views import ViewsProjector


async def test_views_follow_the_newest_version_whatever_the_delivery_order(
    fanout: Fanout, redis: Redis
) -> None:
    world = World(fanout.services)
    await world.run(
        [("participant", 0, 0, 0), ("event", 0, 0, 1), ("team", 0, 0, 2), ("submit", 0, 0, 0),
         ("approve", 0, 0, 0), ("rename", 0, 0, 5)]
    )  # fmt: skip
    views = ViewsProjector(fanout.cache, fanout.store, Vault(fanout.pool), fanout.pool)
    events = await fanout.store.read_all(0, 1000)
    # Everything twice, newest first: only the newest version of each view may survive.
    for recorded in [*reversed(events), *events]:
        fact = Fact(recorded.stream_id, recorded.recorded_at, recorded.event)
        await views.apply(fact, recorded.version)

    submission = await redis.hgetall(f"kazrockets:submission:{world.submissions[0]}")
    newest = max(r.version for r in events if r.stream_id == f"submission-{world.submissions[0]}")
    assert b"json" not in submission  # approved: a tombstone at the newest version
    assert int(submission[b"v"]) == newest
    event = await redis.hgetall(f"kazrockets:event:{world.events[0]}")
    assert json.loads(event[b"json"])["title"] == "Cup 1"
    assert 0 < await redis.ttl(f"kazrockets:event:{world.events[0]}") <= 3600
    profile = await redis.hgetall(f"kazrockets:user:{world.participants[0].user_id}")
    assert b"json" not in profile  # renamed after the view was written: refilled on read
    assert world.organizer is not None
    organizer = await redis.hgetall(f"kazrockets:user:{world.organizer.user_id}")
    assert json.loads(organizer[b"json"])["role"] == "ORGANIZER"
    assert "password" not in str(organizer[b"json"])
    touched = {
        change.key for r in events for change in project(Fact(r.stream_id, r.recorded_at, r.event))
    }
    assert views.applied == len(touched)  # each view written once, by its newest event


async def test_a_view_the_projector_writes_equals_the_one_the_read_api_refills(
    fanout: Fanout, redis: Redis
) -> None:
    world = World(fanout.services)
    await world.run([("participant", 0, 0, 0), ("event", 0, 0, 1)])
    await fanout.caught_up()
    projector = ViewsProjector(fanout.cache, fanout.store, Vault(fanout.pool), fanout.pool)
    for recorded in await fanout.store.read_all(0, 1000):
        await projector.apply(Fact(recorded.stream_id, recorded.recorded_at, recorded.event),
                              recorded.version)  # fmt: skip
    assert world.organizer is not None
    refills = Views(fanout.cache, fanout.read_pool, recent_seconds=0)

    async def same(kind: type[V], entity_id: object) -> None:
        written = await refills.get(kind, UUID(str(entity_id)))  # from Redis
        rebuilt = await refills.get(kind, UUID(str(entity_id)), fresh=True)
        assert written is not None
        assert written == rebuilt

    await same(EventView, world.events[0])
    await same(UserView, world.participants[0].user_id)
    await same(UserView, world.organizer.user_id)


async def test_view_writes_survive_redis_losing_its_scripts(fanout: Fanout, redis: Redis) -> None:
    """A Redis restarted (or SCRIPT FLUSHed) between two batches: the pipeline is sent again
    after loading the script, and each view is still written once."""
    views = [f"kazrockets:event:{uuid4()}" for _ in range(3)]
    await fanout.cache.write_views([ViewUpdate(view, 1, b"{}") for view in views])
    await redis.script_flush()
    updates = [ViewUpdate(view, 2, b'{"v": 2}', ttl=60) for view in views]
    assert await fanout.cache.write_views([*updates, *updates]) == len(views)
    assert [await fanout.cache.read_view(view) for view in views] == [b'{"v": 2}'] * 3
    assert 0 < await redis.ttl(views[0]) <= 60
