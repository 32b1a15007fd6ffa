"""The user aggregate's rules: registration, roles, profile, deletion, erasure, conflicts."""

from __future__ import annotations

import pytest

from commands import users
from commands.actors import SYSTEM_ACTOR, Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.repository import USERS
from events.users import JudgeConflictDeclared, UserErased, UserProfileChanged, UserRegistered
from tests.unit.commands.builders import (
    SEALED,
    TEAM,
    actor,
    deleted_user,
    judge_with_conflict,
    registration,
    uid,
    user,
)

STAFF_ROLES = [Role.JUDGE, Role.ORGANIZER, Role.AUDITOR]


@pytest.mark.parametrize("password", ["", "short", "7chars!"])
def test_password_needs_at_least_eight_characters(password: str) -> None:
    with pytest.raises(Invalid) as refused:
        users.decide_register(users.UserState(), registration(password=password), None, SEALED)
    assert refused.value.field == "password"


def test_password_of_eight_characters_is_accepted() -> None:
    decided = users.decide_register(
        users.UserState(), registration(password="8chars!!"), None, SEALED
    )
    assert [type(e) for e in decided] == [UserRegistered]


def test_password_over_72_bytes_is_invalid() -> None:
    # 37 two-byte characters: 37 characters, but 74 bytes for bcrypt.
    with pytest.raises(Invalid, match="72 bytes"):
        users.check_registration(registration(password="ж" * 37), None)
    users.check_registration(registration(password="ж" * 36), None)


def test_self_registration_creates_a_participant() -> None:
    decided = users.decide_register(users.UserState(), registration(), None, SEALED)
    state = USERS.fold(decided)
    assert state.active and state.role is Role.PARTICIPANT
    assert isinstance(decided[0], UserRegistered) and decided[0].created_by is None


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_self_registration_asking_another_role_is_forbidden(role: Role) -> None:
    with pytest.raises(Forbidden):
        users.decide_register(users.UserState(), registration(role=role), None, SEALED)


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("creator", [actor(9, Role.ORGANIZER), SYSTEM_ACTOR])
def test_organizer_or_system_creates_staff_accounts(role: Role, creator: Actor) -> None:
    decided = users.decide_register(users.UserState(), registration(role=role), creator, SEALED)
    assert USERS.fold(decided).role is role
    assert isinstance(decided[0], UserRegistered) and decided[0].created_by == creator.user_id


@pytest.mark.parametrize("creator_role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR])
@pytest.mark.parametrize("role", [Role.PARTICIPANT, *STAFF_ROLES])
def test_only_an_organizer_creates_accounts_for_others(creator_role: Role, role: Role) -> None:
    with pytest.raises(Forbidden):
        users.decide_register(
            users.UserState(), registration(role=role), actor(9, creator_role), SEALED
        )


def test_registering_an_existing_user_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        users.decide_register(user(1), registration(1), None, SEALED)


def test_deleted_user_cannot_act() -> None:
    gone = deleted_user(1)
    with pytest.raises(NotFound):
        users.require_active(gone)
    with pytest.raises(NotFound):
        users.decide_change_profile(gone, actor(1, Role.PARTICIPANT), None, "kk")
    with pytest.raises(NotFound):
        users.decide_delete(gone, actor(9, Role.ORGANIZER), "again")


def test_deleting_a_user_clears_their_team() -> None:
    state = USERS.fold(users.decide_delete(user(1), actor(1, Role.PARTICIPANT), "bye"), user(1))
    assert state.deleted and not state.active and state.team_id is None


def test_user_changes_their_own_profile() -> None:
    decided = users.decide_change_profile(user(1), actor(1, Role.PARTICIPANT), "sealed", "kk")
    assert decided == [UserProfileChanged(name="sealed", language="kk")]
    assert USERS.fold(decided, user(1)).language == "kk"


def test_organizer_changes_anyones_profile() -> None:
    decided = users.decide_change_profile(user(1), actor(9, Role.ORGANIZER), None, "ru")
    assert USERS.fold(decided, user(1)).language == "ru"


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR])
def test_others_cannot_change_a_profile(role: Role) -> None:
    with pytest.raises(Forbidden):
        users.decide_change_profile(user(1), actor(2, role), None, "ru")


@pytest.mark.parametrize("language", ["de", "EN", "", "kz"])
def test_language_must_be_en_kk_or_ru(language: str) -> None:
    with pytest.raises(Invalid) as refused:
        users.decide_change_profile(user(1), actor(1, Role.PARTICIPANT), None, language)
    assert refused.value.field == "language"


def test_profile_change_needs_something_to_change() -> None:
    with pytest.raises(Invalid):
        users.decide_change_profile(user(1), actor(1, Role.PARTICIPANT), None, None)


@pytest.mark.parametrize("eraser", [actor(1, Role.PARTICIPANT), actor(9, Role.ORGANIZER)])
def test_user_or_organizer_erases_personal_data(eraser: Actor) -> None:
    decided = users.decide_erase(user(1), eraser)
    assert decided == [UserErased(erased_by=eraser.user_id)]
    assert USERS.fold(decided, user(1)).erased


def test_erasing_twice_is_a_conflict() -> None:
    erased = user(1, Role.PARTICIPANT, UserErased(erased_by=uid(1)))
    with pytest.raises(Conflict):
        users.decide_erase(erased, actor(1, Role.PARTICIPANT))


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR])
def test_others_cannot_erase_a_user(role: Role) -> None:
    with pytest.raises(Forbidden):
        users.decide_erase(user(1), actor(2, role))


def test_erasing_an_unknown_user_is_not_found() -> None:
    with pytest.raises(NotFound):
        users.decide_erase(users.UserState(), actor(9, Role.ORGANIZER))


def test_judge_declares_a_conflict_for_themself() -> None:
    judge = user(5, Role.JUDGE)
    decided = users.decide_declare_conflict(judge, actor(5, Role.JUDGE), TEAM, True, "cousin")
    assert decided == [JudgeConflictDeclared(team_id=TEAM, reason="cousin")]
    assert USERS.fold(decided, judge).conflicts == {TEAM}


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.ORGANIZER, Role.AUDITOR, Role.SYSTEM])
def test_only_a_judge_declares_conflicts(role: Role) -> None:
    with pytest.raises(Forbidden):
        users.decide_declare_conflict(user(5, role), actor(5, role), TEAM, True, "cousin")


def test_judge_cannot_declare_a_conflict_for_another_judge() -> None:
    with pytest.raises(Forbidden):
        users.decide_declare_conflict(user(5, Role.JUDGE), actor(6, Role.JUDGE), TEAM, True, "x")


@pytest.mark.parametrize("reason", ["", "   "])
def test_conflict_needs_a_reason(reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        users.decide_declare_conflict(user(5, Role.JUDGE), actor(5, Role.JUDGE), TEAM, True, reason)
    assert refused.value.field == "reason"


def test_conflict_declared_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        users.decide_declare_conflict(
            judge_with_conflict(5, TEAM), actor(5, Role.JUDGE), TEAM, True, "still my cousin"
        )


def test_conflict_with_an_unknown_team_is_not_found() -> None:
    with pytest.raises(NotFound):
        users.decide_declare_conflict(user(5, Role.JUDGE), actor(5, Role.JUDGE), TEAM, False, "x")


def test_an_erased_users_profile_cannot_change() -> None:
    erased = user(1, Role.PARTICIPANT, UserErased(erased_by=uid(1)))
    with pytest.raises(Conflict, match="erased"):
        users.check_profile_change(erased, actor(1, Role.PARTICIPANT), "New name", None)
