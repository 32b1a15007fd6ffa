"""Users: the caller, anyone's profile, the list (ORGANIZER, AUDITOR), the caller's inbox."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from commands.actors import Role
from read_api import pages
from read_api.answers import kept, tagged
from read_api.requests import (
    Viewer,
    connection,
    not_found,
    require,
    rows_as,
    viewer_of,
    views_of,
    visible,
)
from read_api.routes import ERRORS
from read_api.schemas import Notification, Page, UserView
from read_api.views import Views

USERS = """
SELECT user_id, email, name, role, language, team_id, created_at, updated_at, deleted_at
FROM app_user
WHERE (%(role)s::text IS NULL OR role = %(role)s) AND (%(deleted)s OR deleted_at IS NULL)
  AND (%(after)s::timestamptz IS NULL OR (created_at, user_id) > (%(after)s, %(after_id)s::uuid))
ORDER BY created_at, user_id LIMIT %(limit)s
"""
NOTIFICATIONS = """
SELECT notification_id, kind, subject, body, created_at, read_at FROM notification
WHERE user_id = %(user)s AND (%(before)s::timestamptz IS NULL
      OR (created_at, notification_id) < (%(before)s, %(before_id)s::uuid))
ORDER BY created_at DESC, notification_id DESC LIMIT %(limit)s
"""
RoleFilter = Literal["PARTICIPANT", "ORGANIZER", "JUDGE", "AUDITOR"]
IncludeDeleted = Annotated[
    bool, Parameter(description="show soft-deleted rows (ORGANIZER and AUDITOR only)")
]


def shown_to(viewer: Viewer, user: UserView) -> UserView:
    """Email addresses are for their owner, ORGANIZER and AUDITOR."""
    if viewer.user_id == user.user_id or viewer.role in (Role.ORGANIZER, Role.AUDITOR):
        return user
    return msgspec.structs.replace(user, email=None)


async def _user(
    request: Request[Any, Any, Any], user_id: UUID | None, deleted: bool
) -> Response[UserView]:
    """``user_id`` None: the caller."""
    viewer = viewer_of(request)
    user = viewer.profile if user_id in (None, viewer.user_id) else None
    if user is None:  # another user's, or the caller's not projected when signing in
        views: Views = views_of(request)
        user = await views.get(UserView, user_id or viewer.user_id, viewer.fresh)
    if user is None:
        not_found("user")
    visible(user.deleted_at, viewer, "user", deleted)
    shown = shown_to(viewer, user)
    # The kept view itself (to its owner, ORGANIZER, AUDITOR), or a copy made for this request.
    return kept(request, user) if shown is user else tagged(request, shown)


class UsersController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @get("/me", operation_id="getMe", responses=ERRORS)
    async def me(self, request: Request[Any, Any, Any]) -> Response[UserView]:
        """The signed-in user (never the password hash)."""
        return await _user(request, None, False)

    @get("/{user_id:uuid}", operation_id="getUser", responses=ERRORS)
    async def one(
        self, request: Request[Any, Any, Any], user_id: UUID,
        include_deleted: IncludeDeleted = False,
    ) -> Response[UserView]:  # fmt: skip
        """Any signed-in user: a profile; the email only to its owner, ORGANIZER, AUDITOR."""
        return await _user(request, user_id, include_deleted)

    @get("/", operation_id="listUsers", responses=ERRORS)
    async def many(
        self, request: Request[Any, Any, Any], role: RoleFilter | None = None,
        include_deleted: IncludeDeleted = False, limit: pages.Limit = pages.DEFAULT_LIMIT,
        cursor: pages.Cursor = None,
    ) -> Page[UserView]:  # fmt: skip
        """ORGANIZER, AUDITOR: every account, oldest first; filter by role."""
        require(viewer_of(request), Role.ORGANIZER, Role.AUDITOR)
        after = pages.decode(cursor)
        params = {
            "role": role, "deleted": include_deleted, "after": after[0], "after_id": after[1],
            "limit": limit + 1,
        }  # fmt: skip
        async with connection(request) as conn:
            rows = await (await conn.execute(USERS, params)).fetchall()
        users = rows_as(UserView, rows)
        return pages.page(users, limit, lambda u: (u.created_at, u.user_id))

    @get("/me/notifications", operation_id="myNotifications", responses=ERRORS)
    async def notifications(
        self, request: Request[Any, Any, Any], limit: pages.Limit = pages.DEFAULT_LIMIT,
        cursor: pages.Cursor = None,
    ) -> Page[Notification]:  # fmt: skip
        """The caller's in-app notifications, newest first."""
        before = pages.decode(cursor)
        params = {"user": viewer_of(request).user_id, "before": before[0], "before_id": before[1]}
        async with connection(request) as conn:
            query = await conn.execute(NOTIFICATIONS, {**params, "limit": limit + 1})
            rows = await query.fetchall()
        return pages.page(
            rows_as(Notification, rows), limit, lambda n: (n.created_at, n.notification_id)
        )
