"""The `redis` projector: writes the Redis views with a compare-and-set on stream version.

Redis cannot join a PostgreSQL transaction, so exactly-once effect comes from the views
themselves: each is a hash with the JSON and the stream version it reflects, and a Lua script
writes it only when the incoming version is newer. Views are complete states (or tombstones),
so a gap needs no filling: the newest version wins. One key per view keeps the script valid
on Redis Cluster too.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aio_pika.abc import AbstractIncomingMessage
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from eventstore.store import EventStore
from eventstore.vault import Vault, open_with
from projections import views
from projections.changes import Fact, Sealed
from workers.consumer import PartitionConsumer, unpack
from workers.projector import ADVANCE_PARTITION
from workers.tables import fact

# KEYS[1] view; ARGV: version, JSON ('' for a tombstone), TTL seconds ('0': none)
WRITE_VIEW = """
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'json')
else redis.call('HSET', KEYS[1], 'json', ARGV[2]) end
if ARGV[3] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

_encoder = msgspec.json.Encoder()


class ViewsProjector(PartitionConsumer):
    name = views.NAME

    def __init__(
        self,
        redis: Redis,
        store: EventStore,
        vault: Vault,
        pool: AsyncConnectionPool[AsyncConnection],
    ) -> None:
        self._redis = redis
        self._store = store
        self._vault = vault
        self._pool = pool
        self._write = redis.register_script(WRITE_VIEW)
        self.applied = 0

    async def _opened(self, value: dict[str, Any]) -> dict[str, Any]:
        opened = {}
        for field, item in value.items():
            if isinstance(item, Sealed):
                item = open_with(await self._vault.key(item.user_id), item.user_id, item.token)
            opened[field] = item
        return opened

    async def apply(self, fact: Fact, version: int) -> int:
        written = 0
        for change in views.project(fact):
            body = (
                ""
                if change.value is None
                else _encoder.encode(await self._opened(change.value)).decode()
            )
            written += int(
                await self._write(keys=[change.key], args=[version, body, change.ttl or 0])
            )
        self.applied += written
        return written

    async def handle(self, batch: list[AbstractIncomingMessage]) -> None:
        run = unpack(batch)
        for raw in run.events:
            recorded = self._store.decode(raw)
            await self.apply(fact(recorded), recorded.version)
        async with self._pool.connection() as conn:
            await conn.execute(ADVANCE_PARTITION, (views.NAME, run.partition, run.position))
