"""Notifications: recorded by the platform, at most once per recipient, trigger and kind.

The notification id is derived from (recipient, trigger, kind), so a redelivered trigger
names the same stream; the handler also claims that triple as a unique key in the same
transaction as the append. Either way a second recording of the same notification is refused,
and the caller treats the refusal as "done already".
"""

from __future__ import annotations

from uuid import UUID, uuid5

import msgspec

from commands.actors import Actor, Role
from commands.errors import Forbidden
from events.base import Event
from events.notifications import NotificationRecorded

# Fixed forever: changing it would re-derive every notification id (and re-notify).
NAMESPACE = UUID("6f1b3c52-8e0a-4d3e-9a57-4b2f0c6d8e11")


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """One notification about to be recorded, its text already rendered."""

    recipient_id: UUID
    trigger_event_id: UUID
    kind: str
    subject: str
    body: str
    language: str

    @property
    def notification_id(self) -> UUID:
        return notification_id(self.recipient_id, self.trigger_event_id, self.kind)

    @property
    def claim_key(self) -> str:
        return f"{self.recipient_id}:{self.trigger_event_id}:{self.kind}"


class NotificationState(msgspec.Struct, frozen=True):
    recorded: bool = False


def notification_id(recipient_id: UUID, trigger_event_id: UUID, kind: str) -> UUID:
    return uuid5(NAMESPACE, f"{recipient_id}:{trigger_event_id}:{kind}")


def evolve(state: NotificationState, event: Event) -> NotificationState:
    if isinstance(event, NotificationRecorded):
        return NotificationState(recorded=True)
    return state


def decide_record(state: NotificationState, actor: Actor, notice: Notice) -> list[Event]:
    """Record the notification once; recording it again records nothing."""
    if actor.role is not Role.SYSTEM:
        raise Forbidden("only the platform's notifications worker records notifications")
    if state.recorded:
        return []
    return [
        NotificationRecorded(
            notification_id=notice.notification_id,
            recipient_id=notice.recipient_id,
            trigger_event_id=notice.trigger_event_id,
            kind=notice.kind,
            subject=notice.subject,
            body=notice.body,
            language=notice.language,
        )
    ]
