"""Clean shutdown: turn SIGTERM and SIGINT into an asyncio event a main() can wait on."""

from __future__ import annotations

import asyncio
import contextlib
import signal


def stop_event() -> asyncio.Event:
    """An event set on SIGTERM or SIGINT; call inside the running loop."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    return stopping


async def sleep_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` unless asked to stop first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
