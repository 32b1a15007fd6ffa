"""Erasure keeps the trail: after a user is erased, their email and name are nowhere in
plaintext (events, read tables, Redis, exports), and the history still verifies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from redis.asyncio import Redis

from tests.e2e.client import PASSWORD, REDIS_URL, Platform, User
from tests.e2e.conftest import server_env

READ_TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'read'"


async def plaintexts_in_database(database_url: str, secrets: list[str]) -> list[str]:
    """Where in the event store, the read tables and the stored answers a secret is found."""
    found = []
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        tables = [row[0] for row in await (await conn.execute(READ_TABLES)).fetchall()]
        sources = [f"read.{t}" for t in tables] + ["eventstore.events", "write_api.idempotency"]
        for source in sources:
            for secret in secrets:
                query = f"SELECT count(*) FROM {source} t WHERE row_to_json(t)::text ILIKE %s"
                row = await (await conn.execute(query.encode(), (f"%{secret}%",))).fetchone()
                if row and row[0]:
                    found.append(f"{source}: {secret}")
    return found


async def plaintexts_in_redis(secrets: list[str]) -> list[str]:
    redis: Redis = Redis.from_url(REDIS_URL)
    found = []
    try:
        async for key in redis.scan_iter(count=1000):
            kind = str(await redis.type(key))
            values: list[Any]
            if "hash" in kind:
                values = list((await redis.hgetall(key)).values())
            elif "zset" in kind:
                values = list(await redis.zrange(key, 0, -1))
            elif "string" in kind:
                values = [await redis.get(key) or b""]
            else:
                continue
            text = " ".join(
                v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in values
            ).lower()
            found += [f"{key!r}: {s}" for s in secrets if s.lower() in text]
    finally:
        await redis.aclose()
    return found


async def test_an_erased_user_leaves_no_plaintext_and_the_history_still_verifies(
    platform: Platform, organizer: User, tmp_path: Path
) -> None:
    name = f"Zhanar{uuid4().hex[:10]}"
    email = f"zhanar-{uuid4().hex[:10]}@kazrockets.test"
    registered = await platform.client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    )
    user = User(registered.json()["user_id"], email, await platform.login(email), "PARTICIPANT")
    renamed = f"{name}Second"
    await platform.call("PATCH", f"/users/{user.user_id}", user, json={"name": renamed})
    team_id = await platform.team(user, f"Erasers {platform.run_id}")
    event_id = await platform.event(organizer)
    await platform.submission(user, team_id, event_id)
    before = await platform.read(f"/teams/{team_id}", organizer, position=None)
    assert before.status_code == 200

    erased = await platform.call("POST", f"/users/{user.user_id}/erase", user)
    assert erased.status_code == 200, erased.text
    profile = await platform.read(
        f"/users/{user.user_id}", organizer, position=erased.json()["position"]
    )
    assert (profile.json()["name"], profile.json()["email"]) == ("[erased]", "[erased]")
    await asyncio.sleep(1)  # the redis projector's tombstone, and the read API's 0.2 s cache
    for path in (f"/users/{user.user_id}", f"/teams/{team_id}"):
        assert name not in (await platform.read(path, organizer)).text

    secrets = [email, name, renamed]
    assert await plaintexts_in_database(platform.database_url, secrets) == []
    assert await plaintexts_in_redis(secrets) == []
    export = await platform.reader.get("/audit/export", headers=organizer.auth, timeout=60)
    assert export.status_code == 200
    assert not [s for s in secrets if s.lower() in export.text.lower()]
    verified = await platform.read("/audit/verify", organizer)
    assert verified.json()["ok"] is True, verified.text

    out = tmp_path / "history.ndjson"
    exported, offline = await asyncio.to_thread(export_and_verify, platform.database_url, out)
    assert exported.returncode == 0, exported.stderr
    raw = out.read_bytes().lower()
    assert not [s for s in secrets if s.lower().encode() in raw]
    assert offline.returncode == 0, offline.stdout + offline.stderr


def export_and_verify(
    database_url: str, out: Path
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """`kazrockets audit export`, then `kazrockets audit verify --file` on what it wrote."""
    env = server_env(database_url)
    cli = [sys.executable, "-m", "workers.cli", "audit"]
    exported = subprocess.run(  # noqa: S603 -- our own console script
        [*cli, "export", "--out", str(out)], env=env, capture_output=True, text=True, check=False
    )
    offline = subprocess.run(  # noqa: S603 -- our own console script
        [*cli, "verify", "--file", str(out)], env=env, capture_output=True, text=True, check=False
    )
    return exported, offline
