"""Handler of notifications: record one, at most once (SYSTEM only)."""

from __future__ import annotations

from commands import notifications
from commands.notifications import Notice
from commands.ports import CommandContext, Services
from commands.repository import NOTIFICATIONS
from eventstore.errors import ConcurrencyConflict, UniqueKeyTaken
from eventstore.records import UniqueClaim

SCOPE = "notification"


async def record_notification(services: Services, ctx: CommandContext, notice: Notice) -> bool:
    """True when this call recorded the notice; False when it was recorded before.

    The stream is new (version 0) and the (recipient, trigger, kind) claim is taken in the
    same transaction, so of two concurrent or repeated recordings exactly one commits: the
    other finds the stream taken or the key claimed, and nothing of it is written."""
    # Its id is made from (recipient, trigger, kind): a repeat is refused by the append, so
    # there is nothing to load first.
    loaded = NOTIFICATIONS.fresh(notice.notification_id)
    decided = notifications.decide_record(loaded.state, ctx.who, notice)
    if not decided:
        return False
    try:
        await services.repository.save(
            [loaded.append(decided)],
            ctx.metadata(),
            claims=[UniqueClaim(SCOPE, notice.claim_key, loaded.stream_id)],
        )
    except (ConcurrencyConflict, UniqueKeyTaken):
        return False
    return True
