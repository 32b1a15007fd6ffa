"""Audit fixtures: the real command handlers on the test database, no broker needed (the read
tables are built by applying the log in process, in position order)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.ports import Services
from events.catalog import domain_codec
from eventstore.pool import open_pool
from eventstore.store import EventStore
from tests.support.services import services_over


@pytest.fixture
async def domain_store(pool: AsyncConnectionPool[AsyncConnection], clean_db: None) -> EventStore:
    return EventStore(pool, domain_codec())


@pytest.fixture
async def services(
    pool: AsyncConnectionPool[AsyncConnection], domain_store: EventStore
) -> Services:
    return await services_over(pool, domain_store)


@pytest.fixture
async def read_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[AsyncConnection]]:
    """Connections as the read API has them: search_path `read`."""
    pool = await open_pool(database_url, min_size=1, max_size=4, name="audit", search_path="read")
    yield pool
    await pool.close()
