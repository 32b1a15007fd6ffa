"""Encoding, decoding and upcasting of events, without I/O."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.codec import EventCodec, UnknownEventType
from tests.support.events import (
    ThingCreated,
    ThingNoted,
    ThingRenamed,
    ThingRenamedV1,
    codec_v1,
    codec_v2,
)


@given(name=st.text(), note=st.text())
def test_current_events_round_trip(name: str, note: str) -> None:
    codec = codec_v2()
    for event in (ThingCreated(name=name), ThingNoted(note=note)):
        tag = codec.tag_of(event)
        assert codec.decode(tag, event.schema_version, codec.encode(event)) == event


def test_a_version_one_event_is_read_back_as_version_two() -> None:
    old = ThingRenamedV1(name="Ada Lovelace")
    stored = codec_v1().encode(old)

    upcast = codec_v2().decode("ThingRenamed", 1, stored)

    assert upcast == ThingRenamed(first_name="Ada", last_name="Lovelace")


def test_an_older_version_without_upcaster_is_an_error() -> None:
    codec = EventCodec([ThingRenamed])
    with pytest.raises(UnknownEventType, match="no upcaster"):
        codec.decode("ThingRenamed", 1, b'{"type":"ThingRenamed","name":"x"}')


def test_unknown_tags_and_duplicate_tags_are_refused() -> None:
    with pytest.raises(UnknownEventType):
        codec_v2().decode("Nope", 1, b"{}")
    with pytest.raises(ValueError, match="twice"):
        EventCodec([ThingCreated, ThingCreated])


def test_stored_events_tolerate_fields_added_later() -> None:
    decoded = codec_v2().decode("ThingNoted", 1, b'{"type":"ThingNoted","note":"a","extra":1}')
    assert decoded == ThingNoted(note="a")
    with pytest.raises(msgspec.ValidationError):
        codec_v2().decode("ThingNoted", 1, b'{"type":"ThingNoted"}')
