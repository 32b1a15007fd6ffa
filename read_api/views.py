"""Hot single resources: from the Redis views, refilled from the read tables on a miss.

A refill writes the view at the stream version the tables hold, through the same
compare-and-set the `redis` projector uses, so it can never replace a newer view. Redis
being down costs speed, not answers: every read falls back to the tables.

In front of Redis, each process keeps what it read for ``KAZROCKETS_VIEW_CACHE_SECONDS``
(1 s; 0 turns it off): a round trip to Redis costs more than the rest of a hot read. Reads
may thus lag a change by that long; a read sent with ``X-Min-Position`` never uses it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.exceptions import RedisError

from projections import views as policy
from projections.cache import Cache, Standings
from read_api.schemas import EventView, SubmissionView, UserView
from workers.tables import read_standings

log = logging.getLogger(__name__)

V = TypeVar("V", UserView, EventView, SubmissionView)
T = TypeVar("T")

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


class Recent:
    """Values this process read lately, each for ``seconds``, at most ``size`` of them."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self._seconds = seconds
        self._size = size
        self._values: dict[object, tuple[float, Any]] = {}

    def get(self, key: object) -> Any:
        found = self._values.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: object, value: Any) -> None:
        if self._seconds <= 0:
            return
        if len(self._values) >= self._size:
            self._values.clear()
        self._values[key] = (time.monotonic() + self._seconds, value)


class Views:
    def __init__(
        self,
        cache: Cache,
        pool: AsyncConnectionPool[AsyncConnection],
        recent_seconds: float = 1.0,
    ) -> None:
        self._cache = cache
        self._pool = pool
        self._recent = Recent(recent_seconds)
        self._decoders = {kind: msgspec.json.Decoder(kind) for kind in _SOURCES}

    async def get(self, kind: type[V], entity_id: UUID, fresh: bool = False) -> V | None:
        """The view of one entity, deleted or not (None: unknown). ``fresh``: from the tables
        (a database connection is only taken then, or on a miss)."""
        entity, query, ttl = _SOURCES[kind]
        key = policy.key(entity, entity_id)
        if not fresh:
            recent: V | None = self._recent.get(key)
            if recent is not None:
                return recent
            cached = await self._guarded(self._cache.read_view(key))
            if cached is not None:
                view: V = self._decoders[kind].decode(cached)
                self._recent.put(key, view)
                return view
        async with self._pool.connection() as conn:
            row = await (await conn.execute(query, (entity_id,))).fetchone()
        if row is None:
            return None
        view = kind(**dict(zip(kind.__struct_fields__, row[:-1], strict=True)))
        if row[-1] is not None:
            body = _encoder.encode(view)
            await self._guarded(self._cache.write_view(key, int(row[-1]), body, ttl))
        self._recent.put(key, view)
        return view

    async def standings(self, event_id: UUID, fresh: bool) -> Standings:
        key = ("standings", event_id)
        if not fresh:
            recent: Standings | None = self._recent.get(key)
            if recent is not None:
                return recent
        cached = None if fresh else await self._guarded(self._cache.read_standings(event_id))
        if cached is None:
            async with self._pool.connection() as conn:
                cached = await read_standings(conn, event_id)
            if cached is None:
                return Standings(event_id, as_of_position=0, revision=0, items=[])
            await self._guarded(self._cache.write_standings(cached))
        self._recent.put(key, cached)
        return cached

    @staticmethod
    async def _guarded(call: Awaitable[T]) -> T | None:
        """A Redis call, or None when Redis is unreachable (the tables answer instead)."""
        try:
            return await call
        except RedisError as error:
            log.warning("Redis unavailable; the tables answer", extra={"error": str(error)})
            return None
