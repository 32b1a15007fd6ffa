"""Reading the global log in tests, once every committed event may be read."""

from __future__ import annotations

import asyncio
import time

from eventstore.records import RecordedEvent
from eventstore.store import EventStore


async def settled(store: EventStore, patience: float = 10.0) -> None:
    """Wait until no older transaction holds back what was committed (or ``patience`` ends).

    ``read_all`` (and sealing) stops below the oldest transaction still running in the
    cluster, and transaction ids are cluster-wide: another database's open transaction
    (another test run, a benchmark) delays what a test just committed. Waiting for that keeps
    tests honest on a shared server without weakening the guard.
    """
    deadline = time.monotonic() + patience
    while await store.safe_head_position() < await store.head_position():
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(0.02)


async def settled_log(store: EventStore) -> list[RecordedEvent]:
    """The whole log, read once no older transaction holds it back."""
    await settled(store)
    return await store.read_all(limit=100_000)
