"""The audit routes (ORGANIZER and AUDITOR): the event store's history, entities and
leaderboards as of a point, the hash chain check and an NDJSON export (read_api/audit.py)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import Parameter, QueryParameter
from litestar.response import Stream
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actors import Role
from eventstore.verify import VerifyReport
from eventstore.verify import verify as verify_chains
from read_api import audit
from read_api.audit import AuditEvent, EntityAsOf, History
from read_api.requests import Viewer, connection, not_found, require, viewer_of
from read_api.routes import ERRORS
from read_api.schemas import Leaderboard, Page
from write_api.problems import ProblemError, responses

NDJSON = "application/x-ndjson"
DIGITS = re.compile(r"^[0-9]{1,19}$")
After = Annotated[
    int,
    Parameter(ge=0, le=audit.MAX_POSITION, description="global position to continue after "
              "(the previous page's next_cursor)"),
]  # fmt: skip
Limit = Annotated[int, Parameter(ge=1, le=1000, description="page size (default 100)")]
StreamFilter = Annotated[str | None, Parameter(description="only this stream, e.g. team-<uuid>")]
Types = Annotated[
    list[str] | None, QueryParameter(name="type", description="only these event types")
]
Actor = Annotated[UUID | None, Parameter(description="only events caused by this user")]
Since = Annotated[
    datetime | None, QueryParameter(name="from", description="recorded at or after (RFC 3339)")
]
Until = Annotated[datetime | None, QueryParameter(name="to", description="recorded at or before")]
Kind = Annotated[str, Parameter(description="user, team, event, submission or evaluation")]
AsOfParam = Annotated[
    str | None,
    Parameter(description="a global position (integer) or an RFC 3339 time; default: now"),
]


def clean_text(value: str | None, field: str) -> str | None:
    """PostgreSQL text cannot hold NUL: a 422, never a 500."""
    if value is not None and "\x00" in value:
        raise ProblemError(422, f"{field} must not contain NUL characters", field=field)
    return value


def aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ProblemError(422, f"{field} needs a timezone (RFC 3339)", field=field)
    return moment


def parse_as_of(text: str | None) -> audit.AsOf:
    """``as_of``: a global position (an integer) or an RFC 3339 time with a timezone."""
    if text is None:
        return audit.AsOf()
    text = text.strip()
    if DIGITS.match(text) and int(text) <= audit.MAX_POSITION:
        return audit.AsOf(position=int(text))
    # A '+' sent unescaped in a query string arrives as a space.
    for candidate in (text, text[::-1].replace(" ", "+", 1)[::-1]):
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            return audit.AsOf(time=moment)
    raise ProblemError(
        422, "as_of must be a global position or an RFC 3339 time with a timezone", field="as_of"
    )


def auditor(viewer: Viewer) -> None:
    require(viewer, Role.ORGANIZER, Role.AUDITOR)


async def leaderboard_as_of(
    viewer: Viewer, pool: AsyncConnectionPool[AsyncConnection], event_id: UUID, as_of: str
) -> Leaderboard:
    """``GET /events/{event_id}/leaderboard?as_of=``: rebuilt from the event store."""
    auditor(viewer)
    moment = parse_as_of(as_of)
    async with pool.connection() as conn:
        found = await audit.leaderboard_as_of(conn, event_id, moment)
    if found is None:
        not_found(f"event as of {as_of}")
    return found


def filters(
    stream: str | None, types: list[str] | None, since: datetime | None, until: datetime | None,
    **others: Any,
) -> History:  # fmt: skip
    """A history query from the common filters, each checked (422 for a bad one)."""
    for name in types or []:
        clean_text(name, "type")
    return History(
        stream=clean_text(stream, "stream"), types=tuple(types or ()),
        since=aware(since, "from"), until=aware(until, "to"), **others,
    )  # fmt: skip


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @get("/events", operation_id="auditEvents", responses=ERRORS)
    async def events(
        self, request: Request[Any, Any, Any], state: State, after: After = 0,
        limit: Limit = 100, stream: StreamFilter = None, event_type: Types = None,
        actor: Actor = None, since: Since = None, until: Until = None,
    ) -> Page[AuditEvent]:  # fmt: skip
        """The global history in position order with each event's metadata and hashes;
        ``next_cursor`` is the ``after`` of the next page (null at the end)."""
        auditor(viewer_of(request))
        history = filters(stream, event_type, since, until, after=after, limit=limit, actor=actor)
        return await audit.history_page(state.pool, history)

    @get("/streams/{stream_id:str}", operation_id="auditStream", responses=ERRORS)
    async def stream(
        self, request: Request[Any, Any, Any], state: State, stream_id: str,
        after: After = 0, limit: Limit = 1000,
    ) -> Page[AuditEvent]:  # fmt: skip
        """One entity's whole history, soft deletes and all, in order (``stream_id``:
        ``<kind>-<uuid>``); 404 for a stream without events."""
        auditor(viewer_of(request))
        stream = clean_text(stream_id, "stream_id")
        history = History(stream=stream, after=after, limit=limit, safe=False)
        found = await audit.history_page(state.pool, history)
        if not found.items and after == 0:
            not_found("stream")
        return found

    @get("/correlations/{correlation_id:uuid}", operation_id="auditCorrelation", responses=ERRORS)
    async def correlation(
        self, request: Request[Any, Any, Any], state: State, correlation_id: UUID,
        after: After = 0, limit: Limit = 1000,
    ) -> Page[AuditEvent]:  # fmt: skip
        """Every event one request caused, across streams and workers, in order."""
        auditor(viewer_of(request))
        history = History(correlation=correlation_id, after=after, limit=limit, safe=False)
        found = await audit.history_page(state.pool, history)
        if not found.items and after == 0:
            not_found("correlation id")
        return found

    @get("/entities/{kind:str}/{entity_id:uuid}", operation_id="auditEntity", responses=ERRORS)
    async def entity(
        self, request: Request[Any, Any, Any], kind: Kind, entity_id: UUID,
        as_of: AsOfParam = None,
    ) -> EntityAsOf:  # fmt: skip
        """The entity's state rebuilt by folding its events up to ``as_of`` with the write
        side's own rules; ``kind``: user, team, event, submission or evaluation. 404 for an
        unknown kind, or an entity that did not exist then; 422 for a bad ``as_of``."""
        auditor(viewer_of(request))
        async with connection(request) as conn:
            found = await audit.entity_as_of(conn, kind, entity_id, parse_as_of(as_of))
        if found is None:
            not_found(f"{kind} as of {as_of}" if as_of else kind)
        return found

    @get("/verify", operation_id="auditVerify", responses=ERRORS)
    async def verify(self, request: Request[Any, Any, Any], state: State) -> VerifyReport:
        """Walks every stream's hash chain and the seal chain: ``ok``, how many events were
        ``checked``, and the ``first_bad_position`` when the history was altered."""
        auditor(viewer_of(request))
        return await verify_chains(state.pool)

    @get(
        "/export", operation_id="auditExport", media_type=NDJSON,
        responses=responses(401, 403, 422, 503), response_description="one event per line",
    )  # fmt: skip
    async def export(
        self, request: Request[Any, Any, Any], state: State, stream: StreamFilter = None,
        event_type: Types = None, actor: Actor = None, since: Since = None, until: Until = None,
    ) -> Stream:  # fmt: skip
        """The history as NDJSON, one event per line in the shape of ``/audit/events`` (with
        hashes), streamed, up to the newest event when the export began."""
        auditor(viewer_of(request))
        history = filters(stream, event_type, since, until, actor=actor)
        headers = {"Content-Disposition": 'attachment; filename="kazrockets-history.ndjson"'}
        return Stream(audit.export(state.pool, history), media_type=NDJSON, headers=headers)
