"""Personal data: readable with the user's key, unreadable once the key is destroyed."""

from __future__ import annotations

from uuid import uuid4

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.vault import ERASED, Vault, email_hash


async def test_sealed_data_opens_until_the_key_is_destroyed(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    vault, user, other = Vault(pool), uuid4(), uuid4()
    sealed = await vault.seal(user, "ada@example.kz")

    assert "ada" not in sealed
    assert await vault.open(user, sealed) == "ada@example.kz"
    assert await vault.open(other, sealed) == ERASED  # bound to its user: no key, no reading

    await vault.destroy(user)

    assert await vault.open(user, sealed) == ERASED
    assert await vault.key(user) is None


def test_email_hash_is_keyed_and_ignores_case_and_spaces() -> None:
    assert email_hash(b"k", " Ada@Example.KZ ") == email_hash(b"k", "ada@example.kz")
    assert email_hash(b"k", "ada@example.kz") != email_hash(b"other", "ada@example.kz")
