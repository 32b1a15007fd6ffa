"""An event stored at schema version 1 reads back from PostgreSQL as version 2."""

from __future__ import annotations

from uuid import uuid4

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.records import NewEvent
from eventstore.store import EventStore
from eventstore.verify import verify
from tests.support.events import ThingRenamed, ThingRenamedV1, codec_v1, metadata
from tests.support.log import settled_log


async def test_stored_version_one_event_is_read_as_version_two(
    store: EventStore, pool: AsyncConnectionPool[AsyncConnection]
) -> None:
    sid = f"thing-{uuid4()}"
    old_writer = EventStore(pool, codec_v1())
    await old_writer.append(sid, 0, [NewEvent(ThingRenamedV1(name="Grace Hopper"))], metadata())

    [recorded] = await store.read_stream(sid)

    assert recorded.schema_version == 1
    assert recorded.event == ThingRenamed(first_name="Grace", last_name="Hopper")
    assert (await settled_log(store))[0].event == recorded.event
    assert (await verify(pool)).ok  # upcasting happens on read: the stored bytes are untouched
