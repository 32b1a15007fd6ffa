"""Handlers of the team aggregate; membership changes append to team and user streams."""

from __future__ import annotations

from uuid import UUID

from commands import teams
from commands.handlers import Outcome, retrying
from commands.ports import CommandContext, Services
from commands.repository import TEAMS, USERS
from commands.teams import TeamDecision
from eventstore.records import StreamAppend


async def _save(
    services: Services, ctx: CommandContext, team_stream: StreamAppend, decision: TeamDecision
) -> int:
    appends = [team_stream]
    for user_id, events in decision.users.items():
        appends.append((await services.repository.load(USERS, user_id)).append(events))
    return (await services.repository.save(appends, ctx.metadata())).last_position


@retrying
async def create_team(services: Services, ctx: CommandContext, team_id: UUID, name: str) -> Outcome:
    team = await services.repository.load(TEAMS, team_id)
    user = await services.repository.load(USERS, ctx.who.user_id)
    decision = teams.decide_create(team.state, user.state, ctx.who, team_id, name)
    result = await services.repository.save(
        [team.append(decision.team), user.append(decision.users[ctx.who.user_id])],
        ctx.metadata(),
    )
    return Outcome(result.last_position, team_id)


@retrying
async def join_team(services: Services, ctx: CommandContext, team_id: UUID) -> Outcome:
    team = await services.repository.load(TEAMS, team_id)
    user = await services.repository.load(USERS, ctx.who.user_id)
    decision = teams.decide_join(team.state, user.state, ctx.who)
    result = await services.repository.save(
        [team.append(decision.team), user.append(decision.users[ctx.who.user_id])],
        ctx.metadata(),
    )
    return Outcome(result.last_position)


@retrying
async def leave_team(
    services: Services, ctx: CommandContext, team_id: UUID, member_id: UUID
) -> Outcome:
    team = await services.repository.load(TEAMS, team_id)
    decision = teams.decide_leave(team.state, member_id, ctx.who)
    return Outcome(await _save(services, ctx, team.append(decision.team), decision))


@retrying
async def transfer_captain(
    services: Services, ctx: CommandContext, team_id: UUID, new_captain_id: UUID
) -> Outcome:
    team = await services.repository.load(TEAMS, team_id)
    candidate = await services.repository.load(USERS, new_captain_id)
    decision = teams.decide_transfer_captain(team.state, candidate.state, ctx.who)
    # Deleting a member appends to the team stream too, so a concurrent deletion of the
    # candidate makes this append conflict (and the retry sees the candidate gone).
    result = await services.repository.save([team.append(decision.team)], ctx.metadata())
    return Outcome(result.last_position)


@retrying
async def delete_team(services: Services, ctx: CommandContext, team_id: UUID) -> Outcome:
    team = await services.repository.load(TEAMS, team_id)
    decision = teams.decide_delete(team.state, ctx.who, reason="deleted")
    return Outcome(await _save(services, ctx, team.append(decision.team), decision))
