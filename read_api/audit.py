"""The audit side of the read API: the event store itself, read only.

The one documented exception to "the read API reads only the read tables": the history as
stored (with its hashes), an entity's state rebuilt as of a point in time, a leaderboard
rebuilt from events with the winner rule, and the hash chain check. The read API's pool has
``search_path=read``, so every event store table here is qualified. Stored event bodies are
shown as stored, except that personal data sealed under a user's key is opened (``[erased]``
once the key is destroyed) and password hashes are never shown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg import AsyncConnection, sql
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from commands import ranking
from commands.competitions import CompetitionState, standing
from commands.evaluations import EvaluationState
from commands.repository import EVALUATIONS, EVENTS, SUBMISSIONS, TEAMS, USERS, Aggregate
from commands.submissions import SubmissionState
from commands.teams import TeamState
from commands.users import UserState
from events.base import Event, EventMetadata
from events.catalog import domain_codec
from events.competitions import SubmissionReceived
from eventstore.pool import list_look_up
from eventstore.records import RawEvent
from eventstore.store import BELOW_SAFE_LIMIT, COLUMNS, SAFE_HEAD_POSITION, raw_event
from eventstore.vault import PREFIX, Vault, open_with
from projections.cache import Standing
from read_api.schemas import Leaderboard, Page

CODEC = domain_codec()
MAX_POSITION = 2**63 - 1
REDACTED = "[redacted]"
SECRETS = frozenset({"password_hash"})  # stored (hashed), never shown
EXPORT_BATCH = 1000

# One stream (or several) up to a position and a time, in stream order.
STREAMS_AS_OF = f"""
SELECT {COLUMNS} FROM eventstore.events
WHERE stream_id = ANY(%(streams)s::text[]) AND global_position <= %(position)s
  AND recorded_at <= coalesce(%(time)s::timestamptz, 'infinity'::timestamptz)
ORDER BY stream_id, version
"""  # noqa: S608 -- COLUMNS is a constant; values are parameters

# The filters of a history query: only those asked are put in the statement, so each shape
# gets a plan that uses the right index (stream, position) instead of a generic one.
CONDITIONS = {
    "after": sql.SQL("global_position > %(after)s"),
    "safe": sql.SQL(BELOW_SAFE_LIMIT),
    "up_to": sql.SQL("global_position <= %(up_to)s"),
    "stream": sql.SQL("stream_id = %(stream)s"),
    "types": sql.SQL("event_type = ANY(%(types)s::text[])"),
    "actor": sql.SQL("metadata->>'actor_id' = %(actor)s"),
    "correlation": sql.SQL("metadata->>'correlation_id' = %(correlation)s"),
    "since": sql.SQL("recorded_at >= %(since)s"),
    "until": sql.SQL("recorded_at <= %(until)s"),
}
HISTORY = sql.SQL(
    "SELECT {columns} FROM eventstore.events WHERE {where} ORDER BY global_position LIMIT {limit}"
)


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event as stored, its personal data opened (API.md "Shapes worth fixing")."""

    global_position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: EventMetadata
    recorded_at: datetime
    hash: str  # hex of sha256(prev_hash || canonical bytes)
    prev_hash: str  # hex; the previous event of the same stream (zeros for version 1)


class History(msgspec.Struct, frozen=True, kw_only=True):
    """Which events of the global log to read, in position order."""

    after: int = 0
    limit: int = 100
    safe: bool = True  # only below safe_position_limit(): a page walk never skips an event
    up_to: int | None = None
    stream: str | None = None
    types: tuple[str, ...] = ()
    actor: UUID | None = None
    correlation: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


class AsOf(msgspec.Struct, frozen=True):
    position: int = MAX_POSITION
    time: datetime | None = None


