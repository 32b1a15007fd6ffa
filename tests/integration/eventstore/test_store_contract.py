"""The event store's contract, against the real PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.errors import ConcurrencyConflict, InvalidAppend, UniqueKeyTaken
from eventstore.hashing import GENESIS
from eventstore.pool import open_pool
from eventstore.records import NewEvent, StreamAppend, UniqueClaim
from eventstore.store import READ_ALL, EventStore
from tests.support.events import ThingCreated, ThingNoted, codec_v2, metadata
from tests.support.log import settled_log


def stream() -> str:
    return f"thing-{uuid4()}"


async def test_appended_events_read_back_in_order_with_their_metadata(store: EventStore) -> None:
    sid, meta = stream(), metadata(idempotency_key="key-1")
    events = [NewEvent(ThingCreated(name="rover")), NewEvent(ThingNoted(note="wheels"))]

    result = await store.append(sid, 0, events, meta)

    read = await store.read_stream(sid)
    assert [r.event for r in read] == [ThingCreated(name="rover"), ThingNoted(note="wheels")]
    assert [r.version for r in read] == [1, 2]
    assert [r.event_id for r in read] == [e.event_id for e in events]
    assert [r.global_position for r in read] == sorted(result.positions.values())
    assert all(r.metadata == meta and r.stream_type == "thing" for r in read)
    assert read[0].prev_hash == GENESIS and read[1].prev_hash == read[0].hash
    assert result.last_position == read[-1].global_position
    assert await store.stream_version(sid) == 2


async def test_wrong_expected_version_conflicts_and_writes_nothing(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, 0, [NewEvent(ThingCreated(name="a"))], metadata())

    with pytest.raises(ConcurrencyConflict) as caught:
        await store.append(sid, 0, [NewEvent(ThingNoted(note="b"))], metadata())
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (sid, 0, 1)

    with pytest.raises(ConcurrencyConflict):
        await store.append(sid, 5, [NewEvent(ThingNoted(note="c"))], metadata())
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream(), 1, [NewEvent(ThingNoted(note="d"))], metadata())

    assert [r.version for r in await store.read_stream(sid)] == [1]
    assert len(await settled_log(store)) == 1


async def test_reappending_a_stored_batch_returns_its_positions_and_writes_nothing(
    store: EventStore,
) -> None:
    sid = stream()
    batch = [NewEvent(ThingCreated(name="a")), NewEvent(ThingNoted(note="b"))]
    first = await store.append(sid, 0, batch, metadata())

    again = await store.append(sid, 0, batch, metadata())

    assert again.positions == first.positions
    assert len(await store.read_stream(sid)) == 2


async def test_a_batch_partly_stored_already_is_refused(store: EventStore) -> None:
    sid = stream()
    stored = NewEvent(ThingCreated(name="a"))
    await store.append(sid, 0, [stored], metadata())

    with pytest.raises(InvalidAppend):
        await store.append(sid, 1, [stored, NewEvent(ThingNoted(note="new"))], metadata())
    assert len(await store.read_stream(sid)) == 1


async def test_multi_stream_append_is_atomic(store: EventStore) -> None:
    first, second = stream(), stream()
    await store.append(second, 0, [NewEvent(ThingCreated(name="taken"))], metadata())

    with pytest.raises(ConcurrencyConflict) as caught:
        await store.append_streams(
            [
                StreamAppend(first, 0, [NewEvent(ThingCreated(name="one"))]),
                StreamAppend(second, 0, [NewEvent(ThingCreated(name="two"))]),
            ],
            metadata(),
        )
    assert caught.value.stream_id == second
    assert await store.read_stream(first) == []
    assert await store.stream_version(first) == 0

    result = await store.append_streams(
        [
            StreamAppend(first, 0, [NewEvent(ThingCreated(name="one"))]),
            StreamAppend(second, 1, [NewEvent(ThingNoted(note="two"))]),
        ],
        metadata(),
    )
    assert len(result.positions) == 2
    assert (await store.stream_version(first), await store.stream_version(second)) == (1, 2)


async def test_unique_key_claimed_by_another_stream_is_refused(store: EventStore) -> None:
    owner, rival = stream(), stream()
    await store.append(
        owner, 0, [NewEvent(ThingCreated(name="a"))], metadata(),
        claims=[UniqueClaim("email", "hash-1", owner)],
    )  # fmt: skip

    with pytest.raises(UniqueKeyTaken) as caught:
        await store.append(
            rival, 0, [NewEvent(ThingCreated(name="b"))], metadata(),
            claims=[UniqueClaim("email", "hash-1", rival)],
        )  # fmt: skip
    assert caught.value.scope == "email"
    assert await store.read_stream(rival) == []

    # The owner may claim its own key again; after releasing it, the rival may take it.
    await store.append(
        owner, 1, [NewEvent(ThingNoted(note="same"))], metadata(),
        claims=[UniqueClaim("email", "hash-1", owner)],
    )  # fmt: skip
    await store.append(
        owner, 2, [NewEvent(ThingNoted(note="release"))], metadata(),
        releases=[UniqueClaim("email", "hash-1", owner)],
    )  # fmt: skip
    await store.append(
        rival, 0, [NewEvent(ThingCreated(name="b"))], metadata(),
        claims=[UniqueClaim("email", "hash-1", rival)],
    )  # fmt: skip
    assert await store.stream_version(rival) == 1


async def test_read_stream_stops_at_a_version_or_a_time(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, 0, [NewEvent(ThingCreated(name="a"))], metadata())
    middle = datetime.now(UTC)
    await store.append(sid, 1, [NewEvent(ThingNoted(note="b"))], metadata())
    await store.append(sid, 2, [NewEvent(ThingNoted(note="c"))], metadata())

    assert [r.version for r in await store.read_stream(sid, up_to_version=2)] == [1, 2]
    assert [r.version for r in await store.read_stream(sid, after_version=1)] == [2, 3]
    assert [r.version for r in await store.read_stream(sid, up_to_time=middle)] == [1]


async def test_read_all_pages_in_position_order_and_filters_by_type(store: EventStore) -> None:
    for index in range(5):
        await store.append(
            stream(),
            0,
            [NewEvent(ThingCreated(name=str(index))), NewEvent(ThingNoted(note=str(index)))],
            metadata(),
        )
    everything = await settled_log(store)
    positions = [r.global_position for r in everything]
    assert len(everything) == 10 and positions == sorted(positions)

    page = await store.read_all(after_position=positions[3], limit=4)
    assert [r.global_position for r in page] == positions[4:8]

    notes = await store.read_all(types=["ThingNoted"])
    assert [r.event for r in notes] == [ThingNoted(note=str(i)) for i in range(5)]
    assert await store.head_position() == positions[-1]
    assert await store.safe_head_position() == positions[-1]


async def test_malformed_appends_are_refused_before_writing(store: EventStore) -> None:
    with pytest.raises(InvalidAppend):
        await store.append(stream(), 0, [], metadata())
    with pytest.raises(InvalidAppend):
        await store.append(stream(), -1, [NewEvent(ThingCreated(name="x"))], metadata())
    sid = stream()
    with pytest.raises(InvalidAppend):
        await store.append_streams(
            [
                StreamAppend(sid, 0, [NewEvent(ThingCreated(name="x"))]),
                StreamAppend(sid, 0, [NewEvent(ThingCreated(name="y"))]),
            ],
            metadata(),
        )
    with pytest.raises(ValueError, match="not '<kind>-<id>'"):
        await store.append("no kind", 0, [NewEvent(ThingCreated(name="x"))], metadata())
    assert await store.read_all() == []


async def test_a_page_of_the_log_walks_the_primary_key_without_sorting_the_rest(
    store: EventStore, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    """As after a bulk load, before the table has statistics: with the safe limit as an index
    bound, the planner guessed a narrow range and sorted everything after the page start."""
    for _ in range(5):  # 5,000 events, a thousand streams an append
        await store.append_streams(
            [StreamAppend(stream(), 0, [NewEvent(ThingCreated(name="n"))]) for _ in range(1000)],
            metadata(),
        )
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "EXPLAIN (FORMAT JSON) " + READ_ALL, {"after": 0, "limit": 100, "types": None}
        )
        row = await cursor.fetchone()
    assert row is not None
    plan = json.dumps(row[0])
    assert '"Sort"' not in plan and "events_pkey" in plan, plan


async def test_the_look_up_of_stored_events_is_planned_for_the_log_as_it_is_now(
    database_url: str, clean_db: None
) -> None:
    """Never prepared: a generic plan made while the log was small kept a sequential scan of
    every event as it grew (a third of PostgreSQL's time in the lag benchmark)."""
    pool = await open_pool(database_url, min_size=1, max_size=1, name="one-session")
    try:
        store = EventStore(pool, codec_v2())
        appended = await store.append(
            f"thing-{uuid4()}", 0, [NewEvent(ThingCreated(name="a"))], metadata()
        )
        for _ in range(10):  # psycopg prepares what a session runs five times
            assert await store.stored_positions(list(appended.positions)) == appended.positions
        async with pool.connection() as conn:  # the same session
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ("%event_id = ANY%",),
            )
            assert await cursor.fetchone() == (0,)
    finally:
        await pool.close()
