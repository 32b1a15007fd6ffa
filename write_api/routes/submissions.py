"""Submissions: upload a PDF, approve, reject, delete, assign judges; and evaluations."""

from __future__ import annotations

from typing import Annotated, BinaryIO, cast
from uuid import UUID, uuid4

import msgspec
from litestar import Controller, Response, delete, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from commands.handlers import evaluations, submissions
from write_api.context import command_of, services_of
from write_api.problems import ProblemError, responses
from write_api.routes import AnyRequest, accepted
from write_api.schemas import (
    Accepted,
    AssignmentBody,
    EvaluationCreated,
    RejectBody,
    ReviseBody,
    ScoreBody,
    SubmissionAccepted,
)

ERRORS = responses(401, 403, 404, 409, 422)
PDF_TYPES = ("application/pdf", "application/octet-stream")


class UploadForm(msgspec.Struct):
    file: UploadFile
    team_id: UUID
    event_id: UUID


class SubmissionsController(Controller):
    path = "/submissions"
    tags = ["submissions"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @post(
        "/",
        operation_id="submit",
        status_code=202,
        responses=responses(401, 403, 404, 409, 413, 415, 422),
    )
    async def submit(
        self,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        request: AnyRequest,
    ) -> Response[SubmissionAccepted]:
        """PARTICIPANT member of team_id, while the event is open: submit a PDF."""
        content_type = (data.file.content_type or "").split(";")[0].strip().lower()
        head = await data.file.read(5)
        await data.file.seek(0)
        if not head.startswith(b"%PDF-") or content_type not in (
            "application/pdf",
            "application/octet-stream",
        ):
            raise ProblemError(
                415, "the file must be a PDF (application/pdf, starting with %PDF-)", field="file"
            )
        submission_id = uuid4()
        source = cast(BinaryIO, data.file.file)  # a SpooledTemporaryFile is a binary file
        outcome = await submissions.submit(
            services_of(request),
            command_of(request),
            submission_id,
            data.team_id,
            data.event_id,
            source,
        )
        body = SubmissionAccepted(submission_id, "PENDING", outcome.position)
        return accepted(body, outcome.position, 202)

    @post(
        "/{submission_id:uuid}/approve", operation_id="approve", status_code=200, responses=ERRORS
    )
    async def approve(self, submission_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """ORGANIZER: approve a PENDING submission."""
        outcome = await submissions.approve(
            services_of(request), command_of(request), submission_id
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @post("/{submission_id:uuid}/reject", operation_id="reject", status_code=200, responses=ERRORS)
    async def reject(
        self, submission_id: UUID, data: RejectBody, request: AnyRequest
    ) -> Response[Accepted]:
        """ORGANIZER: reject a PENDING submission with a reason."""
        outcome = await submissions.reject(
            services_of(request), command_of(request), submission_id, data.reason
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @delete(
        "/{submission_id:uuid}", operation_id="deleteSubmission", status_code=200, responses=ERRORS
    )
    async def remove(self, submission_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """The team's captain or an ORGANIZER: soft delete."""
        outcome = await submissions.delete_submission(
            services_of(request), command_of(request), submission_id
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @post(
        "/{submission_id:uuid}/assignments", operation_id="assignJudge", status_code=200,
        responses=ERRORS,
    )  # fmt: skip
    async def assign(
        self, submission_id: UUID, data: AssignmentBody, request: AnyRequest
    ) -> Response[Accepted]:
        """ORGANIZER: assign a judge to this submission."""
        outcome = await submissions.assign_judge(
            services_of(request), command_of(request), submission_id, data.judge_id
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @delete(
        "/{submission_id:uuid}/assignments/{judge_id:uuid}", operation_id="unassignJudge",
        status_code=200, responses=ERRORS,
    )  # fmt: skip
    async def unassign(
        self, submission_id: UUID, judge_id: UUID, request: AnyRequest
    ) -> Response[Accepted]:
        """ORGANIZER: take the submission away from a judge (their evaluation, if any, stays;
        they can no longer score it)."""
        outcome = await submissions.unassign_judge(
            services_of(request), command_of(request), submission_id, judge_id
        )
        return accepted(Accepted(outcome.position), outcome.position)


class EvaluationsController(Controller):
    path = "/evaluations"
    tags = ["evaluations"]  # noqa: RUF012

    @post("/", operation_id="score", status_code=201, responses=ERRORS)
    async def score(self, data: ScoreBody, request: AnyRequest) -> Response[EvaluationCreated]:
        """JUDGE: score a submission 0-100, once; revise with PATCH."""
        evaluation_id = uuid4()
        outcome = await evaluations.score(
            services_of(request),
            command_of(request),
            evaluation_id,
            data.submission_id,
            data.score,
            data.comments,
        )
        return accepted(EvaluationCreated(evaluation_id, outcome.position), outcome.position, 201)

    @patch("/{evaluation_id:uuid}", operation_id="revise", responses=ERRORS)
    async def revise(
        self, evaluation_id: UUID, data: ReviseBody, request: AnyRequest
    ) -> Response[Accepted]:
        """The judge who wrote it: change the score or comments."""
        outcome = await evaluations.revise(
            services_of(request), command_of(request), evaluation_id, data.score, data.comments
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @delete(
        "/{evaluation_id:uuid}", operation_id="deleteEvaluation", status_code=200, responses=ERRORS
    )
    async def remove(self, evaluation_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """The judge who wrote it or an ORGANIZER: soft delete."""
        outcome = await evaluations.delete_evaluation(
            services_of(request), command_of(request), evaluation_id
        )
        return accepted(Accepted(outcome.position), outcome.position)
