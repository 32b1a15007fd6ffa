"""Group commit: the appends that queue up while a batch is being written go out together.

Every command appended through the pool joins a queue. At most ``writers`` batches are in
flight at once; a command that finds a writer free is written at once, alone (no timer, no
added latency), and the commands that arrive meanwhile are written together by the next
free writer, in one transaction of ``eventstore.append_batch``: set-based, or one
subtransaction per command when one of them fails (see ``migrations/0004_group_commit.sql``).
Each command still succeeds or fails alone, with its own error; the batch shares one round
trip and one commit flush.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.errors import (
    EventStoreError,
    translate,
    translate_state,
)

MAX_COMMANDS = 32  # subtransactions per batch: within the 64 subxact ids a backend caches
MAX_EVENTS = 65536  # positions per transaction (see ORDERING in 0001_event_store.sql)

# Binary parameters (%b): arrays of JSON text cost several times more to quote as text.
APPEND_BATCH = """
SELECT command, event_id, global_position, error_state, error_message, error_detail
FROM eventstore.append_batch(
    %b::integer[], %b::integer[], %b::integer[], %b::integer[], %b::timestamptz[],
    %b::text[], %b::text[], %b::integer[], %b::uuid[], %b::integer[], %b::text[],
    %b::integer[], %b::text[], %b::text[], %b::bytea[],
    %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[])
"""


@dataclass(slots=True)
class Command:
    """One command's append as columns; ``event_streams`` index its own ``stream_ids`` from 1."""

    recorded_at: datetime
    stream_ids: list[str]
    stream_types: list[str]
    expected: list[int]
    event_ids: list[UUID] = field(default_factory=list)
    event_streams: list[int] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    schema_versions: list[int] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    canonical: list[bytes] = field(default_factory=list)
    claims: list[tuple[str, str, str]] = field(default_factory=list)
    releases: list[tuple[str, str, str]] = field(default_factory=list)


def batch_params(commands: Sequence[Command]) -> list[Any]:
    """The parameters of APPEND_BATCH: the commands' columns end to end, cut by their ends."""
    columns: list[list[Any]] = [[] for _ in range(16)]
    streams, events, claims, releases = columns[0], columns[3], columns[10], columns[13]
    ends: tuple[list[int], ...] = ([], [], [], [])
    for command in commands:
        first_stream = len(streams)
        values: tuple[list[Any], ...] = (
            command.stream_ids,
            command.stream_types,
            command.expected,
            command.event_ids,
            [first_stream + s for s in command.event_streams],
            command.event_types,
            command.schema_versions,
            command.data,
            command.metadata,
            command.canonical,
            *_split(command.claims),
            *_split(command.releases),
        )
        for column, more in zip(columns, values, strict=True):
            column.extend(more)
        for end, column in zip(ends, (streams, events, claims, releases), strict=True):
            end.append(len(column))
    recorded_at = [c.recorded_at for c in commands for _ in c.event_ids]
    return [*ends, recorded_at, *columns]


def _split(triples: list[tuple[str, str, str]]) -> tuple[list[str], list[str], list[str]]:
    return [t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]


async def write_batch(conn: AsyncConnection, commands: Sequence[Command]) -> list[Outcome]:
    """Write the commands in one transaction; each one's positions, or its own error."""
    cursor = await conn.execute(APPEND_BATCH, batch_params(commands))
    outcomes: list[Outcome] = [{} for _ in commands]
    for index, event_id, position, state, message, detail in await cursor.fetchall():
        if state is None:
            positions = outcomes[index - 1]
            assert isinstance(positions, dict)
            positions[event_id] = position
        else:
            outcomes[index - 1] = translate_state(state, message, detail)
    return outcomes


Outcome = dict[UUID, int] | EventStoreError


@dataclass(slots=True)
class _Queued:
    command: Command
    done: asyncio.Future[Outcome]


class GroupCommit:
    """Writes queued commands in batches through at most ``writers`` pool connections."""

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection],
        *,
        writers: int = 2,
    ) -> None:
        self._pool = pool
        self._writers = writers
        self._queue: list[_Queued] = []
        self._busy = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def write(self, command: Command) -> dict[UUID, int]:
        """The command's stored positions; its own error (translated) when it failed."""
        queued = _Queued(command, asyncio.get_running_loop().create_future())
        self._queue.append(queued)
        if self._busy < self._writers:
            self._busy += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        outcome = await queued.done
        if isinstance(outcome, EventStoreError):
            raise outcome
        return outcome

    async def _drain(self) -> None:
        try:
            while self._queue:
                if batch := self._take():
                    await self._write(batch)
        finally:
            self._busy -= 1

    def _take(self) -> list[_Queued]:
        batch: list[_Queued] = []
        events = 0
        while self._queue and len(batch) < MAX_COMMANDS:
            if self._queue[0].done.cancelled():  # its caller gave up before it was sent
                self._queue.pop(0)
                continue
            events += len(self._queue[0].command.event_ids)
            if batch and events > MAX_EVENTS:
                break
            batch.append(self._queue.pop(0))
        return batch

    async def _write(self, batch: list[_Queued]) -> None:
        try:
            async with self._pool.connection() as conn:
                outcomes = await write_batch(conn, [q.command for q in batch])
        except psycopg.Error as error:
            outcomes = [_caused(translate(error), error) for _ in batch]
        except asyncio.CancelledError:
            for queued in batch:
                queued.done.cancel()
            raise
        except Exception as error:  # a bug: every caller gets it, nobody waits forever
            for queued in batch:
                if not queued.done.done():
                    queued.done.set_exception(error)
            return
        for queued, outcome in zip(batch, outcomes, strict=True):
            if not queued.done.done():  # its caller may have gone (cancelled)
                queued.done.set_result(outcome)


def _caused(error: EventStoreError, cause: BaseException) -> EventStoreError:
    error.__cause__ = cause
    return error
