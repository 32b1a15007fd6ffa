"""Connection pools for the platform's processes (created in a lifespan or a main())."""

from __future__ import annotations

from psycopg import AsyncConnection
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
