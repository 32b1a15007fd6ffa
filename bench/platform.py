"""What the benchmarks that run the whole platform share: services of their own, child
processes, CPU accounting, and wrk's output."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from redis import Redis

from bench.common import progress
from eventstore.migrate import migrate
from workers.apps import MIGRATED_PACKAGES

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def fresh_database(url: str) -> None:
    """Drop the benchmark database (ending its sessions) and migrate a new one."""
    name = str(conninfo_to_dict(url).get("dbname") or "")
    if not name.startswith("kazrockets_bench"):
        raise RuntimeError(f"refusing to drop {name!r}: not a benchmark database")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    migrate(url, MIGRATED_PACKAGES)


def flush_redis(url: str) -> None:
    client: Redis = Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# -- processes ---


class Started(NamedTuple):
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def started(name: str, command: list[str], env: dict[str, str], logs: Path) -> Iterator[Started]:
    """A child process, logging to a file, stopped with SIGTERM (SIGKILL after 30 s)."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield Started(name, process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                progress(f"  {name} did not stop in 30 s; killing it")
                process.kill()
                process.wait()


def wait_healthy(url: str, child: Started, path: str = "/health") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited:\n{child.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up:\n{child.log.read_text()[-3000:]}")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                tree.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    return tree


def descendants(root: int) -> list[int]:
    """``root`` and every process under it."""
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += tree.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_RATE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.M)
_P99 = re.compile(r"^\s*99(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m|h)\s*$", re.M)
_P50 = re.compile(r"^\s*50(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m|h)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def _milliseconds(pattern: re.Pattern[str], output: str) -> float:
    match = pattern.search(output)
    if match is None:
        raise RuntimeError(f"no {pattern.pattern!r} in wrk's output:\n{output}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    """req/s, p50 and p99 in ms, requests, failed requests, from ``wrk --latency``'s output."""
    rate, requests = _RATE.search(output), _REQUESTS.search(output)
    if rate is None or requests is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    errors = _SOCKET_ERRORS.search(output)
    failed = (int(non_2xx[1]) if non_2xx else 0) + (
        sum(int(n) for n in errors.groups()) if errors else 0
    )
    p50, p99 = _milliseconds(_P50, output), _milliseconds(_P99, output)
    return float(rate[1]), p50, p99, int(requests[1]), failed


def _process(pid: int) -> tuple[int, int, str] | None:
    """(parent, CPU ticks, command line) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, IndexError, ValueError):
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12]), argv.strip()


def _label(argv: str, database: str) -> str | None:
    """The part of the machine a process belongs to, or None when it is none of ours."""
    if argv.startswith("postgres:"):
        return "postgres (this database)" if f" {database} " in argv else "postgres (other)"
    if "beam.smp" in argv:
        return "rabbitmq"
    if argv.startswith("redis-server"):
        return "redis"
    if "/wrk " in argv or argv.startswith("wrk "):
        return "wrk"
    return None


def cpu_by_part(platform: int, database: str) -> dict[int, tuple[str, int]]:
    """Per process of the machine that belongs to this run: its part (the `kazrockets` child
    it runs under, or postgres, rabbitmq, redis, wrk) and the CPU ticks it has used so far.
    The difference of two snapshots says where the CPU of a run went (``cpu_spent``)."""
    found = {
        pid: p for pid in map(int, filter(str.isdigit, os.listdir("/proc"))) if (p := _process(pid))
    }
    parts: dict[int, tuple[str, int]] = {}
    for pid, (_, ticks, argv) in found.items():
        label = _label(argv, database)
        if label is not None:
            parts[pid] = (label, ticks)
    for child, (parent, _, argv) in found.items():
        if parent == platform and "workers.cli" in argv:
            label = argv.split("workers.cli", 1)[1].strip()
            for pid in descendants(child):
                if pid in found:
                    parts[pid] = (label, found[pid][1])
    return parts


def cpu_spent(
    before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]
) -> dict[str, float]:
    """CPU seconds per part between two ``cpu_by_part`` snapshots, largest first."""
    spent: dict[str, float] = {}
    for pid, (label, ticks) in after.items():
        earlier = before.get(pid)
        used = ticks - (earlier[1] if earlier and earlier[0] == label else 0)
        spent[label] = spent.get(label, 0.0) + used / CLOCK_TICKS
    return dict(sorted(spent.items(), key=lambda item: -item[1]))
