"""The in-app notifications table (``read.notification``): a pure policy, part of ``tables``."""

from __future__ import annotations

from events.notifications import NotificationRecorded
from projections.changes import Change, Fact, Upsert


def project_notifications(fact: Fact) -> list[Change] | None:
    """A recorded notification becomes its row; ``read_at`` is left as it is."""
    event = fact.event
    if not isinstance(event, NotificationRecorded):
        return None
    row = {
        "user_id": event.recipient_id,
        "kind": event.kind,
        "subject": event.subject,
        "body": event.body,
        "created_at": fact.recorded_at,
    }
    return [Upsert("notification", {"notification_id": event.notification_id}, row)]
