"""App factories for the HTTP server: each reads the settings once, in the serving process."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from read_api.app import ReadApiConfig
from read_api.app import create_app as create_read_app
from workers.lifecycle import freeze_heap
from workers.logs import setup_logging
from workers.settings import Settings, load_settings
from write_api import tokens
from write_api.app import WriteApiConfig, create_app

MIGRATED_PACKAGES = ("eventstore", "write_api", "projections")


def _common(settings: Settings) -> dict[str, Any]:
    """The settings both APIs take (``write_api.app.ApiConfig``)."""
    return {
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
        "redis_cluster": settings.redis_cluster,
        "s3_endpoint_url": settings.s3_endpoint_url,
        "s3_bucket": settings.s3_bucket,
        "s3_region": settings.s3_region,
        "s3_access_key_id": settings.s3_access_key_id,
        "s3_secret_access_key": settings.s3_secret_access_key,
        "tokens": tokens.TokenConfig(settings.jwt_secret, settings.jwt_lifetime_seconds),
        "pool_size": settings.db_pool_size,
    }


def write_api_config(settings: Settings) -> WriteApiConfig:
    return WriteApiConfig(
        **_common(settings),
        email_hash_key=settings.email_hash_key.encode(),
        bcrypt_rounds=settings.bcrypt_rounds,
        max_upload_bytes=settings.max_upload_bytes,
        login_attempts=settings.login_attempts,
        login_window_seconds=settings.login_window_seconds,
    )


def write_api_app() -> Litestar:
    """Granian's factory target for `kazrockets write-api`."""
    settings = load_settings()
    setup_logging(settings.log_level)
    app = create_app(write_api_config(settings))
    freeze_heap()
    return app


def read_api_config(settings: Settings) -> ReadApiConfig:
    return ReadApiConfig(
        **_common(settings),
        partitions=settings.projector_partitions,
        min_position_wait_seconds=settings.min_position_wait_seconds,
        download_url_seconds=settings.download_url_seconds,
        view_cache_seconds=settings.view_cache_seconds,
    )


def read_api_app() -> Litestar:
    """Granian's factory target for `kazrockets read-api`."""
    settings = load_settings()
    setup_logging(settings.log_level)
    app = create_read_app(read_api_config(settings))
    freeze_heap()
    return app
