"""A projection's watermark: every event at or below it is in the projection's tables.

Each partition records how far it has applied the log (``read.partition_positions``); the
watermark is the lowest of those positions, and 0 until every partition has one. Only the
partitions now configured count: rows of partitions beyond ``KAZROCKETS_PROJECTOR_PARTITIONS``
(left by a setup that had more) are stale and must neither satisfy the count nor hold the
minimum back (docs/fan-out.md, changing the number of partitions).

Waiting for a position (``Checkpoints``: read-your-writes in the read API, the notifications
worker's look-ups) takes one shared watcher per process, not a poll per caller: callers that
need a newer position than the last one seen wait on futures, and while any is waiting a
single task reads the watermark every few milliseconds and wakes those that are satisfied.
With nothing waiting, nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

POLL_SECONDS = 0.005

WATERMARK = """
SELECT CASE WHEN count(*) = %(expected)s THEN min(position) ELSE 0 END
FROM read.partition_positions
WHERE projection = ANY(%(projections)s) AND partition < %(partitions)s
"""


def watermark_params(projections: Sequence[str], partitions: int) -> dict[str, Any]:
    """The parameters of ``WATERMARK``: the lowest position over these projections."""
    return {
        "projections": list(projections),
        "partitions": partitions,
        "expected": partitions * len(projections),
    }


async def read_watermark(pool: AsyncConnectionPool[AsyncConnection], params: dict[str, Any]) -> int:
    """The watermark ``WATERMARK`` gives for ``params`` (from ``watermark_params``)."""
    async with pool.connection() as conn:
        row = await (await conn.execute(WATERMARK, params)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


class Checkpoints:
    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection],
        projections: tuple[str, ...],
        partitions: int,
    ) -> None:
        self._pool = pool
        # The lowest position over all partitions of every projection the API serves from.
        self._params = watermark_params(projections, partitions)
        self.seen = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._watcher: asyncio.Task[None] | None = None

    async def watermark(self) -> int:
        self.seen = max(self.seen, await read_watermark(self._pool, self._params))
        return self.seen

    async def reached(self, position: int, seconds: float) -> bool:
        """True once every projection applied ``position``; False after ``seconds``."""
        if position <= self.seen:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (position, next(self._order), future))
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())
        try:
            await asyncio.wait_for(asyncio.shield(future), seconds)
        except TimeoutError:
            future.cancel()
            return position <= self.seen
        return True

    async def _watch(self) -> None:
        while self._waiting:
            try:
                seen = await self.watermark()
            except Exception as error:  # the waiters time out meanwhile
                log.warning(
                    "could not read the projections' positions", extra={"error": repr(error)}
                )
                seen = self.seen
            while self._waiting and (self._waiting[0][0] <= seen or self._waiting[0][2].done()):
                _, _, future = heapq.heappop(self._waiting)
                if not future.done():
                    future.set_result(None)
            if self._waiting:
                await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
