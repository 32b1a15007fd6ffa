"""Events of the competitive event aggregate (stream ``event-<uuid>``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from events.base import Event


class CompetitiveEventCreated(Event, frozen=True, tag="CompetitiveEventCreated"):
    event_id: UUID
    title: str
    start_date: datetime
    end_date: datetime
    created_by: UUID


class CompetitiveEventChanged(Event, frozen=True, tag="CompetitiveEventChanged"):
    """The event's title and dates after the change (all three, whichever changed)."""

    title: str
    start_date: datetime
    end_date: datetime


class CompetitiveEventDeleted(Event, frozen=True, tag="CompetitiveEventDeleted"):
    deleted_by: UUID
    reason: str


class SubmissionReceived(Event, frozen=True, tag="SubmissionReceived"):
    """A team submitted to this event: lets the winner be computed from the event's streams."""

    submission_id: UUID
    team_id: UUID


class TeamStanding(msgspec.Struct, frozen=True, kw_only=True):
    """One team's inputs to the result: enough for an auditor to recompute it."""

    team_id: UUID
    submission_id: UUID
    submitted_at: datetime
    scores: list[int]
    mean_score: float
    median_score: float


class WinnerDeclared(Event, frozen=True, tag="WinnerDeclared"):
    winner_team_id: UUID
    decided_by: UUID
    method: str  # "computed" from the standings, or "override" by the organizer
    standings: list[TeamStanding]
    leaderboard_digest: str


CompetitionEvent = (
    CompetitiveEventCreated
    | CompetitiveEventChanged
    | CompetitiveEventDeleted
    | SubmissionReceived
    | WinnerDeclared
)
