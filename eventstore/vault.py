"""Personal data in events, encrypted under a per-user key that erasure destroys.

Ciphertexts look like ``pd1.<base64 nonce+ciphertext>`` and are bound to their user id
(AES-GCM associated data), so one user's ciphertext cannot be passed off as another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.errors import translate
from eventstore.pool import list_look_up

PREFIX = "pd1."
ERASED = "[erased]"

CREATE_KEY = """
INSERT INTO eventstore.personal_keys (user_id, data_key) VALUES (%s, %s)
ON CONFLICT (user_id) DO NOTHING
"""
READ_KEY = "SELECT data_key FROM eventstore.personal_keys WHERE user_id = %s"
READ_KEYS = "SELECT user_id, data_key FROM eventstore.personal_keys WHERE user_id = ANY(%s)"
DESTROY_KEY = """
UPDATE eventstore.personal_keys SET data_key = NULL, destroyed_at = now()
WHERE user_id = %s AND data_key IS NOT NULL
"""


def email_hash(key: bytes, email: str) -> str:
    """A keyed hash of the normalised email: unique per address, useless without the key."""
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


class Vault:
    """Creates, uses and destroys per-user data keys stored in PostgreSQL."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection]) -> None:
        # No cache: a key destroyed by another process must stop working here at once.
        self._pool = pool

    async def key(self, user_id: UUID) -> bytes | None:
        """The user's data key, or None once destroyed (or never made)."""
        return await self._key(user_id)

    async def keys(self, user_ids: list[UUID]) -> dict[UUID, bytes | None]:
        """Several users' keys in one look-up (None: destroyed or never made)."""
        try:
            async with self._pool.connection() as conn:
                rows = await (await list_look_up(conn, READ_KEYS, (user_ids,))).fetchall()
        except psycopg.Error as error:
            raise translate(error) from error
        found = {row[0]: None if row[1] is None else bytes(row[1]) for row in rows}
        return {user_id: found.get(user_id) for user_id in user_ids}

    async def _key(self, user_id: UUID, *, create: bool = False) -> bytes | None:
        try:
            async with self._pool.connection() as conn:
                if create:
                    await conn.execute(CREATE_KEY, (user_id, AESGCM.generate_key(256)))
                row = await (await conn.execute(READ_KEY, (user_id,))).fetchone()
        except psycopg.Error as error:
            raise translate(error) from error
        return None if row is None or row[0] is None else bytes(row[0])

    async def seal(self, user_id: UUID, plaintext: str) -> str:
        [sealed] = await self.seal_all(user_id, plaintext)
        return sealed

    async def seal_all(self, user_id: UUID, *plaintexts: str) -> list[str]:
        """Encrypt several fields with one look-up of the user's key (made on first use)."""
        key = await self._key(user_id, create=True)
        if key is None:
            raise ValueError("this user's personal data is erased")
        return seal_with(key, user_id, *plaintexts)

    async def open(self, user_id: UUID, token: str) -> str:
        """The plaintext, or ERASED once the user's key is destroyed."""
        if not token.startswith(PREFIX):
            return token
        return open_with(await self._key(user_id), user_id, token)

    async def destroy(self, user_id: UUID) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(DESTROY_KEY, (user_id,))
        except psycopg.Error as error:
            raise translate(error) from error


def seal_with(key: bytes, user_id: UUID, *plaintexts: str) -> list[str]:
    """Encrypt with a key already at hand (``seal_all`` looks it up or makes it)."""
    cipher = AESGCM(key)
    sealed = []
    for plaintext in plaintexts:
        nonce = os.urandom(12)
        encrypted = cipher.encrypt(nonce, plaintext.encode(), user_id.bytes)
        sealed.append(PREFIX + base64.b64encode(nonce + encrypted).decode())
    return sealed


def open_with(key: bytes | None, user_id: UUID, token: str) -> str:
    """Decrypt with a key already at hand; ERASED when there is none or it does not fit."""
    if not token.startswith(PREFIX):
        return token
    if key is None:
        return ERASED
    return _decrypt(AESGCM(key), user_id, token)


def open_many(keys: Mapping[UUID, bytes | None], sealed: Iterable[tuple[UUID, str]]) -> list[str]:
    """Decrypt many tokens with keys at hand, one cipher per user (a replay opens a batch's
    personal data together): each plaintext, or ERASED as ``open_with`` gives it."""
    ciphers: dict[UUID, AESGCM | None] = {}
    opened = []
    for user_id, token in sealed:
        if not token.startswith(PREFIX):
            opened.append(token)
            continue
        if user_id not in ciphers:
            key = keys.get(user_id)
            ciphers[user_id] = None if key is None else AESGCM(key)
        cipher = ciphers[user_id]
        opened.append(ERASED if cipher is None else _decrypt(cipher, user_id, token))
    return opened


def _decrypt(cipher: AESGCM, user_id: UUID, token: str) -> str:
    raw = base64.b64decode(token.removeprefix(PREFIX))
    try:
        return cipher.decrypt(raw[:12], raw[12:], user_id.bytes).decode()
    except InvalidTag:
        return ERASED
