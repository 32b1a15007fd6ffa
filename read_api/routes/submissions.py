"""One submission with a download link, and its evaluations."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get

from commands.actors import Role
from read_api import pages
from read_api.answers import tagged
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
from read_api.routes.users import IncludeDeleted
from read_api.schemas import EvaluationView, EventView, Page, SubmissionDetail, SubmissionView
from read_api.views import Views
from write_api.problems import ProblemError

EVALUATIONS = """
SELECT evaluation_id, submission_id, judge_id, score, comments, created_at, updated_at, deleted_at
FROM evaluation
WHERE submission_id = %(submission)s AND (%(deleted)s OR deleted_at IS NULL)
  AND (%(after)s::timestamptz IS NULL
       OR (created_at, evaluation_id) > (%(after)s, %(after_id)s::uuid))
ORDER BY created_at, evaluation_id LIMIT %(limit)s
"""
DOWNLOADERS = (Role.ORGANIZER, Role.JUDGE)
STAFF = (Role.ORGANIZER, Role.JUDGE, Role.AUDITOR)


async def readable(
    views: Views, viewer: Viewer, submission_id: UUID, deleted: bool = False
) -> SubmissionView:
    """The submission, for staff and the team's members only."""
    submission = await views.get(SubmissionView, submission_id, viewer.fresh)
    if submission is None:
        not_found("submission")
    if viewer.role not in STAFF and viewer.team_id != submission.team_id:
        raise ProblemError(403, "only the team's members and the organisers may see it")
    visible(submission.deleted_at, viewer, "submission", deleted)
    return submission


class SubmissionsController(Controller):
    path = "/submissions"
    tags = ["submissions"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @get("/{submission_id:uuid}", operation_id="getSubmission", responses=ERRORS)
    async def one(
        self, request: Request[Any, Any, Any], submission_id: UUID,
        include_deleted: IncludeDeleted = False,
    ) -> Response[SubmissionDetail]:  # fmt: skip
        """ORGANIZER, JUDGE, AUDITOR, the team's members: status and a presigned download link
        (not for AUDITOR; the link expires after a few minutes)."""
        viewer, state = viewer_of(request), request.app.state
        submission = await readable(views_of(request), viewer, submission_id, include_deleted)
        url = None
        if viewer.role in DOWNLOADERS or viewer.team_id == submission.team_id:
            url = state.files.download_url(submission.file_url, state.config.download_url_seconds)
        fields = msgspec.structs.asdict(submission)
        return tagged(request, SubmissionDetail(**fields, download_url=url))

    @get("/{submission_id:uuid}/evaluations", operation_id="submissionEvaluations",
         responses=ERRORS)  # fmt: skip
    async def evaluations(
        self, request: Request[Any, Any, Any], submission_id: UUID,
        include_deleted: IncludeDeleted = False, limit: pages.Limit = pages.DEFAULT_LIMIT,
        cursor: pages.Cursor = None,
    ) -> Page[EvaluationView]:  # fmt: skip
        """ORGANIZER, AUDITOR and the judges; the team's members once a winner is declared."""
        viewer, views = viewer_of(request), views_of(request)
        submission = await readable(views, viewer, submission_id)
        if viewer.role not in STAFF:
            event = await views.get(EventView, submission.event_id, viewer.fresh)
            if event is None or event.winner_team_id is None:
                raise ProblemError(403, "the team sees its evaluations once the results are out")
        after = pages.decode(cursor)
        params = {
            "submission": submission_id, "deleted": deleted_shown(viewer, include_deleted),
            "after": after[0], "after_id": after[1], "limit": limit + 1,
        }  # fmt: skip
        async with connection(request) as conn:
            rows = await (await conn.execute(EVALUATIONS, params)).fetchall()
        items = rows_as(EvaluationView, rows)
        return pages.page(items, limit, lambda e: (e.created_at, e.evaluation_id))
