"""What a replay swaps in besides the rows (the schema of the migrations, stream versions,
the events that arrived while it was loading), and that it swaps nothing in when it fails."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from tqdm import tqdm

from events.catalog import domain_codec
from events.teams import TeamCreated, TeamMemberJoined
from events.users import UserRegistered
from eventstore.records import NewEvent
from eventstore.scan import Scanned
from eventstore.store import EventStore
from eventstore.vault import Vault
from tests.support.events import metadata
from workers.replay import Replayer, Statements
from workers.tables import TableWriter

CATALOG = """
SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'read'
UNION ALL
SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'read'::regnamespace
UNION ALL
SELECT 'column', table_name, column_name,
       concat_ws(' ', data_type, is_nullable, column_default, ordinal_position)
FROM information_schema.columns WHERE table_schema = 'read'
ORDER BY 1, 2, 3
"""
VERSIONS = "SELECT stream_id, version FROM read.stream_versions WHERE projection = 'tables'"


async def rows(pool: AsyncConnectionPool[AsyncConnection], query: str) -> list[tuple[Any, ...]]:
    async with pool.connection() as conn:
        return list(await (await conn.execute(query)).fetchall())


async def a_team(store: EventStore, vault: Vault, members: int) -> UUID:
    """A captain's team with ``members`` more members, each registered first."""
    team, captain = uuid4(), uuid4()
    events: list[NewEvent] = []
    for number in range(members):
        user = uuid4()
        email, name = await vault.seal_all(user, f"m{number}@example.kz", f"Member {number}")
        registered = UserRegistered(
            user_id=user, email=email, name=name, email_hash=user.hex,
            password_hash="$2b$04$x", role="PARTICIPANT",
        )  # fmt: skip
        await store.append(f"user-{user}", 0, [NewEvent(registered)], metadata())
        events.append(NewEvent(TeamMemberJoined(user_id=user)))
    created = TeamCreated(team_id=team, name="Rockets", captain_id=captain)
    await store.append(f"team-{team}", 0, [NewEvent(created), *events], metadata())
    return team


def replayer(pool: AsyncConnectionPool[AsyncConnection], store: EventStore) -> Replayer:
    return Replayer(pool, store, TableWriter(Vault(pool)), partitions=3, batch=2)


async def test_a_replay_swaps_in_the_indexes_and_constraints_the_migrations_made(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store, vault = EventStore(pool, domain_codec()), Vault(pool)
    team = await a_team(store, vault, members=3)
    migrated = await rows(pool, CATALOG)

    await replayer(pool, store).run(show_progress=False)

    assert await rows(pool, CATALOG) == migrated
    members = await rows(pool, f"SELECT count(*) FROM read.team_member WHERE team_id = '{team}'")
    assert members == [(4,)]
    names = await rows(pool, "SELECT name FROM read.app_user ORDER BY name")
    assert names == [("Member 0",), ("Member 1",), ("Member 2",)]  # opened with their keys
    versions = dict(await rows(pool, VERSIONS))
    assert versions.pop(f"team-{team}") == 4
    assert sorted(versions.values()) == [1, 1, 1]


class AppendingDuringTheLoad(Replayer):
    """A replay during whose first load another team is created."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection], store: EventStore) -> None:
        super().__init__(pool, store, TableWriter(Vault(pool)), partitions=3, batch=2)
        self.store, self.vault = store, Vault(pool)
        self.appended: UUID | None = None

    async def _fill(self, after: int, before: int, progress: tqdm, versions: bool) -> int:
        loaded = await super()._fill(after, before, progress, versions)
        if self.appended is None:
            self.appended = await a_team(self.store, self.vault, members=1)
        return loaded


async def test_events_stored_during_the_load_are_in_the_swapped_tables(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = EventStore(pool, domain_codec())
    first = await a_team(store, Vault(pool), members=2)
    replay = AppendingDuringTheLoad(pool, store)

    applied = await replay.run(show_progress=False)

    assert applied == (2 + 3) + (1 + 2)  # each team: its users, then its own stream
    teams = await rows(pool, "SELECT team_id FROM read.team")
    assert sorted(teams) == sorted([(first,), (replay.appended,)])
    versions = dict(await rows(pool, VERSIONS))
    assert versions[f"team-{first}"] == 3
    assert versions[f"team-{replay.appended}"] == 2


class FailingOnTheSecondBatch(Replayer):
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection], store: EventStore) -> None:
        super().__init__(pool, store, TableWriter(Vault(pool)), partitions=3, batch=2)
        self.batches = 0

    async def _plan(self, events: list[Scanned], versions: bool) -> Statements:
        self.batches += 1
        if self.batches == 2:
            raise RuntimeError("planning failed")
        return await super()._plan(events, versions)


async def test_a_replay_that_fails_before_the_swap_leaves_the_live_tables_as_they_were(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    store = EventStore(pool, domain_codec())
    first = await a_team(store, Vault(pool), members=1)
    await replayer(pool, store).run(show_progress=False)
    await a_team(store, Vault(pool), members=1)

    with pytest.raises(RuntimeError, match="planning failed"):
        await FailingOnTheSecondBatch(pool, store).run(show_progress=False)

    assert await rows(pool, "SELECT team_id FROM read.team") == [(first,)]
    await replayer(pool, store).run(show_progress=False)  # and a new replay starts over
    assert len(await rows(pool, "SELECT team_id FROM read.team")) == 2
