"""Events of notifications (stream ``notification-<uuid>``), recorded by the platform.

A notification is what one user was told about one triggering event, already in the words
of their language: the read model (``GET /users/me/notifications``) and the email carry this
text, and the history keeps what was said. It holds no email address.
"""

from __future__ import annotations

from uuid import UUID

from events.base import Event


class NotificationRecorded(Event, frozen=True, tag="NotificationRecorded"):
    notification_id: UUID
    recipient_id: UUID
    trigger_event_id: UUID  # the event it is about (its causation), or a reminder's own id
    kind: str
    subject: str
    body: str
    language: str


NotificationEvent = NotificationRecorded
