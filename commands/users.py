"""The user aggregate: accounts, roles, team membership on the user's side, judge conflicts."""

from __future__ import annotations

from uuid import UUID

import msgspec

from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from events.base import Event
from events.users import (
    JudgeConflictDeclared,
    UserDeleted,
    UserErased,
    UserJoinedTeam,
    UserLeftTeam,
    UserProfileChanged,
    UserRegistered,
)

LANGUAGES = frozenset({"en", "kk", "ru"})
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # what bcrypt hashes
ACCOUNT_ROLES = frozenset({Role.PARTICIPANT, Role.ORGANIZER, Role.JUDGE, Role.AUDITOR})


class UserState(msgspec.Struct, frozen=True, kw_only=True):
    exists: bool = False
    user_id: UUID | None = None
    role: Role = Role.PARTICIPANT
    email_hash: str = ""
    password_hash: str = ""
    language: str = "en"
    team_id: UUID | None = None
    conflicts: frozenset[UUID] = frozenset()
    deleted: bool = False
    erased: bool = False

    @property
    def active(self) -> bool:
        return self.exists and not self.deleted


def evolve(state: UserState, event: Event) -> UserState:
    match event:
        case UserRegistered():
            return UserState(
                exists=True,
                user_id=event.user_id,
                role=Role(event.role),
                email_hash=event.email_hash,
                password_hash=event.password_hash,
                language=event.language,
            )
        case UserProfileChanged(language=language):
            return msgspec.structs.replace(state, language=language or state.language)
        case UserJoinedTeam(team_id=team_id):
            return msgspec.structs.replace(state, team_id=team_id)
        case UserLeftTeam():
            return msgspec.structs.replace(state, team_id=None)
        case JudgeConflictDeclared(team_id=team_id):
            return msgspec.structs.replace(state, conflicts=state.conflicts | {team_id})
        case UserDeleted():
            return msgspec.structs.replace(state, deleted=True, team_id=None)
        case UserErased():
            return msgspec.structs.replace(state, erased=True)
    return state


class RegisterUser(msgspec.Struct, frozen=True, kw_only=True):
    """Self-registration (actor None) or an account created by an organizer or the CLI."""

    user_id: UUID
    email: str
    name: str
    password: str
    role: Role = Role.PARTICIPANT


class SealedProfile(msgspec.Struct, frozen=True, kw_only=True):
    """What the handler prepared off the event loop: ciphertexts, keyed email hash, bcrypt."""

    email: str
    name: str
    email_hash: str
    password_hash: str


def check_registration(command: RegisterUser, actor: Actor | None) -> None:
    """The rules of a new account that need no state; run before the costly hashing."""
    if len(command.password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password needs at least {MIN_PASSWORD_LENGTH} characters", "password")
    if len(command.password.encode()) > MAX_PASSWORD_BYTES:
        raise Invalid(f"password has at most {MAX_PASSWORD_BYTES} bytes", "password")
    if "@" not in command.email.strip()[1:-1]:
        raise Invalid("email is not an email address", "email")
    if not command.name.strip():
        raise Invalid("name is empty", "name")
    if command.role not in ACCOUNT_ROLES:
        raise Invalid(f"role must be one of {sorted(ACCOUNT_ROLES)}", "role")
    if actor is None:
        if command.role is not Role.PARTICIPANT:
            raise Forbidden("self-registration always creates a PARTICIPANT")
    elif actor.role not in (Role.ORGANIZER, Role.SYSTEM):
        raise Forbidden("only an ORGANIZER creates accounts")


def decide_register(
    state: UserState, command: RegisterUser, actor: Actor | None, sealed: SealedProfile
) -> list[Event]:
    check_registration(command, actor)
    if state.exists:
        raise Conflict("this user exists already")
    return [
        UserRegistered(
            user_id=command.user_id,
            email=sealed.email,
            name=sealed.name,
            email_hash=sealed.email_hash,
            password_hash=sealed.password_hash,
            role=command.role.value,
            created_by=None if actor is None else actor.user_id,
        )
    ]


def require_active(state: UserState, what: str = "user") -> None:
    if not state.active:
        raise NotFound(f"{what} not found")


def may_manage(target: UserState, actor: Actor) -> None:
    """The user themself or an ORGANIZER."""
    require_active(target)
    if actor.user_id != target.user_id and actor.role is not Role.ORGANIZER:
        raise Forbidden("only the user themself or an ORGANIZER may do this")


def check_profile_change(
    state: UserState, actor: Actor, name: str | None, language: str | None
) -> None:
    """The rules of a profile change, checked before the new name is encrypted."""
    may_manage(state, actor)
    if state.erased:
        raise Conflict("this user's personal data is erased; the profile cannot change")
    if language is not None and language not in LANGUAGES:
        raise Invalid(f"language must be one of {sorted(LANGUAGES)}", "language")
    if name is None and language is None:
        raise Invalid("nothing to change: give name or language")
    if name is not None and not name.strip():
        raise Invalid("name is empty", "name")


def decide_change_profile(
    state: UserState, actor: Actor, sealed_name: str | None, language: str | None
) -> list[Event]:
    check_profile_change(state, actor, sealed_name, language)
    return [UserProfileChanged(name=sealed_name, language=language)]


def decide_delete(state: UserState, actor: Actor, reason: str) -> list[Event]:
    may_manage(state, actor)
    return [UserDeleted(deleted_by=actor.user_id, reason=reason)]


def decide_erase(state: UserState, actor: Actor) -> list[Event]:
    if not state.exists:
        raise NotFound("user not found")
    if actor.user_id != state.user_id and actor.role is not Role.ORGANIZER:
        raise Forbidden("only the user themself or an ORGANIZER may erase personal data")
    if state.erased:
        raise Conflict("this user's personal data is erased already")
    return [UserErased(erased_by=actor.user_id)]


def decide_declare_conflict(
    judge: UserState, actor: Actor, team_id: UUID, team_exists: bool, reason: str
) -> list[Event]:
    if actor.role is not Role.JUDGE or judge.user_id != actor.user_id:
        raise Forbidden("only a JUDGE declares their own conflicts")
    require_active(judge)
    if not team_exists:
        raise NotFound("team not found")
    if not reason.strip():
        raise Invalid("a conflict needs a reason", "reason")
    if team_id in judge.conflicts:
        raise Conflict("this conflict is declared already")
    return [JudgeConflictDeclared(team_id=team_id, reason=reason)]
