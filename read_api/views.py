"""Hot single resources: from the Redis views, refilled from the read tables on a miss.

A refill writes the view at the stream version the tables hold, through the same
compare-and-set the `redis` projector uses, so it can never replace a newer view. Redis
being down costs speed, not answers: every read falls back to the tables."""

from __future__ import annotations

import logging
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from psycopg import AsyncConnection
from redis.exceptions import RedisError

from projections import views as policy
from projections.cache import Cache, Standings
from read_api.schemas import EventView, SubmissionView, UserView
from workers.tables import read_standings

log = logging.getLogger(__name__)

V = TypeVar("V", UserView, EventView, SubmissionView)

_VERSION = "(SELECT version FROM stream_versions WHERE projection = 'tables' AND stream_id = {})"
USER = f"""
SELECT user_id, email, name, role, language, team_id, created_at, updated_at, deleted_at,
       {_VERSION.format("'user-' || user_id")}
FROM app_user WHERE user_id = %s
"""  # noqa: S608 -- constant text only
EVENT = f"""
SELECT event_id, title, start_date, end_date, winner_team_id, created_at, updated_at, deleted_at,
       {_VERSION.format("'event-' || event_id")}
FROM competitive_event WHERE event_id = %s
"""  # noqa: S608 -- constant text only
SUBMISSION = f"""
SELECT submission_id, team_id, event_id, file_url, file_size, sha256, status, rejection_reason,
       file_check, file_pages, submitted_at, updated_at, deleted_at,
       {_VERSION.format("'submission-' || submission_id")}
FROM submission WHERE submission_id = %s
"""  # noqa: S608 -- constant text only

_encoder = msgspec.json.Encoder()
_SOURCES: dict[type[Any], tuple[str, str, int]] = {
    UserView: ("user", USER, 0),
    EventView: ("event", EVENT, policy.EVENT_TTL_SECONDS),
    SubmissionView: ("submission", SUBMISSION, 0),
}


class Views:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._decoders = {kind: msgspec.json.Decoder(kind) for kind in _SOURCES}

    async def get(
        self, conn: AsyncConnection, kind: type[V], entity_id: UUID, fresh: bool = False
    ) -> V | None:
        """The view of one entity, deleted or not (None: unknown). ``fresh``: from the tables."""
        entity, query, ttl = _SOURCES[kind]
        key = policy.key(entity, entity_id)
        if not fresh:
            cached = await self._cached(key)
            if cached is not None:
                view: V = self._decoders[kind].decode(cached)
                return view
        row = await (await conn.execute(query, (entity_id,))).fetchone()
        if row is None:
            return None
        view = kind(**dict(zip(kind.__struct_fields__, row[:-1], strict=True)))
        if row[-1] is not None:
            await self._refill(key, int(row[-1]), _encoder.encode(view), ttl)
        return view

    async def standings(self, conn: AsyncConnection, event_id: UUID, fresh: bool) -> Standings:
        cached = None if fresh else await self._cached_standings(event_id)
        if cached is not None:
            return cached
        standings = await read_standings(conn, event_id)
        if standings is None:
            return Standings(event_id, as_of_position=0, revision=0, items=[])
        await self._guard(self._cache.write_standings(standings))
        return standings

    async def _cached(self, key: str) -> bytes | None:
        try:
            return await self._cache.read_view(key)
        except RedisError as error:
            log.warning("Redis unavailable; reading the tables", extra={"error": str(error)})
            return None

    async def _cached_standings(self, event_id: UUID) -> Standings | None:
        try:
            return await self._cache.read_standings(event_id)
        except RedisError as error:
            log.warning("Redis unavailable; reading the tables", extra={"error": str(error)})
            return None

    async def _refill(self, key: str, version: int, body: bytes, ttl: int) -> None:
        await self._guard(self._cache.write_view(key, version, body, ttl))

    @staticmethod
    async def _guard(write: Any) -> None:
        try:
            await write
        except RedisError as error:
            log.warning("view not refilled", extra={"error": str(error)})