class _EntityAsOf(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    entity_id: UUID
    stream_id: str
    version: int  # the stream version of the last event folded
    as_of_position: int  # its global position
    recorded_at: datetime  # and when it was recorded


class UserAsOf(_EntityAsOf, frozen=True, kw_only=True, tag="user"):
    state: UserState


class TeamAsOf(_EntityAsOf, frozen=True, kw_only=True, tag="team"):
    state: TeamState


class EventAsOf(_EntityAsOf, frozen=True, kw_only=True, tag="event"):
    state: CompetitionState


class SubmissionAsOf(_EntityAsOf, frozen=True, kw_only=True, tag="submission"):
    state: SubmissionState


class EvaluationAsOf(_EntityAsOf, frozen=True, kw_only=True, tag="evaluation"):
    state: EvaluationState


EntityAsOf = UserAsOf | TeamAsOf | EventAsOf | SubmissionAsOf | EvaluationAsOf
KINDS: dict[str, tuple[Aggregate[Any], Callable[..., EntityAsOf]]] = {
    "user": (USERS, UserAsOf),
    "team": (TEAMS, TeamAsOf),
    "event": (EVENTS, EventAsOf),
    "submission": (SUBMISSIONS, SubmissionAsOf),
    "evaluation": (EVALUATIONS, EvaluationAsOf),
}


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def history_query(history: History) -> tuple[sql.Composed, dict[str, Any]]:
    """The statement with only the conditions asked, and its parameters."""
    h = history
    params = {
        "after": h.after, "up_to": h.up_to, "stream": h.stream, "types": list(h.types) or None,
        "actor": _text(h.actor), "correlation": _text(h.correlation), "since": h.since,
        "until": h.until,
    }  # fmt: skip
    asked = [CONDITIONS[name] for name, value in params.items() if value is not None]
    asked += [CONDITIONS["safe"]] if h.safe else []
    where = sql.SQL(" AND ").join(asked)
    return HISTORY.format(columns=sql.SQL(COLUMNS), where=where, limit=sql.Literal(h.limit)), params


async def read_history(conn: AsyncConnection, history: History) -> list[RawEvent]:
    cursor = conn.cursor(row_factory=tuple_row)
    await cursor.execute(*history_query(history))
    return [raw_event(row) for row in await cursor.fetchall()]


class Opener:
    """Shows raw events: personal fields opened with their user's key, secrets withheld.

    Sealed values live only in user streams, encrypted under that user's key (see
    projections/tables.py); keys are looked up once per user, several at a time.
    """

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._keys: dict[UUID, bytes | None] = {}

    async def show(self, raws: Sequence[RawEvent]) -> list[AuditEvent]:
        bodies = [msgspec.json.decode(raw.data) for raw in raws]
        owners = {_owner(raw) for raw, body in zip(raws, bodies, strict=True) if _sealed(body)}
        missing = [owner for owner in owners if owner is not None and owner not in self._keys]
        if missing:
            self._keys.update(await self._vault.keys(missing))
        return [self._shape(raw, body) for raw, body in zip(raws, bodies, strict=True)]

    def _shape(self, raw: RawEvent, body: Any) -> AuditEvent:
        owner = _owner(raw)
        data = {
            name: self._open(owner, value) if name not in SECRETS else REDACTED
            for name, value in (body.items() if isinstance(body, dict) else [])
        }
        return AuditEvent(
            global_position=raw.global_position, event_id=raw.event_id,
            stream_id=raw.stream_id, stream_type=raw.stream_type, version=raw.version,
            type=raw.type, schema_version=raw.schema_version, data=data,
            metadata=msgspec.json.decode(raw.metadata, type=EventMetadata),
            recorded_at=raw.recorded_at, hash=raw.hash.hex(), prev_hash=raw.prev_hash.hex(),
        )  # fmt: skip

    def _open(self, owner: UUID | None, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith(PREFIX)) or owner is None:
            return value
        return open_with(self._keys.get(owner), owner, value)


def _sealed(body: Any) -> bool:
    return isinstance(body, dict) and any(
        isinstance(v, str) and v.startswith(PREFIX) for v in body.values()
    )


def _owner(raw: RawEvent) -> UUID | None:
    if raw.stream_type != USERS.kind:
        return None
    try:
        return UUID(raw.stream_id.split("-", 1)[1])
    except ValueError:
        return None


async def history_page(
    pool: AsyncConnectionPool[AsyncConnection], history: History
) -> Page[AuditEvent]:
    """One page of the history; ``next_cursor`` is the ``after`` of the next page. The rows
    are opened after their connection went back (opening takes one for the users' keys)."""
    asked = msgspec.structs.replace(history, limit=history.limit + 1)
    async with pool.connection() as conn:
        raws = await read_history(conn, asked)
    more = len(raws) > history.limit
    shown = await Opener(Vault(pool)).show(raws[: history.limit])
    return Page(shown, str(shown[-1].global_position) if more and shown else None)


async def export(
    pool: AsyncConnectionPool[AsyncConnection], history: History
) -> AsyncIterator[bytes]:
    """NDJSON lines of the history as it stood when the export began, a batch per query (no
    transaction stays open while a slow client reads)."""
    opener, encoder = Opener(Vault(pool)), msgspec.json.Encoder()
    async with pool.connection() as conn:
        row = await (await conn.execute(SAFE_HEAD_POSITION)).fetchone()
    history = msgspec.structs.replace(
        history, limit=EXPORT_BATCH, up_to=int(row[0]) if row else 0, safe=False
    )
    while True:
        async with pool.connection() as conn:
            raws = await read_history(conn, history)
        if not raws:
            return
        lines = [encoder.encode(event) + b"\n" for event in await opener.show(raws)]
        yield b"".join(lines)
        history = msgspec.structs.replace(history, after=raws[-1].global_position)


def decoded(raws: Sequence[RawEvent]) -> list[Event]:
    return [CODEC.decode(raw.type, raw.schema_version, raw.data) for raw in raws]


async def streams_as_of(
    conn: AsyncConnection, streams: Sequence[str], as_of: AsOf
) -> dict[str, list[RawEvent]]:
    params = {"streams": list(streams), "position": as_of.position, "time": as_of.time}
    found: dict[str, list[RawEvent]] = {}
    for row in await (await list_look_up(conn, STREAMS_AS_OF, params)).fetchall():
        raw = raw_event(row)
        found.setdefault(raw.stream_id, []).append(raw)
    return found


async def entity_as_of(
    conn: AsyncConnection, kind: str, entity_id: UUID, as_of: AsOf
) -> EntityAsOf | None:
    """The entity's state folded with the write side's own evolve, up to ``as_of``."""
    if kind not in KINDS:
        return None
    aggregate, shape = KINDS[kind]
    stream_id = aggregate.stream_id(entity_id)
    raws = (await streams_as_of(conn, [stream_id], as_of)).get(stream_id)
    if not raws:
        return None
    state = aggregate.fold(decoded(raws))
    if isinstance(state, UserState) and state.password_hash:
        state = msgspec.structs.replace(state, password_hash=REDACTED)
    last = raws[-1]
    return shape(
        entity_id=entity_id, stream_id=stream_id, version=last.version,
        as_of_position=last.global_position, recorded_at=last.recorded_at, state=state,
    )  # fmt: skip


async def leaderboard_as_of(
    conn: AsyncConnection, event_id: UUID, as_of: AsOf
) -> Leaderboard | None:
    """The event's leaderboard rebuilt from its streams up to ``as_of`` with the winner rule
    (commands/ranking.py); None when the event did not exist then."""
    event_stream = EVENTS.stream_id(event_id)
    own = (await streams_as_of(conn, [event_stream], as_of)).get(event_stream)
    if not own:
        return None
    events = decoded(own)
    competition: CompetitionState = EVENTS.fold(events)
    teams = {e.team_id for e in events if isinstance(e, SubmissionReceived)}
    wanted = [SUBMISSIONS.stream_id(s) for s in competition.submissions]
    history = await streams_as_of(conn, wanted + [TEAMS.stream_id(t) for t in teams], as_of)
    submissions = [SUBMISSIONS.fold(decoded(history.get(s, []))) for s in wanted]
    names = {t: TEAMS.fold(decoded(history.get(TEAMS.stream_id(t), []))).name for t in teams}
    ranked = ranking.rank(e for e in map(standing, submissions) if e is not None)
    items = [
        Standing(rank, e.team_id, names.get(e.team_id, ""), e.mean_score, e.median_score,
                 len(e.scores), e.submission_id)
        for rank, e in enumerate(ranked, start=1)
    ]  # fmt: skip
    newest = max(raw.global_position for raws in [own, *history.values()] for raw in raws)
    return Leaderboard(event_id=event_id, as_of_position=newest, items=items)
