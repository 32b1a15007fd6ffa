"""Handlers of the competitive event aggregate, including declaring the winner."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands import competitions
from commands.handlers import Outcome, on_one_stream, retrying
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
    """``event_id`` is new (the write API makes it): nothing to load."""
    return await on_one_stream(
        services, ctx, EVENTS, event_id,
        lambda state: competitions.decide_create(
            state, ctx.who, event_id, title, start_date, end_date
        ),
        new=True,
    )  # fmt: skip


@retrying
async def change_event(
    services: Services,
    ctx: CommandContext,
    event_id: UUID,
    title: str | None,
    start_date: datetime | None,
    end_date: datetime | None,
) -> Outcome:
    return await on_one_stream(
        services, ctx, EVENTS, event_id,
        lambda state: competitions.decide_change(state, ctx.who, title, start_date, end_date),
    )  # fmt: skip


@retrying
async def delete_event(services: Services, ctx: CommandContext, event_id: UUID) -> Outcome:
    return await on_one_stream(
        services, ctx, EVENTS, event_id,
        lambda state: competitions.decide_delete(state, ctx.who, reason="deleted"),
    )  # fmt: skip


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
