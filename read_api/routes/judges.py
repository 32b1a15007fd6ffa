"""A judge's work: the submissions assigned to them, and whether each is scored."""

from __future__ import annotations

from litestar import Controller, get
from psycopg import AsyncConnection

from commands.actors import Role
from read_api import pages
from read_api.requests import Viewer, require, rows_as
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
        self, viewer: Viewer, conn: AsyncConnection, limit: pages.Limit = pages.DEFAULT_LIMIT,
        cursor: pages.Cursor = None,
    ) -> Page[Assignment]:  # fmt: skip
        """JUDGE: the submissions assigned to the caller, oldest assignment first."""
        require(viewer, Role.JUDGE)
        after = pages.decode(cursor)
        params = {"judge": viewer.user_id, "after": after[0], "after_id": after[1]}
        rows = await (await conn.execute(ASSIGNMENTS, {**params, "limit": limit + 1})).fetchall()
        return pages.page(
            rows_as(Assignment, rows), limit, lambda a: (a.assigned_at, a.submission_id)
        )
