"""The notifications worker against the real PostgreSQL and a debugging SMTP server: each
notification recorded once per (recipient, trigger) and mailed once, however often (or
however concurrently) its trigger is delivered; text in the recipient's language."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actors import SYSTEM_ACTOR, Actor, Role
from commands.handlers import competitions, submissions
from commands.ports import new_context
from eventstore.records import RecordedEvent
from tests.integration.notifications.conftest import World
from tests.support.smtp import MailDir
from workers.messages import catalogue
from workers.notifications import TablesBehind

NOTIFIED = """
SELECT data->>'recipient_id', data->>'kind', data->>'language', data->>'subject',
       data->>'body', metadata->>'causation_id', metadata->>'actor_role'
FROM eventstore.events WHERE event_type = 'NotificationRecorded' ORDER BY global_position
"""


async def notified(pool: AsyncConnectionPool[AsyncConnection]) -> list[tuple[Any, ...]]:
    async with pool.connection() as conn:
        return await (await conn.execute(NOTIFIED)).fetchall()


async def last_of(world: World, stream_id: str) -> RecordedEvent:
    return (await world.store.read_stream(stream_id))[-1]


async def reviewed(world: World, language: str) -> tuple[Actor, Actor, Actor, UUID]:
    """An organizer, a captain (English), a member (``language``), a pending submission."""
    organizer = await world.account(Role.ORGANIZER, by=SYSTEM_ACTOR)
    captain = await world.account(Role.PARTICIPANT)
    member = await world.account(Role.PARTICIPANT, language=language)
    team_id = await world.team(captain, member, name="Falcons")
    event_id = await world.event(organizer, "Rocket Cup", timedelta(days=2))
    return organizer, captain, member, await world.submission(captain, team_id, event_id)


async def test_an_approval_is_recorded_and_mailed_once_per_member_under_redelivery(
    world: World, maildir: MailDir, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    organizer, captain, member, submission_id = await reviewed(world, "kk")
    await submissions.approve(world.services, new_context(organizer), submission_id)
    await world.project()
    approved = await last_of(world, f"submission-{submission_id}")

    await asyncio.gather(*(world.notifications(approved) for _ in range(3)))  # concurrent
    await world.notifications(approved)  # and once more, after the others

    rows = await notified(pool)
    assert sorted(row[0] for row in rows) == sorted([str(captain.user_id), str(member.user_id)])
    assert {(row[1], row[5], row[6]) for row in rows} == {
        ("submission_approved", str(approved.event_id), "SYSTEM")
    }
    captain_mail, member_mail = (maildir.to(world.emails[a.user_id]) for a in (captain, member))
    assert (len(captain_mail), len(member_mail), len(maildir.messages())) == (1, 1, 2)
    assert captain_mail[0]["Subject"] == "Rocket Cup: your submission was approved"
    kazakh = catalogue("kk").kinds["submission_approved"]
    assert member_mail[0]["Subject"] == kazakh.subject.format(event_title="Rocket Cup")
    assert "мақұлданды" in member_mail[0].get_content()
    assert "Falcons" in member_mail[0].get_content()

    # In-app: the notifications are projected into the caller's inbox, in the same words.
    await world.project()
    async with pool.connection() as conn:
        inbox = await (
            await conn.execute(
                "SELECT kind, subject FROM read.notification WHERE user_id = %s",
                (member.user_id,),
            )
        ).fetchall()
    assert inbox == [("submission_approved", member_mail[0]["Subject"])]


async def test_a_rejection_tells_its_reason_in_russian(
    world: World, maildir: MailDir, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    organizer, _, member, submission_id = await reviewed(world, "ru")
    reason = "The PDF has no team name on its first page"
    await submissions.reject(world.services, new_context(organizer), submission_id, reason)
    await world.project()
    await world.notifications(await last_of(world, f"submission-{submission_id}"))

    [mail] = maildir.to(world.emails[member.user_id])
    assert mail["Subject"] == "Rocket Cup: работа отклонена"
    assert f"Причина: {reason}" in mail.get_content()
    languages = {row[0]: row[2] for row in await notified(pool)}
    assert languages[str(member.user_id)] == "ru"


async def test_a_judge_hears_of_the_account_an_organizer_made_and_of_an_assignment(
    world: World, maildir: MailDir, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    organizer, _, _, submission_id = await reviewed(world, "en")
    judge = await world.account(Role.JUDGE, by=organizer)
    await submissions.assign_judge(
        world.services, new_context(organizer), submission_id, judge.user_id
    )
    await world.project()
    for stream_id in (f"user-{judge.user_id}", f"submission-{submission_id}"):
        trigger = await last_of(world, stream_id)
        await world.notifications(trigger)
        await world.notifications(trigger)

    mails = maildir.to(world.emails[judge.user_id])
    assert [m["Subject"] for m in mails] == [
        "Your KazRockets account",
        "Rocket Cup: a submission is assigned to you",
    ]
    assert "with the role judge" in mails[0].get_content()
    assert str(submission_id) in mails[1].get_content()
    assert len(await notified(pool)) == 2


async def test_every_member_of_every_team_that_took_part_hears_of_the_winner(
    world: World, maildir: MailDir, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    organizer = await world.account(Role.ORGANIZER, by=SYSTEM_ACTOR)
    event_id = await world.event(organizer, "Final", timedelta(days=1))
    captain, member, rival, bystander = [await world.account(Role.PARTICIPANT) for _ in "1234"]
    falcons = await world.team(captain, member, name="Falcons")
    eagles = await world.team(rival, name="Eagles")
    await world.team(bystander, name="Bystanders")
    await world.submission(captain, falcons, event_id)
    await world.submission(rival, eagles, event_id)
    ended = datetime.now(UTC) - timedelta(seconds=1)
    by = new_context(organizer)
    await competitions.change_event(world.services, by, event_id, None, None, ended)
    await competitions.declare_winner(world.services, new_context(organizer), event_id, eagles)
    await world.project()
    await world.notifications(await last_of(world, f"event-{event_id}"))

    told = {row[0] for row in await notified(pool)}
    assert told == {str(a.user_id) for a in (captain, member, rival)}
    [mail] = maildir.to(world.emails[captain.user_id])
    assert "Eagles" in mail.get_content() and "Final" in mail["Subject"]


async def test_a_trigger_the_tables_have_not_seen_is_retried_later(
    world: World, maildir: MailDir, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    organizer, _, _, submission_id = await reviewed(world, "en")
    await submissions.approve(world.services, new_context(organizer), submission_id)
    with pytest.raises(TablesBehind):
        await world.notifications(await last_of(world, f"submission-{submission_id}"))
    assert await notified(pool) == [] and maildir.messages() == []


async def test_deadline_reminders_are_recorded_once_each_across_restarts(
    world: World, maildir: MailDir, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    organizer, captain, member, _ = await reviewed(world, "kk")  # the Rocket Cup: 2 days
    await world.event(organizer, "Closing", timedelta(minutes=30))
    await world.event(organizer, "Later", timedelta(hours=5))
    await world.project()
    now = datetime.now(UTC)

    assert await world.notifications.remind(now) == 4  # 2 members x (1 h, 24 h)
    assert await world.worker().remind(now + timedelta(minutes=1)) == 0
    assert await world.notifications.remind(now) == 0

    rows = await notified(pool)
    assert sorted((row[0], row[1]) for row in rows) == sorted(
        (str(user.user_id), kind)
        for user in (captain, member)
        for kind in ("deadline_1h", "deadline_24h")
    )
    assert len(maildir.to(world.emails[member.user_id])) == 2
    assert {row[5] for row in rows if row[1] == "deadline_1h"} != {
        row[5] for row in rows if row[1] == "deadline_24h"
    }


async def test_mail_that_cannot_be_sent_leaves_the_notification_and_no_address_in_logs(
    world: World, pool: AsyncConnectionPool[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    organizer, captain, member, submission_id = await reviewed(world, "en")  # no SMTP server
    await submissions.approve(world.services, new_context(organizer), submission_id)
    await world.project()
    with caplog.at_level(logging.INFO):
        await world.notifications(await last_of(world, f"submission-{submission_id}"))

    assert len(await notified(pool)) == 2  # in-app, though the mail could not go out
    warnings = [r for r in caplog.records if r.getMessage().startswith("email not sent")]
    assert warnings and warnings[0].__dict__["error"] == "ConnectionRefusedError"
    logged = " ".join(str(r.__dict__) for r in caplog.records)
    for user in (captain, member):
        assert world.emails[user.user_id] not in logged
