"""Fan-out fixtures: a RabbitMQ virtual host of the tests' own, the relay and the projector
running in the test's event loop against the real PostgreSQL, RabbitMQ and S3 server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from commands.ports import Services
from events.catalog import domain_codec
from eventstore.notify import Notifier
from eventstore.pool import open_pool
from eventstore.store import EventStore
from eventstore.vault import Vault
from projections.cache import Cache
from projections.watermark import read_watermark, watermark_params
from tests.support.broker import fresh_vhost
from tests.support.services import services_over
from workers import projector
from workers.consumer import run_consumer
from workers.relay import Relay
from workers.replay import LIVE
from workers.tables import TableWriter

VHOST = "kazrockets_test"
PARTITIONS = 3
RABBITMQ_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """A fresh virtual host per test session: no queue of an earlier run is left over."""
    fresh_vhost(VHOST)
    return RABBITMQ_URL


@dataclass
class Fanout:
    store: EventStore
    pool: AsyncConnectionPool[AsyncConnection]
    read_pool: AsyncConnectionPool[AsyncConnection]
    services: Services
    relay: Relay
    tables: projector.TablesProjector
    rabbitmq_url: str
    cache: Cache

    async def watermark(self) -> int:
        return await read_watermark(self.read_pool, watermark_params(["tables"], PARTITIONS))

    async def caught_up(self, seconds: float = 30.0) -> None:
        """Wait until the read tables reflect every committed event.

        The head, not the safe head: an event that committed while an older transaction was
        still open lies above the safe head for a moment, and must be waited for too."""
        head = await self.store.head_position()
        deadline = time.monotonic() + seconds
        while await self.watermark() < head:
            assert time.monotonic() < deadline, "the projector did not catch up"
            await asyncio.sleep(0.05)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """Redis database 14, empty at the start of each test."""
    client: Redis = Redis.from_url("redis://127.0.0.1:6379/14")
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def read_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[AsyncConnection]]:
    pool = await open_pool(database_url, min_size=1, max_size=6, name="read", search_path=LIVE)
    yield pool
    await pool.close()


@pytest.fixture
async def services(pool: AsyncConnectionPool[AsyncConnection], clean_db: None) -> Services:
    """The command side over the event store; the store and the read tables start empty."""
    return await services_over(pool, EventStore(pool, domain_codec(), Notifier(pool)))


@pytest.fixture
async def fanout(
    pool: AsyncConnectionPool[AsyncConnection],
    read_pool: AsyncConnectionPool[AsyncConnection],
    database_url: str,
    rabbitmq_url: str,
    redis: Redis,
    services: Services,
) -> AsyncIterator[Fanout]:
    """Relay and projector running as tasks; the read tables start empty."""
    store = services.repository.store
    relay = Relay(store, pool, database_url, rabbitmq_url, PARTITIONS, batch_size=200)
    cache = Cache(redis)
    tables = projector.TablesProjector(read_pool, store, TableWriter(Vault(pool)), cache)
    stopping = asyncio.Event()
    tasks = [
        asyncio.create_task(relay.run(stopping)),
        asyncio.create_task(run_consumer(tables, rabbitmq_url, PARTITIONS, stopping)),
    ]
    yield Fanout(store, pool, read_pool, services, relay, tables, rabbitmq_url, cache)
    stopping.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
