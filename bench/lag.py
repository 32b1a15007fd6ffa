"""Commit to visible: commands through the write API at a fixed rate, timed into the tables.

Starts the platform (``kazrockets run``) on its own ports and database, signs an organizer
in, then tries to send ``BENCH_LAG_RATE`` (default 500) ``POST /events`` per second for
``BENCH_LAG_SECONDS`` (default 30) from 32 concurrent clients. A watcher polls the `tables`
projection's watermark every 2 ms; a command is visible when the watermark reaches the
position it returned. Reports p50 and p99 of answer-to-visible, and the rate achieved (the
httpx client caps it well below the rate asked on this machine: see docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from bench.common import Result, env_float, env_int, measured, progress
from eventstore.migrate import migrate
from workers.apps import MIGRATED_PACKAGES

DATABASE_URL = os.environ.get(
    "BENCH_LAG_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_bench_lag"
)
PORT = 18700
URL = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-1"  # noqa: S105 -- a throwaway benchmark account
WATERMARK = """
SELECT CASE WHEN count(*) >= 4 THEN min(position) ELSE 0 END
FROM read.partition_positions WHERE projection = 'tables'
"""


def platform() -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": DATABASE_URL,
        "KAZROCKETS_WRITE_API_PORT": str(PORT),
        "KAZROCKETS_LOG_LEVEL": "WARNING",
        "KAZROCKETS_DB_POOL_SIZE": "20",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def organizer_token() -> str:
    email = f"bench-{time.time_ns()}@bench.kz"
    env = {**os.environ, "KAZROCKETS_DATABASE_URL": DATABASE_URL}
    subprocess.run(  # noqa: S603 -- our own console script
        [sys.executable, "-m", "workers.cli", "create-user", "--email", email, "--password",
         PASSWORD, "--name", "Bench", "--role", "ORGANIZER"], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    answer = httpx.post(f"{URL}/auth/login", json={"email": email, "password": PASSWORD})
    token: str = answer.json()["access_token"]
    return token


def wait_healthy() -> None:
    for _ in range(150):
        try:
            if httpx.get(f"{URL}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the platform did not come up")


async def watch(samples: list[tuple[float, int]], done: asyncio.Event) -> None:
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
        while not done.is_set():
            row = await (await conn.execute(WATERMARK)).fetchone()
            samples.append((time.perf_counter(), int(row[0]) if row else 0))
            await asyncio.sleep(0.002)


async def load(token: str, rate: float, seconds: float) -> list[tuple[float, int]]:
    answered: list[tuple[float, int]] = []
    statuses: dict[int, int] = {}
    start = datetime.now(UTC) + timedelta(days=1)
    body = {"title": "Lag cup", "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=1)).isoformat()}  # fmt: skip
    total = int(rate * seconds)
    began = time.perf_counter()
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=URL, limits=limits, timeout=30) as client:
        semaphore = asyncio.Semaphore(32)

        async def one(index: int) -> None:
            await asyncio.sleep(max(0.0, began + index / rate - time.perf_counter()))
            async with semaphore:
                answer = await client.post(
                    "/events", json=body, headers={"Authorization": f"Bearer {token}"}
                )
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if answer.status_code == 201:
                answered.append((time.perf_counter(), int(answer.json()["position"])))

        await asyncio.gather(*(one(i) for i in range(total)))
    progress(f"  answers by status: {statuses}")
    return answered


def visible_after(
    answered: list[tuple[float, int]], samples: list[tuple[float, int]]
) -> list[float]:
    delays, cursor = [], 0
    for at, position in sorted(answered, key=lambda a: a[1]):
        while cursor < len(samples) and (samples[cursor][1] < position or samples[cursor][0] < at):
            cursor += 1
        if cursor < len(samples):
            delays.append(max(0.0, samples[cursor][0] - at) * 1000)
    return delays


async def main() -> list[Result]:
    rate, seconds = env_float("BENCH_LAG_RATE", 500), env_float("BENCH_LAG_SECONDS", 30)
    await asyncio.to_thread(migrate, DATABASE_URL, MIGRATED_PACKAGES)
    process = platform()
    try:
        await asyncio.to_thread(wait_healthy)
        await asyncio.sleep(env_int("BENCH_LAG_SETTLE", 3))
        token = await asyncio.to_thread(organizer_token)
        samples: list[tuple[float, int]] = []
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(samples, done))
        began = time.perf_counter()
        answered = await load(token, rate, seconds)
        achieved = len(answered) / (time.perf_counter() - began)
        await asyncio.sleep(2)
        done.set()
        await watcher
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    delays = sorted(visible_after(answered, samples))
    p50 = statistics.median(delays)
    p99 = delays[int(len(delays) * 0.99) - 1]
    progress(f"  {len(answered):,} commands at {achieved:,.0f}/s")
    progress(f"  answer to visible: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return [
        measured("lag_commands_per_second", achieved, "commands/s"),
        measured("lag_visible_p50", p50, "ms"),
        measured("lag_visible_p99", p99, "ms"),
    ]
