"""Plain async handlers: load the aggregates, decide, append. One module per aggregate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import msgspec

from eventstore.errors import ConcurrencyConflict

T = TypeVar("T")

CONFLICT_RETRIES = 3


class Outcome(msgspec.Struct, frozen=True):
    """What an accepted command answers: the last position it appended, and the new id."""

    position: int
    id: UUID | None = None


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]]) -> T:
    """Re-run a whole load-decide-append when another writer got there first.

    The decision is re-made on the new state, so a retry never overwrites anyone; after a
    few losses the conflict goes to the caller (HTTP 409)."""
    for _ in range(CONFLICT_RETRIES - 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            continue
    return await attempt()
