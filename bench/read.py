"""Read API throughput: ``GET /events/{id}`` and its leaderboard against a bare litestar app.

Starts the platform (``kazrockets run``) on its own database, RabbitMQ virtual host, Redis
database and ports, builds a small competition through the write API (an organizer, a judge,
``BENCH_READ_TEAMS`` teams (default 3) each with an approved, scored PDF submission), waits
with ``X-Min-Position`` until the read API shows it, then warms Redis with a few GETs.

Next to it, the baseline: a minimal litestar app whose one route answers a fixed msgspec
Struct (an ``EventView``, so the body has the event's shape and size), served by the same
``workers.serve.serve`` (granian, same options) with the same worker count as the read API.

``wrk`` (``-t2 -c64 --latency``, the participant's JWT in ``Authorization``, from 127.0.0.1)
then runs ``BENCH_READ_WARMUP`` seconds (default 2) unmeasured and ``BENCH_READ_SECONDS``
(else ``BENCH_SECONDS``, else 10) measured against each of the baseline, ``GET /events/{id}``
and ``GET /events/{id}/leaderboard`` (both answered from Redis). Reports req/s (target: at
least half the baseline's) and the p99 latency of each, plus the CPU the server and wrk
used, since on a small machine the load generator competes with the server for the cores.
Other settings: ``BENCH_READ_CONNECTIONS`` (64), ``BENCH_READ_THREADS`` (2),
``BENCH_READ_API_WORKERS`` (1, for the read API and the baseline alike), ``BENCH_READ_ROUNDS``
(1; the best of the rounds is kept), ``BENCH_READ_TEAMS`` (3).

    python -m bench.run --only read    # the benchmark
    python -m bench.read PORT WORKERS  # serve the baseline app alone (what main() starts)
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

import httpx
from litestar import Litestar, get
from pypdf import PdfWriter

from bench.common import (
    Result,
    bench_seconds,
    compared,
    env_float,
    env_int,
    machine_load,
    measured,
    progress,
)
from bench.platform import (
    cpu_seconds,
    descendants,
    flush_redis,
    fresh_database,
    parse_wrk,
    started,
    wait_healthy,
)
from read_api.schemas import EventView
from tests.support.broker import fresh_vhost, rabbitmqctl
from workers.serve import serve

DATABASE_URL = os.environ.get(
    "BENCH_READ_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_bench_read"
)
VHOST = "kazrockets_bench_read"
REDIS_URL = "redis://127.0.0.1:6379/12"
S3_BUCKET = "kazrockets-bench"
HOST = "127.0.0.1"
WRITE_PORT, READ_PORT, BASELINE_PORT = 18300, 18301, 18302
WRITE_URL, READ_URL = f"http://{HOST}:{WRITE_PORT}", f"http://{HOST}:{READ_PORT}"
BASELINE_URL = f"http://{HOST}:{BASELINE_PORT}"
BASELINE_TARGET = "bench.read:baseline_app"
PASSWORD = "bench-password-1"  # noqa: S105 -- throwaway benchmark accounts
TARGET = ">= 0.5x"

# The baseline's one answer: an event as GET /events/{id} shows it, fixed once.
_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIXED_EVENT = EventView(
    event_id=UUID("6f1c2b1e-8a53-4a57-9d0e-3c4b2a1f0e9d"),
    title="Cup bench-read",
    start_date=_NOW - timedelta(hours=1),
    end_date=_NOW + timedelta(days=2),
    winner_team_id=None,
    created_at=_NOW,
    updated_at=_NOW,
    deleted_at=None,
)


@get("/events/{event_id:uuid}", sync_to_thread=False)
def fixed_event(event_id: UUID) -> EventView:
    return FIXED_EVENT


def baseline_app() -> Litestar:
    """Granian's factory target for the baseline: one route, a fixed Struct, nothing else."""
    return Litestar(route_handlers=[fixed_event], debug=False, logging_config=None)


