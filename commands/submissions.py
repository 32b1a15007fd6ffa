"""The submission aggregate: the uploaded file, its review status, judges and scores."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.teams import TeamState, require_team
from commands.users import UserState, require_active
from events.base import Event
from events.submissions import (
    EvaluationRecorded,
    EvaluationWithdrawn,
    JudgeAssigned,
    JudgeUnassigned,
    SubmissionApproved,
    SubmissionDeleted,
    SubmissionFileRejected,
    SubmissionFileValidated,
    SubmissionRejected,
    SubmissionUploaded,
)

if TYPE_CHECKING:
    from commands.competitions import CompetitionState

PDF_MAGIC = b"%PDF-"
MAX_REASON_LENGTH = 2000


class Status(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class SubmissionState(msgspec.Struct, frozen=True, kw_only=True):
    exists: bool = False
    submission_id: UUID | None = None
    team_id: UUID | None = None
    event_id: UUID | None = None
    submitted_at: datetime | None = None
    status: Status = Status.PENDING
    judges: frozenset[UUID] = frozenset()
    scores: dict[UUID, int] = msgspec.field(default_factory=dict)  # evaluation id -> score
    file_checked: bool = False
    deleted: bool = False

    @property
    def active(self) -> bool:
        return self.exists and not self.deleted


def evolve(state: SubmissionState, event: Event) -> SubmissionState:
    match event:
        case SubmissionUploaded():
            return SubmissionState(
                exists=True,
                submission_id=event.submission_id,
                team_id=event.team_id,
                event_id=event.event_id,
                submitted_at=event.submitted_at,
            )
        case SubmissionApproved():
            return msgspec.structs.replace(state, status=Status.APPROVED)
        case SubmissionRejected():
            return msgspec.structs.replace(state, status=Status.REJECTED)
        case SubmissionFileValidated():
            return msgspec.structs.replace(state, file_checked=True)
        case SubmissionFileRejected():
            return msgspec.structs.replace(state, file_checked=True, status=Status.REJECTED)
        case SubmissionDeleted():
            return msgspec.structs.replace(state, deleted=True)
        case JudgeAssigned(judge_id=judge_id):
            return msgspec.structs.replace(state, judges=state.judges | {judge_id})
        case JudgeUnassigned(judge_id=judge_id):
            return msgspec.structs.replace(state, judges=state.judges - {judge_id})
        case EvaluationRecorded(evaluation_id=evaluation_id, score=score):
            return msgspec.structs.replace(state, scores={**state.scores, evaluation_id: score})
        case EvaluationWithdrawn(evaluation_id=evaluation_id):
            scores = {k: v for k, v in state.scores.items() if k != evaluation_id}
            return msgspec.structs.replace(state, scores=scores)
    return state


class UploadedFile(msgspec.Struct, frozen=True):
    key: str
    size: int
    sha256: str


def file_key(event_id: UUID, team_id: UUID, submission_id: UUID) -> str:
    return f"submissions/{event_id}/{team_id}/{submission_id}.pdf"


def check_submit(
    competition: CompetitionState,
    team: TeamState,
    submitter: UserState,
    actor: Actor,
    now: datetime,
) -> None:
    """Everything about a submission that can be checked before the file is stored."""
    if actor.role is not Role.PARTICIPANT:
        raise Forbidden("only a PARTICIPANT submits")
    require_active(submitter)
    require_team(team)
    if actor.user_id not in team.members:
        raise Forbidden("only a member of the team submits for it")
    if not competition.active:
        raise NotFound("competitive event not found")
    if not competition.is_open(now):
        raise Conflict("the event is not open for submissions now")
    if competition.winner_team_id is not None:
        raise Conflict("the winner is declared already")


def check_file_head(head: bytes) -> None:
    if not head.startswith(PDF_MAGIC):
        raise Invalid("the file is not a PDF (it must start with %PDF-)", "file")


def decide_submit(
    submission_id: UUID,
    competition: CompetitionState,
    team: TeamState,
    submitter: UserState,
    actor: Actor,
    now: datetime,
    stored: UploadedFile,
) -> list[Event]:
    check_submit(competition, team, submitter, actor, now)
    assert team.team_id is not None and competition.event_id is not None
    return [
        SubmissionUploaded(
            submission_id=submission_id,
            team_id=team.team_id,
            event_id=competition.event_id,
            file_key=stored.key,
            file_size=stored.size,
            sha256=stored.sha256,
            submitted_by=actor.user_id,
            submitted_at=now,
        )
    ]


def require_submission(state: SubmissionState) -> None:
    if not state.active:
        raise NotFound("submission not found")


def _review(state: SubmissionState, actor: Actor) -> None:
    if actor.role is not Role.ORGANIZER:
        raise Forbidden("only an ORGANIZER approves or rejects submissions")
    require_submission(state)
    if state.status is not Status.PENDING:
        raise Conflict(f"the submission is {state.status.value}, not PENDING")


def decide_approve(state: SubmissionState, actor: Actor) -> list[Event]:
    _review(state, actor)
    return [SubmissionApproved(approved_by=actor.user_id)]


def decide_reject(state: SubmissionState, actor: Actor, reason: str) -> list[Event]:
    _review(state, actor)
    if not reason.strip() or len(reason) > MAX_REASON_LENGTH:
        raise Invalid(
            f"a rejection needs a reason of 1 to {MAX_REASON_LENGTH} characters", "reason"
        )
    return [SubmissionRejected(rejected_by=actor.user_id, reason=reason.strip())]


def decide_delete(
    state: SubmissionState, team: TeamState, actor: Actor, reason: str
) -> list[Event]:
    require_submission(state)
    if actor.role is not Role.ORGANIZER and actor.user_id != team.captain_id:
        raise Forbidden("only the team's captain or an ORGANIZER deletes a submission")
    return [SubmissionDeleted(deleted_by=actor.user_id, reason=reason)]


def decide_assign(state: SubmissionState, judge: UserState, actor: Actor) -> list[Event]:
    if actor.role not in (Role.ORGANIZER, Role.SYSTEM):
        raise Forbidden("only an ORGANIZER assigns judges")
    require_submission(state)
    if not judge.active or judge.role is not Role.JUDGE:
        raise Invalid("judge_id is not a JUDGE", "judge_id")
    assert judge.user_id is not None
    if state.team_id in judge.conflicts:
        raise Conflict("this judge declared a conflict with the team")
    if judge.user_id in state.judges:
        raise Conflict("this judge is assigned already")
    return [JudgeAssigned(judge_id=judge.user_id, assigned_by=actor.user_id)]


def decide_unassign(state: SubmissionState, judge_id: UUID, actor: Actor) -> list[Event]:
    if actor.role is not Role.ORGANIZER:
        raise Forbidden("only an ORGANIZER unassigns judges")
    require_submission(state)
    if judge_id not in state.judges:
        raise NotFound("this judge is not assigned to the submission")
    return [JudgeUnassigned(judge_id=judge_id, unassigned_by=actor.user_id)]


class FileCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What the PDF check found: pages and version, or the reason it failed."""

    pages: int = 0
    pdf_version: str = ""
    rejection: str | None = None


def decide_file_check(state: SubmissionState, actor: Actor, check: FileCheck) -> list[Event]:
    """Record the file check once; a redelivered check of a checked file records nothing."""
    if actor.role is not Role.SYSTEM:
        raise Forbidden("only the platform's submission_processing worker checks files")
    if not state.exists:
        raise NotFound("submission not found")
    if state.file_checked:
        return []
    if check.rejection is not None:
        return [SubmissionFileRejected(reason=check.rejection)]
    return [SubmissionFileValidated(pages=check.pages, pdf_version=check.pdf_version)]
