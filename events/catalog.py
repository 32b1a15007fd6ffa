"""Every domain event type, and the codec over them that the processes use."""

from __future__ import annotations

import typing

from events.base import Event
from events.codec import EventCodec
from events.competitions import CompetitionEvent
from events.evaluations import EvaluationEvent
from events.notifications import NotificationEvent
from events.submissions import SubmissionEvent
from events.teams import TeamEvent
from events.users import UserEvent

DomainEvent = (
    UserEvent | TeamEvent | CompetitionEvent | SubmissionEvent | EvaluationEvent
    | NotificationEvent
)  # fmt: skip

ALL_EVENT_TYPES: tuple[type[Event], ...] = typing.get_args(DomainEvent)


def domain_codec() -> EventCodec:
    return EventCodec(ALL_EVENT_TYPES)
