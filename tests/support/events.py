"""Small event types for testing the store without depending on the domain's events."""

from __future__ import annotations

from typing import ClassVar
from uuid import uuid4

from events.base import Event, EventMetadata
from events.codec import EventCodec


class ThingCreated(Event, frozen=True, tag="ThingCreated"):
    name: str


class ThingNoted(Event, frozen=True, tag="ThingNoted"):
    note: str


class ThingRenamedV1(Event, frozen=True, tag="ThingRenamed"):
    """The first shape of ThingRenamed: one free-text name."""

    name: str


class ThingRenamed(Event, frozen=True, tag="ThingRenamed"):
    """The second shape: the name split in two; v1 events are upcast on read."""

    schema_version: ClassVar[int] = 2
    first_name: str
    last_name: str


def codec_v1() -> EventCodec:
    return EventCodec([ThingCreated, ThingNoted, ThingRenamedV1])


def codec_v2() -> EventCodec:
    codec = EventCodec([ThingCreated, ThingNoted, ThingRenamed])

    @codec.upcaster("ThingRenamed", from_version=1)
    def split_name(data: dict[str, object]) -> dict[str, object]:
        first, _, last = str(data.pop("name")).partition(" ")
        return {**data, "first_name": first, "last_name": last}

    return codec


def metadata(**overrides: object) -> EventMetadata:
    values: dict[str, object] = {
        "actor_id": uuid4(),
        "actor_role": "ORGANIZER",
        "correlation_id": uuid4(),
        "causation_id": uuid4(),
    }
    values.update(overrides)
    return EventMetadata(**values)  # type: ignore[arg-type]  # test helper: keywords checked at runtime
