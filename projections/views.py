"""Redis views: a pure policy from one event to the view it leaves behind.

Keys: ``kazrockets:event:<id>`` (the event, 1-hour TTL), ``kazrockets:user:<id>`` (the
profile, no secrets), ``kazrockets:submission:<id>`` (its status). Each view is a Redis hash
holding the JSON and the stream version it reflects; a change that the event alone cannot
describe leaves a tombstone (version, no JSON) so the read side refills it from the tables,
and an older event arriving late can never overwrite a newer view.
"""

from __future__ import annotations

from typing import Any

import msgspec

from events.competitions import (
    CompetitiveEventChanged,
    CompetitiveEventCreated,
    CompetitiveEventDeleted,
    WinnerDeclared,
)
from events.submissions import (
    SubmissionApproved,
    SubmissionDeleted,
    SubmissionFileRejected,
    SubmissionFileValidated,
    SubmissionRejected,
    SubmissionUploaded,
)
from events.users import UserRegistered
from projections.changes import Fact, Sealed

NAME = "redis"
EVENT_TTL_SECONDS = 3600


class ViewWrite(msgspec.Struct, frozen=True):
    """Set the view (``value`` None: a tombstone, refilled on read)."""

    key: str
    value: dict[str, Any] | None
    ttl: int | None = None


def key(entity: str, entity_id: object) -> str:
    return f"kazrockets:{entity}:{entity_id}"


def _entity(fact: Fact) -> tuple[str, str]:
    kind, _, entity_id = fact.stream_id.partition("-")
    return kind, entity_id


def project(fact: Fact) -> list[ViewWrite]:
    """A creation writes the whole view (the same fields the read API answers with, built from
    the tables on a miss); any later change leaves a tombstone, refilled from the tables."""
    kind, entity_id = _entity(fact)
    event, at = fact.event, fact.recorded_at.isoformat()
    match event:
        case CompetitiveEventCreated():
            view = {
                "event_id": str(event.event_id), "title": event.title,
                "start_date": event.start_date.isoformat(), "end_date": event.end_date.isoformat(),
                "winner_team_id": None, "created_at": at, "updated_at": at, "deleted_at": None,
            }  # fmt: skip
            return [ViewWrite(key("event", entity_id), view, EVENT_TTL_SECONDS)]
        case CompetitiveEventChanged() | CompetitiveEventDeleted() | WinnerDeclared():
            return [ViewWrite(key("event", entity_id), None, EVENT_TTL_SECONDS)]
        case UserRegistered():
            profile = {
                "user_id": str(event.user_id), "email": Sealed(event.user_id, event.email),
                "name": Sealed(event.user_id, event.name), "role": event.role,
                "language": event.language, "team_id": None, "created_at": at,
                "updated_at": at, "deleted_at": None,
            }  # fmt: skip
            return [ViewWrite(key("user", entity_id), profile)]
        case SubmissionUploaded():
            submission: dict[str, object] = {
                "submission_id": entity_id, "team_id": str(event.team_id),
                "event_id": str(event.event_id), "file_url": event.file_key,
                "file_size": event.file_size, "sha256": event.sha256, "status": "PENDING",
                "rejection_reason": None, "file_check": "PENDING", "file_pages": None,
                "submitted_at": event.submitted_at.isoformat(),
                "updated_at": at, "deleted_at": None,
            }  # fmt: skip
            return [ViewWrite(key("submission", entity_id), submission)]
        case (
            SubmissionApproved() | SubmissionRejected() | SubmissionDeleted()
            | SubmissionFileValidated() | SubmissionFileRejected()
        ):  # fmt: skip
            return [ViewWrite(key("submission", entity_id), None)]
    if kind == "user":  # any other change of a user: the profile is refilled from the tables
        return [ViewWrite(key("user", entity_id), None)]
    return []
