"""The sealer: covers the global log, in safe order, with a chain of seals.

Only one sealer writes at a time (a transaction-level advisory lock), and it reads only
below safe_position_limit(), so no event can later commit inside a sealed range.
"""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.hashing import GENESIS, events_digest, seal_hash
from eventstore.store import BELOW_SAFE_LIMIT
from eventstore.verify import Seal

SEALER_LOCK = 0x6B7273656131  # arbitrary advisory lock id: "krsea1"

LAST_SEAL = """
SELECT seal_number, last_position, seal_hash FROM eventstore.seals
ORDER BY seal_number DESC LIMIT 1
"""
UNSEALED = f"""
SELECT global_position, hash FROM eventstore.events
WHERE global_position > %s AND {BELOW_SAFE_LIMIT}
ORDER BY global_position LIMIT %s
"""  # noqa: S608 -- a constant condition; values are parameters
INSERT_SEAL = """
INSERT INTO eventstore.seals (seal_number, first_position, last_position, event_count,
                              events_digest, prev_seal_hash, seal_hash, sealed_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
"""


async def seal_once(
    pool: AsyncConnectionPool[AsyncConnection], max_events: int = 10_000
) -> Seal | None:
    """Seal the next run of unsealed events; None when there is nothing to seal."""
    async with pool.connection() as conn, conn.transaction():
        locked = await (
            await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (SEALER_LOCK,))
        ).fetchone()
        if locked is None or not locked[0]:
            return None  # another sealer is at work
        last = await (await conn.execute(LAST_SEAL)).fetchone()
        number, after, prev_hash = (
            (0, 0, GENESIS) if last is None else (int(last[0]), int(last[1]), bytes(last[2]))
        )
        rows = await (await conn.execute(UNSEALED, (after, max_events))).fetchall()
        if not rows:
            return None
        entries = [(int(p), bytes(h)) for p, h in rows]
        digest = events_digest(entries)
        first, final = entries[0][0], entries[-1][0]
        seal = Seal(
            seal_number=number + 1,
            first_position=first,
            last_position=final,
            event_count=len(entries),
            events_digest=digest,
            prev_seal_hash=prev_hash,
            seal_hash=seal_hash(prev_hash, first, final, len(entries), digest),
        )
        await conn.execute(
            INSERT_SEAL,
            (seal.seal_number, first, final, len(entries), digest, prev_hash, seal.seal_hash,
             datetime.now(UTC)),
        )  # fmt: skip
        return seal


async def seal_all(pool: AsyncConnectionPool[AsyncConnection], max_events: int = 10_000) -> int:
    """Seal until the safe end of the log; return how many seals were written."""
    written = 0
    while await seal_once(pool, max_events) is not None:
        written += 1
    return written
