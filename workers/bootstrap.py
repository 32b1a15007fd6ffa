"""Explicit wiring of the command side for processes other than the write API."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.ports import Services
from commands.repository import Repository
from events.catalog import domain_codec
from eventstore.notify import Notifier
from eventstore.store import EventStore
from eventstore.vault import Vault
from workers.settings import Settings
from write_api.files import S3FileStore


def services_for(
    settings: Settings, pool: AsyncConnectionPool[AsyncConnection], files: S3FileStore
) -> Services:
    """The ports a command handler needs, over this pool (events wake the relay)."""
    return Services(
        repository=Repository(EventStore(pool, domain_codec(), Notifier(pool))),
        vault=Vault(pool),
        files=files,
        email_hash_key=settings.email_hash_key.encode(),
        bcrypt_rounds=settings.bcrypt_rounds,
        max_upload_bytes=settings.max_upload_bytes,
    )
