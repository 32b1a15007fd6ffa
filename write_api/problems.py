"""The one place errors become HTTP answers: RFC 9457 problem details, never a 500 for input."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from commands.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from eventstore.errors import (
    ConcurrencyConflict,
    EventStoreError,
    InvalidAppend,
    StoreUnavailable,
    UniqueKeyTaken,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class InvalidField(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """An RFC 9457 problem document."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    invalid_fields: list[InvalidField] = msgspec.field(default_factory=list)


class ProblemError(Exception):
    """Raised by the HTTP layer itself for answers that are not domain errors (401, 413, ...)."""

    def __init__(
        self, status: int, detail: str, headers: dict[str, str] | None = None, field: str = ""
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.field = field


def problem(
    status: int,
    detail: str,
    fields: list[InvalidField] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(status, TITLES.get(status, "Error"), detail, invalid_fields=fields or [])
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_status(error: DomainError) -> int:
    match error:
        case Forbidden():
            return 403
        case NotFound():
            return 404
        case Conflict():
            return 409
        case Invalid():
            return 422
    return 422


def _store_status(error: EventStoreError) -> int:
    match error:
        case ConcurrencyConflict():
            return 409
        case UniqueKeyTaken():
            return 409
        case InvalidAppend():
            return 422
        case StoreUnavailable():
            return 503
    return 503


def _validation_fields(error: ValidationException) -> list[InvalidField]:
    extra: Any = error.extra
    fields = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            fields.append(InvalidField(key, str(item.get("message", "invalid"))))
    return fields


def _reading_request(error: Exception) -> bool:
    """Whether error escaped litestar while it read the request into the handler's arguments.

    Its decoders raise UnicodeDecodeError for invalid UTF-8 and RecursionError for deeply
    nested JSON instead of a 400; raised anywhere else, those errors are bugs and stay 500s.
    """
    return any(frame.name == "to_kwargs" for frame in traceback.extract_tb(error.__traceback__))


def handle(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    """Map every error the app can raise to a problem document."""
    match error:
        case DomainError():
            fields = [InvalidField(error.field, str(error))] if error.field else []
            return problem(_domain_status(error), str(error), fields)
        case EventStoreError():
            return problem(_store_status(error), str(error))
        case ProblemError():
            fields = [InvalidField(error.field, error.detail)] if error.field else []
            return problem(error.status, error.detail, fields, error.headers)
        case ValidationException():
            return problem(422, str(error.detail), _validation_fields(error))
        case HTTPException():
            status = error.status_code
            return problem(status, str(error.detail), headers=error.headers)
        case UnicodeDecodeError() if _reading_request(error):
            return problem(400, "the request is not valid UTF-8")
        case RecursionError() if _reading_request(error):
            return problem(400, "the request body is nested too deeply")
    log.exception("unhandled error", exc_info=error)
    return problem(500, "an unexpected error happened; it has been logged")


def responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem answers a route can give.

    Always 400 too, for a request that cannot be read (malformed JSON or multipart): litestar
    would otherwise document its own `{status_code, detail}` JSON, not the problem we send.
    """
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=TITLES.get(status, "Error"),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in sorted({400, *statuses})
    }
