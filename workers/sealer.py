"""The sealer process: seals the global log every few seconds until SIGTERM."""

from __future__ import annotations

import logging

from eventstore.pool import open_pool
from eventstore.seal import seal_all
from workers.lifecycle import sleep_or_stop, stop_event
from workers.settings import Settings

log = logging.getLogger(__name__)


async def run_sealer(settings: Settings) -> None:
    stopping = stop_event()
    pool = await open_pool(settings.database_url, min_size=1, max_size=2, name="sealer")
    log.info("sealer started", extra={"interval_s": settings.seal_interval_seconds})
    try:
        while not stopping.is_set():
            written = await seal_all(pool)
            if written:
                log.info("sealed", extra={"seals": written})
            await sleep_or_stop(stopping, settings.seal_interval_seconds)
    finally:
        await pool.close()
        log.info("sealer stopped")
