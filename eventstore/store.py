"""The PostgreSQL event store: append with optimistic concurrency, and ordered reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from events.base import EventMetadata
from events.codec import EventCodec
from eventstore.errors import ConcurrencyConflict, EventStoreError, InvalidAppend, translate
from eventstore.grouping import MAX_EVENTS, Command, GroupCommit, write_batch
from eventstore.hashing import canonical
from eventstore.notify import Notifier
from eventstore.pool import list_look_up
from eventstore.records import (
    AppendResult,
    NewEvent,
    RawEvent,
    RecordedEvent,
    StreamAppend,
    UniqueClaim,
    stream_type_of,
)

COLUMNS = """global_position, event_id, stream_id, stream_type, version, event_type,
    schema_version, data::text, metadata::text, recorded_at, prev_hash, hash"""

READ_STREAM = f"""
SELECT {COLUMNS} FROM eventstore.events
WHERE stream_id = %(stream_id)s AND version > %(after)s
  AND version <= coalesce(%(up_to_version)s, 2147483647)
  AND recorded_at <= coalesce(%(up_to_time)s, 'infinity'::timestamptz)
ORDER BY version
"""  # noqa: S608 -- COLUMNS is a constant; values are parameters

# Only below safe_position_limit(): see the ORDERING note in 0001_event_store.sql. Written so
# that a page of the log walks the primary key in order: as a second bound of the index range,
# the limit made the planner guess a narrow range and sort every event after the page start
# (37 ms for 23,000 events, seconds for a reader a million events behind). `+ 0` keeps it a
# filter, and the sub-select computes it once per statement.
BELOW_SAFE_LIMIT = "global_position + 0 < (SELECT eventstore.safe_position_limit())"

READ_ALL = f"""
SELECT {COLUMNS} FROM eventstore.events
WHERE global_position > %(after)s
  AND {BELOW_SAFE_LIMIT}
  AND (%(types)s::text[] IS NULL OR event_type = ANY (%(types)s::text[]))
