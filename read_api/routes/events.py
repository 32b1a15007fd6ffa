"""Competitive events, their submissions and their leaderboard."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from commands.actors import Role
from read_api import pages
from read_api.answers import kept, tagged
from read_api.requests import (
    Viewer,
    connection,
    deleted_shown,
    not_found,
    rows_as,
    viewer_of,
    views_of,
    visible,
)
from read_api.routes import ERRORS
from read_api.routes.audit import AsOfParam, leaderboard_as_of
from read_api.routes.users import IncludeDeleted
from read_api.schemas import EventView, Leaderboard, Page, SubmissionView
from read_api.views import Views

EVENTS = """
SELECT event_id, title, start_date, end_date, winner_team_id, created_at, updated_at, deleted_at
FROM competitive_event
WHERE (%(deleted)s OR deleted_at IS NULL)
  AND (%(starts_from)s::timestamptz IS NULL OR start_date >= %(starts_from)s)
  AND (%(starts_to)s::timestamptz IS NULL OR start_date < %(starts_to)s)
  AND (%(after)s::timestamptz IS NULL OR (start_date, event_id) > (%(after)s, %(after_id)s::uuid))
ORDER BY start_date, event_id LIMIT %(limit)s
"""
SUBMISSIONS = """
SELECT submission_id, team_id, event_id, file_url, file_size, sha256, status, rejection_reason,
       file_check, file_pages, submitted_at, updated_at, deleted_at
FROM submission
WHERE event_id = %(event)s AND (%(team)s::uuid IS NULL OR team_id = %(team)s)
  AND (%(status)s::text IS NULL OR status = %(status)s) AND (%(deleted)s OR deleted_at IS NULL)
  AND (%(after)s::timestamptz IS NULL
       OR (submitted_at, submission_id) > (%(after)s, %(after_id)s::uuid))
ORDER BY submitted_at, submission_id LIMIT %(limit)s
"""
SEES_ALL_SUBMISSIONS = (Role.ORGANIZER, Role.JUDGE, Role.AUDITOR)
Status = Literal["PENDING", "APPROVED", "REJECTED"]
Since = Annotated[datetime | None, Parameter(description="events starting at or after this time")]
Until = Annotated[datetime | None, Parameter(description="events starting before this time")]


async def live_event(
    views: Views, viewer: Viewer, event_id: UUID, deleted: bool = False
) -> EventView:
    event = await views.get(EventView, event_id, viewer.fresh)
    if event is None:
        not_found("event")
    visible(event.deleted_at, viewer, "event", deleted)
    return event


class EventsController(Controller):
    path = "/events"
    tags = ["events"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @get("/{event_id:uuid}", operation_id="getEvent", responses=ERRORS)
    async def one(
        self, request: Request[Any, Any, Any], event_id: UUID,
        include_deleted: IncludeDeleted = False,
    ) -> Response[EventView]:  # fmt: skip
        """Any signed-in user: an event with its winner (hot: from Redis)."""
        viewer = viewer_of(request)
        event = await live_event(views_of(request), viewer, event_id, include_deleted)
        return kept(request, event)

    @get("/", operation_id="listEvents", responses=ERRORS)
    async def many(
        self, request: Request[Any, Any, Any], starts_from: Since = None,
        starts_to: Until = None, include_deleted: IncludeDeleted = False,
        limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None,
    ) -> Page[EventView]:  # fmt: skip
        """Any signed-in user: events by start date."""
        viewer = viewer_of(request)
        after = pages.decode(cursor)
        params = {
            "deleted": deleted_shown(viewer, include_deleted), "starts_from": starts_from,
            "starts_to": starts_to, "after": after[0], "after_id": after[1], "limit": limit + 1,
        }  # fmt: skip
        async with connection(request) as conn:
            rows = await (await conn.execute(EVENTS, params)).fetchall()
        return pages.page(rows_as(EventView, rows), limit, lambda e: (e.start_date, e.event_id))

    @get("/{event_id:uuid}/submissions", operation_id="eventSubmissions", responses=ERRORS)
    async def submissions(
        self, request: Request[Any, Any, Any], event_id: UUID, status: Status | None = None,
        include_deleted: IncludeDeleted = False, limit: pages.Limit = pages.DEFAULT_LIMIT,
        cursor: pages.Cursor = None,
    ) -> Page[SubmissionView]:  # fmt: skip
        """ORGANIZER, JUDGE, AUDITOR: all; a PARTICIPANT: their team's only."""
        viewer = viewer_of(request)
        await live_event(views_of(request), viewer, event_id)
        deleted = deleted_shown(viewer, include_deleted)
        if viewer.role not in SEES_ALL_SUBMISSIONS and viewer.team_id is None:
            return Page([], None)
        team = None if viewer.role in SEES_ALL_SUBMISSIONS else viewer.team_id
        after = pages.decode(cursor)
        params = {
            "event": event_id, "team": team, "status": status, "deleted": deleted,
            "after": after[0], "after_id": after[1], "limit": limit + 1,
        }  # fmt: skip
        async with connection(request) as conn:
            rows = await (await conn.execute(SUBMISSIONS, params)).fetchall()
        items = rows_as(SubmissionView, rows)
        return pages.page(items, limit, lambda s: (s.submitted_at, s.submission_id))

    @get("/{event_id:uuid}/leaderboard", operation_id="eventLeaderboard", responses=ERRORS)
    async def leaderboard(
        self, request: Request[Any, Any, Any], event_id: UUID, as_of: AsOfParam = None
    ) -> Response[Leaderboard]:
        """Any signed-in user: teams ranked by their best approved submission's mean score,
        ties broken as the winner rule does (hot: the Redis sorted set), with an ETag. With
        ``as_of`` (ORGANIZER, AUDITOR): as it stood then, rebuilt from the event store."""
        viewer = viewer_of(request)
        if as_of is not None:
            found = await leaderboard_as_of(viewer, request.app.state.pool, event_id, as_of)
            return tagged(request, found)
        views = views_of(request)
        await live_event(views, viewer, event_id)
        standings = await views.standings(event_id, viewer.fresh)
        return kept(request, standings, lambda: Leaderboard(
            event_id=event_id, as_of_position=standings.as_of_position, items=standings.items
        ))  # fmt: skip
