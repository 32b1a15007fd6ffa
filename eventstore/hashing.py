"""The canonical bytes of a stored event and the two hash chains over them.

Stream chain: ``hash = sha256(prev_hash || canonical(event))`` where prev_hash is the hash of
the previous event of the same stream (GENESIS for version 1). The append transaction knows
it because optimistic concurrency already locks the stream head, so writers to different
streams never wait for each other.

Seal chain: a seal covers a run of the global log in position order with
``events_digest = sha256(position || hash, ...)`` and ``seal_hash = sha256(prev_seal_hash ||
range || count || events_digest)``. Deleting, reordering or truncating sealed events breaks it.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, datetime
from uuid import UUID

import msgspec

from eventstore.records import RawEvent

GENESIS = bytes(32)

_encoder = msgspec.json.Encoder()


def format_time(moment: datetime) -> str:
    """The one textual form of a timestamp inside canonical bytes: UTC, microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    recorded_at: datetime,
    data: str,
    metadata: str,
) -> bytes:
    """Every stored field of an event but its position and hashes, unambiguously encoded."""
    return _encoder.encode(
        [
            str(event_id),
            stream_id,
            stream_type,
            version,
            event_type,
            schema_version,
            format_time(recorded_at),
            data,
            metadata,
        ]
    )


def chain(prev_hash: bytes, canonical_bytes: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical_bytes).digest()


def expected_hash(event: RawEvent, prev_hash: bytes | None = None) -> bytes:
    """The hash a stored event must have, recomputed from its columns."""
    return chain(
        event.prev_hash if prev_hash is None else prev_hash,
        canonical(
            event_id=event.event_id,
            stream_id=event.stream_id,
            stream_type=event.stream_type,
            version=event.version,
            event_type=event.type,
            schema_version=event.schema_version,
            recorded_at=event.recorded_at,
            data=event.data,
            metadata=event.metadata,
        ),
    )


def events_digest(entries: list[tuple[int, bytes]]) -> bytes:
    """Digest of (position, hash) pairs in position order, as a seal records it."""
    digest = hashlib.sha256()
    for position, event_hash in entries:
        digest.update(struct.pack(">q", position))
        digest.update(event_hash)
    return digest.digest()


def seal_hash(prev_seal_hash: bytes, first: int, last: int, count: int, digest: bytes) -> bytes:
    return hashlib.sha256(
        prev_seal_hash + struct.pack(">qqq", first, last, count) + digest
    ).digest()
