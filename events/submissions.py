"""Events of the submission aggregate (stream ``submission-<uuid>``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from events.base import Event


class SubmissionUploaded(Event, frozen=True, tag="SubmissionUploaded"):
    submission_id: UUID
    team_id: UUID
    event_id: UUID
    file_key: str
    file_size: int
    sha256: str
    submitted_by: UUID
    submitted_at: datetime


class SubmissionApproved(Event, frozen=True, tag="SubmissionApproved"):
    approved_by: UUID


class SubmissionRejected(Event, frozen=True, tag="SubmissionRejected"):
    rejected_by: UUID
    reason: str


class SubmissionDeleted(Event, frozen=True, tag="SubmissionDeleted"):
    deleted_by: UUID
    reason: str


class JudgeAssigned(Event, frozen=True, tag="JudgeAssigned"):
    judge_id: UUID
    assigned_by: UUID


class JudgeUnassigned(Event, frozen=True, tag="JudgeUnassigned"):
    """An organizer took the submission away from this judge (their evaluation, if any, stays)."""

    judge_id: UUID
    unassigned_by: UUID


class SubmissionFileValidated(Event, frozen=True, tag="SubmissionFileValidated"):
    """The `submission_processing` worker found the stored file a readable PDF."""

    pages: int
    pdf_version: str


class SubmissionFileRejected(Event, frozen=True, tag="SubmissionFileRejected"):
    """The stored file is not an acceptable PDF; the submission is REJECTED with the reason."""

    reason: str


class EvaluationRecorded(Event, frozen=True, tag="EvaluationRecorded"):
    """A judge's current score for this submission (new or revised), mirrored from the
    evaluation stream in the same transaction, so scoring and rejecting cannot interleave."""

    evaluation_id: UUID
    judge_id: UUID
    score: int


class EvaluationWithdrawn(Event, frozen=True, tag="EvaluationWithdrawn"):
    evaluation_id: UUID


SubmissionEvent = (
    SubmissionUploaded
    | SubmissionApproved
    | SubmissionRejected
    | SubmissionDeleted
    | JudgeAssigned
    | JudgeUnassigned
    | SubmissionFileValidated
    | SubmissionFileRejected
    | EvaluationRecorded
    | EvaluationWithdrawn
)
