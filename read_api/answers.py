"""Answers with an ETag, built once: status, headers and body prepared as ASGI messages.

A hot read sends a value the views keep for a while (``read_api.views``); its answer is
encoded, hashed and framed once per value (``kept``), so a repeated read builds nothing
(litestar's ``Response`` costs about as much as the rest of a cached read). A body made
for one request is answered with ``tagged``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from write_api.context import header

_encoder = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")
_NO_CACHE = (b"cache-control", b"no-cache")


class Prepared(Response[Any]):
    """An answer whose status, headers and body were built beforehand: litestar sends it as it
    is, building no response of its own (response headers or cookies configured on the app or
    a route would not be added to it)."""

    __slots__ = ("_body", "_raw_headers", "_status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        super().__init__(body, status_code=status)
        self._status = status
        self._raw_headers = headers
        self._body = body

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIApp:  # type: ignore[override]
        return self._send  # litestar's own arguments are for responses it builds: none here

    async def _send(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A new start message each time: a middleware may replace its headers.
        start: HTTPResponseStartEvent = {
            "type": "http.response.start", "status": self._status, "headers": self._raw_headers
        }  # fmt: skip
        await send(start)
        body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": self._body,
                                       "more_body": False}  # fmt: skip
        await send(body)


class Tagged:
    """A body encoded once with its ETag, and its two answers: 200, or 304 for a client that
    already holds this version (``If-None-Match``)."""

    __slots__ = ("etag", "full", "not_modified")

    def __init__(self, body: Any) -> None:
        payload = _encoder.encode(body)
        etag = '"' + hashlib.blake2b(payload, digest_size=16).hexdigest() + '"'
        tag = (b"etag", etag.encode())
        length = (b"content-length", str(len(payload)).encode())
        self.etag = etag
        self.full = Prepared(200, [tag, _NO_CACHE, _JSON, length], payload)
        self.not_modified = Prepared(304, [tag])

    def answer(self, request: Request[Any, Any, Any]) -> Prepared:
        if self.etag in (header(request.scope, b"if-none-match") or ""):
            return self.not_modified
        return self.full


class Answers:
    """The tagged answers to values kept a while, each built once. Keyed by the value's
    identity: an entry holds its value, so that identity cannot be reused while the entry
    lives, and a value read anew is a new object, hence a new entry. At most ``size``."""

    def __init__(self, size: int = 1_000) -> None:
        self._size = size
        self._tagged: dict[int, tuple[object, Tagged]] = {}

    def of(self, value: object, body: Callable[[], Any] | None = None) -> Tagged:
        """``value``'s answer; ``body`` makes what to send when it is not ``value`` itself."""
        found = self._tagged.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        tagged = Tagged(value if body is None else body())
        if len(self._tagged) >= self._size:
            self._tagged.clear()
        self._tagged[id(value)] = (value, tagged)
        return tagged


def kept(
    request: Request[Any, Any, Any], value: object, body: Callable[[], Any] | None = None
) -> Prepared:
    """The answer to a value the views keep (their recent reads), built once per value."""
    answers: Answers = request.app.state.answers
    return answers.of(value, body).answer(request)


def tagged(request: Request[Any, Any, Any], body: Any) -> Prepared:
    """A body made for this request, with its ETag; 304 when the client holds this version."""
    return Tagged(body).answer(request)
