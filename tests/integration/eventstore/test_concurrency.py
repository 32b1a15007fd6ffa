"""The store under concurrent writers: one winner per version, and a tail that never skips."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID, uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.errors import ConcurrencyConflict
from eventstore.pool import open_pool
from eventstore.records import NewEvent, StreamAppend
from eventstore.store import COLUMNS, EventStore, raw_event
from tests.support.events import ThingCreated, ThingNoted, codec_v2, metadata

Reader = Callable[[int], Awaitable[list[tuple[int, UUID]]]]

# The read of the global log without its ordering guard: what a bigserial-based store does.
UNGUARDED = f"""
SELECT {COLUMNS} FROM eventstore.events WHERE global_position > %s
ORDER BY global_position LIMIT 500
"""


@pytest.fixture
async def wide_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[AsyncConnection]]:
    pool = await open_pool(database_url, min_size=50, max_size=50, name="wide")
    yield pool
    await pool.close()


def guarded(store: EventStore) -> Reader:
    async def read(after: int) -> list[tuple[int, UUID]]:
        return [(r.global_position, r.event_id) for r in await store.read_all_raw(after, 500)]

    return read


def unguarded(pool: AsyncConnectionPool[AsyncConnection]) -> Reader:
    async def read(after: int) -> list[tuple[int, UUID]]:
        async with pool.connection() as conn:
            rows = await (await conn.execute(UNGUARDED, (after,))).fetchall()
        return [(e.global_position, e.event_id) for e in map(raw_event, rows)]

    return read


class Tail:
    """A reader tailing the log the way the relay does, checking what it sees."""

    def __init__(self, read: Reader) -> None:
        self.read = read
        self.after = 0
        self.seen: list[UUID] = []
        self.out_of_order = 0

    async def poll(self) -> int:
        rows = await self.read(self.after)
        for position, event_id in rows:
            if position <= self.after:
                self.out_of_order += 1
            self.after = position
            self.seen.append(event_id)
        return len(rows)

    async def drain(self, expected: set[UUID], patience: float = 5.0) -> None:
        """Read on until every expected event was seen, or ``patience`` seconds passed.

        A guarded read also waits for transactions of other databases of the cluster (their
        ids are cluster-wide), so an empty read may only mean "not yet"."""
        deadline = time.monotonic() + patience
        while not expected <= set(self.seen) and time.monotonic() < deadline:
            if not await self.poll():
                await asyncio.sleep(0.05)

    def check(self, committed: set[UUID]) -> None:
        assert self.out_of_order == 0
        assert len(self.seen) == len(set(self.seen)), "an event was delivered twice"
        missing = committed - set(self.seen)
        assert not missing, f"{len(missing)} committed events were skipped"


async def test_fifty_concurrent_appends_at_one_version_have_exactly_one_winner(
    store: EventStore, wide_pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    sid = f"thing-{uuid4()}"
    await store.append(sid, 0, [NewEvent(ThingCreated(name="contested"))], metadata())
    racers = EventStore(wide_pool, codec_v2())

    async def attempt(index: int) -> bool:
        try:
            await racers.append(sid, 1, [NewEvent(ThingNoted(note=str(index)))], metadata())
        except ConcurrencyConflict:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(i) for i in range(50)))

    assert sum(outcomes) == 1
    events = await store.read_stream(sid)
    assert [e.version for e in events] == [1, 2]


async def test_tailing_reader_sees_every_event_once_in_order_under_eight_writers(
    store: EventStore, wide_pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    writers = EventStore(wide_pool, codec_v2())
    committed: set[UUID] = set()
    deadline = time.monotonic() + 4.0
    tail = Tail(guarded(store))

    async def writer() -> None:
        while time.monotonic() < deadline:
            new = [NewEvent(ThingCreated(name="w"))]
            if len(committed) % 3 == 0:  # some commands write two streams at once
                new_other = NewEvent(ThingCreated(name="x"))
                await writers.append_streams(
                    [
                        StreamAppend(f"thing-{uuid4()}", 0, new),
                        StreamAppend(f"thing-{uuid4()}", 0, [new_other]),
                    ],
                    metadata(),
                )
                committed.add(new_other.event_id)
            else:
                await writers.append(f"thing-{uuid4()}", 0, new, metadata())
            committed.add(new[0].event_id)

    async def reader() -> None:
        while time.monotonic() < deadline:
            await tail.poll()

    await asyncio.gather(reader(), *(writer() for _ in range(8)))
    await tail.drain(committed)

    assert len(committed) > 1000
    tail.check(committed)


async def out_of_order_commit(
    store: EventStore, tail: Tail, database_url: str, patience: float = 5.0
) -> set[UUID]:
    """Force the race: an early transaction commits after a later one was read."""
    early, late = NewEvent(ThingCreated(name="early")), NewEvent(ThingCreated(name="late"))
    # The early transaction takes its transaction id (and so its position) first.
    async with await AsyncConnection.connect(database_url) as conn:
        await store.append(f"thing-{uuid4()}", 0, [early], metadata(), connection=conn)
        await store.append(f"thing-{uuid4()}", 0, [late], metadata())
        await tail.poll()  # the late event is committed and may be read now
        await conn.commit()
    committed = {early.event_id, late.event_id}
    await tail.drain(committed, patience)
    return committed


async def test_guarded_tail_waits_for_an_earlier_transaction_to_finish(
    store: EventStore, database_url: str
) -> None:
    tail = Tail(guarded(store))
    committed = await out_of_order_commit(store, tail, database_url)
    tail.check(committed)


async def test_the_tail_check_fails_without_the_ordering_guard(
    store: EventStore, pool: AsyncConnectionPool[AsyncConnection], database_url: str
) -> None:
    tail = Tail(unguarded(pool))
    committed = await out_of_order_commit(store, tail, database_url, patience=0.5)
    with pytest.raises(AssertionError, match="1 committed events were skipped"):
        tail.check(committed)
