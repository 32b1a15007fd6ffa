"""Who is acting: roles and the actor a command runs as."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

import msgspec


class Role(StrEnum):
    PARTICIPANT = "PARTICIPANT"
    ORGANIZER = "ORGANIZER"
    JUDGE = "JUDGE"
    AUDITOR = "AUDITOR"
    SYSTEM = "SYSTEM"  # the platform's own workers


class Actor(msgspec.Struct, frozen=True):
    user_id: UUID
    role: Role


# The identity of the platform itself (e.g. `kazrockets create-user`, task workers).
SYSTEM_ACTOR = Actor(UUID(int=0), Role.SYSTEM)
