"""Login throttling against brute force, per account and per client address, in Redis.

Every Redis call touches one key, so the same code runs on a single server and a cluster."""

from __future__ import annotations

import hashlib

from projections.cache import RedisClient
from write_api.problems import ProblemError

# KEYS[1] a counter; ARGV[1] its window: count one failure, the window starting at the first.
COUNT_FAILURE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class LoginThrottle:
    """At most ``limit`` failed logins per ``window`` seconds per account and per address."""

    def __init__(self, redis: RedisClient, limit: int = 10, window: int = 300) -> None:
        self._redis = redis
        self._count = redis.register_script(COUNT_FAILURE)
        self.limit = limit
        self.window = window

    @staticmethod
    def _keys(email: str, address: str) -> list[str]:
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return [
            f"kazrockets:throttle:login:account:{account}",
            f"kazrockets:throttle:login:ip:{address}",
        ]

    async def check(self, email: str, address: str) -> None:
        keys = self._keys(email, address)
        counts = [await self._redis.get(key) for key in keys]
        if any(int(c) >= self.limit for c in counts if c is not None):
            ttl = max([await self._redis.ttl(k) for k in keys] + [1])
            raise ProblemError(
                429, "too many failed logins; try again later", headers={"Retry-After": str(ttl)}
            )

    async def failed(self, email: str, address: str) -> None:
        for key in self._keys(email, address):
            await self._count(keys=[key], args=[self.window])

    async def succeeded(self, email: str) -> None:
        await self._redis.delete(self._keys(email, "")[0])
