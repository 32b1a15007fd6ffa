"""Request bodies (unknown fields forbidden) and answers of the write API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from commands.actors import Role

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=72)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
Comments = Annotated[str, msgspec.Meta(max_length=5000)]
Language = Annotated[str, msgspec.Meta(pattern="^(en|kk|ru)$")]


class Body(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of request bodies: a misspelt field is an error, not silently ignored."""


class RegisterBody(Body, frozen=True):
    email: Email
    password: Password
    name: Name


class LoginBody(Body, frozen=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1000)]


AccountRole = Literal["PARTICIPANT", "ORGANIZER", "JUDGE", "AUDITOR"]


class CreateUserBody(Body, frozen=True):
    email: Email
    password: Password
    name: Name
    role: AccountRole


class ProfileBody(Body, frozen=True):
    name: Name | None = None
    language: Language | None = None


class TeamBody(Body, frozen=True):
    name: Name


class CaptainBody(Body, frozen=True):
    user_id: UUID


class EventBody(Body, frozen=True):
    title: Title
    start_date: datetime
    end_date: datetime


class EventChangeBody(Body, frozen=True):
    title: Title | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None


class WinnerBody(Body, frozen=True):
    team_id: UUID | None = None


class RejectBody(Body, frozen=True):
    reason: Reason


class AssignmentBody(Body, frozen=True):
    judge_id: UUID


class ScoreBody(Body, frozen=True):
    submission_id: UUID
    score: Score
    comments: Comments = ""


class ReviseBody(Body, frozen=True):
    score: Score | None = None
    comments: Comments | None = None


class ConflictBody(Body, frozen=True):
    team_id: UUID
    reason: Reason


class Accepted(msgspec.Struct, frozen=True):
    position: int


class Registered(msgspec.Struct, frozen=True):
    user_id: UUID
    role: Role
    position: int


class UserCreated(msgspec.Struct, frozen=True):
    user_id: UUID
    position: int


class TokenAnswer(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str
    expires_in: int


class TeamCreated(msgspec.Struct, frozen=True):
    team_id: UUID
    position: int


class EventCreated(msgspec.Struct, frozen=True):
    event_id: UUID
    position: int


class WinnerAnswer(msgspec.Struct, frozen=True):
    winner_team_id: UUID
    position: int


class SubmissionAccepted(msgspec.Struct, frozen=True):
    submission_id: UUID
    status: str
    position: int


class EvaluationCreated(msgspec.Struct, frozen=True):
    evaluation_id: UUID
    position: int


class Health(msgspec.Struct, frozen=True):
    status: str
    dependencies: dict[str, str]
