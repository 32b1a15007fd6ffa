"""Recording a notification: the platform only, once."""

from __future__ import annotations

from uuid import uuid4

import msgspec
import pytest

from commands import notifications
from commands.actors import SYSTEM_ACTOR, Actor, Role
from commands.errors import Forbidden
from commands.notifications import Notice, NotificationState
from commands.repository import NOTIFICATIONS
from events.notifications import NotificationRecorded


def notice() -> Notice:
    return Notice(
        recipient_id=uuid4(), trigger_event_id=uuid4(), kind="submission_approved",
        subject="s", body="b", language="kk",
    )  # fmt: skip


def test_the_platform_records_a_notification_once() -> None:
    wanted = notice()
    decided = notifications.decide_record(NotificationState(), SYSTEM_ACTOR, wanted)
    assert decided == [
        NotificationRecorded(
            notification_id=wanted.notification_id, recipient_id=wanted.recipient_id,
            trigger_event_id=wanted.trigger_event_id, kind="submission_approved",
            subject="s", body="b", language="kk",
        )
    ]  # fmt: skip
    state = NOTIFICATIONS.fold(decided)
    assert notifications.decide_record(state, SYSTEM_ACTOR, wanted) == []


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.ORGANIZER, Role.JUDGE, Role.AUDITOR])
def test_nobody_else_records_notifications(role: Role) -> None:
    with pytest.raises(Forbidden):
        notifications.decide_record(NotificationState(), Actor(uuid4(), role), notice())


def test_the_claim_and_the_stream_are_per_recipient_trigger_and_kind() -> None:
    first = notice()
    reworded = msgspec.structs.replace(first, subject="other", body="other", language="en")
    assert (reworded.notification_id, reworded.claim_key) == (
        first.notification_id,
        first.claim_key,
    )
    other_kind = msgspec.structs.replace(first, kind="submission_rejected")
    assert other_kind.notification_id != first.notification_id
    assert other_kind.claim_key != first.claim_key
