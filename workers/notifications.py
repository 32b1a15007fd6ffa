"""The `notifications` worker: in-app notifications recorded as events, and email.

On a triggering event (``workers.notices`` says which, and for whom) it waits until the read
tables reflect that event, looks the audience up in them, renders each message in the
recipient's language and issues the SYSTEM command that records ``NotificationRecorded``
(caused by the trigger) once per (recipient, trigger, kind). Only a notification this call
recorded is emailed, so a redelivered trigger records and sends nothing again: each email
goes out at most once. Deadline reminders are scanned for on a timer by the same process; a
reminder's id is derived from its event, kind and end date, so a restart neither repeats one
(the claim refuses it) nor skips one that is still due (the next scan finds it).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actors import SYSTEM_ACTOR
from commands.handlers.notifications import record_notification
from commands.notifications import Notice
from commands.ports import CommandContext, Services
from eventstore.records import RecordedEvent
from projections import tables
from projections.watermark import Checkpoints
from workers.lifecycle import sleep_or_stop
from workers.mailer import Mail, Mailer, SmtpConfig
from workers.messages import render
from workers.notices import OpenEventTeams, Plan, deadline_kind, plan, reminder_id
from workers.processing import caused_by
from workers.recipients import Recipient, look_up, recorded_before
from workers.settings import Settings

log = logging.getLogger(__name__)

TABLES_WAIT_SECONDS = 10.0
DUE_EVENTS = """
SELECT event_id, end_date FROM read.competitive_event
WHERE deleted_at IS NULL AND start_date <= %(now)s AND end_date > %(now)s
  AND end_date <= %(now)s + interval '24 hours'
ORDER BY end_date, event_id
"""


class TablesBehind(Exception):
    """The read tables have not caught up with the trigger yet: try again later."""


class Notifications:
    def __init__(
        self,
        services: Services,
        pool: AsyncConnectionPool[AsyncConnection],
        mailer: Mailer,
        watermark: Checkpoints,
        tables_wait_seconds: float = TABLES_WAIT_SECONDS,
    ) -> None:
        self._services = services
        self._pool = pool
        self._mailer = mailer
        self._watermark = watermark
        self._wait = tables_wait_seconds

    async def __call__(self, recorded: RecordedEvent) -> None:
        planned = plan(recorded.stream_id, recorded.event)
        if planned is None:
            return
        # The look-ups must see at least what the event's own history wrote (a new user's row).
        if not await self._watermark.reached(recorded.global_position, self._wait):
            raise TablesBehind(f"the read tables are behind position {recorded.global_position}")
        await self.deliver(planned, recorded.event_id, caused_by(recorded))

    async def deliver(self, planned: Plan, trigger_id: UUID, ctx: CommandContext) -> int:
        """Record (and email) what is not recorded yet; how many this call recorded."""
        async with self._pool.connection() as conn:
            found = await look_up(conn, planned.audience)
            notices = [
                (recipient, _notice(planned, trigger_id, recipient, found.values))
                for recipient in found.recipients
            ]
            done = await recorded_before(conn, [n.notification_id for _, n in notices])
        mails = []
        for recipient, notice in notices:
            if notice.notification_id in done:
                continue
            if await record_notification(self._services, ctx, notice):
                mails.append(
                    Mail(recipient.email, notice.subject, notice.body, notice.notification_id)
                )
        sent = await self._mailer.send_all(mails)
        log.info(
            "notified",
            extra={
                "kind": planned.kind,
                "recipients": len(notices),
                "recorded": len(mails),
                "emailed": sent,
            },
        )
        return len(mails)

    async def remind(self, now: datetime) -> int:
        """Record the deadline reminders due at ``now`` that are not recorded yet."""
        async with self._pool.connection() as conn:
            due = await (await conn.execute(DUE_EVENTS, {"now": now})).fetchall()
        recorded = 0
        for event_id, end_date in due:
            kind = deadline_kind(end_date, now)
            if kind is None:
                continue
            trigger = reminder_id(event_id, kind, end_date)
            ctx = CommandContext(SYSTEM_ACTOR, correlation_id=trigger, causation_id=trigger)
            recorded += await self.deliver(Plan(kind, OpenEventTeams(event_id)), trigger, ctx)
        return recorded

    async def run_reminders(self, stopping: asyncio.Event, interval_seconds: float) -> None:
        """Scan for due reminders until stopped; a failed scan is tried again next time."""
        while not stopping.is_set():
            try:
                await self.remind(datetime.now(UTC))
            except Exception as error:
                log.warning("deadline reminders failed", extra={"error": repr(error)})
            await sleep_or_stop(stopping, interval_seconds)


def _notice(
    planned: Plan, trigger_id: UUID, recipient: Recipient, values: dict[str, object]
) -> Notice:
    text = render(planned.kind, recipient.language, {**values, **planned.values})
    return Notice(
        recipient_id=recipient.user_id,
        trigger_event_id=trigger_id,
        kind=planned.kind,
        subject=text.subject,
        body=text.body,
        language=text.language,
    )


def notifications_for(
    settings: Settings, services: Services, pool: AsyncConnectionPool[AsyncConnection]
) -> Notifications:
    watermark = Checkpoints(pool, (tables.NAME,), settings.projector_partitions)
    return Notifications(services, pool, Mailer(SmtpConfig.from_settings(settings)), watermark)
