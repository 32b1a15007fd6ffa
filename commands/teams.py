"""The team aggregate. Membership is recorded on both the team and the user streams in one
append, so the optimistic-concurrency check on both keeps a user in at most one team."""

from __future__ import annotations

from uuid import UUID

import msgspec

from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.users import UserState, require_active
from events.base import Event
from events.teams import (
    TeamCaptainChanged,
    TeamCreated,
    TeamDeleted,
    TeamMemberJoined,
    TeamMemberLeft,
)
from events.users import UserJoinedTeam, UserLeftTeam

MAX_NAME_LENGTH = 200


class TeamState(msgspec.Struct, frozen=True, kw_only=True):
    exists: bool = False
    team_id: UUID | None = None
    name: str = ""
    captain_id: UUID | None = None
    members: tuple[UUID, ...] = ()
    deleted: bool = False

    @property
    def active(self) -> bool:
        return self.exists and not self.deleted


def evolve(state: TeamState, event: Event) -> TeamState:
    match event:
        case TeamCreated():
            return TeamState(
                exists=True,
                team_id=event.team_id,
                name=event.name,
                captain_id=event.captain_id,
                members=(event.captain_id,),
            )
        case TeamMemberJoined(user_id=user_id):
            return msgspec.structs.replace(state, members=(*state.members, user_id))
        case TeamMemberLeft(user_id=user_id):
            members = tuple(m for m in state.members if m != user_id)
            return msgspec.structs.replace(state, members=members)
        case TeamCaptainChanged(captain_id=captain_id):
            return msgspec.structs.replace(state, captain_id=captain_id)
        case TeamDeleted():
            return msgspec.structs.replace(state, deleted=True, members=())
    return state


class TeamDecision(msgspec.Struct, frozen=True):
    """Events for the team stream and, per user, for their user stream."""

    team: list[Event]
    users: dict[UUID, list[Event]]


def require_team(team: TeamState) -> None:
    if not team.active:
        raise NotFound("team not found")


def _free_participant(user: UserState, actor: Actor) -> None:
    require_active(user)
    if actor.role is not Role.PARTICIPANT or user.role is not Role.PARTICIPANT:
        raise Forbidden("only a PARTICIPANT creates or joins a team")
    if user.team_id is not None:
        raise Conflict("you are in a team already; leave it first")


def decide_create(
    team: TeamState, user: UserState, actor: Actor, team_id: UUID, name: str
) -> TeamDecision:
    _free_participant(user, actor)
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise Invalid(f"a team name has 1 to {MAX_NAME_LENGTH} characters", "name")
    if team.exists:
        raise Conflict("this team exists already")
    return TeamDecision(
        [TeamCreated(team_id=team_id, name=name.strip(), captain_id=actor.user_id)],
        {actor.user_id: [UserJoinedTeam(team_id=team_id)]},
    )


def decide_join(team: TeamState, user: UserState, actor: Actor) -> TeamDecision:
    require_team(team)
    _free_participant(user, actor)
    assert team.team_id is not None
    return TeamDecision(
        [TeamMemberJoined(user_id=actor.user_id)],
        {actor.user_id: [UserJoinedTeam(team_id=team.team_id)]},
    )


def _dissolve(team: TeamState, actor: Actor, reason: str) -> TeamDecision:
    assert team.team_id is not None
    return TeamDecision(
        [TeamDeleted(deleted_by=actor.user_id, reason=reason, released_members=list(team.members))],
        {m: [UserLeftTeam(team_id=team.team_id, reason=reason)] for m in team.members},
    )


def decide_leave(team: TeamState, member_id: UUID, actor: Actor) -> TeamDecision:
    """A member leaves or the captain removes them; the last one out dissolves the team."""
    require_team(team)
    if member_id not in team.members:
        raise NotFound("this user is not a member of the team")
    if actor.user_id not in (member_id, team.captain_id):
        raise Forbidden("only the member themself or the captain may do this")
    if member_id == team.captain_id:
        if len(team.members) > 1:
            raise Conflict("the captain cannot leave while others remain; transfer first")
        return _dissolve(team, actor, "the last member left")
    assert team.team_id is not None
    return TeamDecision(
        [TeamMemberLeft(user_id=member_id, removed_by=actor.user_id)],
        {member_id: [UserLeftTeam(team_id=team.team_id, reason="left the team")]},
    )


def decide_transfer_captain(team: TeamState, new_captain: UserState, actor: Actor) -> TeamDecision:
    require_team(team)
    if actor.user_id != team.captain_id:
        raise Forbidden("only the captain hands over the captaincy")
    if new_captain.user_id not in team.members or not new_captain.active:
        raise Invalid("the new captain must be a member of the team", "user_id")
    if new_captain.role is not Role.PARTICIPANT:
        raise Invalid("the captain must be a PARTICIPANT", "user_id")
    assert new_captain.user_id is not None and team.captain_id is not None
    if new_captain.user_id == team.captain_id:
        raise Conflict("this member is the captain already")
    return TeamDecision(
        [TeamCaptainChanged(captain_id=new_captain.user_id, previous_captain_id=team.captain_id)],
        {},
    )


def decide_delete(team: TeamState, actor: Actor, reason: str) -> TeamDecision:
    require_team(team)
    if actor.user_id != team.captain_id and actor.role is not Role.ORGANIZER:
        raise Forbidden("only the captain or an ORGANIZER deletes a team")
    return _dissolve(team, actor, reason)
