"""Commit to visible: commands through the write API under load, timed into the read tables.

Starts the platform (``kazrockets run``) on a database, RabbitMQ virtual host, Redis database
and ports of its own, signs an organizer in, then drives ``POST /events`` with ``wrk``
(``BENCH_LAG_CONNECTIONS`` connections, default 64, for ``BENCH_LAG_SECONDS``, default 30),
paced on a clock to ask for ``BENCH_LAG_RATE`` commands per second (default 500; the rate
achieved is reported, lower when the write API cannot keep up). The same load runs first
for ``BENCH_LAG_WARMUP`` seconds (default 10), not measured: the target is for sustained
load, and a platform just started on an empty database is not there yet (its first
seconds showed p50 45-85 ms against 35-45 ms after). A watcher reads the `tables`
projection's watermark every ``BENCH_LAG_SAMPLE_MS`` (default 5) ms. Where the machine's CPU
went during the run is printed per part (each `kazrockets` process, PostgreSQL, RabbitMQ,
Redis, wrk). An event's lag is the time from its commit (``recorded_at``, the database's
clock, the same clock as the watcher's on one machine) to the first watermark at or past its
position; p50 and p99 over every event of the run. The load generator only makes load: the
numbers do not depend on how fast it reads answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

from bench.common import Result, env_float, env_int, machine_load, measured, progress
from bench.platform import (
    cpu_by_part,
    cpu_spent,
    fresh_database,
    started,
    wait_healthy,
)
from projections.watermark import WATERMARK, watermark_params
from tests.support.broker import fresh_vhost, rabbitmqctl
from workers.settings import Settings

DATABASE_URL = os.environ.get(
    "BENCH_LAG_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_bench_lag"
)
VHOST = "kazrockets_bench_lag"
WRITE_PORT, READ_PORT = 18700, 18701
URL = f"http://127.0.0.1:{WRITE_PORT}"
PASSWORD = "bench-password-1"  # noqa: S105 -- a throwaway benchmark account
COMMITS = """
SELECT global_position, extract(epoch FROM recorded_at) FROM eventstore.events
WHERE event_type = 'CompetitiveEventCreated' AND recorded_at >= to_timestamp(%s)
ORDER BY global_position
"""
# Projector partitions; by default the platform's own default.
PARTITIONS = int(os.environ.get("BENCH_LAG_PARTITIONS", Settings().projector_partitions))
THREADS = 2  # wrk -t
# The watcher's query competes with the platform for the same two cores: every 2 ms it cost
# about a tenth of a core (PostgreSQL and this process); every 5 ms adds at most 5 ms to a lag.
SAMPLE_SECONDS = env_float("BENCH_LAG_SAMPLE_MS", 5.0) / 1000
# Paced on a clock, not by a fixed pause after each answer: each wrk thread hands out send
# times {interval} ms apart to whichever of its connections is free, so the rate asked does
# not drop as answers slow down (until every connection is busy). A thread that fell behind
# catches up by at most a second's worth of sends. LuaJIT's ffi reads the monotonic clock.
SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct {{ long tv_sec; long tv_nsec; }} lag_timespec;
int clock_gettime(int clock, lag_timespec *now);
]]
local clock = ffi.new("lag_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end
local interval, next_send = {interval}, nil
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
function delay()
  local at = now()
  if next_send == nil or next_send < at - 1000 then next_send = at end
  local send = next_send
  next_send = next_send + interval
  return math.max(0, math.floor(send - at))
end
"""


def platform_env(workers: int) -> dict[str, str]:
    return {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": DATABASE_URL,
        "KAZROCKETS_RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
        "KAZROCKETS_REDIS_URL": "redis://127.0.0.1:6379/9",
        "KAZROCKETS_WRITE_API_PORT": str(WRITE_PORT),
        "KAZROCKETS_READ_API_PORT": str(READ_PORT),
        "KAZROCKETS_API_WORKERS": str(workers),
        "KAZROCKETS_PROJECTOR_PARTITIONS": str(PARTITIONS),
        "KAZROCKETS_LOG_LEVEL": "WARNING",
        "KAZROCKETS_DB_POOL_SIZE": "20",
    }


