"""Per-request context: correlation id, the authenticated actor, the command context.

Routes call these as plain functions on the request, not as litestar dependencies: each
dependency litestar resolves costs about a fifth of a cheap request (its signature is parsed
and, with more than one, a task group started). The caller is found once, by ``sign_in``."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID, uuid4

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from commands.actors import Actor
from commands.handlers.users import active_actor
from commands.ports import CommandContext, Services
from events.base import current_correlation_id
from write_api import tokens
from write_api.problems import ProblemError

CORRELATION_HEADER = "x-correlation-id"
_COMMAND = "kazrockets.command"
_AUTHORIZATION = b"authorization"
_IDEMPOTENCY_KEY = b"idempotency-key"


def header(scope: Scope, name: bytes) -> str | None:
    """A request header straight from the ASGI scope (``name`` lower case)."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


_CORRELATION_HEADER = CORRELATION_HEADER.encode()


def _correlation_from(scope: Scope) -> UUID:
    sent = header(scope, _CORRELATION_HEADER)
    if sent:
        try:
            return UUID(sent)
        except ValueError:
            pass
    return uuid4()


class CorrelationMiddleware:
    """Takes X-Correlation-Id (or makes one), puts it on every log line and on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        correlation = _correlation_from(scope)
        token = current_correlation_id.set(correlation)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = (_CORRELATION_HEADER, str(correlation).encode())
                message["headers"] = [*message.get("headers", ()), answer]
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            current_correlation_id.reset(token)


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def services_of(request: Request[Any, Any, Any]) -> Services:
    """The command side's ports, built once in the app's lifespan."""
    services: Services = request.app.state.services
    return services


async def sign_in(request: Request[Any, Any, Any]) -> None:
    """The ``before_request`` hook of every signed-in route: the caller is checked (or the
    answer is 401) before litestar reads the route's parameters or body, and the command's
    context stays in the request's scope for ``command_of``."""
    scope: dict[str, Any] = request.scope  # type: ignore[assignment]  # a key of our own
    try:
        actor = await _actor(request)
    except ProblemError:
        # Read what the client is still sending first: a server that answers and closes
        # while an upload is arriving makes the client's socket fail (a reset) before it
        # can read the 401. (A body too large or cut short changes nothing: still 401.)
        with contextlib.suppress(Exception):
            async for _ in request.stream():
                pass
        raise
    scope[_COMMAND] = _context(request, actor)


def command_of(request: Request[Any, Any, Any]) -> CommandContext:
    """The signed-in caller's command context, as ``sign_in`` made it."""
    ctx: CommandContext = request.scope[_COMMAND]  # type: ignore[literal-required]  # sign_in's key
    return ctx


def anonymous_command(request: Request[Any, Any, Any]) -> CommandContext:
    """The command context of a route anyone may call (registering)."""
    return _context(request, None)


def bearer_claims(request: Request[Any, Any, Any]) -> tokens.Claims:
    """The claims of the request's bearer token, checked (and kept) by the app's tokens;
    401 without a token or with a bad one. Both APIs sign callers in with it."""
    scheme, _, token = (header(request.scope, _AUTHORIZATION) or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("sign in and send 'Authorization: Bearer <token>'")
    checked: tokens.CheckedTokens = request.app.state.tokens
    claims = checked.read(token.strip())
    if claims is None:
        raise unauthorized("the token is invalid or expired")
    return claims


async def _actor(request: Request[Any, Any, Any]) -> Actor:
    claims = bearer_claims(request)
    actor = await active_actor(request.app.state.services, claims.user_id)
    if actor is None:
        raise unauthorized("this account no longer exists")
    return actor


def _context(request: Request[Any, Any, Any], actor: Actor | None) -> CommandContext:
    correlation = current_correlation_id.get() or uuid4()
    return CommandContext(
        actor=actor,
        correlation_id=correlation,
        causation_id=correlation,
        idempotency_key=header(request.scope, _IDEMPOTENCY_KEY),
    )
