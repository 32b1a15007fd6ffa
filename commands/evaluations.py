"""The evaluation aggregate: one judge's score of one submission, revisable by that judge.

Each change is mirrored onto the submission stream in the same append, so a score and a
concurrent rejection or deletion of the submission cannot interleave unnoticed."""

from __future__ import annotations

from uuid import UUID

import msgspec

from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.submissions import SubmissionState, require_submission
from commands.users import UserState, require_active
from events.base import Event
from events.evaluations import EvaluationDeleted, EvaluationRevised, SubmissionScored
from events.submissions import EvaluationRecorded, EvaluationWithdrawn

MIN_SCORE, MAX_SCORE = 0, 100
MAX_COMMENTS_LENGTH = 5000


class EvaluationState(msgspec.Struct, frozen=True, kw_only=True):
    exists: bool = False
    evaluation_id: UUID | None = None
    submission_id: UUID | None = None
    judge_id: UUID | None = None
    score: int = 0
    comments: str = ""
    deleted: bool = False

    @property
    def active(self) -> bool:
        return self.exists and not self.deleted


def evolve(state: EvaluationState, event: Event) -> EvaluationState:
    match event:
        case SubmissionScored():
            return EvaluationState(
                exists=True,
                evaluation_id=event.evaluation_id,
                submission_id=event.submission_id,
                judge_id=event.judge_id,
                score=event.score,
                comments=event.comments,
            )
        case EvaluationRevised(score=score, comments=comments):
            return msgspec.structs.replace(state, score=score, comments=comments)
        case EvaluationDeleted():
            return msgspec.structs.replace(state, deleted=True)
    return state


class EvaluationDecision(msgspec.Struct, frozen=True):
    evaluation: list[Event]
    submission: list[Event]


def claim_key(submission_id: UUID, judge_id: UUID) -> str:
    """One evaluation per judge per submission: the unique key the score claims."""
    return f"{submission_id}:{judge_id}"


def _check_score(score: int, comments: str) -> None:
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise Invalid(f"score must be between {MIN_SCORE} and {MAX_SCORE}", "score")
    if len(comments) > MAX_COMMENTS_LENGTH:
        raise Invalid(f"comments have at most {MAX_COMMENTS_LENGTH} characters", "comments")


def decide_score(
    evaluation_id: UUID,
    submission: SubmissionState,
    judge: UserState,
    actor: Actor,
    score: int,
    comments: str,
) -> EvaluationDecision:
    if actor.role is not Role.JUDGE:
        raise Forbidden("only a JUDGE scores submissions")
    require_active(judge)
    require_submission(submission)
    _check_score(score, comments)
    if submission.team_id in judge.conflicts:
        raise Forbidden("you declared a conflict with this team")
    if actor.user_id not in submission.judges:
        raise Forbidden("only a judge assigned to this submission scores it")
    assert submission.submission_id is not None
    return EvaluationDecision(
        [
            SubmissionScored(
                evaluation_id=evaluation_id,
                submission_id=submission.submission_id,
                judge_id=actor.user_id,
                score=score,
                comments=comments,
            )
        ],
        [EvaluationRecorded(evaluation_id=evaluation_id, judge_id=actor.user_id, score=score)],
    )


def require_evaluation(state: EvaluationState) -> None:
    if not state.active:
        raise NotFound("evaluation not found")


def decide_revise(
    state: EvaluationState,
    submission: SubmissionState,
    actor: Actor,
    score: int | None,
    comments: str | None,
    judge: UserState | None = None,
) -> EvaluationDecision:
    """``judge``: the reviser's own state, so a conflict declared since scoring is honoured."""
    require_evaluation(state)
    if actor.user_id != state.judge_id:
        raise Forbidden("only the judge who wrote an evaluation revises it")
    require_submission(submission)
    if judge is not None and submission.team_id in judge.conflicts:
        raise Forbidden("you declared a conflict with this team")
    if score is None and comments is None:
        raise Invalid("nothing to change: give score or comments")
    new_score = state.score if score is None else score
    new_comments = state.comments if comments is None else comments
    _check_score(new_score, new_comments)
    if (new_score, new_comments) == (state.score, state.comments):
        raise Conflict("the evaluation has these values already")
    assert state.evaluation_id is not None and state.judge_id is not None
    mirrored: list[Event] = []
    if new_score != state.score:
        mirrored.append(
            EvaluationRecorded(
                evaluation_id=state.evaluation_id, judge_id=state.judge_id, score=new_score
            )
        )
    return EvaluationDecision([EvaluationRevised(score=new_score, comments=new_comments)], mirrored)


def decide_delete(
    state: EvaluationState, submission: SubmissionState, actor: Actor, reason: str
) -> EvaluationDecision:
    require_evaluation(state)
    if actor.user_id != state.judge_id and actor.role is not Role.ORGANIZER:
        raise Forbidden("only the judge who wrote it or an ORGANIZER deletes an evaluation")
    assert state.evaluation_id is not None
    mirrored: list[Event] = []
    if submission.exists:
        mirrored.append(EvaluationWithdrawn(evaluation_id=state.evaluation_id))
    return EvaluationDecision(
        [EvaluationDeleted(deleted_by=actor.user_id, reason=reason)], mirrored
    )