ORDER BY global_position
LIMIT %(limit)s
"""  # noqa: S608 -- COLUMNS is a constant; values are parameters

# A list look-up: run through ``eventstore.pool.list_look_up`` (never prepared).
STORED_POSITIONS = """
SELECT event_id, global_position FROM eventstore.events WHERE event_id = ANY (%s::uuid[])
"""


async def look_up_stored(conn: AsyncConnection, event_ids: list[UUID]) -> AsyncCursor[Any]:
    """Send the look-up of where these events are stored (in a pipeline, it is only queued):
    rows of (event_id, global_position), none for an event not in this store."""
    return await list_look_up(conn, STORED_POSITIONS, (event_ids,))


HEAD_POSITION = "SELECT coalesce(max(global_position), 0) FROM eventstore.events"
SAFE_HEAD_POSITION = """
SELECT coalesce(max(global_position), 0) FROM eventstore.events
WHERE global_position < eventstore.safe_position_limit()
"""
STREAM_VERSION = "SELECT version FROM eventstore.streams WHERE stream_id = %s"
CLAIM_OWNER = "SELECT stream_id FROM eventstore.unique_claims WHERE scope = %s AND claim_key = %s"

_metadata_encoder = msgspec.json.Encoder()
_metadata_decoder = msgspec.json.Decoder(EventMetadata)


class EventStore:
    """Appends and reads events in PostgreSQL through one connection pool."""

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection],
        codec: EventCodec,
        notifier: Notifier | None = None,
        *,
        writers: int = 2,
    ) -> None:
        """``writers``: batches of appends in flight at once (see eventstore/grouping.py)."""
        self._pool = pool
        self._codec = codec
        self._notifier = notifier
        self._group = GroupCommit(pool, writers=writers)

    @property
    def codec(self) -> EventCodec:
        return self._codec

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: EventMetadata,
        *,
        claims: Sequence[UniqueClaim] = (),
        releases: Sequence[UniqueClaim] = (),
        connection: AsyncConnection | None = None,
    ) -> AppendResult:
        """Append ``events`` to one stream at ``expected_version`` (0: a new stream)."""
        return await self.append_streams(
            [StreamAppend(stream_id, expected_version, events)],
            metadata,
            claims=claims,
            releases=releases,
            connection=connection,
        )

    async def append_streams(
        self,
        appends: Sequence[StreamAppend],
        metadata: EventMetadata,
        *,
        claims: Sequence[UniqueClaim] = (),
        releases: Sequence[UniqueClaim] = (),
        connection: AsyncConnection | None = None,
    ) -> AppendResult:
        """Append to several streams in one transaction: all of it is written, or nothing.

        With ``connection`` the append joins the caller's open transaction (so other rows can
        commit with it); it must be the only append of that transaction.
        """
        command = self._command(appends, metadata, claims, releases)
        try:
            if connection is not None:
                (outcome,) = await write_batch(connection, [command])
                if isinstance(outcome, EventStoreError):
                    raise outcome
                return AppendResult(outcome)
            positions = await self._group.write(command)
        except psycopg.Error as error:
            raise translate(error) from error
        except (ConcurrencyConflict, InvalidAppend) as error:
            if connection is None and (stored := await self._retried(command.event_ids, error)):
                return stored
            raise
        if self._notifier is not None:
            self._notifier.poke()
        return AppendResult(positions)

    async def _retried(self, event_ids: list[UUID], error: EventStoreError) -> AppendResult | None:
        """A retried append finds its streams moved on: if it is stored already, the retry
        succeeded and gets the first positions; partly stored is refused."""
        stored = await self.stored_positions(event_ids)
        if len(stored) == len(event_ids):
            return AppendResult(stored)
        if stored:
            raise InvalidAppend(
                f"{len(stored)} of the {len(event_ids)} events of this batch are stored"
            ) from error
        return None

    def _command(
        self,
        appends: Sequence[StreamAppend],
        metadata: EventMetadata,
        claims: Sequence[UniqueClaim],
        releases: Sequence[UniqueClaim],
    ) -> Command:
        stream_ids = [a.stream_id for a in appends]
        if len(set(stream_ids)) != len(stream_ids):
            raise InvalidAppend("a stream appears twice in one append")
        if sum(len(a.events) for a in appends) > MAX_EVENTS:
            raise InvalidAppend(f"an append holds at most {MAX_EVENTS} events")
        stream_types = [stream_type_of(s) for s in stream_ids]
        command = Command(
            recorded_at=datetime.now(UTC),
            stream_ids=stream_ids,
            stream_types=stream_types,
            expected=[a.expected_version for a in appends],
            claims=[(c.scope, c.key, c.stream_id) for c in claims],
            releases=[(r.scope, r.key, r.stream_id) for r in releases],
        )
        metadata_json = _metadata_encoder.encode(metadata).decode()
        for index, append in enumerate(appends):
            if append.expected_version < 0:
                raise InvalidAppend(f"expected version {append.expected_version} is negative")
            if not append.events:
                raise InvalidAppend(f"no events for {append.stream_id}")
            for offset, new in enumerate(append.events, start=1):
                tag = self._codec.tag_of(new.event)
                data = self._codec.encode(new.event).decode()
                command.event_ids.append(new.event_id)
                command.event_streams.append(index + 1)
                command.event_types.append(tag)
                command.schema_versions.append(new.event.schema_version)
                command.data.append(data)
                command.metadata.append(metadata_json)
                command.canonical.append(
                    canonical(
                        event_id=new.event_id,
                        stream_id=append.stream_id,
                        stream_type=stream_types[index],
                        version=append.expected_version + offset,
                        event_type=tag,
                        schema_version=new.event.schema_version,
                        recorded_at=command.recorded_at,
                        data=data,
                        metadata=metadata_json,
                    )
                )
        return command

    async def stored_positions(self, event_ids: list[UUID]) -> dict[UUID, int]:
        """Where each of these events is stored (absent: not in this store)."""
        async with self._pool.connection() as conn:
            cursor = await look_up_stored(conn, event_ids)
            return {event_id: position for event_id, position in await cursor.fetchall()}

    async def read_stream(
        self,
        stream_id: str,
        *,
        after_version: int = 0,
        up_to_version: int | None = None,
        up_to_time: datetime | None = None,
    ) -> list[RecordedEvent]:
        """One stream's events in version order, optionally only up to a version or time."""
        params = {
            "stream_id": stream_id,
            "after": after_version,
            "up_to_version": up_to_version,
            "up_to_time": up_to_time,
        }
        return [self.decode(raw) async for raw in self._raw(READ_STREAM, params)]

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, types: Iterable[str] | None = None
    ) -> list[RecordedEvent]:
        """The next events of the global log after ``after_position``, in safe order."""
        raws = await self.read_all_raw(after_position, limit, types)
        return [self.decode(raw) for raw in raws]

    async def read_all_raw(
        self, after_position: int = 0, limit: int = 1000, types: Iterable[str] | None = None
    ) -> list[RawEvent]:
        params = {
            "after": after_position,
            "limit": limit,
            "types": None if types is None else list(types),
        }
        return [raw async for raw in self._raw(READ_ALL, params)]

    async def head_position(self) -> int:
        """The highest position committed so far."""
        return await self._scalar(HEAD_POSITION)

    async def safe_head_position(self) -> int:
        """The highest position a reader of the log can see without risking a gap."""
        return await self._scalar(SAFE_HEAD_POSITION)

    async def stream_version(self, stream_id: str) -> int:
        """The current version of a stream; 0 when it does not exist."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(STREAM_VERSION, (stream_id,))
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])

    async def claim_owner(self, scope: str, key: str) -> str | None:
        """The stream holding a unique key, if any (e.g. the user of an email hash)."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(CLAIM_OWNER, (scope, key))
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    def decode(self, raw: RawEvent) -> RecordedEvent:
        return RecordedEvent(
            global_position=raw.global_position,
            event_id=raw.event_id,
            stream_id=raw.stream_id,
            stream_type=raw.stream_type,
            version=raw.version,
            type=raw.type,
            schema_version=raw.schema_version,
            event=self._codec.decode(raw.type, raw.schema_version, raw.data),
            metadata=_metadata_decoder.decode(raw.metadata),
            recorded_at=raw.recorded_at,
            prev_hash=raw.prev_hash,
            hash=raw.hash,
        )

    async def _scalar(self, query: str) -> int:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(query)
                row = await cursor.fetchone()
        except psycopg.Error as error:
            raise translate(error) from error
        assert row is not None
        return int(row[0])

    async def _raw(self, query: str, params: dict[str, Any]) -> AsyncIterator[RawEvent]:
        try:
            async with self._pool.connection() as conn:
                cursor = conn.cursor(row_factory=tuple_row)
                await cursor.execute(query, params)
                rows = await cursor.fetchall()
        except psycopg.Error as error:
            raise translate(error) from error
        for row in rows:
            yield raw_event(row)


def raw_event(row: tuple[Any, ...]) -> RawEvent:
    return RawEvent(
        global_position=row[0],
        event_id=row[1],
        stream_id=row[2],
        stream_type=row[3],
        version=row[4],
        type=row[5],
        schema_version=row[6],
        data=row[7],
        metadata=row[8],
        recorded_at=row[9],
        prev_hash=bytes(row[10]),
        hash=bytes(row[11]),
    )
