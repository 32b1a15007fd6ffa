"""Waking the relay: a NOTIFY after appends commit, coalesced, never inside an append.

NOTIFY inside the append transaction would take PostgreSQL's global notification lock at
every commit and serialise all writers; instead each process sends at most one NOTIFY per
``delay`` after its appends have committed. The relay also polls slowly as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

CHANNEL = "kazrockets_events"


class Notifier:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection], delay: float = 0.002) -> None:
        self._pool = pool
        self._delay = delay
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Ask for a NOTIFY soon; pokes arriving before it is sent share it."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send())

    async def _send(self) -> None:
        await asyncio.sleep(self._delay)
        try:
            async with self._pool.connection() as conn:
                await conn.execute("SELECT pg_notify(%s, '')", (CHANNEL,))
        except psycopg.Error:
            log.warning("could not notify the relay; it will poll", exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
