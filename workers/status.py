"""How far behind each reader of the log is: the relay and every projection.

Positions are sparse (built from transaction ids, see docs/event-store.md), so lag is
counted in events and in seconds, never as a difference of positions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from psycopg import AsyncConnection

# Only the partitions now configured: rows of partitions beyond them are stale (see
# projections/watermark.py).
WATERMARKS = """
SELECT projection, min(position), count(*) FROM read.partition_positions
WHERE partition < %s GROUP BY projection
UNION ALL
SELECT 'relay', position, 1 FROM eventstore.subscriptions WHERE name = 'relay'
"""
BEHIND = """
SELECT count(*), min(recorded_at) FROM (
    SELECT recorded_at FROM eventstore.events
    WHERE global_position > %s AND global_position < eventstore.safe_position_limit()
    ORDER BY global_position LIMIT %s
) behind
"""
COUNT_LIMIT = 100_000


class Lag(msgspec.Struct, frozen=True):
    reader: str
    position: int
    events_behind: int  # capped at COUNT_LIMIT
    seconds_behind: float


async def lags(conn: AsyncConnection, partitions: int) -> list[Lag]:
    """Every reader's lag; a projection missing partitions counts from the start."""
    now = datetime.now(UTC)
    result = []
    for reader, position, seen in await (await conn.execute(WATERMARKS, (partitions,))).fetchall():
        start = int(position) if reader == "relay" or seen >= partitions else 0
        count, oldest = await (await conn.execute(BEHIND, (start, COUNT_LIMIT))).fetchone() or (
            0,
            None,
        )
        seconds = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        result.append(Lag(reader, start, int(count), round(seconds, 3)))
    return result
