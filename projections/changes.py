"""Row changes: what a projection policy returns, and the runner turns into SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from events.base import Event


class Fact(msgspec.Struct, frozen=True):
    """What a policy needs of a recorded event: where, when, and what."""

    stream_id: str
    recorded_at: datetime
    event: Event


class Sealed(msgspec.Struct, frozen=True):
    """Personal data still encrypted under its user's key: the runner opens it when writing."""

    user_id: UUID
    token: str


class Upsert(msgspec.Struct, frozen=True):
    """Insert the row, or overwrite these columns of the row with this key."""

    table: str
    key: dict[str, Any]
    values: dict[str, Any]


class Update(msgspec.Struct, frozen=True):
    table: str
    key: dict[str, Any]
    values: dict[str, Any]


class Delete(msgspec.Struct, frozen=True):
    table: str
    key: dict[str, Any]


class RecomputeLeaderboard(msgspec.Struct, frozen=True, kw_only=True):
    """The standings of the event this submission (or evaluation) belongs to may have changed;
    or, for a team, of every event the team has a submission in (standings show its name)."""

    submission_id: UUID | None = None
    evaluation_id: UUID | None = None
    team_id: UUID | None = None


Change = Upsert | Update | Delete | RecomputeLeaderboard
