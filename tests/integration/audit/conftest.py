"""Audit fixtures: the real command handlers on the test database, no broker needed (the read
tables are built by applying the log in process, in position order)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.ports import Services
from commands.repository import Repository
from events.catalog import domain_codec
from eventstore.pool import open_pool
from eventstore.store import EventStore
from eventstore.vault import Vault
from write_api.files import S3FileStore


@pytest.fixture
async def domain_store(pool: AsyncConnectionPool[AsyncConnection], clean_db: None) -> EventStore:
    return EventStore(pool, domain_codec())


@pytest.fixture
async def services(
    pool: AsyncConnectionPool[AsyncConnection], domain_store: EventStore
) -> Services:
    files = S3FileStore("http://127.0.0.1:9000", "kazrockets-test", "us-east-1", "test", "test")
    await asyncio.to_thread(files.ensure_bucket)
    return Services(
        repository=Repository(domain_store), vault=Vault(pool), files=files,
        email_hash_key=uuid4().bytes, bcrypt_rounds=4,
    )  # fmt: skip


@pytest.fixture
async def read_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[AsyncConnection]]:
    """Connections as the read API has them: search_path `read`."""
    pool = await open_pool(database_url, min_size=1, max_size=4, name="audit", search_path="read")
    yield pool
    await pool.close()
