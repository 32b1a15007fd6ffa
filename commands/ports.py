"""What the handlers need from the outside world, as small interfaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, Protocol
from uuid import UUID, uuid4

from commands.actors import Actor
from commands.repository import Repository
from commands.submissions import UploadedFile
from events.base import EventMetadata
from eventstore.vault import Vault


class FileStore(Protocol):
    """Where submitted files live (S3 in production, the local S3 emulator here)."""

    async def put_pdf(self, key: str, source: BinaryIO, max_size: int) -> UploadedFile: ...

    async def delete(self, key: str) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Everything a handler uses; built once per process (see write_api/app.py)."""

    repository: Repository
    vault: Vault
    files: FileStore
    email_hash_key: bytes
    bcrypt_rounds: int = 12
    max_upload_bytes: int = 20 * 1024 * 1024
    clock: Callable[[], datetime] = utc_now


@dataclass(frozen=True)
class CommandContext:
    """Who runs a command and in answer to what: becomes every event's metadata."""

    actor: Actor | None
    correlation_id: UUID
    causation_id: UUID
    idempotency_key: str | None = None

    def metadata(self, acting_as: UUID | None = None, role: str | None = None) -> EventMetadata:
        return EventMetadata(
            actor_id=acting_as if self.actor is None else self.actor.user_id,
            actor_role=(role or "ANONYMOUS") if self.actor is None else self.actor.role.value,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            idempotency_key=self.idempotency_key,
        )

    @property
    def who(self) -> Actor:
        if self.actor is None:
            raise AssertionError("this command needs an authenticated actor")
        return self.actor


def new_context(actor: Actor | None, idempotency_key: str | None = None) -> CommandContext:
    correlation = uuid4()
    return CommandContext(actor, correlation, correlation, idempotency_key)
