"""The Idempotency-Key middleware keeps an answer before the caller can receive it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from uuid import uuid4

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from write_api.idempotency import IdempotencyMiddleware
from write_api.tokens import CheckedTokens, TokenConfig

KEPT = "SELECT status, request_hash IS NOT NULL FROM write_api.idempotency WHERE key = %s"


def scope(pool: AsyncConnectionPool[AsyncConnection], key: str) -> dict[str, Any]:
    config = TokenConfig(secret="s" * 32)
    state = SimpleNamespace(pool=pool, token_config=config, tokens=CheckedTokens(config))
    return {
        "type": "http",
        "method": "POST",
        "path": "/events",
        "query_string": b"",
        "headers": [(b"idempotency-key", key.encode())],
        "litestar_app": SimpleNamespace(state=state),
    }


async def answered(
    pool: AsyncConnectionPool[AsyncConnection], key: str, status: int
) -> list[tuple[int, bool] | None]:
    """Run one request through the middleware; what the table held as the answer left."""
    kept_when_sent: list[tuple[int, bool] | None] = []

    async def app(_scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            async with pool.connection() as conn:
                row = await (await conn.execute(KEPT, (key,))).fetchone()
            kept_when_sent.append(None if row is None else (row[0], row[1]))

    await IdempotencyMiddleware(app)(scope(pool, key), receive, send)  # type: ignore[arg-type]  # a plain dict scope and plain callables stand in for litestar's
    return kept_when_sent


async def test_a_refusal_is_kept_before_its_answer_is_sent(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    key = str(uuid4())
    assert await answered(pool, key, 422) == [(422, True)]


async def test_a_server_error_frees_the_key_before_its_answer_is_sent(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    key = str(uuid4())
    assert await answered(pool, key, 503) == [None]
