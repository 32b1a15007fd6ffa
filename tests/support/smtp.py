"""A debugging SMTP server for tests: aiosmtpd in a thread, every message kept in a maildir
(the same handler scripts/services.sh runs for local use)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

# A maildir file's name: "<seconds>.M<microseconds>P<pid>Q<count>.<host>", the microseconds
# not zero-padded, so sorting names as text puts M100000 before M99999 within a second.
_DELIVERED = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def _delivery_order(file: Path) -> tuple[int, ...]:
    found = _DELIVERED.match(file.name)
    return tuple(int(part) for part in found.groups()) if found else (0,)


class MailDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, parsed (headers decoded)."""
        found = []
        for file in sorted((self.path / "new").iterdir(), key=_delivery_order):
            parsed = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]


@contextmanager
def debugging_smtp(port: int, path: Path) -> Iterator[MailDir]:
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield MailDir(path)
    finally:
        controller.stop()
