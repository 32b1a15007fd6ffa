"""Any single edit of a sealed history is caught by verify(); an untouched one verifies."""

from __future__ import annotations

from uuid import uuid4

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from eventstore.hashing import expected_hash
from eventstore.records import NewEvent
from eventstore.seal import seal_all
from eventstore.store import COLUMNS, EventStore, raw_event
from eventstore.verify import verify
from tests.conftest import RESET
from tests.support.events import ThingCreated, ThingNoted, metadata
from tests.support.log import settled

# A history: for each stream, how many events it gets (appended in batches of 1-2).
histories = st.lists(st.integers(min_value=1, max_value=4), min_size=2, max_size=5)
MUTATIONS = ("data", "metadata", "hash", "delete", "swap", "version")


async def build(store: EventStore, sizes: list[int]) -> list[int]:
    """Append the history; the positions stored, in order (read from the appends: a read
    of the log would also wait for other databases' transactions in the cluster)."""
    streams = [f"thing-{uuid4()}" for _ in sizes]
    positions = []
    for sid in streams:
        result = await store.append(sid, 0, [NewEvent(ThingCreated(name="robot"))], metadata())
        positions.append(result.last_position)
    for round_ in range(1, max(sizes)):
        for sid, size in zip(streams, sizes, strict=True):
            if round_ < size:
                result = await store.append(
                    sid, round_, [NewEvent(ThingNoted(note=f"note-{round_}"))], metadata()
                )
                positions.append(result.last_position)
    return sorted(positions)


async def mutate(
    conn: AsyncConnection, kind: str, positions: list[int], pick: int, other: int
) -> int:
    """Apply one edit an attacker with database access could make; return its position."""
    target = positions[pick % len(positions)]
    if kind == "data":  # change one character inside a string value of the body
        await conn.execute(
            "UPDATE eventstore.events SET data = replace(data::text, 'robot', 'robos')::json,"
            " metadata = metadata WHERE global_position = %s",
            (target,),
        )
        await conn.execute(
            "UPDATE eventstore.events SET data = replace(data::text, 'note-', 'nute-')::json"
            " WHERE global_position = %s",
            (target,),
        )
    elif kind == "metadata":
        await conn.execute(
            "UPDATE eventstore.events SET metadata = replace(metadata::text, '\"ORGANIZER\"',"
            " '\"ORGANIZEr\"')::json WHERE global_position = %s",
            (target,),
        )
    elif kind == "hash":  # forge the content and recompute its own hash correctly
        await forge(conn, target)
    elif kind == "delete":
        await conn.execute("DELETE FROM eventstore.events WHERE global_position = %s", (target,))
    elif kind == "version":  # renumber an event inside its stream
        await conn.execute(
            "UPDATE eventstore.events SET version = version + 100 WHERE global_position = %s",
            (target,),
        )
    elif kind == "swap":  # exchange the places of two events in the global order
        second = positions[other % len(positions)]
        if second == target:
            second = positions[(other + 1) % len(positions)]
        await conn.execute(
            "UPDATE eventstore.events SET global_position = CASE global_position"
            " WHEN %s THEN -1 ELSE global_position END WHERE global_position IN (%s, %s)",
            (target, target, second),
        )
        await conn.execute(
            "UPDATE eventstore.events SET global_position = %s WHERE global_position = %s",
            (target, second),
        )
        await conn.execute(
            "UPDATE eventstore.events SET global_position = %s WHERE global_position = -1",
            (second,),
        )
        target = min(target, second)
    return target


async def forge(conn: AsyncConnection, position: int) -> None:
    """Rewrite an event's body and give it the hash that body would have had."""
    cursor = conn.cursor(row_factory=tuple_row)
    await cursor.execute(
        f"SELECT {COLUMNS} FROM eventstore.events WHERE global_position = %s",
        (position,),
    )
    row = await cursor.fetchone()
    assert row is not None
    event = raw_event(row)
    forged_data = '{"type":"ThingNoted","note":"forged"}'
    forged = msgspec.structs.replace(event, data=forged_data, type="ThingNoted")
    forged_hash = expected_hash(forged)
    await conn.execute(
        "UPDATE eventstore.events SET data = %s, event_type = 'ThingNoted', hash = %s"
        " WHERE global_position = %s",
        (forged_data, forged_hash, position),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sizes=histories,
    kind=st.sampled_from(MUTATIONS),
    pick=st.integers(min_value=0, max_value=1000),
    other=st.integers(min_value=0, max_value=1000),
)
async def test_verify_catches_every_single_mutation_of_a_sealed_history(
    store: EventStore,
    pool: AsyncConnectionPool[AsyncConnection],
    sizes: list[int],
    kind: str,
    pick: int,
    other: int,
) -> None:
    async with pool.connection() as conn:
        await conn.execute(RESET)
    positions = await build(store, sizes)
    await settled(store)
    await seal_all(pool, max_events=3)
    clean = await verify(pool)
    assert clean.ok, clean.problems
    assert clean.checked == len(positions)
    assert clean.sealed_up_to == positions[-1]

    async with pool.connection() as conn:
        await mutate(conn, kind, positions, pick, other)

    report = await verify(pool)
    assert not report.ok, f"{kind} at {pick} went unnoticed"
    assert report.first_bad_position is not None


async def test_a_deleted_stream_tail_is_caught_even_before_sealing(
    store: EventStore, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    positions = await build(store, [3])
    async with pool.connection() as conn:
        await conn.execute(
            "DELETE FROM eventstore.events WHERE global_position = %s", (positions[-1],)
        )
    report = await verify(pool)
    assert not report.ok
    assert report.first_bad_position == positions[-2]


async def test_the_unsealed_tail_is_reported_and_sealing_is_incremental(
    store: EventStore, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    first = await build(store, [2, 1])
    await settled(store)
    assert await seal_all(pool, max_events=100) == 1
    await store.append(f"thing-{uuid4()}", 0, [NewEvent(ThingCreated(name="later"))], metadata())
    report = await verify(pool)
    assert report.ok
    assert report.sealed_up_to == first[-1]
    assert report.checked == len(first) + 1
    await settled(store)
    assert await seal_all(pool, max_events=100) == 1
    assert (await verify(pool)).sealed_up_to > first[-1]
