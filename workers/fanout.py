"""Entry points of the fan-out processes: relay, projector, replay."""

from __future__ import annotations

import asyncio
import logging

from events.catalog import domain_codec
from eventstore.migrate import migrate
from eventstore.pool import open_pool
from eventstore.store import EventStore
from eventstore.vault import Vault
from projections import cache
from workers import projector
from workers.apps import MIGRATED_PACKAGES
from workers.consumer import run_consumer
from workers.lifecycle import stop_event
from workers.relay import Relay
from workers.replay import LIVE, Replayer
from workers.settings import Settings
from workers.tables import TableWriter
from workers.views import ViewsProjector

log = logging.getLogger(__name__)


async def run_relay(settings: Settings) -> None:
    stopping = stop_event()
    pool = await open_pool(settings.database_url, min_size=1, max_size=4, name="relay")
    try:
        store = EventStore(pool, domain_codec())
        relay = Relay(
            store, pool, settings.database_url, settings.rabbitmq_url, settings.projector_partitions
        )
        await relay.run(stopping)
    finally:
        await pool.close()
        log.info("relay stopped")


async def run_projector(settings: Settings) -> None:
    stopping = stop_event()
    pool = await open_pool(
        settings.database_url, min_size=2, max_size=settings.projector_partitions + 2,
        name="projector", search_path=LIVE,
    )  # fmt: skip
    try:
        store = EventStore(pool, domain_codec())
        redis = cache.connect(settings.redis_url, settings.redis_cluster)
        writer = TableWriter(Vault(pool))
        tables = projector.TablesProjector(pool, store, writer, cache.Cache(redis))
        try:
            await run_consumer(
                tables, settings.rabbitmq_url, settings.projector_partitions, stopping
            )
        finally:
            await redis.aclose()
    finally:
        await pool.close()


async def run_views(settings: Settings) -> None:
    stopping = stop_event()
    pool = await open_pool(
        settings.database_url, min_size=1, max_size=4, name="views", search_path=LIVE
    )
    redis = cache.connect(settings.redis_url, settings.redis_cluster)
    try:
        store = EventStore(pool, domain_codec())
        consumer = ViewsProjector(cache.Cache(redis), store, Vault(pool), pool)
        await run_consumer(consumer, settings.rabbitmq_url, settings.projector_partitions, stopping)
    finally:
        await redis.aclose()
        await pool.close()


async def run_replay(settings: Settings) -> int:
    # The rebuild uses the table definitions on disk: the live schema must be at them too.
    await asyncio.to_thread(migrate, settings.database_url, MIGRATED_PACKAGES)
    pool = await open_pool(settings.database_url, min_size=2, max_size=4, name="replay")
    redis = cache.connect(settings.redis_url, settings.redis_cluster)
    try:
        store = EventStore(pool, domain_codec())
        replayer = Replayer(
            pool, store, TableWriter(Vault(pool)), settings.projector_partitions,
            cache=cache.Cache(redis),
        )  # fmt: skip
        return await replayer.run()
    finally:
        await redis.aclose()
        await pool.close()
