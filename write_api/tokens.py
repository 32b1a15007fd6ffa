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
        return Claims(UUID(str(payload["sub"])), Role(payload["role"]))
    except (jwt.InvalidTokenError, ValueError, KeyError):
        return None
