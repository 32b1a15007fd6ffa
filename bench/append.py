"""Append throughput: ``EventStore.append`` against a bare INSERT and the eventsourcing library.

Each command appends one event to a new stream. At 1 and 8 concurrent writers, for
``BENCH_SECONDS`` (default 5) each, three writers are measured in the same run:

* ``append``: ``EventStore.append`` (optimistic concurrency, stream head row, hash chain,
  safe positions), asyncio tasks sharing one pool with a connection per writer;
* ``raw``: psycopg async, one prepared INSERT per autocommit transaction of an equivalent
  row into ``bench.raw_events`` (same columns and indexes as ``eventstore.events``, no
  checks, no hash chain), through the same kind of pool;
* ``eventsourcing``: the eventsourcing library's PostgreSQL application recorder saving one
  new aggregate per command, driven from N threads (it is synchronous).

All of it runs on the database ``kazrockets_bench`` (``BENCH_DATABASE_URL``); tables are
emptied and a checkpoint is taken before every measurement. Each measurement is repeated
``BENCH_ROUNDS`` times (default 2), the three writers alternating, and the best is kept.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import msgspec
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from bench.common import (
    Result,
    bench_seconds,
    compared,
    env_int,
    machine_load,
    measured,
    progress,
    rate_async,
    rate_threads,
    warmup_seconds,
)
from events.base import Event, EventMetadata
from events.codec import EventCodec
from eventstore.hashing import GENESIS
from eventstore.migrate import migrate
from eventstore.pool import open_pool
from eventstore.records import NewEvent
from eventstore.store import EventStore

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_bench"
)
WRITER_COUNTS = (1, 8)
UNIT = "events/s"
ES_SCHEMA = "bench_es"

Pool = AsyncConnectionPool[AsyncConnection]
Op = Callable[[Pool, EventStore], Awaitable[object]]


class BenchEventCreated(Event, frozen=True, tag="BenchEventCreated"):
    """Shaped like a competition event being scheduled."""

    title: str
    start: str
    end: str


def bench_event() -> BenchEventCreated:
    return BenchEventCreated(
        title="KazRockets Regional Cup 2025",
        start="2025-05-17T09:00:00+05:00",
        end="2025-05-18T18:00:00+05:00",
    )


def bench_metadata() -> EventMetadata:
    return EventMetadata(
        actor_id=uuid4(), actor_role="ORGANIZER", correlation_id=uuid4(), causation_id=uuid4()
    )


# --- raw baseline ------------------------------------------------------------------------

CREATE_BENCH_SCHEMAS = f"""
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.raw_events (
    global_position bigserial   PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_type     text        NOT NULL,
    version         integer     NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    data            json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    prev_hash       bytea       NOT NULL,
    hash            bytea       NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS raw_events_type_position
    ON bench.raw_events (event_type, global_position);
CREATE SCHEMA IF NOT EXISTS {ES_SCHEMA};
"""

RAW_INSERT = """
INSERT INTO bench.raw_events (event_id, stream_id, stream_type, version, event_type,
    schema_version, data, metadata, recorded_at, prev_hash, hash)
VALUES (%s, %s, %s, %s, %s, %s, %s::json, %s::json, %s, %s, %s)
RETURNING global_position
"""

RESET_EVENTSTORE = """
TRUNCATE eventstore.events, eventstore.streams, eventstore.unique_claims, eventstore.seals
"""
RESET_RAW = "TRUNCATE bench.raw_events RESTART IDENTITY"
ES_TABLE = "benchapp_events"
RESET_ES = f"TRUNCATE {ES_SCHEMA}.{ES_TABLE} RESTART IDENTITY"

_encoder = msgspec.json.Encoder()


def setup() -> None:
    """Create (or upgrade) the bench database, the raw table and the eventsourcing schema."""
    migrate(DATABASE_URL)
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(CREATE_BENCH_SCHEMAS)


def reset(statement: str) -> None:
    """Empty the tables of one writer and checkpoint, so each measurement starts alike."""
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(statement)
        conn.execute("CHECKPOINT")


# --- the eventsourcing library -----------------------------------------------------------


class BenchCompetition(Aggregate):
    """One new aggregate per command: its Created event is the one event saved."""

    def __init__(self, title: str, start: str, end: str) -> None:
        self.title = title
        self.start = start
        self.end = end


class BenchApp(Application[UUID]):
    """Stores in ``bench_es.benchapp_events`` (schema and table prefix of its own)."""


def eventsourcing_env(writers: int) -> dict[str, str]:
    params = conninfo_to_dict(DATABASE_URL)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname") or "kazrockets_bench"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_SCHEMA": ES_SCHEMA,
        "POSTGRES_POOL_SIZE": str(writers),
        "POSTGRES_MAX_OVERFLOW": "0",
        "CREATE_TABLE": "y",
    }


def measure_eventsourcing(writers: int, seconds: float) -> float:
    app = BenchApp(env=eventsourcing_env(writers))
    try:
        reset(RESET_ES)

        def save() -> None:
            event = bench_event()
            app.save(BenchCompetition(title=event.title, start=event.start, end=event.end))

        return rate_threads(writers, seconds, save, warmup=warmup_seconds(seconds))
    finally:
        app.close()


# --- the two asyncio writers -------------------------------------------------------------


async def measure_async(writers: int, seconds: float, reset_statement: str, make_op: Op) -> float:
    await asyncio.to_thread(reset, reset_statement)
    pool = await open_pool(DATABASE_URL, min_size=writers, max_size=writers, name="bench")
    try:
        store = EventStore(pool, EventCodec([BenchEventCreated]))

        async def op() -> object:
            return await make_op(pool, store)

        return await rate_async(writers, seconds, op, warmup=warmup_seconds(seconds))
    finally:
        await pool.close()


async def append_op(_pool: Pool, store: EventStore) -> object:
    return await store.append(
        f"bench_event-{uuid4()}", 0, [NewEvent(bench_event())], bench_metadata()
    )


async def raw_op(pool: Pool, _store: EventStore) -> object:
    event = bench_event()
    params = (
        uuid4(),
        f"bench_event-{uuid4()}",
        "bench_event",
        1,
        "BenchEventCreated",
        1,
        _encoder.encode(event).decode(),
        _encoder.encode(bench_metadata()).decode(),
        datetime.now(UTC),
        GENESIS,
        GENESIS,
    )
    async with pool.connection() as conn:
        cursor = await conn.execute(RAW_INSERT, params, prepare=True)
        return await cursor.fetchone()


# --- main --------------------------------------------------------------------------------


async def main() -> list[Result]:
    seconds = bench_seconds()
    rounds = max(1, env_int("BENCH_ROUNDS", 2))
    await asyncio.to_thread(setup)
    progress(f"  {seconds:g} s per measurement, best of {rounds} round(s), {DATABASE_URL}")
    progress(f"  {machine_load()}")

    best: dict[tuple[str, int], float] = {}

    def record(kind: str, writers: int, round_: int, rate: float) -> None:
        best[(kind, writers)] = max(best.get((kind, writers), 0.0), rate)
        progress(f"  round {round_}  {kind:<13} {writers} writer(s): {rate:>9,.0f} {UNIT}")

    for round_ in range(1, rounds + 1):
        for writers in WRITER_COUNTS:
            # Alternate the order between rounds so no writer always runs on a warmer server.
            order = ["append", "raw", "eventsourcing"]
            if round_ % 2 == 0:
                order.reverse()
            for kind in order:
                if kind == "append":
                    rate = await measure_async(writers, seconds, RESET_EVENTSTORE, append_op)
                elif kind == "raw":
                    rate = await measure_async(writers, seconds, RESET_RAW, raw_op)
                else:
                    rate = await asyncio.to_thread(measure_eventsourcing, writers, seconds)
                record(kind, writers, round_, rate)
    progress(f"  {machine_load()}")

    def label(writers: int) -> str:
        return f"{writers}_writer" if writers == 1 else f"{writers}_writers"

    results: list[Result] = []
    for writers in WRITER_COUNTS:
        raw = measured(f"raw_{label(writers)}", best[("raw", writers)], UNIT)
        es = measured(f"eventsourcing_{label(writers)}", best[("eventsourcing", writers)], UNIT)
        ours = best[("append", writers)]
        results += [
            compared(f"append_{label(writers)}", ours, raw, ">= 0.75x" if writers > 1 else None),
            compared(
                f"append_{label(writers)}_vs_eventsourcing",
                ours,
                es,
                ">= 3x" if writers > 1 else None,
            ),
            raw,
            es,
        ]
    return results