def organizer_token(env: dict[str, str]) -> str:
    email = f"bench-{time.time_ns()}@bench.kz"
    subprocess.run(  # noqa: S603 -- our own console script
        [sys.executable, "-m", "workers.cli", "create-user", "--email", email, "--password",
         PASSWORD, "--name", "Bench", "--role", "ORGANIZER"], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    answer = httpx.post(f"{URL}/auth/login", json={"email": email, "password": PASSWORD})
    token: str = answer.json()["access_token"]
    return token


# The event store reads only below the oldest transaction open anywhere in the cluster, so a
# long transaction of another database (another benchmark, a test) holds the relay back.
OLDEST_ELSEWHERE = """
SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity
WHERE xact_start IS NOT NULL AND datname IS DISTINCT FROM current_database()
"""


async def oldest_elsewhere(done: asyncio.Event) -> float:
    """The longest any transaction of another database stayed open while the run lasted."""
    longest = 0.0
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
        while not done.is_set():
            row = await (await conn.execute(OLDEST_ELSEWHERE)).fetchone()
            longest = max(longest, float(row[0]) if row else 0.0)
            await asyncio.sleep(0.1)
    return longest


# The watermark, and how far the relay has had the broker confirm (its checkpoint).
POSITIONS = f"""
SELECT ({WATERMARK}),
       coalesce((SELECT position FROM eventstore.subscriptions WHERE name = 'relay'), 0)
"""


class Samples(NamedTuple):
    """When the watcher saw which positions: visible in the tables, confirmed by the broker,
    and visible in the tables and the Redis views both (the `redis` projector records its
    partitions' positions after writing their views)."""

    visible: list[tuple[float, int]]
    published: list[tuple[float, int]]
    everywhere: list[tuple[float, int]]


async def watch(samples: Samples, done: asyncio.Event) -> None:
    tables = watermark_params(["tables"], PARTITIONS)
    both = watermark_params(["tables", "redis"], PARTITIONS)
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
        while not done.is_set():
            async with conn.pipeline():  # one round trip
                positions = await conn.execute(POSITIONS, tables)
                everywhere = await conn.execute(WATERMARK, both)
            visible, published = await positions.fetchone() or (0, 0)
            (reached,) = await everywhere.fetchone() or (0,)
            now = time.time()
            samples.visible.append((now, int(visible)))
            samples.published.append((now, int(published)))
            samples.everywhere.append((now, int(reached or 0)))
            await asyncio.sleep(SAMPLE_SECONDS)


def drive(token: str, seconds: int, connections: int, rate: float) -> str:
    """``wrk`` posting events for ``seconds`` at about ``rate`` per second (fewer only when
    every connection is waiting for an answer); its summary."""
    with tempfile.TemporaryDirectory() as folder:
        return _wrk(token, seconds, connections, rate, Path(folder))


def _wrk(token: str, seconds: int, connections: int, rate: float, folder: Path) -> str:
    start = datetime.now(UTC) + timedelta(days=1)
    body = json.dumps({"title": "Lag cup", "start_date": start.isoformat(),
                       "end_date": (start + timedelta(days=1)).isoformat()})  # fmt: skip
    script = folder / "post.lua"
    interval = THREADS * 1000 / rate
    script.write_text(SCRIPT.format(body=json.dumps(body), token=token, interval=interval))
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(script),
        f"{URL}/events",
    ]
    done = subprocess.run(  # noqa: S603 -- the load generator, fixed arguments
        command, check=True, capture_output=True, text=True, timeout=seconds + 60
    )
    return done.stdout


def lags(commits: list[tuple[int, float]], samples: list[tuple[float, int]]) -> list[float]:
    """Per commit (position, time): milliseconds to the first watermark at or past it."""
    delays, cursor = [], 0
    for position, committed in commits:  # in position order, as the watermark rises
        while cursor < len(samples) and samples[cursor][1] < position:
            cursor += 1
        if cursor < len(samples):
            delays.append(max(0.0, samples[cursor][0] - committed) * 1000)
    return delays


