"""Handlers of the evaluation aggregate; every change is mirrored on the submission stream."""

from __future__ import annotations

from uuid import UUID

from commands import evaluations
from commands.errors import Conflict, NotFound
from commands.evaluations import EvaluationDecision
from commands.handlers import Outcome, retrying
from commands.ports import CommandContext, Services
from commands.repository import EVALUATIONS, SUBMISSIONS, USERS, Loaded
from commands.submissions import SubmissionState
from eventstore.errors import UniqueKeyTaken
from eventstore.records import UniqueClaim

SCOPE = "evaluation"


async def _save(
    services: Services,
    ctx: CommandContext,
    evaluation: Loaded[evaluations.EvaluationState],
    submission: Loaded[SubmissionState],
    decision: EvaluationDecision,
    **claims: list[UniqueClaim],
) -> int:
    result = await services.repository.save(
        [evaluation.append(decision.evaluation), submission.append(decision.submission)],
        ctx.metadata(),
        **claims,
    )
    return result.last_position


@retrying
async def score(
    services: Services,
    ctx: CommandContext,
    evaluation_id: UUID,
    submission_id: UUID,
    value: int,
    comments: str,
) -> Outcome:
    submission = await services.repository.load(SUBMISSIONS, submission_id)
    judge = await services.repository.load(USERS, ctx.who.user_id)
    evaluation = await services.repository.load(EVALUATIONS, evaluation_id)
    decision = evaluations.decide_score(
        evaluation_id, submission.state, judge.state, ctx.who, value, comments
    )
    claim = UniqueClaim(
        SCOPE, evaluations.claim_key(submission_id, ctx.who.user_id), evaluation.stream_id
    )
    try:
        position = await _save(services, ctx, evaluation, submission, decision, claims=[claim])
    except UniqueKeyTaken as taken:
        raise Conflict("you scored this submission already; revise it with PATCH") from taken
    return Outcome(position, evaluation_id)


async def _load_pair(
    services: Services, evaluation_id: UUID
) -> tuple[Loaded[evaluations.EvaluationState], Loaded[SubmissionState]]:
    evaluation = await services.repository.load(EVALUATIONS, evaluation_id)
    evaluations.require_evaluation(evaluation.state)
    if evaluation.state.submission_id is None:
        raise NotFound("evaluation not found")
    submission = await services.repository.load(SUBMISSIONS, evaluation.state.submission_id)
    return evaluation, submission


@retrying
async def revise(
    services: Services,
    ctx: CommandContext,
    evaluation_id: UUID,
    value: int | None,
    comments: str | None,
) -> Outcome:
    evaluation, submission = await _load_pair(services, evaluation_id)
    judge = await services.repository.load(USERS, ctx.who.user_id)
    decision = evaluations.decide_revise(
        evaluation.state, submission.state, ctx.who, value, comments, judge.state
    )
    return Outcome(await _save(services, ctx, evaluation, submission, decision))


@retrying
async def delete_evaluation(
    services: Services, ctx: CommandContext, evaluation_id: UUID
) -> Outcome:
    evaluation, submission = await _load_pair(services, evaluation_id)
    decision = evaluations.decide_delete(
        evaluation.state, submission.state, ctx.who, reason="deleted"
    )
    state = evaluation.state
    assert state.submission_id is not None and state.judge_id is not None
    release = UniqueClaim(
        SCOPE, evaluations.claim_key(state.submission_id, state.judge_id), evaluation.stream_id
    )
    return Outcome(await _save(services, ctx, evaluation, submission, decision, releases=[release]))
