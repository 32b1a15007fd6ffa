"""Fan-out throughput: the relay against a bare aio-pika publisher, and replay.

* ``relay``: ``Relay.publish_batch`` publishing ``BENCH_RELAY_EVENTS`` (default 20,000)
  stored events with batched confirms, against a bare aio-pika publisher sending the same
  number of persistent messages of the same size, with the same properties, through the same
  topology (so to the same two queues), 1,000 confirms in flight. ``BENCH_ROUNDS``
  (default 2) rounds, the two in alternating order, each on empty queues; the best is kept.
* ``replay``: ``kazrockets replay`` in its own process over ``BENCH_REPLAY_EVENTS`` (default
  1,000,000, as the target asks) events spread over users, teams, competitive events,
  submissions and evaluations, each user's email and name sealed under a key of their own as
  the write API seals them: events/s, and the process's peak RSS and CPU time per event.

Runs on the database ``kazrockets_bench`` and a RabbitMQ virtual host ``kazrockets_bench``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import aio_pika
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from bench.common import Result, compared, env_int, machine_load, measured, progress
from events.base import Event, EventMetadata
from events.catalog import domain_codec
from events.competitions import CompetitiveEventCreated
from events.evaluations import SubmissionScored
from events.submissions import SubmissionUploaded
from events.teams import TeamCreated
from events.users import UserRegistered
from eventstore.migrate import migrate
from eventstore.pool import open_pool
from eventstore.records import NewEvent, StreamAppend
from eventstore.store import EventStore
from eventstore.vault import seal_with
from tests.support.broker import fresh_vhost, rabbitmqctl
from workers import topology
from workers.apps import MIGRATED_PACKAGES
from workers.relay import Relay

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_bench"
)
VHOST = "kazrockets_bench"
RABBITMQ_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
PARTITIONS = 4
RESET = """
TRUNCATE eventstore.events, eventstore.streams, eventstore.subscriptions,
         eventstore.unique_claims, eventstore.seals, eventstore.personal_keys
"""
# The users' data keys, as Vault.seal_all makes them, for a whole batch in one statement.
KEYS = """
INSERT INTO eventstore.personal_keys (user_id, data_key)
SELECT * FROM unnest(%s::uuid[], %s::bytea[])
"""
FILL_BATCH = 1000


def sample(index: int, keys: dict[UUID, bytes]) -> tuple[str, Event]:
    """One event of a mix that touches all five read tables; a new user's key goes to
    ``keys``."""
    entity, now = uuid4(), datetime.now(UTC)
    match index % 5:
        case 0:
            keys[entity] = AESGCM.generate_key(256)
            email, name = seal_with(keys[entity], entity, f"{entity}@bench.kz", "Bench")
            return f"user-{entity}", UserRegistered(
                user_id=entity, email=email, name=name, email_hash=entity.hex,
                password_hash="$2b$04$bench", role="PARTICIPANT",
            )  # fmt: skip
        case 1:
            return f"team-{entity}", TeamCreated(team_id=entity, name="Bench", captain_id=uuid4())
        case 2:
            return f"event-{entity}", CompetitiveEventCreated(
                event_id=entity, title="Bench Cup", start_date=now,
                end_date=now + timedelta(days=1), created_by=uuid4(),
            )  # fmt: skip
        case 3:
            return f"submission-{entity}", SubmissionUploaded(
                submission_id=entity, team_id=uuid4(), event_id=uuid4(), file_key="k",
                file_size=1, sha256="0" * 64, submitted_by=uuid4(), submitted_at=now,
            )  # fmt: skip
    return f"evaluation-{entity}", SubmissionScored(
        evaluation_id=entity, submission_id=uuid4(), judge_id=uuid4(), score=index % 101
    )


async def fill(store: EventStore, pool: AsyncConnectionPool[AsyncConnection], count: int) -> None:
    """``count`` events, a thousand streams per append."""
    metadata = EventMetadata(
        actor_id=uuid4(), actor_role="ORGANIZER", correlation_id=uuid4(), causation_id=uuid4()
    )
    for start in range(0, count, FILL_BATCH):
        appends: list[StreamAppend] = []
        keys: dict[UUID, bytes] = {}
        for index in range(start, min(start + FILL_BATCH, count)):
            stream_id, event = sample(index, keys)
            appends.append(StreamAppend(stream_id, 0, [NewEvent(event)]))
        async with pool.connection() as conn:
            await conn.execute(KEYS, (list(keys), list(keys.values())))
        await store.append_streams(appends, metadata)


async def relay_rate(store: EventStore, count: int) -> float:
    pool = await open_pool(DATABASE_URL, min_size=1, max_size=2, name="bench-relay")
    relay = Relay(store, pool, DATABASE_URL, RABBITMQ_URL, PARTITIONS, batch_size=1000)
    connection = await aio_pika.connect(RABBITMQ_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await topology.declare_all(channel, PARTITIONS)
        exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE)
        partitions = await channel.get_exchange(topology.PARTITIONS_EXCHANGE)
        async with pool.connection() as conn:  # from the start of the log
            await conn.execute("DELETE FROM eventstore.subscriptions WHERE name = 'relay'")
            await conn.execute("INSERT INTO eventstore.subscriptions (name) VALUES ('relay')")
        started = time.perf_counter()
        while relay.published < count:
            await relay.publish_batch(exchange, partitions)
        return count / (time.perf_counter() - started)
    finally:
        await connection.close()
        await pool.close()


async def bare_rate(count: int, size: int) -> float:
    """aio-pika alone doing the broker's part of the relay's work: persistent messages of
    the same size, with the properties the relay must set (message id, correlation id,
    position and partition headers), through the same topology (topic exchange, then the
    partitions' headers exchange, to each projector's queue of the partition), 1,000
    confirms in flight; nothing read from the database, no checkpoint."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await topology.declare_all(channel, PARTITIONS)
        exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE)
        body = b"x" * size
        ids = [str(uuid4()) for _ in range(count)]
        started = time.perf_counter()
        for start in range(0, count, 1000):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body,
                            message_id=ids[i],
                            correlation_id=ids[i],
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            headers={"position": i + 1, "partition": i % PARTITIONS},
                        ),
                        routing_key="event.CompetitiveEventCreated",
                    )
                    for i in range(start, min(start + 1000, count))
                )
            )
        return count / (time.perf_counter() - started)
    finally:
        await connection.close()


