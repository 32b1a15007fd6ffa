"""The `redis` projector: writes the Redis views with a compare-and-set on stream version.

Redis cannot join a PostgreSQL transaction, so exactly-once effect comes from the views
themselves (``projections.cache``): each holds the stream version it reflects and is written
only forward. Views are complete states (or tombstones), so a gap needs no filling: the newest
version wins. The leaderboards are not written here: they are a function of several tables,
so the `tables` projector publishes them after its commit (``workers.tables``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from aio_pika.abc import AbstractIncomingMessage
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.store import EventStore
from eventstore.vault import Vault, open_with
from projections import views
from projections.cache import Cache, ViewUpdate
from projections.changes import Fact, Sealed
from workers.consumer import PartitionConsumer, stored, unpack
from workers.projector import ADVANCE_PARTITION
from workers.tables import fact

_encoder = msgspec.json.Encoder()


class ViewsProjector(PartitionConsumer):
    name = views.NAME

    def __init__(
        self,
        cache: Cache,
        store: EventStore,
        vault: Vault,
        pool: AsyncConnectionPool[AsyncConnection],
    ) -> None:
        self._cache = cache
        self._store = store
        self._vault = vault
        self._pool = pool
        self.applied = 0

    async def _opened(self, value: dict[str, Any]) -> dict[str, Any]:
        opened = {}
        for field, item in value.items():
            if isinstance(item, Sealed):
                item = open_with(await self._vault.key(item.user_id), item.user_id, item.token)
            opened[field] = item
        return opened

    async def _updates(self, fact: Fact, version: int) -> list[ViewUpdate]:
        return [
            ViewUpdate(
                change.key,
                version,
                None if change.value is None else _encoder.encode(await self._opened(change.value)),
                change.ttl or 0,
            )
            for change in views.project(fact)
        ]

    async def apply(self, fact: Fact, version: int) -> int:
        written = await self._cache.write_views(await self._updates(fact, version))
        self.applied += written
        return written

    async def handle(self, batch: list[AbstractIncomingMessage]) -> None:
        """A run's views in one Redis round trip, then the partition's position."""
        run = await stored(self._store, unpack(batch))
        updates: list[ViewUpdate] = []
        for raw in run.events:
            recorded = self._store.decode(raw)
            updates += await self._updates(fact(recorded), recorded.version)
        self.applied += await self._cache.write_views(updates)
        async with self._pool.connection() as conn:
            await conn.execute(ADVANCE_PARTITION, (views.NAME, run.partition, run.position))
