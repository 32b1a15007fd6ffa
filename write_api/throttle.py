"""Login throttling against brute force, per account and per client address, in Redis."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from write_api.problems import ProblemError


class LoginThrottle:
    """At most ``limit`` failed logins per ``window`` seconds per account and per address."""

    def __init__(self, redis: Redis, limit: int = 10, window: int = 300) -> None:
        self._redis = redis
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
        counts = await self._redis.mget(keys)
        if any(int(c) >= self.limit for c in counts if c is not None):
            ttl = max([await self._redis.ttl(k) for k in keys] + [1])
            raise ProblemError(
                429, "too many failed logins; try again later", headers={"Retry-After": str(ttl)}
            )

    async def failed(self, email: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, address):
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self._redis.delete(self._keys(email, "")[0])
