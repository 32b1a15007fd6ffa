"""Personal data: readable with the user's key, unreadable once the key is destroyed."""

from __future__ import annotations

from uuid import uuid4

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from eventstore.vault import ERASED, Vault, email_hash, open_many, open_with


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


async def test_many_tokens_open_together_as_each_opens_alone(
    pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    vault, ada, bob, erased = Vault(pool), uuid4(), uuid4(), uuid4()
    tokens = [
        (ada, await vault.seal(ada, "ada@example.kz")),
        (bob, await vault.seal(bob, "Bob")),
        (ada, await vault.seal(ada, "Ada")),
        (erased, await vault.seal(erased, "gone")),
        (bob, "stored before sealing"),
        (ada, (await vault.seal(bob, "not hers"))),  # another user's token: never opened
    ]
    await vault.destroy(erased)
    keys = await vault.keys([ada, bob, erased])

    opened = open_many(keys, tokens)

    assert opened == [open_with(keys[user], user, token) for user, token in tokens]
    assert opened == ["ada@example.kz", "Bob", "Ada", ERASED, "stored before sealing", ERASED]


def test_email_hash_is_keyed_and_ignores_case_and_spaces() -> None:
    assert email_hash(b"k", " Ada@Example.KZ ") == email_hash(b"k", "ada@example.kz")
    assert email_hash(b"k", "ada@example.kz") != email_hash(b"other", "ada@example.kz")
