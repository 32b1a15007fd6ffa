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


def _detail(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def translate(error: psycopg.Error) -> EventStoreError:
    """Map a psycopg error to the store's error; callers ``raise translate(e) from e``."""
    return translate_state(
        error.sqlstate, error.diag.message_primary or str(error), error.diag.message_detail
    )


def translate_state(state: str | None, message: str, detail: str | None) -> EventStoreError:
    """Map a SQLSTATE with its message and detail (as a failed command reports them)."""
    if state == "KR409":
        fields = _detail(detail)
        return ConcurrencyConflict(
            message,
            stream_id=str(fields.get("stream_id", "")),
            expected=int(fields.get("expected", -1)),
            actual=int(fields.get("actual", -1)),
        )
    if state == "KR410":
        return UniqueKeyTaken(message, scope=str(_detail(detail).get("scope", "")))
    if state == "KR422":
        return InvalidAppend(message)
    if state == "23505":  # unique_violation: a second append in one transaction, or a race
        return InvalidAppend(message)
    return StoreUnavailable(message)