def replay_run(count: int) -> tuple[float, float, float]:
    """Events/s, peak RSS (MiB) and CPU time per event (µs) of one `kazrockets replay`."""
    env = {**os.environ, "KAZROCKETS_DATABASE_URL": DATABASE_URL, "KAZROCKETS_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "replay"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # This child's own usage (RUSAGE_CHILDREN would also count rabbitmqctl's Erlang VM).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, process.args)
    cpu = usage.ru_utime + usage.ru_stime
    return count / elapsed, usage.ru_maxrss / 1024, cpu / count * 1e6


async def main() -> list[Result]:
    relay_events = env_int("BENCH_RELAY_EVENTS", 20_000)
    replay_events = env_int("BENCH_REPLAY_EVENTS", 1_000_000)
    rounds = max(1, env_int("BENCH_ROUNDS", 2))
    await asyncio.to_thread(migrate, DATABASE_URL, MIGRATED_PACKAGES)
    await asyncio.to_thread(fresh_vhost, VHOST)
    pool = await open_pool(DATABASE_URL, min_size=1, max_size=4, name="bench-fanout")
    store = EventStore(pool, domain_codec())
    try:
        async with pool.connection() as conn:
            await conn.execute(RESET)
        progress(f"  storing {relay_events:,} events")
        await fill(store, pool, relay_events)
        size = len((await store.read_all_raw(0, 1))[0].data) + 400
        bare = ours = 0.0
        for round_ in range(1, rounds + 1):
            # Alternate the order between rounds, each on empty queues; the best is kept.
            for kind in ("bare", "relay") if round_ % 2 else ("relay", "bare"):
                await asyncio.to_thread(fresh_vhost, VHOST)
                if kind == "bare":
                    rate = await bare_rate(relay_events, size)
                    bare = max(bare, rate)
                    progress(f"  round {round_}  bare aio-pika publisher: {rate:,.0f} messages/s")
                else:
                    rate = await relay_rate(store, relay_events)
                    ours = max(ours, rate)
                    progress(f"  round {round_}  relay: {rate:,.0f} events/s")

        async with pool.connection() as conn:
            await conn.execute(RESET)
        progress(f"  storing {replay_events:,} events for the replay")
        started = time.perf_counter()
        await fill(store, pool, replay_events)
        progress(f"  stored in {time.perf_counter() - started:,.0f} s")
    finally:
        await pool.close()
    progress(f"  {machine_load()}")
    rate, rss, cpu = await asyncio.to_thread(replay_run, replay_events)
    progress(f"  replay: {rate:,.0f} events/s, peak RSS {rss:,.0f} MiB, {cpu:.1f} us CPU/event")
    progress(f"  {machine_load()}")
    await asyncio.to_thread(rabbitmqctl, "delete_vhost", VHOST)
    baseline = measured("bare_aio_pika_publisher", bare, "messages/s")
    return [
        compared("relay_publish", ours, baseline, ">= 0.8x"),
        baseline,
        measured("replay_events_per_second", rate, "events/s", ">= 20000 events/s"),
        measured("replay_peak_rss", rss, "MiB", "<= 300 MiB"),
        measured("replay_cpu_per_event", cpu, "us"),
    ]
