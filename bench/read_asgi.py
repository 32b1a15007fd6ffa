"""The read API's CPU per hot request, in process: its ASGI app called directly, no server.

    python -m bench.read_asgi            # 5 rounds of 3,000 requests per target
    python -m bench.read_asgi profile    # cProfile of GET /events/{id}, by own time

``bench/read.py`` measures through granian and ``wrk``, which on a shared two-core machine
move by ±0.15x from run to run. This calls the apps' ASGI callables from 64 tasks on one
event loop, so the time per request is the CPU litestar and our code spend on it: the bare
baseline app of ``bench/read.py``, then ``GET /events/{id}`` and its leaderboard with a
participant's token, everything the hot path reads already in the process (the checked
token, the views kept for a second, their encoded answers). Redis is a fake that answers
every view (it is read about once a second per view under load); no database is used.
The best round counts: other work on the machine only ever adds time.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import msgspec
from litestar import Litestar

from bench.common import machine_load
from bench.read import FIXED_EVENT, baseline_app
from commands.actors import Role
from projections import views as policy
from projections.cache import Standing, Standings
from read_api.answers import Answers
from read_api.app import ReadApiConfig, create_app
from read_api.schemas import UserView
from read_api.views import Views
from write_api import tokens

TASKS, REQUESTS, ROUNDS = 64, 3000, 5
_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USER = UserView(
    user_id=uuid4(), email="captain@bench.kz", name="Captain", role="PARTICIPANT",
    language="en", team_id=uuid4(), created_at=_NOW, updated_at=_NOW, deleted_at=None,
)  # fmt: skip
EVENT = msgspec.structs.replace(FIXED_EVENT, event_id=uuid4())
STANDINGS = Standings(EVENT.event_id, as_of_position=42, revision=3, items=[
    Standing(index + 1, uuid4(), f"Rocketeers {index}", 90.0 - 7 * index, 90.0 - 7 * index, 1,
             uuid4())
    for index in range(3)
])  # fmt: skip


class FakeCache:
    """Redis holding the participant's profile, the event and its standings."""

    def __init__(self) -> None:
        self._views = {
            policy.key("user", USER.user_id): msgspec.json.encode(USER),
            policy.key("event", EVENT.event_id): msgspec.json.encode(EVENT),
        }

    async def read_view(self, key: str) -> bytes | None:
        return self._views.get(key)

    async def read_standings(self, event_id: UUID) -> Standings | None:
        return STANDINGS if event_id == EVENT.event_id else None

    async def write_view(self, *args: Any) -> None:
        return None

    async def write_standings(self, *args: Any) -> None:
        return None


def read_app() -> tuple[Litestar, str]:
    """The read API as ``create_app`` builds it, its state filled as its lifespan would."""
    config = ReadApiConfig(
        database_url="postgresql://unused", redis_url="redis://unused", s3_endpoint_url="unused",
        s3_bucket="unused", s3_region="unused", tokens=tokens.TokenConfig("bench-" * 6),
    )  # fmt: skip
    app = create_app(config)
    app.state.config = config
    app.state.views = Views(FakeCache(), None, config.view_cache_seconds)  # type: ignore[arg-type]  # no pool: never a miss
    app.state.answers = Answers()
    app.state.tokens = tokens.CheckedTokens(config.tokens)
    return app, tokens.issue(config.tokens, USER.user_id, Role.PARTICIPANT)


async def get(app: Litestar, path: str, token: str) -> int:
    """One GET through the ASGI callable; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8001),
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode()),
                    (b"user-agent", b"wrk"), (b"accept", b"*/*")],
        "state": {},
    }  # fmt: skip
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        status = message.get("status", status)

    await app(scope, receive, send)  # type: ignore[arg-type]  # a plain dict scope
    return status


async def per_request(app: Litestar, path: str, token: str) -> float:
    """Microseconds per request, ``TASKS`` tasks sending ``REQUESTS`` in all."""
    if (status := await get(app, path, token)) != 200:
        raise RuntimeError(f"GET {path}: {status}")
    each = REQUESTS // TASKS

    async def client() -> None:
        for _ in range(each):
            await get(app, path, token)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(TASKS)))
    return (time.perf_counter() - start) / (each * TASKS) * 1e6


async def report() -> None:
    app, token = read_app()
    event = f"/events/{EVENT.event_id}"
    targets = [
        ("baseline", baseline_app(), f"/events/{FIXED_EVENT.event_id}"),
        ("event", app, event),
        ("leaderboard", app, f"{event}/leaderboard"),
    ]
    if sys.argv[1:] == ["profile"]:
        await per_request(app, event, token)
        profile = cProfile.Profile()
        profile.enable()
        await per_request(app, event, token)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return
    print(machine_load())
    best: dict[str, float] = {}
    for _ in range(ROUNDS):
        for name, target, path in targets:
            best[name] = min(best.get(name, float("inf")), await per_request(target, path, token))
    for name, micros in best.items():
        ratio = best["baseline"] / micros
        print(f"{name:12} {micros:6.1f} µs per request  ({ratio:.2f}x the baseline's rate)")
    print(machine_load())


if __name__ == "__main__":
    asyncio.run(report())  # not a main(): bench.run runs only the benchmarks with targets
