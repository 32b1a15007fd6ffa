"""The Redis side of the read models: one client setting, views and standings with a version check.

Redis cannot join a PostgreSQL transaction, so every write here is a compare-and-set in Lua:

- a view (``kazrockets:event:<id>``, ``kazrockets:user:<id>``, ``kazrockets:submission:<id>``)
  is a hash of its JSON and the stream version it reflects. A newer version always wins; the
  same version may only fill a tombstone (the read side refilling from the tables);
- a leaderboard (``kazrockets:leaderboard:<event_id>``) is a sorted set, one member per team
  scored by its rank, next to a hash with the standings' revision and position. The second
  key's hash tag is the first key's name, so both live in one slot of a Redis Cluster and the
  script stays atomic there.

Redis is a cache of the read tables: everything here can be flushed and is refilled on read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias
from uuid import UUID

import msgspec
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import NoScriptError

RedisClient: TypeAlias = Redis | RedisCluster

# KEYS[1] view; ARGV: version, JSON ('' for a tombstone), TTL seconds ('0': none)
WRITE_VIEW = """
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local incoming = tonumber(ARGV[1])
if incoming < current then return 0 end
if incoming == current and (ARGV[2] == '' or redis.call('HEXISTS', KEYS[1], 'json') == 1) then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'json')
else redis.call('HSET', KEYS[1], 'json', ARGV[2]) end
if ARGV[3] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

# KEYS[1] sorted set, KEYS[2] its revision hash: both at once, so they belong together.
READ_STANDINGS = """
return {redis.call('HMGET', KEYS[2], 'revision', 'position'), redis.call('ZRANGE', KEYS[1], 0, -1)}
"""

# KEYS[1] sorted set, KEYS[2] its revision hash; ARGV: revision, position, then rank/member pairs.
# An hour's TTL bounds how long a copy can stay stale if Redis was down when it changed.
WRITE_STANDINGS = """
local current = tonumber(redis.call('HGET', KEYS[2], 'revision') or '0')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[2], 'revision', ARGV[1], 'position', ARGV[2])
redis.call('EXPIRE', KEYS[1], 3600)
redis.call('EXPIRE', KEYS[2], 3600)
return 1
"""


class ViewUpdate(msgspec.Struct, frozen=True):
    """A view to set at a stream version (``body`` None: a tombstone; ``ttl`` 0: none)."""

    key: str
    version: int
    body: bytes | None
    ttl: int = 0


class Standing(msgspec.Struct, frozen=True):
    rank: int
    team_id: UUID
    team_name: str
    mean_score: float
    median_score: float
    evaluations: int
    submission_id: UUID


class Standings(msgspec.Struct, frozen=True):
    """An event's leaderboard at one revision (``as_of_position``: the newest event it shows)."""

    event_id: UUID
    as_of_position: int
    revision: int
    items: list[Standing]


def connect(url: str, cluster: bool = False) -> RedisClient:
    """The Redis client of a process: one server, or a cluster (``KAZROCKETS_REDIS_CLUSTER``)."""
    if cluster:
        return RedisCluster.from_url(url)
    return Redis.from_url(url)


def key(entity: str, entity_id: object) -> str:
    return f"kazrockets:{entity}:{entity_id}"


def leaderboard_keys(event_id: UUID) -> list[str]:
    board = key("leaderboard", event_id)
    return [board, "{" + board + "}:revision"]


_encoder = msgspec.json.Encoder()
_standing = msgspec.json.Decoder(Standing)


class Cache:
    """Views and standings in Redis, written only forward."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self._write_view = redis.register_script(WRITE_VIEW)
        self._write_standings = redis.register_script(WRITE_STANDINGS)
        self._read_standings = redis.register_script(READ_STANDINGS)

    async def write_view(self, view: str, version: int, body: bytes | None, ttl: int = 0) -> bool:
        """Set a view (``body`` None: a tombstone) unless Redis holds a newer one."""
        args: list[Any] = [version, b"" if body is None else body, ttl]
        return bool(await self._write_view(keys=[view], args=args))

    async def write_views(self, updates: Sequence[ViewUpdate]) -> int:
        """Set many views; how many were written. Each is the compare-and-set of
        ``write_view``: one Redis takes them all in one pipelined round trip (sent again if
        the server had lost the script); a cluster, whose pipelines refuse scripts, one by one."""
        if not updates:
            return 0
        if isinstance(self.redis, RedisCluster):
            return sum([await self.write_view(u.key, u.version, u.body, u.ttl) for u in updates])
        for _ in range(2):
            async with self.redis.pipeline(transaction=False) as pipe:
                for update in updates:
                    body = b"" if update.body is None else update.body
                    pipe.evalsha(
                        self._write_view.sha, 1, update.key, update.version, body, update.ttl
                    )
                results = await pipe.execute(raise_on_error=False)
            if not any(isinstance(result, NoScriptError) for result in results):
                break
            await self.redis.script_load(WRITE_VIEW)
        for result in results:
            if isinstance(result, Exception):
                raise result
        return sum(int(result) for result in results)

    async def read_view(self, view: str) -> bytes | None:
        """A view's JSON, or None on a miss or a tombstone."""
        body = await self.redis.hget(view, "json")
        return body.encode() if isinstance(body, str) else body

    async def write_standings(self, standings: Standings) -> bool:
        args: list[Any] = [standings.revision, standings.as_of_position]
        for item in standings.items:
            args += [item.rank, _encoder.encode(item)]
        written = await self._write_standings(keys=leaderboard_keys(standings.event_id), args=args)
        return bool(written)

    async def read_standings(self, event_id: UUID) -> Standings | None:
        (revision, position), members = await self._read_standings(keys=leaderboard_keys(event_id))
        if revision is None:
            return None
        return Standings(
            event_id=event_id,
            as_of_position=int(position),
            revision=int(revision),
            items=[_standing.decode(member) for member in members],
        )
