"""Serving an app factory with granian (ASGI), stopping cleanly on SIGTERM / Ctrl-C."""

from __future__ import annotations

from granian import Granian
from granian.constants import Interfaces


def serve(target: str, host: str, port: int, workers: int) -> int:
    Granian(
        target,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
    ).serve()
    return 0
