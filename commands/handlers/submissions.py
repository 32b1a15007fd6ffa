"""Handlers of the submission aggregate: upload, review, deletion, judge assignment."""

from __future__ import annotations

import contextlib
import logging
from typing import BinaryIO
from uuid import UUID

from commands import competitions, submissions
from commands.handlers import Outcome, on_one_stream, retry_on_conflict, retrying
from commands.ports import CommandContext, Services
from commands.repository import EVENTS, SUBMISSIONS, TEAMS, USERS
from commands.submissions import UploadedFile
from eventstore.records import NewEvent, StreamAppend

log = logging.getLogger(__name__)


async def submit(
    services: Services,
    ctx: CommandContext,
    submission_id: UUID,
    team_id: UUID,
    event_id: UUID,
    source: BinaryIO,
) -> Outcome:
    """Check the rules, store the file in S3, then append; a failed append removes the file."""

    async def decide_and_append(stored: UploadedFile | None) -> Outcome:
        competition = await services.repository.load(EVENTS, event_id)
        team = await services.repository.load(TEAMS, team_id)
        submitter = await services.repository.load(USERS, ctx.who.user_id)
        now = services.clock()
        submissions.check_submit(competition.state, team.state, submitter.state, ctx.who, now)
        if stored is None:
            return Outcome(0)
        decided = submissions.decide_submit(
            submission_id, competition.state, team.state, submitter.state, ctx.who, now, stored
        )
        result = await services.repository.save(
            [
                StreamAppend(
                    SUBMISSIONS.stream_id(submission_id), 0, [NewEvent(e) for e in decided]
                ),
                competition.append([competitions.received(submission_id, team_id)]),
            ],
            ctx.metadata(),
        )
        return Outcome(result.last_position, submission_id)

    await decide_and_append(None)  # refuse early, before the upload, what can be refused
    submissions.check_file_head(source.read(len(submissions.PDF_MAGIC)))
    source.seek(0)
    key = submissions.file_key(event_id, team_id, submission_id)
    stored = await services.files.put_pdf(key, source, services.max_upload_bytes)
    try:
        # Submissions to one event append to its stream, so concurrent ones may conflict:
        # the decision is re-made and re-appended, the file stays uploaded once.
        return await retry_on_conflict(lambda: decide_and_append(stored))
    except BaseException:
        with contextlib.suppress(Exception):
            await services.files.delete(key)
        raise


@retrying
async def approve(services: Services, ctx: CommandContext, submission_id: UUID) -> Outcome:
    return await on_one_stream(
        services, ctx, SUBMISSIONS, submission_id,
        lambda state: submissions.decide_approve(state, ctx.who),
    )  # fmt: skip


@retrying
async def reject(
    services: Services, ctx: CommandContext, submission_id: UUID, reason: str
) -> Outcome:
    return await on_one_stream(
        services, ctx, SUBMISSIONS, submission_id,
        lambda state: submissions.decide_reject(state, ctx.who, reason),
    )  # fmt: skip


@retrying
async def delete_submission(
    services: Services, ctx: CommandContext, submission_id: UUID
) -> Outcome:
    loaded = await services.repository.load(SUBMISSIONS, submission_id)
    submissions.require_submission(loaded.state)
    assert loaded.state.team_id is not None
    team = await services.repository.load(TEAMS, loaded.state.team_id)
    decided = submissions.decide_delete(loaded.state, team.state, ctx.who, reason="deleted")
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    return Outcome(result.last_position)


@retrying
async def assign_judge(
    services: Services, ctx: CommandContext, submission_id: UUID, judge_id: UUID
) -> Outcome:
    judge = await services.repository.load(USERS, judge_id)
    return await on_one_stream(
        services, ctx, SUBMISSIONS, submission_id,
        lambda state: submissions.decide_assign(state, judge.state, ctx.who),
    )  # fmt: skip


@retrying
async def unassign_judge(
    services: Services, ctx: CommandContext, submission_id: UUID, judge_id: UUID
) -> Outcome:
    return await on_one_stream(
        services, ctx, SUBMISSIONS, submission_id,
        lambda state: submissions.decide_unassign(state, judge_id, ctx.who),
    )  # fmt: skip


@retrying
async def record_file_check(
    services: Services, ctx: CommandContext, submission_id: UUID, check: submissions.FileCheck
) -> Outcome:
    """The worker's verdict on the stored file (SYSTEM only); nothing when already recorded."""
    loaded = await services.repository.load(SUBMISSIONS, submission_id)
    decided = submissions.decide_file_check(loaded.state, ctx.who, check)
    if not decided:
        return Outcome(0, submission_id)
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    return Outcome(result.last_position, submission_id)
