"""Keyset pagination: ``?limit=`` and an opaque ``?cursor=`` holding the last row's sort key.

Every list is ordered by a unique, immutable key, so walking the pages returns each row that
existed when the walk started exactly once, whatever is inserted meanwhile."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, TypeVar
from uuid import UUID

import msgspec
from litestar.params import Parameter

from read_api.schemas import Page
from write_api.problems import ProblemError

T = TypeVar("T")

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
Limit = Annotated[
    int, Parameter(ge=1, le=MAX_LIMIT, description=f"page size (default {DEFAULT_LIMIT})")
]
Cursor = Annotated[str | None, Parameter(description="next_cursor of the previous page")]

_encoder = msgspec.json.Encoder()
# Every list is ordered by (a timestamp, an id): a cursor holds the last row's pair.
_decoder = msgspec.json.Decoder(tuple[datetime, UUID])


def encode(key: Sequence[object]) -> str:
    return base64.urlsafe_b64encode(_encoder.encode(list(key))).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[datetime | None, UUID | None]:
    """The sort key a cursor holds ((None, None) for the first page); 422 for a cursor this
    API did not make."""
    if cursor is None:
        return None, None
    try:
        return _decoder.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ProblemError(422, "the cursor is not one this API returned", field="cursor") from None


def page(rows: list[T], limit: int, key: Callable[[T], Sequence[object]]) -> Page[T]:
    """``rows`` were fetched with ``limit + 1``: the extra one says whether a next page exists."""
    if len(rows) <= limit:
        return Page(rows, None)
    items = rows[:limit]
    return Page(items, encode(key(items[-1])))
