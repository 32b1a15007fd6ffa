"""The shared base of every domain event and the metadata every event carries."""

from __future__ import annotations

from contextvars import ContextVar
from typing import ClassVar
from uuid import UUID

import msgspec


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of all domain events.

    Subclasses give an explicit ``tag=`` (the stored event type, never renamed) and bump
    ``schema_version`` when their shape changes, registering an upcaster for the old shape.
    Stored events never forbid unknown fields, so an older reader survives a newer field.
    """

    schema_version: ClassVar[int] = 1


class EventMetadata(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who caused an event and why: recorded with every event of one command."""

    actor_id: UUID | None
    actor_role: str
    correlation_id: UUID
    causation_id: UUID
    idempotency_key: str | None = None


# The correlation id of the work in progress (a request, a message): structured logs put it on
# every line, and commands copy it into their events' metadata.
current_correlation_id: ContextVar[UUID | None] = ContextVar("current_correlation_id", default=None)
