"""Domain errors: raised by decide functions and handlers, mapped to HTTP in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation; ``field`` names the offending input when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Forbidden(DomainError):
    """The role rules do not allow this actor to do this."""


class NotFound(DomainError):
    """The target does not exist or is deleted."""


class Conflict(DomainError):
    """The command contradicts the current state (already done, taken, not allowed now)."""


class Invalid(DomainError):
    """The input breaks a rule of the domain (dates, score range, password length)."""
