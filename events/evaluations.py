"""Events of the evaluation aggregate (stream ``evaluation-<uuid>``)."""

from __future__ import annotations

from uuid import UUID

from events.base import Event


class SubmissionScored(Event, frozen=True, tag="SubmissionScored"):
    evaluation_id: UUID
    submission_id: UUID
    judge_id: UUID
    score: int
    comments: str = ""


class EvaluationRevised(Event, frozen=True, tag="EvaluationRevised"):
    score: int
    comments: str


class EvaluationDeleted(Event, frozen=True, tag="EvaluationDeleted"):
    deleted_by: UUID
    reason: str


EvaluationEvent = SubmissionScored | EvaluationRevised | EvaluationDeleted
