"""Who is told what about which event: a pure policy of the notifications worker.

``plan(stream_id, event)`` names the kind of notification, its audience (to be looked up in
the read tables) and the values the event itself gives the message; the audience's lookup
adds the names (team, event title). ``None``: nobody is notified of this event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid5

import msgspec

from commands.notifications import NAMESPACE
from events.base import Event
from events.competitions import WinnerDeclared
from events.submissions import (
    JudgeAssigned,
    SubmissionApproved,
    SubmissionFileRejected,
    SubmissionFileValidated,
    SubmissionRejected,
)
from events.users import UserRegistered

DEADLINE_24H, DEADLINE_1H = "deadline_24h", "deadline_1h"
KINDS = (
    "submission_validated", "submission_approved", "submission_rejected", "judge_assigned",
    "winner_declared", "account_created", DEADLINE_24H, DEADLINE_1H,
)  # fmt: skip


class SubmissionTeam(msgspec.Struct, frozen=True, tag=True):
    """The members of the team that made this submission."""

    submission_id: UUID


class AssignedJudge(msgspec.Struct, frozen=True, tag=True):
    """One judge, told about one submission."""

    judge_id: UUID
    submission_id: UUID


class EventTeams(msgspec.Struct, frozen=True, tag=True):
    """The members of every team that took part in the event (submitted, or was named)."""

    event_id: UUID
    winner_team_id: UUID


class NewAccount(msgspec.Struct, frozen=True, tag=True):
    user_id: UUID


class OpenEventTeams(msgspec.Struct, frozen=True, tag=True):
    """The members of every active team: any of them may still submit to the open event."""

    event_id: UUID


Audience = SubmissionTeam | AssignedJudge | EventTeams | NewAccount | OpenEventTeams


class Plan(msgspec.Struct, frozen=True):
    kind: str
    audience: Audience
    values: dict[str, object] = msgspec.field(default_factory=dict)


def _entity(stream_id: str) -> UUID:
    return UUID(stream_id.split("-", 1)[1])


def plan(stream_id: str, event: Event) -> Plan | None:
    match event:
        case SubmissionFileValidated(pages=pages):
            audience = SubmissionTeam(_entity(stream_id))
            return Plan("submission_validated", audience, {"pages": pages})
        case SubmissionApproved():
            return Plan("submission_approved", SubmissionTeam(_entity(stream_id)))
        case SubmissionRejected(reason=reason) | SubmissionFileRejected(reason=reason):
            return Plan(
                "submission_rejected", SubmissionTeam(_entity(stream_id)), {"reason": reason}
            )
        case JudgeAssigned(judge_id=judge_id):
            submission_id = _entity(stream_id)
            return Plan(
                "judge_assigned",
                AssignedJudge(judge_id, submission_id),
                {"submission_id": str(submission_id)},
            )
        case WinnerDeclared(winner_team_id=winner):
            return Plan("winner_declared", EventTeams(_entity(stream_id), winner))
        case UserRegistered(created_by=creator) if creator not in (None, event.user_id):
            return Plan("account_created", NewAccount(event.user_id), {"role": event.role})
    return None


def deadline_kind(end_date: datetime, now: datetime) -> str | None:
    """The reminder due now for an event ending at ``end_date``: the nearer one wins (a
    24-hour reminder first noticed with minutes left would tell the wrong time)."""
    left = end_date - now
    if left <= timedelta(0) or left > timedelta(hours=24):
        return None
    return DEADLINE_1H if left <= timedelta(hours=1) else DEADLINE_24H


def reminder_id(event_id: UUID, kind: str, end_date: datetime) -> UUID:
    """The trigger id of a deadline reminder: one per event, kind and end date (a moved
    deadline is a new one, reminded of again)."""
    moment = end_date.astimezone(UTC).isoformat()
    return uuid5(NAMESPACE, f"deadline:{event_id}:{kind}:{moment}")
