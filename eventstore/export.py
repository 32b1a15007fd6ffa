"""Export files for offline proof: the stored rows, one a line, checked without a database.

An export is NDJSON:

- line 1, the header: ``{"export": {"format", "stream", "from", "to", "exported_at"}}``;
- one line per event, in position order: the row exactly as stored, i.e. what the hash chain
  covers (``data`` and ``metadata`` are the stored JSON *text*, as strings, so not one byte
  changes; personal data stays sealed as ``pd1.…`` ciphertext, so erasure never breaks a
  proof), ``hash`` and ``prev_hash`` in hex, and ``previous_position``: the position on the
  line before (0 on the first), framing outside the chain that names a missing line exactly;
- the last line: ``{"end": {"count", "last_position"}}``, so a truncated file is noticed.

``ExportVerifier`` recomputes every hash and links every stream chain with ``ChainVerifier``
(eventstore/verify.py), the code that checks the database. A file that starts mid-stream
(``--from``) cannot link each stream's first event to the one before it: that event's own
hash is still checked and the report says how many streams start so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import BinaryIO
from uuid import UUID

import msgspec

from eventstore.records import RawEvent
from eventstore.verify import ChainVerifier

FORMAT = 1
ANCHOR = (
    "the file is consistent in itself; to tie it to the database, compare its hashes with the "
    "stored ones (the audit routes show each event's hash) or with a stream head or seal "
    "hash published earlier"
)


class ExportHeader(msgspec.Struct, frozen=True, kw_only=True):
    format: int = FORMAT
    stream: str | None
    from_position: int | None = msgspec.field(name="from")
    to_position: int = msgspec.field(name="to")
    exported_at: datetime


class ExportedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One stored event, as API.md's event shape but with data and metadata as stored text."""

    global_position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: str  # the stored JSON text the hash covers
    metadata: str  # likewise
    recorded_at: datetime
    hash: str  # hex
    prev_hash: str  # hex
    previous_position: int  # framing: the position on the line before (0 first), not hashed


class ExportEnd(msgspec.Struct, frozen=True, kw_only=True):
    count: int
    last_position: int


class _HeaderLine(msgspec.Struct, frozen=True):
    export: ExportHeader


class _EndLine(msgspec.Struct, frozen=True):
    end: ExportEnd


class ExportReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int
    first_bad_position: int | None
    problems: list[str]
    stream: str | None
    from_position: int | None = msgspec.field(name="from")
    to_position: int | None = msgspec.field(name="to")
    last_position: int
    unlinked_streams: int  # streams whose first line continues a chain begun before "from"
    notes: list[str]


_encoder = msgspec.json.Encoder()
_header_decoder = msgspec.json.Decoder(_HeaderLine)
_event_decoder = msgspec.json.Decoder(ExportedEvent)
_end_decoder = msgspec.json.Decoder(_EndLine)


def exported(raw: RawEvent, previous_position: int) -> ExportedEvent:
    return ExportedEvent(
        global_position=raw.global_position, event_id=raw.event_id, stream_id=raw.stream_id,
        stream_type=raw.stream_type, version=raw.version, type=raw.type,
        schema_version=raw.schema_version, data=raw.data, metadata=raw.metadata,
        recorded_at=raw.recorded_at.astimezone(UTC), hash=raw.hash.hex(),
        prev_hash=raw.prev_hash.hex(), previous_position=previous_position,
    )  # fmt: skip


def stored(line: ExportedEvent) -> RawEvent:
    """The row a line stands for; ValueError when a hash is not hex."""
    return RawEvent(
        global_position=line.global_position, event_id=line.event_id, stream_id=line.stream_id,
        stream_type=line.stream_type, version=line.version, type=line.type,
        schema_version=line.schema_version, recorded_at=line.recorded_at,
        prev_hash=bytes.fromhex(line.prev_hash), hash=bytes.fromhex(line.hash),
        data=line.data, metadata=line.metadata,
    )  # fmt: skip


class ExportWriter:
    """Writes an export: the header, then events in position order, then the end line."""

    def __init__(self, out: BinaryIO, header: ExportHeader) -> None:
        self._out = out
        self._count = 0
        self._last = 0
        out.write(_encoder.encode(_HeaderLine(header)) + b"\n")

    def write(self, raws: Sequence[RawEvent]) -> None:
        lines = []
        for raw in raws:
            lines.append(_encoder.encode(exported(raw, self._last)) + b"\n")
            self._last = raw.global_position
        self._count += len(raws)
        self._out.write(b"".join(lines))

    def close(self) -> ExportEnd:
        end = ExportEnd(count=self._count, last_position=self._last)
        self._out.write(_encoder.encode(_EndLine(end)) + b"\n")
        return end


