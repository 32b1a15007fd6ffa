"""What every read route shares: the signed-in viewer, read-your-writes, ETags, roles.

Routes call these as plain functions on the request, not as litestar dependencies: each
dependency litestar resolves costs about a fifth of a cached read (its signature is parsed
and a cleanup group entered on every request). The caller is found once, by ``sign_in``."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, NoReturn, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import State
from psycopg import AsyncConnection

from commands.actors import Role
from projections.watermark import Checkpoints
from read_api.schemas import UserView
from read_api.views import Views
from write_api.context import bearer_claims, header, unauthorized
from write_api.problems import ProblemError

T = TypeVar("T")

MIN_POSITION_HEADER = "x-min-position"
_MIN_POSITION = MIN_POSITION_HEADER.encode()
SEES_DELETED = frozenset({Role.ORGANIZER, Role.AUDITOR})
_VIEWER = "kazrockets.viewer"


class Viewer(msgspec.Struct, frozen=True):
    user_id: Any
    role: Role
    team_id: Any
    fresh: bool = False  # X-Min-Position was sent and reached: answer from the tables
    profile: UserView | None = None  # the caller's own view, as signing in read it


async def _fresh(request: Request[Any, Any, Any], state: State) -> bool:
    """Wait for ``X-Min-Position``; True when the answer must come from the tables."""
    raw = header(request.scope, _MIN_POSITION)
    if raw is None:
        return False
    try:
        position = int(raw)
    except ValueError:
        raise ProblemError(
            422, "X-Min-Position must be a position a command returned", field="X-Min-Position"
        ) from None
    checkpoints: Checkpoints = state.checkpoints
    if not await checkpoints.reached(position, state.config.min_position_wait_seconds):
        raise ProblemError(
            503, f"the projections have not reached position {position} yet; retry shortly",
            headers={"Retry-After": "1"},
        )  # fmt: skip
    return True


async def sign_in(request: Request[Any, Any, Any]) -> None:
    """The ``before_request`` hook of every signed-in route: the caller is known (or the answer
    is 401) before litestar reads the route's parameters, and stays in the request's scope
    for ``viewer_of``."""
    scope: dict[str, Any] = request.scope  # type: ignore[assignment]  # a key of our own
    scope[_VIEWER] = await _viewer(request, request.app.state)


def viewer_of(request: Request[Any, Any, Any]) -> Viewer:
    """The signed-in caller ``sign_in`` found."""
    viewer: Viewer = request.scope[_VIEWER]  # type: ignore[literal-required]  # sign_in's key
    return viewer


async def _viewer(request: Request[Any, Any, Any], state: State) -> Viewer:
    """The signed-in user, from the same JWT as the write API (a deleted account is 401),
    after the wait ``X-Min-Position`` asks for. The token is checked first: a caller without
    a valid one is refused at once, and never holds a wait."""
    claims = bearer_claims(request)
    fresh = await _fresh(request, state)
    views: Views = state.views
    profile = await views.get(UserView, claims.user_id, fresh)
    if profile is None:  # signed in, not projected yet: a new account, as the token says
        return Viewer(claims.user_id, claims.role, None, fresh)
    if profile.deleted_at is not None:
        raise unauthorized("this account no longer exists")
    return Viewer(profile.user_id, Role(profile.role), profile.team_id, fresh, profile)


def views_of(request: Request[Any, Any, Any]) -> Views:
    """The app's views, from the app state."""
    views: Views = request.app.state.views
    return views


def connection(request: Request[Any, Any, Any]) -> AbstractAsyncContextManager[AsyncConnection]:
    """A database connection from the pool, for ``async with`` (a hot read from the views
    takes none; ``sign_in`` has let only a signed-in caller this far)."""
    return request.app.state.pool.connection()  # type: ignore[no-any-return]


def require(viewer: Viewer, *roles: Role) -> None:
    if viewer.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise ProblemError(403, f"only {allowed} may read this")


def deleted_shown(viewer: Viewer, asked: bool) -> bool:
    """``?include_deleted=true`` is for ORGANIZER and AUDITOR; others get 403."""
    if asked and viewer.role not in SEES_DELETED:
        raise ProblemError(403, "only ORGANIZER and AUDITOR may see deleted rows")
    return asked


def visible(deleted_at: object, viewer: Viewer, what: str, asked: bool = False) -> None:
    """404 for a deleted resource, unless an ORGANIZER or AUDITOR asked to see it (asking is
    403 for anyone else, whether the resource is deleted or not)."""
    if not deleted_shown(viewer, asked) and deleted_at is not None:
        raise ProblemError(404, f"no such {what}")


S = TypeVar("S", bound=msgspec.Struct)


def not_found(what: str) -> NoReturn:
    raise ProblemError(404, f"no such {what}")


def rows_as(kind: type[S], rows: list[tuple[Any, ...]]) -> list[S]:
    """Rows selected in the order of the Struct's fields."""
    fields = kind.__struct_fields__
    return [kind(**dict(zip(fields, row, strict=True))) for row in rows]
