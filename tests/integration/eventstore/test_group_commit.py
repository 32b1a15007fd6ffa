"""Group commit: commands written in one transaction still succeed or fail one by one."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.errors import ConcurrencyConflict, UniqueKeyTaken
from eventstore.records import AppendResult, NewEvent, StreamAppend, UniqueClaim
from eventstore.store import EventStore
from eventstore.verify import verify
from tests.support.events import ThingCreated, ThingNoted, codec_v2, metadata


def one_writer(pool: AsyncConnectionPool[AsyncConnection]) -> EventStore:
    """A store with one batch in flight: commands issued together share a transaction."""
    return EventStore(pool, codec_v2(), writers=1)


async def stored(pool: AsyncConnectionPool[AsyncConnection]) -> list[tuple[str, UUID]]:
    """Every stored event's stream and id in position order (without read_all's wait for
    the cluster's older transactions, other databases' included)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT stream_id, event_id FROM eventstore.events ORDER BY global_position"
        )
        return [(stream_id, event_id) for stream_id, event_id in await cursor.fetchall()]


def transaction_of(result: AppendResult) -> set[int]:
    return {position >> 16 for position in result.positions.values()}


async def test_commands_issued_together_share_one_transaction_and_keep_their_own_positions(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = one_writer(pool)
    streams = [f"thing-{uuid4()}" for _ in range(10)]

    results = await asyncio.gather(
        *(store.append(s, 0, [NewEvent(ThingCreated(name=s))], metadata()) for s in streams)
    )

    assert set().union(*map(transaction_of, results)) == {next(iter(transaction_of(results[0])))}
    positions = [p for r in results for p in r.positions.values()]
    assert len(set(positions)) == 10
    assert [stream_id for stream_id, _ in await stored(pool)] == streams  # in the order issued
    assert (await verify(pool)).ok


async def test_a_failing_command_is_rolled_back_alone_with_its_own_error(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = one_writer(pool)
    taken, contested = f"thing-{uuid4()}", f"thing-{uuid4()}"
    await store.append(taken, 0, [NewEvent(ThingCreated(name="first"))], metadata())
    loser_events = [NewEvent(ThingCreated(name="loser")), NewEvent(ThingCreated(name="also"))]

    async def both_or_conflict() -> AppendResult | ConcurrencyConflict:
        try:  # a fresh stream, then one that exists already: all of it or nothing
            return await store.append_streams(
                [StreamAppend(f"thing-{uuid4()}", 0, loser_events[:1]),
                 StreamAppend(taken, 0, loser_events[1:])],
                metadata(),
            )  # fmt: skip
        except ConcurrencyConflict as conflict:
            return conflict

    before, outcome, after = await asyncio.gather(
        store.append(f"thing-{uuid4()}", 0, [NewEvent(ThingCreated(name="a"))], metadata()),
        both_or_conflict(),
        store.append(contested, 0, [NewEvent(ThingCreated(name="b"))], metadata()),
    )

    assert isinstance(outcome, ConcurrencyConflict)
    assert (outcome.stream_id, outcome.expected, outcome.actual) == (taken, 0, 1)
    assert transaction_of(before) == transaction_of(after)
    ids = {event_id for _, event_id in await stored(pool)}
    assert not ids & {e.event_id for e in loser_events}
    assert {*before.positions, *after.positions} <= ids
    assert (await verify(pool)).ok


async def test_two_commands_of_one_batch_claiming_one_key_have_one_winner(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = one_writer(pool)
    first, second = f"thing-{uuid4()}", f"thing-{uuid4()}"

    async def register(stream_id: str) -> str:
        try:
            await store.append(
                stream_id,
                0,
                [NewEvent(ThingCreated(name=stream_id))],
                metadata(),
                claims=[UniqueClaim("email", "same-hash", stream_id)],
            )
        except UniqueKeyTaken:
            return "taken"
        return "won"

    assert list(await asyncio.gather(register(first), register(second))) == ["won", "taken"]
    assert await store.claim_owner("email", "same-hash") == first
    assert await store.stream_version(second) == 0


async def test_a_retried_command_in_a_batch_gets_its_first_positions(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = one_writer(pool)
    sid, event = f"thing-{uuid4()}", NewEvent(ThingCreated(name="once"))
    first = await store.append(sid, 0, [event], metadata())

    again, other = await asyncio.gather(
        store.append(sid, 0, [event], metadata()),
        store.append(f"thing-{uuid4()}", 0, [NewEvent(ThingCreated(name="x"))], metadata()),
    )

    assert again == first
    assert len(await stored(pool)) == 2
    assert other.last_position > first.last_position


@pytest.mark.parametrize("writers", [1, 4])
async def test_batches_updating_the_same_streams_in_opposite_orders_do_not_deadlock(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None, writers: int
) -> None:
    store = EventStore(pool, codec_v2(), writers=writers)
    a, b = f"thing-{uuid4()}", f"thing-{uuid4()}"
    for sid in (a, b):
        await store.append(sid, 0, [NewEvent(ThingCreated(name=sid))], metadata())

    async def note(first: str, second: str) -> None:
        """Append to both streams, each at its current version, retrying conflicts."""
        while True:
            versions = [await store.stream_version(s) for s in (first, second)]
            try:
                await store.append_streams(
                    [StreamAppend(s, v, [NewEvent(ThingNoted(note=s))])
                     for s, v in zip((first, second), versions, strict=True)],
                    metadata(),
                )  # fmt: skip
                return
            except ConcurrencyConflict:
                continue

    await asyncio.wait_for(
        asyncio.gather(*(note(a, b) if i % 2 else note(b, a) for i in range(20))), timeout=30
    )

    assert await store.stream_version(a) == await store.stream_version(b) == 21
    assert (await verify(pool)).ok


async def test_a_command_whose_caller_gave_up_before_it_was_sent_is_not_written(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = one_writer(pool)
    first, abandoned = f"thing-{uuid4()}", f"thing-{uuid4()}"
    writing = asyncio.create_task(
        store.append(first, 0, [NewEvent(ThingCreated(name="first"))], metadata())
    )
    for _ in range(3):  # the first command is taken and being written
        await asyncio.sleep(0)
    waiting = asyncio.create_task(
        store.append(abandoned, 0, [NewEvent(ThingCreated(name="late"))], metadata())
    )
    await asyncio.sleep(0)  # queued behind the batch in flight
    waiting.cancel()

    await writing
    await asyncio.sleep(0.1)  # the writer has looked at the queue again

    assert waiting.cancelled()
    assert [stream_id for stream_id, _ in await stored(pool)] == [first]
