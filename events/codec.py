"""Encoding and decoding of stored events, with upcasting of older schema versions.

A stored event is its type tag, the schema version it was written with, and its JSON body.
Reading an event written at an older schema version runs the registered upcasters in order
(v1 -> v2 -> ...) over the decoded JSON object, then converts it to the current Struct, so
the rest of the code only ever sees current types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from events.base import Event

JsonObject = dict[str, Any]
Upcaster = Callable[[JsonObject], JsonObject]


class UnknownEventType(LookupError):
    """A stored event's type has no registered Struct."""


class EventCodec:
    """Maps stored type tags to event Structs; encodes, decodes and upcasts."""

    def __init__(self, types: Iterable[type[Event]]) -> None:
        self._types: dict[str, type[Event]] = {}
        for event_type in types:
            tag = event_type.__struct_config__.tag
            if not isinstance(tag, str):
                raise TypeError(f"{event_type.__name__} needs an explicit string tag")
            if tag in self._types:
                raise ValueError(f"event tag {tag!r} registered twice")
            self._types[tag] = event_type
        self._decoders = {tag: msgspec.json.Decoder(t) for tag, t in self._types.items()}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._encoder = msgspec.json.Encoder()

    def upcaster(self, tag: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register ``fn`` turning the JSON of ``tag`` at ``from_version`` into the next one."""

        def register(fn: Upcaster) -> Upcaster:
            self._upcasters[(tag, from_version)] = fn
            return fn

        return register

    def tag_of(self, event: Event) -> str:
        tag = type(event).__struct_config__.tag
        assert isinstance(tag, str)
        return tag

    def encode(self, event: Event) -> bytes:
        return self._encoder.encode(event)

    def decode(self, tag: str, schema_version: int, data: bytes | str) -> Event:
        event_type = self._types.get(tag)
        if event_type is None:
            raise UnknownEventType(tag)
        if schema_version == event_type.schema_version:
            return self._decoders[tag].decode(data)
        obj: JsonObject = msgspec.json.decode(data)
        for version in range(schema_version, event_type.schema_version):
            upcast = self._upcasters.get((tag, version))
            if upcast is None:
                raise UnknownEventType(f"{tag} has no upcaster from schema version {version}")
            obj = upcast(obj)
        obj["type"] = tag
        return msgspec.convert(obj, event_type)

    def known(self, tag: str) -> bool:
        return tag in self._types
