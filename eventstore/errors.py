"""The store's own errors, and the one place psycopg errors are translated into them."""

from __future__ import annotations

import json
from typing import Any

import psycopg


class EventStoreError(Exception):
    """Base of every error the event store raises."""


class ConcurrencyConflict(EventStoreError):
    """A stream was not at the version the caller expected; nothing was written."""

    def __init__(self, message: str, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(message)
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class UniqueKeyTaken(EventStoreError):
    """A unique key claimed by the append is held by another stream; nothing was written."""

    def __init__(self, message: str, scope: str) -> None:
        super().__init__(message)
        self.scope = scope


class InvalidAppend(EventStoreError):
    """The append itself is malformed (empty, too large, partly stored already)."""


class StoreUnavailable(EventStoreError):
    """PostgreSQL could not be reached or failed for a reason that is not the caller's."""


def _detail(error: psycopg.Error) -> dict[str, Any]:
    text = error.diag.message_detail
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def translate(error: psycopg.Error) -> EventStoreError:
    """Map a psycopg error to the store's error; callers ``raise translate(e) from e``."""
    state = error.sqlstate
    message = error.diag.message_primary or str(error)
    if state == "KR409":
        detail = _detail(error)
        return ConcurrencyConflict(
            message,
            stream_id=str(detail.get("stream_id", "")),
            expected=int(detail.get("expected", -1)),
            actual=int(detail.get("actual", -1)),
        )
    if state == "KR410":
        return UniqueKeyTaken(message, scope=str(_detail(error).get("scope", "")))
    if state == "KR422":
        return InvalidAppend(message)
    if state == "23505":  # unique_violation: a second append in one transaction, or a race
        return InvalidAppend(message)
    return StoreUnavailable(message)
