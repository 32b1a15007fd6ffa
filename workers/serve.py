"""Serving an app factory with granian (ASGI), stopping cleanly on SIGTERM / Ctrl-C."""

from __future__ import annotations

from granian import Granian
from granian.constants import Interfaces

# Granian's own log lines go through the same JSON formatter as the platform's.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "workers.logs.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "_granian": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}


def serve(target: str, host: str, port: int, workers: int) -> int:
    Granian(
        target,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
        log_dictconfig=LOG_CONFIG,
    ).serve()
    return 0