class Settings(NamedTuple):
    seconds: int
    warmup: int
    connections: int
    threads: int
    workers: int
    rounds: int
    teams: int


def settings() -> Settings:
    return Settings(
        seconds=max(1, round(env_float("BENCH_READ_SECONDS", bench_seconds(10)))),
        warmup=max(0, round(env_float("BENCH_READ_WARMUP", 2))),
        connections=env_int("BENCH_READ_CONNECTIONS", 64),
        threads=env_int("BENCH_READ_THREADS", 2),
        workers=env_int("BENCH_READ_API_WORKERS", 1),
        rounds=max(1, env_int("BENCH_READ_ROUNDS", 1)),
        teams=max(1, env_int("BENCH_READ_TEAMS", 3)),
    )


# -- services of the benchmark's own -------------------------------------------------------


def platform_env(workers: int) -> dict[str, str]:
    return {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": DATABASE_URL,
        "KAZROCKETS_RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
        "KAZROCKETS_REDIS_URL": REDIS_URL,
        "KAZROCKETS_S3_BUCKET": S3_BUCKET,
        "KAZROCKETS_WRITE_API_HOST": HOST,
        "KAZROCKETS_WRITE_API_PORT": str(WRITE_PORT),
        "KAZROCKETS_READ_API_HOST": HOST,
        "KAZROCKETS_READ_API_PORT": str(READ_PORT),
        "KAZROCKETS_API_WORKERS": str(workers),
        "KAZROCKETS_BCRYPT_ROUNDS": "4",
        "KAZROCKETS_LOG_LEVEL": "WARNING",
    }


# -- processes -----------------------------------------------------------------------------


def read_api_pid(platform: int) -> int:
    """The `kazrockets read-api` child of the platform process."""
    for pid in descendants(platform):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"read-api" in argv and b"workers.cli" in argv:
                return pid
    raise RuntimeError("no read-api process under the platform")


# -- a small competition, through the write API --------------------------------------------


def pdf_bytes(title: str) -> bytes:
    """A valid one-page PDF, which the submission_processing worker accepts."""
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_metadata({"/Title": title})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def expect(answer: httpx.Response, status: int) -> dict[str, Any]:
    if answer.status_code != status:
        request = answer.request
        raise RuntimeError(
            f"{request.method} {request.url.path}: {answer.status_code} {answer.text[:500]}"
        )
    body: dict[str, Any] = answer.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: httpx.Client, email: str) -> str:
    body = expect(client.post("/auth/login", json={"email": email, "password": PASSWORD}), 200)
    token: str = body["access_token"]
    return token


