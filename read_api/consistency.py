"""Read-your-writes: ``X-Min-Position: P`` waits until every projection has applied P.

One shared watcher per process, not a poll per request: requests that need a newer position
than the last one seen wait on futures, and while any is waiting a single task reads the
projections' watermarks (the lowest position over each projection's partitions) every few
milliseconds and wakes those that are satisfied. With nothing waiting, nothing polls."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from projections.watermark import read_watermark, watermark_params

log = logging.getLogger(__name__)

POLL_SECONDS = 0.005


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
