"""`kazrockets create-user`: how the first ORGANIZER is made."""

from __future__ import annotations

import sys
from uuid import uuid4

from commands.actors import SYSTEM_ACTOR, Role
from commands.errors import DomainError
from commands.handlers.users import register
from commands.ports import new_context
from commands.users import RegisterUser
from eventstore.errors import EventStoreError
from eventstore.pool import open_pool
from workers.bootstrap import services_for
from workers.settings import Settings
from write_api.files import S3FileStore


async def create_user(settings: Settings, email: str, password: str, name: str, role: str) -> int:
    pool = await open_pool(settings.database_url, min_size=1, max_size=2, name="create-user")
    try:
        services = services_for(settings, pool, S3FileStore.from_config(settings))
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
