"""Commands that create an aggregate under a new id decide without loading it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actors import Actor, Role
from commands.handlers import competitions
from commands.ports import Services, new_context
from commands.repository import EVENTS, Repository
from events.catalog import domain_codec
from eventstore.errors import ConcurrencyConflict
from eventstore.store import EventStore
from eventstore.vault import Vault


@pytest.fixture
def services(pool: AsyncConnectionPool[AsyncConnection], clean_db: None) -> Services:
    store = EventStore(pool, domain_codec())
    return Services(
        repository=Repository(store), vault=Vault(pool), files=None,  # type: ignore[arg-type]  # no uploads here
        email_hash_key=b"k" * 32,
    )  # fmt: skip


async def test_an_event_created_under_an_id_that_exists_is_a_conflict_and_changes_nothing(
    services: Services,
) -> None:
    organizer, event_id = Actor(uuid4(), Role.ORGANIZER), uuid4()
    start = datetime.now(UTC) + timedelta(days=1)
    first = await competitions.create_event(
        services, new_context(organizer), event_id, "Cup", start, start + timedelta(days=1)
    )
    with pytest.raises(ConcurrencyConflict):
        await competitions.create_event(
            services, new_context(organizer), event_id, "Other", start, start + timedelta(days=1)
        )
    loaded = await services.repository.load(EVENTS, event_id)
    assert loaded.version == 1
    assert loaded.state.title == "Cup"
    assert first.position > 0
