"""A projection's watermark: every event at or below it is in the projection's tables.

Each partition records how far it has applied the log (``read.partition_positions``); the
watermark is the lowest of those positions, and 0 until every partition has one. Only the
partitions now configured count: rows of partitions beyond ``KAZROCKETS_PROJECTOR_PARTITIONS``
(left by a setup that had more) are stale and must neither satisfy the count nor hold the
minimum back (docs/fan-out.md, changing the number of partitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

WATERMARK = """
SELECT CASE WHEN count(*) = %(expected)s THEN min(position) ELSE 0 END
FROM read.partition_positions
WHERE projection = ANY(%(projections)s) AND partition < %(partitions)s
"""


def watermark_params(projections: Sequence[str], partitions: int) -> dict[str, Any]:
    """The parameters of ``WATERMARK``: the lowest position over these projections."""
    return {
        "projections": list(projections),
        "partitions": partitions,
        "expected": partitions * len(projections),
    }


async def read_watermark(pool: AsyncConnectionPool[AsyncConnection], params: dict[str, Any]) -> int:
    """The watermark ``WATERMARK`` gives for ``params`` (from ``watermark_params``)."""
    async with pool.connection() as conn:
        row = await (await conn.execute(WATERMARK, params)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
