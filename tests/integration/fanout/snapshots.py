"""Read tables as plain rows, for comparing two ways of building them."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from projections.tables import TABLES

KEYS = {
    "app_user": "user_id",
    "team": "team_id",
    "team_member": "team_id, user_id",
    "competitive_event": "event_id",
    "submission": "submission_id",
    "evaluation": "evaluation_id",
    "judge_assignment": "submission_id, judge_id",
    "judge_conflict": "judge_id, team_id",
    "leaderboard": "event_id, rank",
}


async def snapshot(pool: AsyncConnectionPool[AsyncConnection]) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with pool.connection() as conn:
        for table in TABLES:
            query = f"SELECT * FROM {table} ORDER BY {KEYS[table]}"
            rows[table] = list(await (await conn.execute(query.encode())).fetchall())
    return rows
