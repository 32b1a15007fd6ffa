"""Teams with their captain and members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get

from read_api import pages
from read_api.answers import tagged
from read_api.requests import connection, deleted_shown, not_found, viewer_of, visible
from read_api.routes import ERRORS
from read_api.routes.users import IncludeDeleted
from read_api.schemas import Member, Page, TeamView

# Members as a JSON array built by PostgreSQL: one query per page, not one per team.
TEAMS = """
SELECT t.team_id, t.name, t.captain_id,
       coalesce((SELECT json_agg(json_build_object('user_id', m.user_id, 'name', u.name,
                                                   'joined_at', m.joined_at)
                                 ORDER BY m.joined_at, m.user_id)
                 FROM team_member m LEFT JOIN app_user u ON u.user_id = m.user_id
                 WHERE m.team_id = t.team_id), '[]'::json)::text,
       t.created_at, t.updated_at, t.deleted_at
FROM team t
"""
ONE = TEAMS + "WHERE t.team_id = %s"
MANY = (
    TEAMS
    + """WHERE (%(deleted)s OR t.deleted_at IS NULL)
  AND (%(after)s::timestamptz IS NULL
       OR (t.created_at, t.team_id) > (%(after)s, %(after_id)s::uuid))
ORDER BY t.created_at, t.team_id LIMIT %(limit)s
"""
)


_members = msgspec.json.Decoder(list[Member])


def _team(row: tuple[Any, ...]) -> TeamView:
    members = _members.decode(row[3])
    return TeamView(
        team_id=row[0], name=row[1], captain_id=row[2], members=members,
        created_at=row[4], updated_at=row[5], deleted_at=row[6],
    )  # fmt: skip


class TeamsController(Controller):
    path = "/teams"
    tags = ["teams"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @get("/{team_id:uuid}", operation_id="getTeam", responses=ERRORS)
    async def one(
        self, request: Request[Any, Any, Any], team_id: UUID,
        include_deleted: IncludeDeleted = False,
    ) -> Response[TeamView]:  # fmt: skip
        """Any signed-in user: a team with its captain and members."""
        viewer = viewer_of(request)
        async with connection(request) as conn:
            row = await (await conn.execute(ONE, (team_id,))).fetchone()
        if row is None:
            not_found("team")
        team = _team(row)
        visible(team.deleted_at, viewer, "team", include_deleted)
        return tagged(request, team)

    @get("/", operation_id="listTeams", responses=ERRORS)
    async def many(
        self, request: Request[Any, Any, Any], include_deleted: IncludeDeleted = False,
        limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None,
    ) -> Page[TeamView]:  # fmt: skip
        """Any signed-in user: every team, oldest first."""
        after = pages.decode(cursor)
        params = {
            "deleted": deleted_shown(viewer_of(request), include_deleted), "after": after[0],
            "after_id": after[1], "limit": limit + 1,
        }  # fmt: skip
        async with connection(request) as conn:
            rows = await (await conn.execute(MANY, params)).fetchall()
        return pages.page([_team(r) for r in rows], limit, lambda t: (t.created_at, t.team_id))
