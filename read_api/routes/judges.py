"""A judge's work: the submissions assigned to them, and whether each is scored."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from commands.actors import Role
from read_api import pages
from read_api.requests import connection, require, rows_as, viewer_of
from read_api.routes import ERRORS
from read_api.schemas import Assignment, Page

ASSIGNMENTS = """
SELECT a.submission_id, s.team_id, s.event_id, s.status, a.assigned_at,
       EXISTS (SELECT 1 FROM evaluation e WHERE e.submission_id = a.submission_id
               AND e.judge_id = a.judge_id AND e.deleted_at IS NULL)
FROM judge_assignment a JOIN submission s ON s.submission_id = a.submission_id
WHERE a.judge_id = %(judge)s AND s.deleted_at IS NULL
  AND (%(after)s::timestamptz IS NULL
       OR (a.assigned_at, a.submission_id) > (%(after)s, %(after_id)s::uuid))
ORDER BY a.assigned_at, a.submission_id LIMIT %(limit)s
"""


class JudgesController(Controller):
    path = "/judges"
    tags = ["judges"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @get("/me/assignments", operation_id="myAssignments", responses=ERRORS)
    async def assignments(
        self, request: Request[Any, Any, Any], limit: pages.Limit = pages.DEFAULT_LIMIT,
        cursor: pages.Cursor = None,
    ) -> Page[Assignment]:  # fmt: skip
        """JUDGE: the submissions assigned to the caller, oldest assignment first."""
        viewer = viewer_of(request)
        require(viewer, Role.JUDGE)
        after = pages.decode(cursor)
        params = {"judge": viewer.user_id, "after": after[0], "after_id": after[1]}
        async with connection(request) as conn:
            query = await conn.execute(ASSIGNMENTS, {**params, "limit": limit + 1})
            rows = await query.fetchall()
        return pages.page(
            rows_as(Assignment, rows), limit, lambda a: (a.assigned_at, a.submission_id)
        )
