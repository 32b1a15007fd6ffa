"""What goes into the store and what comes out of it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

import msgspec

from events.base import Event, EventMetadata

STREAM_ID = re.compile(r"^(?P<kind>[a-z][a-z_]*)-(?P<id>[A-Za-z0-9][A-Za-z0-9_.:-]*)$")


def stream_type_of(stream_id: str) -> str:
    """``team-<uuid>`` -> ``team``; a malformed stream id is a programming error."""
    match = STREAM_ID.match(stream_id)
    if match is None:
        raise ValueError(f"stream id {stream_id!r} is not '<kind>-<id>'")
    return match["kind"]


def stream_id_for(kind: str, entity_id: UUID) -> str:
    return f"{kind}-{entity_id}"


class NewEvent(msgspec.Struct, frozen=True):
    """An event about to be appended; its id makes a retried append idempotent."""

    event: Event
    event_id: UUID = msgspec.field(default_factory=uuid4)


class StreamAppend(msgspec.Struct, frozen=True):
    """The events one command appends to one stream, expected at ``expected_version``."""

    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]


class UniqueClaim(msgspec.Struct, frozen=True):
    """A unique key (e.g. a keyed email hash) held by a stream from this append on."""

    scope: str
    key: str
    stream_id: str


class AppendResult(msgspec.Struct, frozen=True):
    positions: dict[UUID, int]

    @property
    def last_position(self) -> int:
        return max(self.positions.values())


class _Stored(msgspec.Struct, frozen=True, kw_only=True):
    """The columns every stored event has, whatever form its body is read in."""

    global_position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    recorded_at: datetime
    prev_hash: bytes
    hash: bytes


class RecordedEvent(_Stored, frozen=True, kw_only=True):
    """An event as stored, with the current type (older schema versions upcast on read)."""

    event: Event
    metadata: EventMetadata


class RawEvent(_Stored, frozen=True, kw_only=True):
    """An event row exactly as stored: what the hash chain covers and what exports hold."""

    data: str
    metadata: str
