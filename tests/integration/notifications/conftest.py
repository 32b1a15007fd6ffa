"""Notifications fixtures: the command side over the test database, the read tables filled
by the real `tables` projector (one partition, in the test's loop), and a debugging SMTP
server with a maildir of the test's own."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actors import Actor, Role
from commands.handlers import competitions, teams, users
from commands.ports import Services, new_context
from commands.users import RegisterUser
from events.catalog import domain_codec
from events.competitions import SubmissionReceived
from events.submissions import SubmissionUploaded
from eventstore.pool import open_pool
from eventstore.records import NewEvent, StreamAppend
from eventstore.store import EventStore
from eventstore.vault import Vault
from projections import tables
from projections.watermark import Checkpoints
from tests.support.services import services_over
from tests.support.smtp import MailDir, debugging_smtp
from workers.mailer import Mailer, SmtpConfig
from workers.notifications import Notifications
from workers.projector import TablesProjector
from workers.replay import LIVE
from workers.tables import TableWriter

SMTP_PORT = int(os.environ.get("KAZROCKETS_TEST_SMTP_PORT", "18526"))


@pytest.fixture
def maildir(tmp_path: Path) -> Iterator[MailDir]:
    with debugging_smtp(SMTP_PORT, tmp_path / "mail") as box:
        yield box


@pytest.fixture
async def read_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[AsyncConnection]]:
    pool = await open_pool(database_url, min_size=1, max_size=4, name="read", search_path=LIVE)
    yield pool
    await pool.close()


@dataclass
class World:
    """Accounts, a team, an event and a submission made through the real handlers."""

    services: Services
    store: EventStore
    pool: AsyncConnectionPool[AsyncConnection]
    projector: TablesProjector
    emails: dict[UUID, str] = field(default_factory=dict)
    applied: int = 0

    def __post_init__(self) -> None:
        self.notifications = self.worker()

    def worker(self) -> Notifications:
        """A notifications worker as a process starts one (a restart makes a new one)."""
        mailer = Mailer(SmtpConfig(port=SMTP_PORT, timeout_seconds=5))
        watermark = Checkpoints(self.pool, (tables.NAME,), partitions=1)
        return Notifications(self.services, self.pool, mailer, watermark, tables_wait_seconds=1)

    async def project(self) -> None:
        """Apply every new event to the read tables (partition 0 of 1: the watermark), once
        all are safe to read (an open transaction anywhere holds newer positions back)."""
        head = await self.store.head_position()
        async with asyncio.timeout(10):
            while await self.store.safe_head_position() < head:  # noqa: ASYNC110 -- polled
                await asyncio.sleep(0.02)
        for recorded in await self.store.read_all(self.applied, 10_000):
            await self.projector.apply(recorded, 0)
            self.applied = recorded.global_position

    async def account(self, role: Role, by: Actor | None = None, language: str = "en") -> Actor:
        user_id = uuid4()
        self.emails[user_id] = f"{role.value.lower()}-{user_id.hex[:8]}@kazrockets.test"
        command = RegisterUser(
            user_id=user_id, email=self.emails[user_id], name="Name", password="password-123",
            role=role,
        )  # fmt: skip
        await users.register(self.services, new_context(by), command)
        if language != "en":
            me = Actor(user_id, role)
            await users.change_profile(self.services, new_context(me), user_id, None, language)
        return Actor(user_id, role)

    async def team(self, captain: Actor, *members: Actor, name: str = "Falcons") -> UUID:
        team_id = uuid4()
        await teams.create_team(self.services, new_context(captain), team_id, name)
        for member in members:
            await teams.join_team(self.services, new_context(member), team_id)
        return team_id

    async def event(self, organizer: Actor, title: str, ends_in: timedelta) -> UUID:
        event_id, end = uuid4(), datetime.now(UTC) + ends_in
        await competitions.create_event(
            self.services, new_context(organizer), event_id, title, end - timedelta(days=3), end
        )
        return event_id

    async def submission(self, member: Actor, team_id: UUID, event_id: UUID) -> UUID:
        """An upload as the write API records it (the file itself is not needed here)."""
        submission_id = uuid4()
        uploaded = SubmissionUploaded(
            submission_id=submission_id, team_id=team_id, event_id=event_id,
            file_key=f"submissions/{event_id}/{team_id}/{submission_id}.pdf", file_size=10,
            sha256="0" * 64, submitted_by=member.user_id, submitted_at=datetime.now(UTC),
        )  # fmt: skip
        received = SubmissionReceived(submission_id=submission_id, team_id=team_id)
        competition = await self.store.read_stream(f"event-{event_id}")
        await self.store.append_streams(
            [
                StreamAppend(f"submission-{submission_id}", 0, [NewEvent(uploaded)]),
                StreamAppend(f"event-{event_id}", competition[-1].version, [NewEvent(received)]),
            ],
            new_context(member).metadata(),
        )
        return submission_id


@pytest.fixture
async def world(
    pool: AsyncConnectionPool[AsyncConnection],
    read_pool: AsyncConnectionPool[AsyncConnection],
    clean_db: None,
) -> World:
    store = EventStore(pool, domain_codec())
    services = await services_over(pool, store)
    projector = TablesProjector(read_pool, store, TableWriter(Vault(pool)))
    return World(services, store, pool, projector)
