"""JSON Web Tokens: HS256 by default, the algorithm pinned when decoding."""

from __future__ import annotations

import time
from uuid import UUID

import jwt
import msgspec

from commands.actors import Role


class TokenConfig(msgspec.Struct, frozen=True):
    secret: str
    lifetime_seconds: int = 3600
    algorithm: str = "HS256"


class Claims(msgspec.Struct, frozen=True):
    user_id: UUID
    role: Role
    expires_at: int = 0  # seconds since the epoch


def issue(config: TokenConfig, user_id: UUID, role: Role) -> str:
    now = int(time.time())
    payload = {
        "sub": str(user_id),
        "role": role.value,
        "iat": now,
        "exp": now + config.lifetime_seconds,
    }
    return jwt.encode(payload, config.secret, algorithm=config.algorithm)


def read(config: TokenConfig, token: str) -> Claims | None:
    """The claims of a valid token; None for an expired, tampered or foreign one."""
    try:
        payload = jwt.decode(
            token,
            config.secret,
            algorithms=[config.algorithm],
            options={"require": ["sub", "role", "iat", "exp"]},
        )
        return Claims(UUID(str(payload["sub"])), Role(payload["role"]), int(payload["exp"]))
    except (jwt.InvalidTokenError, ValueError, KeyError):
        return None


class CheckedTokens:
    """Tokens whose signature was checked, kept until they expire: a client sends the same
    token with every request, and checking it costs more than the rest of a cached read."""

    def __init__(self, config: TokenConfig, size: int = 10_000) -> None:
        self._config = config
        self._size = size
        self._checked: dict[str, Claims] = {}

    def read(self, token: str) -> Claims | None:
        claims = self._checked.get(token)
        if claims is not None and claims.expires_at > time.time():
            return claims
        claims = read(self._config, token)
        if claims is not None:
            if len(self._checked) >= self._size:
                self._checked.clear()
            self._checked[token] = claims
        return claims
