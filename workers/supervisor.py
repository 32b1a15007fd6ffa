"""`kazrockets run`: every process of the platform as children of one parent.

Each child is ``kazrockets <command>`` in its own process; SIGTERM or Ctrl-C stops them all
(SIGTERM first, SIGKILL after a grace period), and a child that dies is restarted with a
back-off so that a crash in one part does not take the platform down.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from workers.lifecycle import sleep_or_stop, stop_event

log = logging.getLogger(__name__)

GRACE_SECONDS = 10.0


async def _spawn(command: Sequence[str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "workers.cli", *command)


async def _keep_running(command: Sequence[str], stopping: asyncio.Event) -> None:
    backoff = 1.0
    while not stopping.is_set():
        process = await _spawn(command)
        log.info("started", extra={"process": " ".join(command), "pid": process.pid})
        waiter = asyncio.ensure_future(process.wait())
        stopper = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.is_set():
            stopper.cancel()
            await _stop(process, waiter)
            return
        stopper.cancel()
        log.error(
            "process exited; restarting",
            extra={"process": " ".join(command), "code": process.returncode, "in_s": backoff},
        )
        await sleep_or_stop(stopping, backoff)
        backoff = min(backoff * 2, 30.0)


async def _stop(process: asyncio.subprocess.Process, waiter: asyncio.Future[int]) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(waiter, GRACE_SECONDS)
    except TimeoutError:
        process.kill()
        await waiter


async def supervise(commands: Sequence[Sequence[str]]) -> None:
    stopping = stop_event()
    await asyncio.gather(*(_keep_running(command, stopping) for command in commands))
    log.info("all processes stopped")
