"""Idempotency-Key: a repeated request returns the first answer and appends nothing.

An ASGI middleware around the command routes. The first request with a key (per caller)
claims a row, runs, and stores its answer with a hash of the request; a repeat with the same
request gets the stored answer, a repeat with another request gets 422, and a repeat while the
first is still running gets 409. Answers of 5xx are not kept, so a retry can succeed later.
The request body is hashed as it streams by, never buffered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, cast

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from write_api import tokens
from write_api.context import header

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 200
# Login appends nothing, so there is nothing to replay, and its answer is a bearer token that
# must not be kept in the database: the key is ignored there.
NOT_KEPT = frozenset({"/auth/login"})

CLAIM = """
INSERT INTO write_api.idempotency (caller, key) VALUES (%s, %s)
ON CONFLICT (caller, key) DO NOTHING RETURNING 1
"""
FETCH = """
SELECT request_hash, status, headers::text, body FROM write_api.idempotency
WHERE caller = %s AND key = %s
"""
COMPLETE = """
UPDATE write_api.idempotency SET request_hash = %s, status = %s, headers = %s, body = %s
WHERE caller = %s AND key = %s
"""
RELEASE = "DELETE FROM write_api.idempotency WHERE caller = %s AND key = %s"
# Answers are kept for a day; one claim in SWEEP_ONE_IN also sweeps the older ones away.
SWEEP_ONE_IN = 200
SWEEP = "DELETE FROM write_api.idempotency WHERE created_at < now() - interval '1 day'"

KEPT_HEADERS = frozenset({b"content-type", b"x-event-position", b"location"})


def _fingerprint_key(config: tokens.TokenConfig) -> bytes:
    """A key for request fingerprints, derived from the server secret for this one use."""
    return hashlib.sha256(b"kazrockets idempotency fingerprint\0" + config.secret.encode()).digest()


def _problem(status: int, detail: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = msgspec.json.encode({"status": status, "title": "Idempotency-Key", "detail": detail})
    return status, [(b"content-type", b"application/problem+json")], body


async def _send_answer(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_http = scope["type"] == ScopeType.HTTP
        key = header(scope, b"idempotency-key") if is_http else None
        raw = cast(dict[str, Any], scope)
        path = str(raw.get("path", "")).rstrip("/")
        if key is None or raw.get("method") not in UNSAFE or path in NOT_KEPT:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_answer(
                send, *_problem(422, "Idempotency-Key must have 1 to 200 characters")
            )
            return
        state = scope["litestar_app"].state
        pool: AsyncConnectionPool[AsyncConnection] = state.pool
        caller = self._caller(scope, state.tokens)
        request_line = f"{raw['method']} {raw['path']}?{raw.get('query_string', b'')!r}\n"
        # Keyed, because bodies hold passwords: a plain SHA-256 kept in the table would let
        # whoever reads it test password guesses at hash speed instead of bcrypt's.
        digest = hmac.new(_fingerprint_key(state.token_config), request_line.encode(), "sha256")
        async with pool.connection() as conn:
            if secrets.randbelow(SWEEP_ONE_IN) == 0:
                await conn.execute(SWEEP)
            claimed = await (await conn.execute(CLAIM, (caller, key))).fetchone()
            stored = (
                None if claimed else await (await conn.execute(FETCH, (caller, key))).fetchone()
            )
        if claimed or stored is None:
            await self._first(scope, receive, send, pool, caller, key, digest)
        else:
            await self._repeat(receive, send, stored, digest)

    @staticmethod
    def _caller(scope: Scope, checked: tokens.CheckedTokens) -> str:
        authorization = header(scope, b"authorization") or ""
        claims = checked.read(authorization.removeprefix("Bearer ").strip())
        return "anonymous" if claims is None else str(claims.user_id)

    async def _first(
        self, scope: Scope, receive: Receive, send: Send,
        pool: AsyncConnectionPool[AsyncConnection], caller: str, key: str, digest: Any,
    ) -> None:  # fmt: skip
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}
        finished = settled = False

        async def hashing_receive() -> ReceiveMessage:
            nonlocal finished
            message = await receive()
            if message["type"] == "http.request":
                digest.update(message.get("body", b""))
                finished = not message.get("more_body", False)
            return message

        async def settle() -> None:
            """Keep the answer (or free the key after a 5xx) before the caller can see it,
            so a retry sent the moment the answer arrives is replayed, never told 409."""
            nonlocal finished, settled
            settled = True
            while not finished:  # hash what the app left unread
                message = await receive()
                if message["type"] != "http.request":
                    break
                digest.update(message.get("body", b""))
                finished = not message.get("more_body", False)
            async with pool.connection() as conn:
                if answer["status"] >= 500:
                    await conn.execute(RELEASE, (caller, key))
                    return
                headers = msgspec.json.encode(
                    [[k.decode(), v.decode()] for k, v in answer["headers"]]
                )
                await conn.execute(
                    COMPLETE,
                    (
                        digest.digest(),
                        answer["status"],
                        headers.decode(),
                        bytes(answer["body"]),
                        caller,
                        key,
                    ),
                )

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [
                    (bytes(k), bytes(v))
                    for k, v in message.get("headers", [])
                    if bytes(k).lower() in KEPT_HEADERS
                ]
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await settle()
            await send(message)

        try:
            await self.app(scope, hashing_receive, capturing_send)
        finally:
            if not settled:  # the app failed without answering: the key is free again
                answer["status"] = 500
                await settle()

    async def _repeat(
        self, receive: Receive, send: Send, stored: tuple[Any, ...], digest: Any
    ) -> None:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            digest.update(message.get("body", b""))
            if not message.get("more_body", False):
                break
        request_hash, status, headers, body = stored
        if request_hash is None:
            await _send_answer(
                send, *_problem(409, "a request with this Idempotency-Key is in progress")
            )
        elif bytes(request_hash) != digest.digest():
            await _send_answer(
                send, *_problem(422, "this Idempotency-Key was used with a different request")
            )
        else:
            kept = [(k.encode(), v.encode()) for k, v in msgspec.json.decode(headers)]
            await _send_answer(
                send, status, [*kept, (b"idempotent-replayed", b"true")], bytes(body)
            )
