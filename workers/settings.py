"""Settings: environment variables with local defaults, read once into a typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec

PREFIX = "KAZROCKETS_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = "postgresql://postgres@127.0.0.1:5432/kazrockets"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # True: redis_url names one node of a Redis Cluster (every multi-key script is slot-safe).
    redis_cluster: bool = False
    s3_endpoint_url: str = "http://127.0.0.1:9000"
    s3_bucket: str = "kazrockets"
    s3_region: str = "us-east-1"
    # The local S3 emulator takes any credentials; empty means boto3's default chain.
    s3_access_key_id: str = "kazrockets-local"
    s3_secret_access_key: str = "kazrockets-local-secret"  # noqa: S105 -- local default only
    jwt_secret: str = "local-development-secret-change-me-in-production"  # noqa: S105 -- local default only
    jwt_lifetime_seconds: int = 3600
    email_hash_key: str = "local-development-email-hash-key"
    bcrypt_rounds: int = 12
    max_upload_bytes: int = 20 * 1024 * 1024
    api_workers: int = 1
    login_attempts: int = 10
    login_window_seconds: int = 300
    write_api_host: str = "127.0.0.1"
    write_api_port: int = 8000
    read_api_host: str = "127.0.0.1"
    read_api_port: int = 8001
    db_pool_size: int = 10
    seal_interval_seconds: float = 2.0
    # Queues per projector; change it only as docs/fan-out.md says (queues must drain first).
    # One: `kazrockets run` starts one process per projector, which gains nothing from more.
    projector_partitions: int = 1
    # Read-your-writes: how long a read with X-Min-Position waits before answering 503.
    min_position_wait_seconds: float = 2.0
    download_url_seconds: int = 300
    # The read API keeps what it read from Redis this long in each process (0: never).
    view_cache_seconds: float = 1.0
    # submission_processing: the PDF checks' limits.
    pdf_max_pages: int = 50
    pdf_check_seconds: float = 10.0
    # evaluation_assignment: judges per validated submission (fewer if fewer exist).
    judges_per_submission: int = 3
    # notifications: email through SMTP (locally the debugging server of scripts/services.sh).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: bool = False  # STARTTLS
    smtp_sender: str = "KazRockets <noreply@kazrockets.local>"
    smtp_user: str = ""  # empty: no login
    smtp_password: str = ""
    smtp_timeout_seconds: float = 10.0
    # notifications: how often open events are checked for due deadline reminders.
    reminder_interval_seconds: float = 60.0
    log_level: str = "INFO"

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(database_url={_redact(self.database_url)!r}, ...)"


SECRET_FIELDS = frozenset({"jwt_secret", "email_hash_key", "s3_secret_access_key", "smtp_password"})


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}{sep}{user}{':***' if has_password else ''}@{host}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``KAZROCKETS_*`` variables; unknown or malformed values fail loudly."""
    env = os.environ if environ is None else environ
    values = {
        name.removeprefix(PREFIX).lower(): value
        for name, value in env.items()
        if name.startswith(PREFIX)
    }
    known = set(Settings.__struct_fields__)
    # Ports of helper scripts share the prefix but are not settings of the Python processes.
    values = {k: v for k, v in values.items() if k in known}
    return msgspec.convert(values, Settings, strict=False)


def safe_view(settings: Settings) -> dict[str, object]:
    """The settings as a log line may show them: secrets out, passwords in URLs masked."""
    view: dict[str, object] = {}
    for name in settings.__struct_fields__:
        value = getattr(settings, name)
        if name in SECRET_FIELDS:
            continue
        view[name] = _redact(value) if isinstance(value, str) and "://" in value else value
    return view
