"""The team aggregate's rules: who creates, joins, leaves, leads and deletes a team."""

from __future__ import annotations

from uuid import UUID

import pytest

from commands import teams
from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.teams import TeamState
from commands.users import UserState
from events.teams import TeamCreated, TeamDeleted, TeamMemberJoined, TeamMemberLeft
from events.users import UserJoinedTeam, UserLeftTeam
from tests.unit.commands.builders import (
    TEAM,
    actor,
    apply_team,
    deleted_user,
    dissolved_team,
    member_of,
    team,
    uid,
    user,
)

OTHER_TEAM = uid(1001)
P1, P2, P3 = (actor(n, Role.PARTICIPANT) for n in (1, 2, 3))


def members_of(*numbers: int) -> dict[UUID, UserState]:
    return {uid(n): member_of(n, TEAM) for n in numbers}


def test_participant_in_no_team_creates_one_as_captain_and_member() -> None:
    decision = teams.decide_create(TeamState(), user(1), P1, TEAM, "  Rocketeers ")
    assert decision.team == [TeamCreated(team_id=TEAM, name="Rocketeers", captain_id=uid(1))]
    assert decision.users == {uid(1): [UserJoinedTeam(team_id=TEAM)]}
    state, users = apply_team(decision, TeamState(), {uid(1): user(1)})
    assert state.captain_id == uid(1) and state.members == (uid(1),)
    assert users[uid(1)].team_id == TEAM


@pytest.mark.parametrize("role", [Role.JUDGE, Role.ORGANIZER, Role.AUDITOR])
def test_only_a_participant_creates_a_team(role: Role) -> None:
    with pytest.raises(Forbidden):
        teams.decide_create(TeamState(), user(1, role), actor(1, role), TEAM, "Rocketeers")


@pytest.mark.parametrize("role", [Role.JUDGE, Role.ORGANIZER, Role.AUDITOR])
def test_only_a_participant_joins_a_team(role: Role) -> None:
    with pytest.raises(Forbidden):
        teams.decide_join(team(1), user(2, role), actor(2, role))


def test_participant_already_in_a_team_cannot_create_another() -> None:
    with pytest.raises(Conflict):
        teams.decide_create(TeamState(), member_of(1, OTHER_TEAM), P1, TEAM, "Second")


def test_participant_already_in_a_team_cannot_join_another() -> None:
    with pytest.raises(Conflict):
        teams.decide_join(team(1), member_of(2, OTHER_TEAM), P2)


def test_deleted_user_cannot_create_or_join_a_team() -> None:
    with pytest.raises(NotFound):
        teams.decide_create(TeamState(), deleted_user(1), P1, TEAM, "Ghosts")
    with pytest.raises(NotFound):
        teams.decide_join(team(1), deleted_user(2), P2)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_team_name_has_1_to_200_characters(name: str) -> None:
    with pytest.raises(Invalid):
        teams.decide_create(TeamState(), user(1), P1, TEAM, name)


def test_creating_an_existing_team_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        teams.decide_create(team(3), user(1), P1, TEAM, "Rocketeers")


def test_joining_records_membership_on_team_and_user() -> None:
    decision = teams.decide_join(team(1), user(2), P2)
    assert decision.team == [TeamMemberJoined(user_id=uid(2))]
    state, users = apply_team(decision, team(1), {uid(2): user(2)})
    assert state.members == (uid(1), uid(2)) and users[uid(2)].team_id == TEAM


def test_joining_a_deleted_team_is_not_found() -> None:
    with pytest.raises(NotFound):
        teams.decide_join(dissolved_team(), user(2), P2)


def test_captain_cannot_leave_while_others_remain() -> None:
    with pytest.raises(Conflict, match="transfer"):
        teams.decide_leave(team(1, 2), uid(1), P1)


def test_captain_leaves_after_transferring_captaincy() -> None:
    transfer = teams.decide_transfer_captain(team(1, 2), member_of(2, TEAM), P1)
    handed_over, _ = apply_team(transfer, team(1, 2), {})
    assert handed_over.captain_id == uid(2)
    state, _ = apply_team(teams.decide_leave(handed_over, uid(1), P1), handed_over, {})
    assert state.members == (uid(2),) and state.captain_id == uid(2)
    assert state.active


def test_member_leaves_and_is_released() -> None:
    decision = teams.decide_leave(team(1, 2), uid(2), P2)
    assert decision.team == [TeamMemberLeft(user_id=uid(2), removed_by=uid(2))]
    state, users = apply_team(decision, team(1, 2), members_of(1, 2))
    assert state.members == (uid(1),) and users[uid(2)].team_id is None


def test_last_member_leaving_dissolves_the_team() -> None:
    decision = teams.decide_leave(team(1), uid(1), P1)
    assert [type(e) for e in decision.team] == [TeamDeleted]
    assert decision.users == {uid(1): [UserLeftTeam(team_id=TEAM, reason="the last member left")]}
    state, users = apply_team(decision, team(1), members_of(1))
    assert not state.active and state.members == ()
    assert users[uid(1)].team_id is None


@pytest.mark.parametrize("deleter", [P1, actor(9, Role.ORGANIZER)])
def test_captain_or_organizer_deletes_a_team_releasing_every_member(deleter: Actor) -> None:
    decision = teams.decide_delete(team(1, 2, 3), deleter, "disbanded")
    deleted = decision.team[0]
    assert isinstance(deleted, TeamDeleted) and deleted.released_members == [uid(1), uid(2), uid(3)]
    state, users = apply_team(decision, team(1, 2, 3), members_of(1, 2, 3))
    assert not state.active
    assert all(u.team_id is None for u in users.values())


@pytest.mark.parametrize("deleter", [P2, actor(5, Role.JUDGE), actor(8, Role.AUDITOR)])
def test_only_captain_or_organizer_deletes_a_team(deleter: Actor) -> None:
    with pytest.raises(Forbidden):
        teams.decide_delete(team(1, 2), deleter, "coup")


def test_captain_removes_a_member() -> None:
    decision = teams.decide_leave(team(1, 2), uid(2), P1)
    assert decision.team == [TeamMemberLeft(user_id=uid(2), removed_by=uid(1))]


@pytest.mark.parametrize("remover", [P3, actor(9, Role.ORGANIZER)])
def test_only_the_member_or_the_captain_removes_a_member(remover: Actor) -> None:
    with pytest.raises(Forbidden):
        teams.decide_leave(team(1, 2, 3), uid(2), remover)


def test_removing_a_non_member_is_not_found() -> None:
    with pytest.raises(NotFound):
        teams.decide_leave(team(1), uid(2), P1)


def test_only_the_captain_transfers_captaincy() -> None:
    with pytest.raises(Forbidden):
        teams.decide_transfer_captain(team(1, 2, 3), member_of(3, TEAM), P2)


def test_captaincy_goes_only_to_a_current_member() -> None:
    with pytest.raises(Invalid):
        teams.decide_transfer_captain(team(1), user(2), P1)
    with pytest.raises(Invalid):
        teams.decide_transfer_captain(team(1, 2), deleted_user(2), P1)


def test_captain_is_always_a_participant() -> None:
    # A judge could only be a member through a corrupted stream; the rule still holds.
    judge_member = user(2, Role.JUDGE, UserJoinedTeam(team_id=TEAM))
    with pytest.raises(Invalid, match="PARTICIPANT"):
        teams.decide_transfer_captain(team(1, 2), judge_member, P1)


def test_transferring_captaincy_to_the_captain_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        teams.decide_transfer_captain(team(1, 2), member_of(1, TEAM), P1)
