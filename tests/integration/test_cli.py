"""The `kazrockets` console script, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from events.catalog import domain_codec
from events.competitions import CompetitiveEventCreated
from eventstore.records import NewEvent
from eventstore.seal import seal_all
from eventstore.store import EventStore
from tests.support.events import ThingCreated, metadata


def kazrockets(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAZROCKETS_DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [sys.executable, "-m", "workers.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_twice_changes_nothing(database_url: str) -> None:
    first = kazrockets(database_url, "migrate")
    second = kazrockets(database_url, "migrate")
    assert first.returncode == 0 and second.returncode == 0
    last = json.loads(second.stdout.strip().splitlines()[-1])
    assert last["message"] == "schema up to date" and last["applied"] == []


async def test_audit_verify_answers_and_exits_1_when_the_chain_is_broken(
    store: EventStore, pool: AsyncConnectionPool[AsyncConnection], database_url: str
) -> None:
    await store.append(f"thing-{uuid4()}", 0, [NewEvent(ThingCreated(name="a"))], metadata())
    await seal_all(pool)
    good = kazrockets(database_url, "audit", "verify")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout.splitlines()[-1])["ok"] is True

    async with pool.connection() as conn:
        await conn.execute(
            'UPDATE eventstore.events SET data = \'{"type":"ThingCreated","name":"b"}\''
        )
    bad = kazrockets(database_url, "audit", "verify")
    assert bad.returncode == 1
    report = json.loads(bad.stdout.splitlines()[-1])
    assert report["ok"] is False and report["first_bad_position"] is not None
    assert f"broken at position {report['first_bad_position']}" in bad.stderr


async def test_replay_rebuilds_the_read_tables_and_status_reports_readers(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None, database_url: str
) -> None:
    store, start = EventStore(pool, domain_codec()), datetime.now(UTC)
    for title in ("a", "b", "c"):
        event_id = uuid4()
        created = CompetitiveEventCreated(
            event_id=event_id, title=title, start_date=start,
            end_date=start + timedelta(days=1), created_by=uuid4(),
        )  # fmt: skip
        await store.append(f"event-{event_id}", 0, [NewEvent(created)], metadata())

    replayed = kazrockets(database_url, "replay")

    assert replayed.returncode == 0, replayed.stderr
    done = [json.loads(line) for line in replayed.stdout.splitlines() if '"replay done"' in line]
    assert done and done[0]["events"] == 3
    assert "100%" in replayed.stderr  # the progress bar
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) FROM read.competitive_event")).fetchone()
    assert row is not None and row[0] == 3

    status = kazrockets(database_url, "status")
    assert status.returncode == 0, status.stderr
    readers = {entry["reader"]: entry for entry in json.loads(status.stdout.splitlines()[-1])}
    assert readers["tables"]["events_behind"] == 0
