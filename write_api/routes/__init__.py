"""Controllers of the write API, one module per resource."""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Request, Response

T = TypeVar("T")
# Routes take the request and ask it for what they need (write_api/context.py).
AnyRequest = Request[Any, Any, Any]

POSITION_HEADER = "X-Event-Position"


def accepted(body: T, position: int, status: int = 200) -> Response[T]:
    """An accepted command's answer: its result, and its position also as a header."""
    return Response(body, status_code=status, headers={POSITION_HEADER: str(position)})
