"""`kazrockets replay`: rebuild the read tables from the event store, then swap them in.

The rebuild fills a fresh schema (``read_rebuild``) from the whole log in safe order, in
batches, while the live tables keep answering queries. The swap takes the replay lock
exclusively (live projector transactions take it shared, so they pause), applies the events
that arrived meanwhile, records stream versions and partition positions, and renames the
schemas in one transaction: readers see the old tables or the new ones, never a mix.
"""

from __future__ import annotations

import logging
import sys
from importlib import resources

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from tqdm import tqdm

from eventstore.records import RecordedEvent
from eventstore.store import EventStore
from projections import tables
from projections.cache import Cache
from projections.changes import Upsert
from workers.bulk import BulkWriter, RowChange
from workers.projector import ADVANCE_PARTITION, REPLAY_LOCK
from workers.tables import (
    TableWriter,
    publish_standings,
    recompute_all_standings,
)

log = logging.getLogger(__name__)

LIVE, REBUILD, RETIRED = "read", "read_rebuild", "read_retired"
BATCH = 5000

COUNT = """
SELECT count(*) FROM eventstore.events
WHERE global_position > %s AND global_position < eventstore.safe_position_limit()
"""
SWAP = f"""
ALTER SCHEMA {LIVE} RENAME TO {RETIRED};
ALTER SCHEMA {REBUILD} RENAME TO {LIVE};
DROP SCHEMA {RETIRED} CASCADE;
"""


def table_ddl() -> str:
    """Every projection migration's part after its marker, in order: the read tables."""
    folder = resources.files("projections").joinpath("migrations")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return "\n".join(f.read_text().split("-- tables --", 1)[1] for f in files)


class Replayer:
    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection],
        store: EventStore,
        writer: TableWriter,
        partitions: int,
        batch: int = BATCH,
        cache: Cache | None = None,
    ) -> None:
        self._cache = cache
        self._bulk = BulkWriter()
        self._pool = pool
        self._store = store
        self._writer = writer
        self._partitions = partitions
        self._batch = batch
        self.applied = 0

    async def _apply_batch(self, conn: AsyncConnection, events: list[RecordedEvent]) -> None:
        """Row changes as set-based statements (``workers.bulk``), grouped by table in the
        order of TABLES and in event order within a table; standings are left to one
        recomputation at the end of the replay.

        Grouping by table is safe: no statement reads another table, and the one foreign key
        (team_member to team) points to a table that comes first. It makes the runs long: a
        mixed history otherwise alternates shapes at every event."""
        await self._writer.prefetch(events)
        versions: dict[str, int] = {}
        by_table: dict[str, list[RowChange]] = {table: [] for table in tables.TABLES}
        for recorded in events:
            changes, _ = await self._writer.changes(recorded)
            for change in changes:
                by_table.setdefault(change.table, []).append(change)
            versions[recorded.stream_id] = recorded.version
        ordered = [change for group in by_table.values() for change in group]
        ordered += [
            Upsert("stream_versions", {"projection": tables.NAME, "stream_id": s}, {"version": v})
            for s, v in versions.items()
        ]
        async with conn.cursor() as cursor:
            for statement, rows in self._bulk.statements(ordered):
                await cursor.execute(statement, (rows,))
        self.applied += len(events)

    async def _fill(self, after: int, progress: tqdm | None) -> int:
        while True:
            events = await self._store.read_all(after, self._batch)
            if not events:
                return after
            # Pipeline mode: a batch's statements go out without waiting for each answer.
            async with self._pool.connection() as conn, conn.transaction(), conn.pipeline():
                await conn.execute(f"SET LOCAL search_path TO {REBUILD}")
                await self._apply_batch(conn, events)
            after = events[-1].global_position
            if progress is not None:
                progress.update(len(events))

    async def run(self, show_progress: bool = True) -> int:
        async with self._pool.connection() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {REBUILD} CASCADE")
            await conn.execute(f"CREATE SCHEMA {REBUILD}")
            async with conn.transaction():
                await conn.execute(f"SET LOCAL search_path TO {REBUILD}")
                await conn.execute(table_ddl().encode())
            total = (await (await conn.execute(COUNT, (0,))).fetchone() or (0,))[0]
        progress = tqdm(total=total, unit="ev", file=sys.stderr, disable=not show_progress)
        try:
            after = await self._fill(0, progress)
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (REPLAY_LOCK,))
                await conn.execute(f"SET LOCAL search_path TO {REBUILD}")
                while events := await self._store.read_all(after, self._batch):
                    await self._apply_batch(conn, events)
                    after = events[-1].global_position
                    progress.update(len(events))
                standings = await recompute_all_standings(conn, after)
                for partition in range(self._partitions):
                    await conn.execute(ADVANCE_PARTITION, (tables.NAME, partition, after))
                await conn.execute(SWAP.encode())
        finally:
            progress.close()
        if self._cache is not None:
            async with self._pool.connection() as conn:
                await conn.execute(f"SET search_path TO {LIVE}")
                await publish_standings(conn, self._cache, standings)
        log.info("replay done", extra={"events": self.applied, "position": after})
        return self.applied
