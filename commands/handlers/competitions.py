"""Handlers of the competitive event aggregate, including declaring the winner."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands import competitions
from commands.handlers import Outcome, retrying
from commands.ports import CommandContext, Services
from commands.repository import EVENTS, SUBMISSIONS


@retrying
async def create_event(
    services: Services,
    ctx: CommandContext,
    event_id: UUID,
    title: str,
    start_date: datetime,
    end_date: datetime,
) -> Outcome:
    loaded = await services.repository.load(EVENTS, event_id)
    decided = competitions.decide_create(
        loaded.state, ctx.who, event_id, title, start_date, end_date
    )
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    return Outcome(result.last_position, event_id)


@retrying
async def change_event(
    services: Services,
    ctx: CommandContext,
    event_id: UUID,
    title: str | None,
    start_date: datetime | None,
    end_date: datetime | None,
) -> Outcome:
    loaded = await services.repository.load(EVENTS, event_id)
    decided = competitions.decide_change(loaded.state, ctx.who, title, start_date, end_date)
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    return Outcome(result.last_position)


@retrying
async def delete_event(services: Services, ctx: CommandContext, event_id: UUID) -> Outcome:
    loaded = await services.repository.load(EVENTS, event_id)
    decided = competitions.decide_delete(loaded.state, ctx.who, reason="deleted")
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    return Outcome(result.last_position)


@retrying
async def declare_winner(
    services: Services, ctx: CommandContext, event_id: UUID, team_id: UUID | None
) -> tuple[Outcome, UUID]:
    loaded = await services.repository.load(EVENTS, event_id)
    entries = [
        (await services.repository.load(SUBMISSIONS, submission_id)).state
        for submission_id in loaded.state.submissions
    ]
    decided = competitions.decide_declare_winner(
        loaded.state, entries, ctx.who, services.clock(), team_id
    )
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    winner = EVENTS.fold(decided, loaded.state).winner_team_id
    assert winner is not None
    return Outcome(result.last_position), winner
