"""Answers of the read API. The single-resource shapes are also the Redis views' shapes
(``projections.views`` writes them on creation; ``read_api.views`` refills them from the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

import msgspec

from projections.cache import Standing
from workers.status import Lag

T = TypeVar("T")


class UserView(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    email: str | None  # only for the user, ORGANIZER and AUDITOR
    name: str
    role: str
    language: str
    team_id: UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    event_id: UUID
    title: str
    start_date: datetime
    end_date: datetime
    winner_team_id: UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class SubmissionView(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    team_id: UUID
    event_id: UUID
    file_url: str  # the object's key in the bucket
    file_size: int
    sha256: str
    status: str
    rejection_reason: str | None
    file_check: str  # PENDING until the worker checked the PDF, then VALID or INVALID
    file_pages: int | None
    submitted_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class SubmissionDetail(SubmissionView, frozen=True, kw_only=True):
    download_url: str | None  # presigned, short-lived; not for AUDITOR


class Member(msgspec.Struct, frozen=True):
    user_id: UUID
    name: str
    joined_at: datetime


class TeamView(msgspec.Struct, frozen=True, kw_only=True):
    team_id: UUID
    name: str
    captain_id: UUID
    members: list[Member]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class EvaluationView(msgspec.Struct, frozen=True, kw_only=True):
    evaluation_id: UUID
    submission_id: UUID
    judge_id: UUID
    score: int
    comments: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    team_id: UUID
    event_id: UUID
    status: str
    assigned_at: datetime
    scored: bool


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    notification_id: UUID
    kind: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


class Leaderboard(msgspec.Struct, frozen=True, kw_only=True):
    event_id: UUID
    as_of_position: int
    items: list[Standing]


class Page(msgspec.Struct, Generic[T], frozen=True):
    items: list[T]
    next_cursor: str | None


class Health(msgspec.Struct, frozen=True):
    status: str
    dependencies: dict[str, str]
    projections: list[Lag]