def percentiles(delays: list[float]) -> tuple[float, float]:
    """p50 and p99."""
    ordered = sorted(delays)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def report_cpu(spent: dict[str, float], seconds: float) -> None:
    """Where the machine's CPU went during the run, in cores (CPU seconds per second)."""
    parts = ", ".join(f"{label} {used / seconds:.2f}" for label, used in spent.items() if used)
    progress(f"  cores used: {sum(spent.values()) / seconds:.2f} in all; {parts}")


async def measure(
    token: str, seconds: int, connections: int, rate: float, platform: int
) -> tuple[Samples, list[tuple[int, float]]]:
    """What the watcher saw during the run, and the run's commits (position, time)."""
    samples = Samples([], [], [])
    done = asyncio.Event()
    watcher = asyncio.create_task(watch(samples, done))
    elsewhere = asyncio.create_task(oldest_elsewhere(done))
    began = time.time()
    database = str(conninfo_to_dict(DATABASE_URL).get("dbname"))
    before, children = cpu_by_part(platform, database), _children_cpu()
    summary = await asyncio.to_thread(drive, token, seconds, connections, rate)
    spent = cpu_spent(before, cpu_by_part(platform, database))
    spent["wrk"] = _children_cpu() - children  # wrk has exited: it is in our children's time
    report_cpu(spent, time.time() - began)
    progress("  " + " | ".join(line.strip() for line in summary.splitlines()[-3:]))
    await asyncio.sleep(2)
    done.set()
    await watcher
    progress(f"  longest transaction open in another database: {await elsewhere:.2f} s")
    async with await psycopg.AsyncConnection.connect(DATABASE_URL) as conn:
        rows = await (await conn.execute(COMMITS, (began,))).fetchall()
    return samples, [(int(position), float(at)) for position, at in rows]


async def main() -> list[Result]:
    seconds = round(env_float("BENCH_LAG_SECONDS", 30))
    connections = env_int("BENCH_LAG_CONNECTIONS", 64)
    rate = env_float("BENCH_LAG_RATE", 500)
    env = platform_env(env_int("BENCH_LAG_API_WORKERS", Settings().api_workers))
    progress(f"  {machine_load()}")
    await asyncio.to_thread(fresh_database, DATABASE_URL)
    await asyncio.to_thread(fresh_vhost, VHOST)
    logs = Path(tempfile.mkdtemp(prefix="kazrockets-bench-lag-"))
    command = [sys.executable, "-m", "workers.cli", "run"]
    with started("platform", command, env, logs) as platform:
        await asyncio.to_thread(wait_healthy, URL, platform)
        await asyncio.sleep(env_int("BENCH_LAG_SETTLE", 3))
        token = await asyncio.to_thread(organizer_token, env)
        warmup = round(env_float("BENCH_LAG_WARMUP", 10))
        if warmup:
            progress(f"  warming up for {warmup} s at the same rate (not measured)")
            await asyncio.to_thread(drive, token, warmup, connections, rate)
        samples, commits = await measure(token, seconds, connections, rate, platform.process.pid)
    await asyncio.to_thread(rabbitmqctl, "delete_vhost", VHOST)
    count = len(commits)
    progress(f"  {count:,} commands in {seconds} s ({count / seconds:,.0f}/s); {machine_load()}")
    reports = {
        "commit to confirmed by the broker (the relay's checkpoint)": samples.published,
        "commit to visible in the tables": samples.visible,
        "commit to visible in the tables and the Redis views": samples.everywhere,
    }
    for label, seen in reports.items():
        progress(
            "  {}: p50 {:.1f} ms, p99 {:.1f} ms".format(label, *percentiles(lags(commits, seen)))
        )
    p50, p99 = percentiles(lags(commits, samples.visible))
    _, p99_both = percentiles(lags(commits, samples.everywhere))
    return [
        measured("lag_commands_per_second", count / seconds, "commands/s"),
        measured("lag_visible_p50", p50, "ms"),
        measured("lag_visible_p99", p99, "ms", "<= 100 ms"),
        measured("lag_tables_and_redis_p99", p99_both, "ms", "<= 100 ms"),
    ]
