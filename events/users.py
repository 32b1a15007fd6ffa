"""Events of the user aggregate (stream ``user-<uuid>``).

Personal data (email, name) is stored encrypted under the user's own key (see
eventstore/vault.py); ``email_hash`` is a keyed hash of the normalised email, for uniqueness.
"""

from __future__ import annotations

from uuid import UUID

from events.base import Event


class UserRegistered(Event, frozen=True, tag="UserRegistered"):
    user_id: UUID
    email: str
    name: str
    email_hash: str
    password_hash: str
    role: str
    language: str = "en"
    created_by: UUID | None = None


class UserProfileChanged(Event, frozen=True, tag="UserProfileChanged"):
    name: str | None = None
    language: str | None = None


class UserJoinedTeam(Event, frozen=True, tag="UserJoinedTeam"):
    team_id: UUID


class UserLeftTeam(Event, frozen=True, tag="UserLeftTeam"):
    team_id: UUID
    reason: str


class JudgeConflictDeclared(Event, frozen=True, tag="JudgeConflictDeclared"):
    team_id: UUID
    reason: str


class UserDeleted(Event, frozen=True, tag="UserDeleted"):
    deleted_by: UUID
    reason: str


class UserErased(Event, frozen=True, tag="UserErased"):
    erased_by: UUID


UserEvent = (
    UserRegistered
    | UserProfileChanged
    | UserJoinedTeam
    | UserLeftTeam
    | JudgeConflictDeclared
    | UserDeleted
    | UserErased
)
