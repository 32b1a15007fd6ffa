"""Verification of both hash chains: every stream chain and the seal chain.

``ChainVerifier`` is pure: it is fed raw events in position order and the seals, so the same
code checks the database (``verify``) and an offline export (``eventstore/export.py``).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.hashing import GENESIS, expected_hash, seal_hash
from eventstore.records import RawEvent, stream_type_of
from eventstore.store import COLUMNS, raw_event

ALL_EVENTS = f"SELECT {COLUMNS} FROM eventstore.events ORDER BY global_position"  # noqa: S608 -- constant
ALL_SEALS = """
SELECT seal_number, first_position, last_position, event_count, events_digest,
       prev_seal_hash, seal_hash
FROM eventstore.seals ORDER BY seal_number
"""
STREAM_HEADS = "SELECT stream_id, version, head_hash FROM eventstore.streams"


class Seal(msgspec.Struct, frozen=True):
    seal_number: int
    first_position: int
    last_position: int
    event_count: int
    events_digest: bytes
    prev_seal_hash: bytes
    seal_hash: bytes


class VerifyReport(msgspec.Struct, frozen=True):
    ok: bool
    checked: int
    first_bad_position: int | None
    problems: list[str]
    sealed_up_to: int


class _SealCursor:
    """Walks the seals alongside the events, recomputing each seal's digest."""

    def __init__(self, seals: list[Seal]) -> None:
        self.seals = seals
        self.index = 0
        self.digest = hashlib.sha256()
        self.count = 0

    @property
    def current(self) -> Seal | None:
        return self.seals[self.index] if self.index < len(self.seals) else None


class ChainVerifier:
    def __init__(self, seals: Iterable[Seal]) -> None:
        self._seals = _SealCursor(list(seals))
        self._streams: dict[str, tuple[int, bytes, int]] = {}
        self._problems: list[tuple[int, str]] = []
        self._checked = 0
        self._check_seal_links()

    def flag(self, position: int, problem: str) -> None:
        """Record a problem: the chains' own, or one found outside them (an export's framing)."""
        self._problems.append((position, problem))

    def resume(self, event: RawEvent) -> None:
        """Let ``event``'s stream pick up at it: a log that starts mid-stream does not hold its
        predecessor, so only the link to it is taken on trust (its own hash is still checked)."""
        self._streams[event.stream_id] = (event.version - 1, event.prev_hash, 0)

    def _check_seal_links(self) -> None:
        previous_hash, previous_last = GENESIS, -1
        for seal in self._seals.seals:
            if seal.prev_seal_hash != previous_hash:
                self.flag(seal.first_position, f"seal {seal.seal_number} does not chain")
            expected = seal_hash(
                seal.prev_seal_hash,
                seal.first_position,
                seal.last_position,
                seal.event_count,
                seal.events_digest,
            )
            if seal.seal_hash != expected:
                self.flag(seal.first_position, f"seal {seal.seal_number} was altered")
            if seal.first_position <= previous_last:
                self.flag(seal.first_position, f"seal {seal.seal_number} overlaps its predecessor")
            previous_hash, previous_last = seal.seal_hash, seal.last_position

    def feed(self, event: RawEvent) -> None:
        """Check one event; events must come in increasing position order."""
        self._checked += 1
        position = event.global_position
        version, prev_hash, _ = self._streams.get(event.stream_id, (0, GENESIS, 0))
        if event.version != version + 1:
            self.flag(
                position, f"{event.stream_id} jumps from version {version} to {event.version}"
            )
        if event.prev_hash != prev_hash:
            self.flag(
                position, f"{event.stream_id} v{event.version} does not chain to its predecessor"
            )
        if _stream_type(event.stream_id) != event.stream_type:
            self.flag(position, f"{event.stream_id} has stream type {event.stream_type}")
        if expected_hash(event) != event.hash:
            self.flag(
                position, f"{event.stream_id} v{event.version} content does not match its hash"
            )
        self._streams[event.stream_id] = (event.version, event.hash, position)
        self._feed_seal(position, event.hash)

    def _feed_seal(self, position: int, event_hash: bytes) -> None:
        cursor = self._seals
        while (seal := cursor.current) is not None and position > seal.last_position:
            self._close_seal(seal)
        seal = cursor.current
        if seal is None:
            return  # the unsealed tail
        if position < seal.first_position:
            self.flag(position, f"event at {position} lies outside every seal")
            return
        cursor.digest.update(struct.pack(">q", position) + event_hash)
        cursor.count += 1

    def _close_seal(self, seal: Seal) -> None:
        cursor = self._seals
        if cursor.count != seal.event_count or cursor.digest.digest() != seal.events_digest:
            self.flag(seal.first_position, f"seal {seal.seal_number} no longer matches its events")
        cursor.index += 1
        cursor.digest = hashlib.sha256()
        cursor.count = 0

    def check_heads(self, heads: Iterable[tuple[str, int, bytes]]) -> None:
        """Compare each stream's last event with the stream head the store keeps."""
        seen = set()
        for stream_id, version, head_hash in heads:
            seen.add(stream_id)
            last_version, last_hash, last_position = self._streams.get(stream_id, (0, GENESIS, 0))
            if (last_version, last_hash) != (version, head_hash):
                self.flag(
                    last_position, f"{stream_id} ends at v{last_version}, its head says v{version}"
                )
        for stream_id, (_, _, position) in self._streams.items():
            if stream_id not in seen:
                self.flag(position, f"{stream_id} has events but no stream head")

    def report(self) -> VerifyReport:
        while (seal := self._seals.current) is not None:
            self._close_seal(seal)
        seals = self._seals.seals
        first_bad = min((p for p, _ in self._problems), default=None)
        return VerifyReport(
            ok=not self._problems,
            checked=self._checked,
            first_bad_position=first_bad,
            problems=[problem for _, problem in sorted(self._problems)][:100],
            sealed_up_to=seals[-1].last_position if seals else 0,
        )


def _stream_type(stream_id: str) -> str | None:
    """The kind a stream id names; None when an edit left it malformed."""
    try:
        return stream_type_of(stream_id)
    except ValueError:
        return None


async def verify(
    pool: AsyncConnectionPool[AsyncConnection], batch_size: int = 5000
) -> VerifyReport:
    """Walk every stream chain and the seal chain in one consistent snapshot."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        rows = await (await conn.execute(ALL_SEALS)).fetchall()
        verifier = ChainVerifier(
            Seal(n, first, last, count, bytes(digest), bytes(prev), bytes(own))
            for n, first, last, count, digest, prev, own in rows
        )
        cursor = conn.cursor("verify_events")
        cursor.itersize = batch_size
        await cursor.execute(ALL_EVENTS)
        async for row in cursor:
            verifier.feed(raw_event(row))
        await cursor.close()
        heads = await (await conn.execute(STREAM_HEADS)).fetchall()
        verifier.check_heads((s, v, bytes(h)) for s, v, h in heads)
    return verifier.report()
