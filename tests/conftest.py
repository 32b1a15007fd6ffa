"""Fixtures shared by every test: the real services, on a database of their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.pool import open_pool
from eventstore.store import EventStore
from tests.support.databases import fresh_database
from tests.support.events import codec_v2

TEST_DATABASE_URL = os.environ.get(
    "KAZROCKETS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_test"
)

RESET = """
TRUNCATE eventstore.events, eventstore.streams, eventstore.unique_claims, eventstore.seals,
    eventstore.personal_keys, eventstore.subscriptions, write_api.idempotency,
    read.app_user, read.team, read.team_member, read.competitive_event, read.submission,
    read.evaluation, read.judge_assignment, read.judge_conflict, read.leaderboard,
    read.leaderboard_revision, read.notification, read.stream_versions, read.partition_positions
"""


@pytest.fixture(scope="session")
def database_url() -> str:
    return fresh_database(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[AsyncConnection]]:
    pool = await open_pool(database_url, min_size=2, max_size=20, name="tests")
    yield pool
    await pool.close()


@pytest.fixture
async def clean_db(pool: AsyncConnectionPool[AsyncConnection]) -> None:
    async with pool.connection() as conn:
        await conn.execute(RESET)


@pytest.fixture
async def store(pool: AsyncConnectionPool[AsyncConnection], clean_db: None) -> EventStore:
    return EventStore(pool, codec_v2())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path) or "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.integration)
