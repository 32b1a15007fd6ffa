"""The competitive event aggregate: dates, submissions received, the declared winner."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from commands import ranking
from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.submissions import Status, SubmissionState
from events.base import Event
from events.competitions import (
    CompetitiveEventChanged,
    CompetitiveEventCreated,
    CompetitiveEventDeleted,
    SubmissionReceived,
    TeamStanding,
    WinnerDeclared,
)

MAX_TITLE_LENGTH = 300


class CompetitionState(msgspec.Struct, frozen=True, kw_only=True):
    exists: bool = False
    event_id: UUID | None = None
    title: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    submissions: tuple[UUID, ...] = ()
    winner_team_id: UUID | None = None
    deleted: bool = False

    @property
    def active(self) -> bool:
        return self.exists and not self.deleted

    def is_open(self, now: datetime) -> bool:
        assert self.start_date is not None and self.end_date is not None
        return self.start_date <= now <= self.end_date


def evolve(state: CompetitionState, event: Event) -> CompetitionState:
    match event:
        case CompetitiveEventCreated():
            return CompetitionState(
                exists=True,
                event_id=event.event_id,
                title=event.title,
                start_date=event.start_date,
                end_date=event.end_date,
            )
        case CompetitiveEventChanged():
            return msgspec.structs.replace(
                state, title=event.title, start_date=event.start_date, end_date=event.end_date
            )
        case SubmissionReceived(submission_id=submission_id):
            return msgspec.structs.replace(state, submissions=(*state.submissions, submission_id))
        case WinnerDeclared(winner_team_id=winner):
            return msgspec.structs.replace(state, winner_team_id=winner)
        case CompetitiveEventDeleted():
            return msgspec.structs.replace(state, deleted=True)
    return state


def _organizer(actor: Actor) -> None:
    if actor.role is not Role.ORGANIZER:
        raise Forbidden("only an ORGANIZER manages competitive events")


def _check_fields(title: str, start_date: datetime, end_date: datetime) -> None:
    if not title.strip() or len(title) > MAX_TITLE_LENGTH:
        raise Invalid(f"a title has 1 to {MAX_TITLE_LENGTH} characters", "title")
    if start_date.tzinfo is None or end_date.tzinfo is None:
        raise Invalid("dates need a timezone", "start_date")
    if end_date <= start_date:
        raise Invalid("end_date must be after start_date", "end_date")


def require_event(state: CompetitionState) -> None:
    if not state.active:
        raise NotFound("competitive event not found")


def decide_create(
    state: CompetitionState,
    actor: Actor,
    event_id: UUID,
    title: str,
    start_date: datetime,
    end_date: datetime,
) -> list[Event]:
    _organizer(actor)
    _check_fields(title, start_date, end_date)
    if state.exists:
        raise Conflict("this competitive event exists already")
    return [
        CompetitiveEventCreated(
            event_id=event_id,
            title=title.strip(),
            start_date=start_date,
            end_date=end_date,
            created_by=actor.user_id,
        )
    ]


def decide_change(
    state: CompetitionState,
    actor: Actor,
    title: str | None,
    start_date: datetime | None,
    end_date: datetime | None,
) -> list[Event]:
    _organizer(actor)
    require_event(state)
    if state.winner_team_id is not None:
        raise Conflict("the winner is declared; the event can no longer change")
    if title is None and start_date is None and end_date is None:
        raise Invalid("nothing to change: give title, start_date or end_date")
    new_title = state.title if title is None else title
    new_start = start_date or state.start_date
    new_end = end_date or state.end_date
    assert new_start is not None and new_end is not None
    _check_fields(new_title, new_start, new_end)
    return [
        CompetitiveEventChanged(title=new_title.strip(), start_date=new_start, end_date=new_end)
    ]


def decide_delete(state: CompetitionState, actor: Actor, reason: str) -> list[Event]:
    _organizer(actor)
    require_event(state)
    return [CompetitiveEventDeleted(deleted_by=actor.user_id, reason=reason)]


def standing(s: SubmissionState) -> TeamStanding | None:
    """A submission's entry in the winner's ranking; None when it does not rank (not
    approved, deleted or unscored)."""
    if s.status is not Status.APPROVED or s.deleted or not s.scores:
        return None
    if s.team_id is None or s.submission_id is None or s.submitted_at is None:
        return None
    return ranking.standing(s.team_id, s.submission_id, s.submitted_at, s.scores.values())


def decide_declare_winner(
    state: CompetitionState,
    submissions: list[SubmissionState],
    actor: Actor,
    now: datetime,
    override_team_id: UUID | None,
) -> list[Event]:
    """Compute the winner from the submissions' scores, or record an organizer's override."""
    _organizer(actor)
    require_event(state)
    assert state.end_date is not None
    if now <= state.end_date:
        raise Conflict("the winner is declared only after the event ends")
    if state.winner_team_id is not None:
        raise Conflict("the winner is declared already")
    ranked = ranking.rank(entry for s in submissions if (entry := standing(s)) is not None)
    if override_team_id is not None:
        entered = {s.team_id for s in submissions if not s.deleted}
        if override_team_id not in entered:
            raise Invalid("the winner must be a team that submitted to this event", "team_id")
        winner, method = override_team_id, "override"
    elif ranked:
        winner, method = ranked[0].team_id, "computed"
    else:
        raise Conflict("no team has an approved, scored submission")
    return [
        WinnerDeclared(
            winner_team_id=winner,
            decided_by=actor.user_id,
            method=method,
            standings=ranked,
            leaderboard_digest=ranking.leaderboard_digest(ranked),
        )
    ]


def received(submission_id: UUID, team_id: UUID) -> Event:
    return SubmissionReceived(submission_id=submission_id, team_id=team_id)
