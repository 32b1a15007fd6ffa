"""The audience of a notification, looked up in the read tables (which the worker never
writes), and the wait until those tables reflect the triggering event.

Deleted and erased users are never notified. A lookup that finds nothing (the submission or
the user is unknown to the tables) notifies nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg import AsyncConnection

from eventstore.pool import list_look_up
from workers.notices import (
    AssignedJudge,
    Audience,
    EventTeams,
    NewAccount,
    OpenEventTeams,
    SubmissionTeam,
)

LIVE_USER = "u.deleted_at IS NULL AND u.erased_at IS NULL"
SUBMISSION = """
SELECT coalesce(t.name, ''), coalesce(e.title, '') FROM read.submission s
LEFT JOIN read.team t ON t.team_id = s.team_id
LEFT JOIN read.competitive_event e ON e.event_id = s.event_id
WHERE s.submission_id = %s
"""
SUBMISSION_TEAM = f"""
SELECT u.user_id, u.email, u.language FROM read.submission s
JOIN read.team_member m ON m.team_id = s.team_id
JOIN read.app_user u ON u.user_id = m.user_id
WHERE s.submission_id = %s AND {LIVE_USER} ORDER BY u.user_id
"""  # noqa: S608 -- LIVE_USER is a constant; values are parameters
ONE_USER = f"""
SELECT u.user_id, u.email, u.language FROM read.app_user u WHERE u.user_id = %s AND {LIVE_USER}
"""  # noqa: S608 -- LIVE_USER is a constant; values are parameters
EVENT = """
SELECT e.title, coalesce(t.name, ''), e.end_date FROM read.competitive_event e
LEFT JOIN read.team t ON t.team_id = %(winner)s
WHERE e.event_id = %(event)s
"""
EVENT_TEAMS = f"""
SELECT DISTINCT u.user_id, u.email, u.language FROM read.team_member m
JOIN read.team t ON t.team_id = m.team_id AND t.deleted_at IS NULL
JOIN read.app_user u ON u.user_id = m.user_id
WHERE {LIVE_USER} AND (m.team_id = %(winner)s OR m.team_id IN (
    SELECT s.team_id FROM read.submission s
    WHERE s.event_id = %(event)s AND s.deleted_at IS NULL))
ORDER BY u.user_id
"""  # noqa: S608 -- LIVE_USER is a constant; values are parameters
ACTIVE_TEAMS = f"""
SELECT DISTINCT u.user_id, u.email, u.language FROM read.team_member m
JOIN read.team t ON t.team_id = m.team_id AND t.deleted_at IS NULL
JOIN read.app_user u ON u.user_id = m.user_id
WHERE {LIVE_USER} ORDER BY u.user_id
"""  # noqa: S608 -- LIVE_USER is a constant; values are parameters
RECORDED = "SELECT notification_id FROM read.notification WHERE notification_id = ANY(%s)"


class Recipient(msgspec.Struct, frozen=True):
    user_id: UUID
    email: str
    language: str


class Found(msgspec.Struct, frozen=True):
    """Who is told, and the names the message needs (team, event title)."""

    recipients: list[Recipient]
    values: dict[str, object]


def format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _rows(conn: AsyncConnection, query: str, params: Any) -> list[Recipient]:
    rows = await (await conn.execute(query, params)).fetchall()
    return [Recipient(*row) for row in rows]


async def look_up(conn: AsyncConnection, audience: Audience) -> Found:
    match audience:
        case (
            SubmissionTeam(submission_id=submission_id) | AssignedJudge(submission_id=submission_id)
        ):
            row = await (await conn.execute(SUBMISSION, (submission_id,))).fetchone()
            if row is None:
                return Found([], {})
            values: dict[str, object] = {"team_name": row[0], "event_title": row[1]}
            if isinstance(audience, AssignedJudge):
                return Found(await _rows(conn, ONE_USER, (audience.judge_id,)), values)
            return Found(await _rows(conn, SUBMISSION_TEAM, (submission_id,)), values)
        case EventTeams(event_id=event_id, winner_team_id=winner):
            params = {"event": event_id, "winner": winner}
            row = await (await conn.execute(EVENT, params)).fetchone()
            if row is None:
                return Found([], {})
            values = {"event_title": row[0], "winner_team_name": row[1]}
            return Found(await _rows(conn, EVENT_TEAMS, params), values)
        case OpenEventTeams(event_id=event_id):
            row = await (await conn.execute(EVENT, {"event": event_id, "winner": None})).fetchone()
            if row is None:
                return Found([], {})
            values = {"event_title": row[0], "end_date": format_moment(row[2])}
            return Found(await _rows(conn, ACTIVE_TEAMS, ()), values)
        case NewAccount(user_id=user_id):
            return Found(await _rows(conn, ONE_USER, (user_id,)), {})


async def recorded_before(conn: AsyncConnection, notification_ids: list[UUID]) -> set[UUID]:
    """Which of these notifications the tables already hold: a shortcut past the store's
    check for a repeat, never a replacement for it (the tables may lag)."""
    rows = await (await list_look_up(conn, RECORDED, (notification_ids,))).fetchall()
    return {row[0] for row in rows}
