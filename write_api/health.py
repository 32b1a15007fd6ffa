"""`/health` of both APIs: each dependency probed at once, with a time limit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from projections.cache import RedisClient
from write_api.files import S3FileStore

PROBE_SECONDS = 2


async def _check(name: str, probe: Awaitable[Any]) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, timeout=PROBE_SECONDS)
    except Exception as error:
        return name, f"down: {type(error).__name__}"
    return name, "up"


async def dependencies(
    pool: AsyncConnectionPool[AsyncConnection],
    redis: RedisClient,
    files: S3FileStore,
    on_postgres: Callable[[AsyncConnection], Awaitable[Any]] | None = None,
) -> tuple[bool, dict[str, str]]:
    """Whether all are up, and each one's state ("up" or "down: <error>"). ``on_postgres``
    runs on the probe's connection (what else the caller wants to know from the database)."""

    async def postgres() -> None:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
            if on_postgres is not None:
                await on_postgres(conn)

    checks = await asyncio.gather(
        _check("postgresql", postgres()),
        _check("redis", redis.ping()),
        _check("s3", asyncio.to_thread(files.client().head_bucket, Bucket=files.bucket)),
    )
    found = dict(checks)
    return all(state == "up" for state in found.values()), found
