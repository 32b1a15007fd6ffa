"""Connection pools for the platform's processes (created in a lifespan or a main())."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.abc import Params
from psycopg_pool import AsyncConnectionPool

# A transaction left open holds back every reader of the log (see safe_position_limit), so
# the platform's own sessions never sit idle inside one for long.
SESSION_OPTIONS = "-c idle_in_transaction_session_timeout=30000 -c application_name=kazrockets"


async def open_pool(
    database_url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    name: str = "kazrockets",
    search_path: str | None = None,
) -> AsyncConnectionPool[AsyncConnection]:
    """A pool of autocommit connections; ``search_path`` for code using unqualified names."""
    options = SESSION_OPTIONS + (f" -c search_path={search_path}" if search_path else "")
    pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"autocommit": True, "options": options},
        name=name,
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    return pool


async def list_look_up(conn: AsyncConnection, query: str, params: Params) -> AsyncCursor[Any]:
    """Run a look-up of a list of keys (``= ANY(%s)``), planned for the tables as they are now.

    Never prepared: prepared, PostgreSQL settles after five runs on one generic plan, made
    for the tables as they were then. A process started on a small log kept a sequential
    scan of every event for the projectors' look-up of a run's events (auto_explain: "Seq
    Scan on events (cost=0.00..22.50)"): 3.4 ms per look-up against 0.07 ms after 30,000
    events, in one lag benchmark run in four. Planned each time, a look-up costs a few
    hundredths of a millisecond more and finds the index. In a pipeline it is only sent."""
    return await conn.execute(query, params, prepare=False)