def _parse(line: bytes) -> ExportedEvent | ExportEnd | None:
    try:
        return _event_decoder.decode(line)
    except msgspec.DecodeError:
        pass
    try:
        return _end_decoder.decode(line).end
    except msgspec.DecodeError:
        return None


class ExportVerifier:
    """Feed it the lines of an export in file order, then ask for the report."""

    def __init__(self) -> None:
        self._chain = ChainVerifier(())
        self._header: ExportHeader | None = None
        self._end: ExportEnd | None = None
        self._lines = 0
        self._count = 0
        self._last = 0  # the position on the previous event line
        self._seen: set[str] = set()
        self._unlinked = 0

    def feed(self, line: bytes) -> None:
        self._lines += 1
        if self._lines == 1 and self._read_header(line):
            return
        if self._end is not None:
            self._chain.flag(self._last + 1, f"line {self._lines} comes after the end line")
        parsed = _parse(line)
        if isinstance(parsed, ExportEnd):
            self._end = parsed
        elif isinstance(parsed, ExportedEvent):
            self._event(parsed)
        else:
            self._chain.flag(self._last + 1, f"line {self._lines} is not an event of an export")

    def _read_header(self, line: bytes) -> bool:
        try:
            self._header = _header_decoder.decode(line).export
        except msgspec.DecodeError:
            self._chain.flag(0, "line 1 is not an export header")
            return False
        return True

    def _event(self, line: ExportedEvent) -> None:
        self._count += 1
        self._frame(line)
        try:
            raw = stored(line)
        except ValueError:
            self._chain.flag(line.global_position, f"{line.stream_id}: a hash is not hex")
        else:
            if raw.stream_id not in self._seen:
                self._seen.add(raw.stream_id)
                if raw.version > 1 and self._partial:
                    self._chain.resume(raw)
                    self._unlinked += 1
            self._chain.feed(raw)
        self._last = line.global_position

    @property
    def _partial(self) -> bool:
        return self._header is not None and self._header.from_position is not None

    def _frame(self, line: ExportedEvent) -> None:
        """The line's place: after the line it names, in increasing order, within the range."""
        position, claimed, flag = line.global_position, line.previous_position, self._chain.flag
        if claimed > self._last:  # a line is missing here (or moved): name the one expected
            flag(claimed, f"the line before {position} should be {claimed}, not {self._last}")
        elif claimed < self._last:  # this line was moved down
            flag(position, f"{position} should follow {claimed}, not {self._last}")
        if position <= self._last:
            flag(position, f"position {position} comes after {self._last}: out of order")
        header = self._header
        if header is None:
            return
        if header.stream is not None and line.stream_id != header.stream:
            flag(position, f"{line.stream_id} is not the stream exported ({header.stream})")
        if not (header.from_position or 0) <= position <= header.to_position:
            flag(position, f"position {position} lies outside the range exported")

    def _check_end(self) -> None:
        end, flag = self._end, self._chain.flag
        if end is None:
            flag(self._last + 1, "the end line is missing: the file is truncated")
            return
        if end.last_position > self._last:
            flag(end.last_position, f"the last line, {end.last_position}, is missing")
        elif end.last_position < self._last:
            flag(self._last, f"the end line says the last position is {end.last_position}")
        if end.count != self._count:
            flag(
                max(self._last, end.last_position),
                f"the end line counts {end.count} events, the file holds {self._count}",
            )

    def report(self) -> ExportReport:
        self._check_end()
        chain, header = self._chain.report(), self._header
        notes = [ANCHOR]
        if self._unlinked:
            notes.append(
                f"{self._unlinked} streams begin before the export's first position: the "
                "first event of each is checked against its own hash, its link to the event "
                "before it cannot be"
            )
        return ExportReport(
            ok=chain.ok, checked=chain.checked, first_bad_position=chain.first_bad_position,
            problems=chain.problems, stream=header.stream if header else None,
            from_position=header.from_position if header else None,
            to_position=header.to_position if header else None, last_position=self._last,
            unlinked_streams=self._unlinked, notes=notes,
        )  # fmt: skip


def verify_lines(lines: Iterable[bytes]) -> ExportReport:
    verifier = ExportVerifier()
    for line in lines:
        verifier.feed(line)
    return verifier.report()
