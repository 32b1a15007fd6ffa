"""What every benchmark shares: the Result row, progress lines and throughput loops.

A benchmark is a module ``bench/<name>.py`` with ``async def main() -> list[Result]`` (or a
plain ``def main``); ``python -m bench.run`` finds it, runs it and prints its results.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable

import msgspec


class Result(msgspec.Struct, kw_only=True):
    """One number a benchmark measured, optionally compared with a baseline number."""

    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: str | None = None


def progress(line: str) -> None:
    """Print a progress line at once, so a long run shows what it has done so far."""
    print(line, flush=True)


def measured(name: str, value: float, unit: str, target: str | None = None) -> Result:
    """A plain measurement (often a baseline of another result); ``target`` bounds the value
    itself, in its unit (``<= 100``)."""
    return Result(name=name, value=value, unit=unit, target=target)


def compared(name: str, value: float, baseline: Result, target: str | None = None) -> Result:
    """``value`` against ``baseline`` (same unit): ratio = value / baseline value."""
    ratio = value / baseline.value if baseline.value else None
    return Result(
        name=name,
        value=value,
        unit=baseline.unit,
        baseline=baseline.name,
        baseline_value=baseline.value,
        ratio=ratio,
        target=target,
    )


_TARGET = re.compile(r"^\s*(>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)?)\s*(?:x|[A-Za-z/]+)?\s*$")


def target_met(result: Result) -> bool | None:
    """Whether the ratio meets a target such as ``>= 0.75x`` (or, for a result without a
    baseline, the value one such as ``<= 100 ms``); None when not decidable."""
    checked = result.value if result.baseline is None else result.ratio
    if result.target is None or checked is None:
        return None
    match = _TARGET.match(result.target)
    if match is None:
        return None
    bound = float(match[2])
    return {
        ">=": checked >= bound,
        "<=": checked <= bound,
        ">": checked > bound,
        "<": checked < bound,
    }[match[1]]


def machine_load() -> str:
    """The load averages: other work on the machine skews every number measured here."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPU(s)"


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return default if not raw else float(raw)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if not raw else int(raw)


def bench_seconds(default: float = 5.0) -> float:
    """How long each measurement runs: ``BENCH_SECONDS`` (default 5)."""
    return env_float("BENCH_SECONDS", default)


def warmup_seconds(seconds: float) -> float:
    """Time spent before counting starts (connections warm, statements prepared)."""
    return min(1.0, seconds / 5)


async def rate_async(
    writers: int, seconds: float, op: Callable[[], Awaitable[object]], *, warmup: float = 0.5
) -> float:
    """Operations per second of ``writers`` asyncio tasks each calling ``op`` in a loop.

    Only operations that finish inside the ``seconds`` window after the warm-up count.
    """
    start = time.perf_counter() + warmup
    end = start + seconds

    async def writer() -> int:
        done = 0
        while True:
            await op()
            now = time.perf_counter()
            if now >= end:
                return done
            if now >= start:
                done += 1

    counts = await asyncio.gather(*(writer() for _ in range(writers)))
    return sum(counts) / seconds


def rate_threads(
    writers: int, seconds: float, op: Callable[[], object], *, warmup: float = 0.5
) -> float:
    """Operations per second of ``writers`` threads each calling ``op`` in a loop."""
    start = time.perf_counter() + warmup
    end = start + seconds
    counts = [0] * writers
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            while True:
                op()
                now = time.perf_counter()
                if now >= end:
                    return
                if now >= start:
                    counts[index] += 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts) / seconds
