"""The command side's ports for integration tests: a real event store, its vault, and the
local S3 server's test bucket."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.ports import Services
from commands.repository import Repository
from eventstore.store import EventStore
from eventstore.vault import Vault
from write_api.files import S3FileStore


async def services_over(pool: AsyncConnectionPool[AsyncConnection], store: EventStore) -> Services:
    """Services over ``store``: cheap bcrypt, a fresh email-hash key, the test bucket."""
    files = S3FileStore("http://127.0.0.1:9000", "kazrockets-test", "us-east-1", "test", "test")
    await asyncio.to_thread(files.ensure_bucket)
    return Services(
        repository=Repository(store), vault=Vault(pool), files=files,
        email_hash_key=uuid4().bytes, bcrypt_rounds=4,
    )  # fmt: skip