def create_organizer(workers: int) -> str:
    email = f"organizer-{time.time_ns()}@bench.kz"
    subprocess.run(  # noqa: S603 -- our own console script
        [sys.executable, "-m", "workers.cli", "create-user", "--email", email, "--password",
         PASSWORD, "--name", "Organizer", "--role", "ORGANIZER"],
        env=platform_env(workers), check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return email


def assign(
    client: httpx.Client, organizer: dict[str, str], submission_id: str, judge_id: str
) -> None:
    """Assign the judge before they score, unless evaluation_assignment did already (409)."""
    answer = client.post(
        f"/submissions/{submission_id}/assignments", json={"judge_id": judge_id}, headers=organizer
    )
    if answer.status_code != 409:
        expect(answer, 200)


class Competition(NamedTuple):
    event_id: str
    token: str  # a participant's (a team captain's) JWT
    position: int  # the last command's position
    teams: int


def build_competition(teams: int, workers: int) -> Competition:
    organizer_email = create_organizer(workers)
    with httpx.Client(base_url=WRITE_URL, timeout=60) as client:
        organizer = bearer(login(client, organizer_email))
        judge_email = f"judge-{time.time_ns()}@bench.kz"
        judge_body = {"email": judge_email, "password": PASSWORD, "name": "Judge", "role": "JUDGE"}
        judge_id = expect(client.post("/users", json=judge_body, headers=organizer), 201)["user_id"]
        judge = bearer(login(client, judge_email))
        start = datetime.now(UTC) - timedelta(hours=1)
        event = {"title": "Cup bench-read", "start_date": start.isoformat(),
                 "end_date": (start + timedelta(days=2)).isoformat()}  # fmt: skip
        event_id = str(
            expect(client.post("/events", json=event, headers=organizer), 201)["event_id"]
        )
        token, position = "", 0
        for index in range(teams):
            email = f"captain{index}-{time.time_ns()}@bench.kz"
            signup = {"email": email, "password": PASSWORD, "name": f"Captain {index}"}
            expect(client.post("/auth/register", json=signup), 201)
            captain = login(client, email)
            token = token or captain
            team_body = {"name": f"Rocketeers {index}"}
            team = expect(client.post("/teams", json=team_body, headers=bearer(captain)), 201)
            sent = client.post(
                "/submissions", headers=bearer(captain),
                files={"file": ("entry.pdf", pdf_bytes(f"team {index}"), "application/pdf")},
                data={"team_id": team["team_id"], "event_id": event_id},
            )  # fmt: skip
            submission_id = expect(sent, 202)["submission_id"]
            expect(client.post(f"/submissions/{submission_id}/approve", headers=organizer), 200)
            score = {"submission_id": submission_id, "score": 90 - 7 * index, "comments": "ok"}
            for _ in range(20):  # a 409 from assign may be a conflict with the worker's
                assign(client, organizer, submission_id, judge_id)
                answer = client.post("/evaluations", json=score, headers=judge)
                if answer.status_code != 403:
                    break
                time.sleep(0.25)
            position = max(position, int(expect(answer, 201)["position"]))
    return Competition(event_id, token, position, teams)


def read_until_visible(competition: Competition) -> None:
    """Read-your-writes up to the last score, then plain GETs so Redis holds every view."""
    paths = (f"/events/{competition.event_id}", f"/events/{competition.event_id}/leaderboard")
    headers = {**bearer(competition.token), "X-Min-Position": str(competition.position)}
    with httpx.Client(base_url=READ_URL, timeout=30) as client:
        for path in paths:
            for _ in range(30):
                answer = client.get(path, headers=headers)
                if answer.status_code != 503:
                    break
                time.sleep(0.5)
            expect(answer, 200)
        for _ in range(5):
            for path in paths:
                expect(client.get(path, headers=bearer(competition.token)), 200)
        board = expect(client.get(paths[1], headers=bearer(competition.token)), 200)
    if len(board["items"]) != competition.teams:
        raise RuntimeError(f"the leaderboard shows {len(board['items'])} of {competition.teams}")


# -- wrk -----------------------------------------------------------------------------------


class Run(NamedTuple):
    rate: float  # requests/s
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int  # non-2xx/3xx answers plus socket errors
    server_cpu: float  # seconds of CPU the server's processes used during the run
    wrk_cpu: float  # seconds of CPU wrk used


def wrk(url: str, token: str, seconds: int, config: Settings, server: list[int]) -> Run:
    command = [
        "wrk", f"-t{config.threads}", f"-c{config.connections}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-H", f"Authorization: Bearer {token}", url,
    ]  # fmt: skip
    server_before = cpu_seconds(server)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(  # noqa: S603 -- the load generator, fixed arguments
        command, check=False, capture_output=True, text=True, timeout=seconds + 60
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(server) - server_before
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    rate, p50, p99, requests, failed = parse_wrk(done.stdout)
    wrk_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return Run(rate, p50, p99, requests, failed, server_cpu, wrk_cpu)


class Target(NamedTuple):
    name: str
    url: str
    server: list[int]  # the processes serving it


def measure(target: Target, token: str, config: Settings) -> Run:
    if config.warmup:
        wrk(target.url, token, config.warmup, config, target.server)
    run = wrk(target.url, token, config.seconds, config, target.server)
    if run.failed > run.requests // 100:
        raise RuntimeError(f"{target.name}: {run.failed} of {run.requests} requests failed")
    progress(
        f"  {target.name}: {run.rate:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms"
        f" ({run.requests:,} requests, {run.failed} failed; CPU over {config.seconds} s:"
        f" server {run.server_cpu:.1f} s, wrk {run.wrk_cpu:.1f} s)"
    )
    return run


def measure_all(targets: list[Target], token: str, config: Settings) -> dict[str, Run]:
    """Each target ``rounds`` times, the order reversed every other round; the best is kept."""
    best: dict[str, Run] = {}
    for round_index in range(config.rounds):
        ordered = targets if round_index % 2 == 0 else targets[::-1]
        for target in ordered:
            run = measure(target, token, config)
            if target.name not in best or run.rate > best[target.name].rate:
                best[target.name] = run
    return best


# -- the benchmark -------------------------------------------------------------------------


def main() -> list[Result]:
    config = settings()
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `bash scripts/wrk.sh` (make bench does it)")
    progress(f"  {machine_load()}")
    fresh_database(DATABASE_URL)
    fresh_vhost(VHOST)
    flush_redis(REDIS_URL)
    logs = Path(tempfile.mkdtemp(prefix="kazrockets-bench-read-"))
    platform_command = [sys.executable, "-m", "workers.cli", "run"]
    baseline_command = [
        sys.executable, "-m", "bench.read", str(BASELINE_PORT), str(config.workers)
    ]  # fmt: skip
    env = platform_env(config.workers)
    try:
        with (
            started("platform", platform_command, env, logs) as platform,
            started("baseline", baseline_command, env, logs) as baseline,
        ):
            wait_healthy(WRITE_URL, platform)
            wait_healthy(READ_URL, platform)
            wait_healthy(BASELINE_URL, baseline, f"/events/{FIXED_EVENT.event_id}")
            competition = build_competition(config.teams, config.workers)
            read_until_visible(competition)
            progress(
                f"  event {competition.event_id} with {competition.teams} scored teams visible;"
                f" {config.workers} granian worker(s), wrk -t{config.threads}"
                f" -c{config.connections}, {config.seconds} s per run"
            )
            server = descendants(read_api_pid(platform.process.pid))
            event = f"{READ_URL}/events/{competition.event_id}"
            targets = [
                Target("baseline", f"{BASELINE_URL}/events/{FIXED_EVENT.event_id}",
                       descendants(baseline.process.pid)),
                Target("event", event, server),
                Target("leaderboard", f"{event}/leaderboard", server),
            ]  # fmt: skip
            runs = measure_all(targets, competition.token, config)
    except BaseException:
        progress(f"  logs of the processes: {logs}")
        raise
    shutil.rmtree(logs, ignore_errors=True)
    rabbitmqctl("delete_vhost", VHOST)
    progress(f"  {machine_load()}")

    suffix = f"{config.connections}_connections"
    baseline_rate = measured(
        f"baseline_litestar_req_per_s_{suffix}", runs["baseline"].rate, "req/s"
    )
    return [
        compared(f"read_event_req_per_s_{suffix}", runs["event"].rate, baseline_rate, TARGET),
        compared(
            f"read_leaderboard_req_per_s_{suffix}", runs["leaderboard"].rate, baseline_rate, TARGET
        ),
        baseline_rate,
        measured(f"read_event_p99_{suffix}", runs["event"].p99_ms, "ms"),
        measured(f"read_leaderboard_p99_{suffix}", runs["leaderboard"].p99_ms, "ms"),
        measured(f"baseline_litestar_p99_{suffix}", runs["baseline"].p99_ms, "ms"),
    ]


if __name__ == "__main__":
    # The baseline server main() starts: `python -m bench.read PORT WORKERS`.
    if len(sys.argv) != 3:
        sys.exit("usage: python -m bench.read PORT WORKERS  (serves the baseline app)")
    sys.exit(serve(BASELINE_TARGET, HOST, int(sys.argv[1]), int(sys.argv[2])))
