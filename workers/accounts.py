"""`kazrockets create-user`: how the first ORGANIZER is made."""

from __future__ import annotations

import sys
from uuid import uuid4

from commands.actors import SYSTEM_ACTOR, Role
from commands.errors import DomainError
from commands.handlers.users import register
from commands.ports import Services, new_context
from commands.repository import Repository
from commands.users import RegisterUser
from events.catalog import domain_codec
from eventstore.errors import EventStoreError
from eventstore.pool import open_pool
from eventstore.store import EventStore
from eventstore.vault import Vault
from workers.settings import Settings
from write_api.files import S3FileStore


async def create_user(settings: Settings, email: str, password: str, name: str, role: str) -> int:
    pool = await open_pool(settings.database_url, min_size=1, max_size=2, name="create-user")
    try:
        services = Services(
            repository=Repository(EventStore(pool, domain_codec())),
            vault=Vault(pool),
            files=S3FileStore.from_config(settings),
            email_hash_key=settings.email_hash_key.encode(),
            bcrypt_rounds=settings.bcrypt_rounds,
        )
        command = RegisterUser(
            user_id=uuid4(), email=email, name=name, password=password, role=Role(role)
        )
        outcome = await register(services, new_context(SYSTEM_ACTOR), command)
    except (DomainError, EventStoreError) as error:
        sys.stderr.write(f"cannot create the user: {error}\n")
        return 1
    finally:
        await pool.close()
    sys.stdout.write(f'{{"user_id": "{command.user_id}", "position": {outcome.position}}}\n')
    return 0
