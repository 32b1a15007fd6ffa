"""`kazrockets run`: every process of the platform as children of one parent.

Each child is ``kazrockets <command>`` in its own process group; SIGTERM or Ctrl-C stops them
all (SIGTERM first; after a grace period SIGKILL to the child's whole group, so an HTTP
server's worker processes go with it), and a child that dies is restarted with a
back-off so that a crash in one part does not take the platform down. Whatever happens to
the parent, it stops its children before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from workers.lifecycle import sleep_or_stop, stop_event

log = logging.getLogger(__name__)

GRACE_SECONDS = 10.0


class Child:
    def __init__(self, command: Sequence[str]) -> None:
        self.command = tuple(command)
        self.name = " ".join(command)
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> asyncio.subprocess.Process:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workers.cli", *self.command, start_new_session=True
        )
        log.info("started", extra={"child": self.name, "pid": self.process.pid})
        return self.process

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), GRACE_SECONDS)
        except TimeoutError:
            log.warning("did not stop in time; killing", extra={"child": self.name})
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        log.info("stopped", extra={"child": self.name, "code": process.returncode})


async def _keep_running(child: Child, stopping: asyncio.Event) -> None:
    backoff = 1.0
    while not stopping.is_set():
        process = await child.start()
        waiter = asyncio.ensure_future(process.wait())
        stopper = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if stopping.is_set():
            return
        log.error(
            "exited; restarting",
            extra={"child": child.name, "code": process.returncode, "in_s": backoff},
        )
        await sleep_or_stop(stopping, backoff)
        backoff = min(backoff * 2, 30.0)


async def supervise(commands: Sequence[Sequence[str]]) -> None:
    stopping = stop_event()
    children = [Child(command) for command in commands]
    try:
        await asyncio.gather(*(_keep_running(child, stopping) for child in children))
    finally:
        with contextlib.suppress(Exception):
            await asyncio.gather(*(child.stop() for child in children))
        log.info("all processes stopped")
