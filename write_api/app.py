"""The write API: a litestar app built from a config; connections open in its lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from commands.ports import Services
from commands.repository import Repository
from events.catalog import domain_codec
from eventstore.notify import Notifier
from eventstore.pool import open_pool
from eventstore.store import EventStore
from eventstore.vault import Vault
from projections import cache
from write_api import tokens
from write_api.context import CorrelationMiddleware, sign_in
from write_api.files import S3FileStore
from write_api.health import dependencies
from write_api.idempotency import IdempotencyMiddleware
from write_api.problems import handle
from write_api.routes.auth import AuthController
from write_api.routes.events import EventsController
from write_api.routes.submissions import EvaluationsController, SubmissionsController
from write_api.routes.teams import TeamsController
from write_api.routes.users import JudgesController, UsersController
from write_api.schemas import Health
from write_api.throttle import LoginThrottle


class ApiConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What both APIs are configured with."""

    database_url: str
    redis_url: str
    redis_cluster: bool = False
    s3_endpoint_url: str
    s3_bucket: str
    s3_region: str
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    tokens: tokens.TokenConfig
    pool_size: int = 10


class WriteApiConfig(ApiConfig, frozen=True, kw_only=True):
    email_hash_key: bytes
    bcrypt_rounds: int = 12
    max_upload_bytes: int = 20 * 1024 * 1024
    login_attempts: int = 10
    login_window_seconds: int = 300


def _lifespan(config: WriteApiConfig) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await open_pool(config.database_url, max_size=config.pool_size, name="write-api")
        redis = cache.connect(config.redis_url, config.redis_cluster)
        files = S3FileStore.from_config(config)
        await asyncio.to_thread(files.ensure_bucket)
        app.state.pool = pool
        app.state.redis = redis
        app.state.files = files
        app.state.token_config = config.tokens
        app.state.tokens = tokens.CheckedTokens(config.tokens)
        app.state.throttle = LoginThrottle(
            redis, config.login_attempts, config.login_window_seconds
        )
        app.state.services = Services(
            repository=Repository(EventStore(pool, domain_codec(), Notifier(pool))),
            vault=Vault(pool),
            files=files,
            email_hash_key=config.email_hash_key,
            bcrypt_rounds=config.bcrypt_rounds,
            max_upload_bytes=config.max_upload_bytes,
        )
        try:
            yield
        finally:
            await redis.aclose()
            await pool.close()

    return lifespan


@get("/health", operation_id="health", tags=["health"])
async def health(state: State) -> Health:
    """Each dependency's state."""
    ok, found = await dependencies(state.pool, state.redis, state.files)
    return Health(status="ok" if ok else "degraded", dependencies=found)


def create_app(config: WriteApiConfig) -> Litestar:
    signed_in = Router(
        "/",
        route_handlers=[
            UsersController,
            JudgesController,
            TeamsController,
            EventsController,
            SubmissionsController,
            EvaluationsController,
        ],
        before_request=sign_in,  # 401 before anything else; routes ask command_of(request)
    )
    return Litestar(
        route_handlers=[AuthController, signed_in, health],
        middleware=[CorrelationMiddleware, DefineMiddleware(IdempotencyMiddleware)],
        exception_handlers={Exception: handle},
        lifespan=[_lifespan(config)],
        openapi_config=OpenAPIConfig(
            title="KazRockets write API",
            version="1.0.0",
            path="/schema",
            description="Commands of the KazRockets competition platform.",
        ),
        request_max_body_size=config.max_upload_bytes + 1024 * 1024,
        debug=False,
        logging_config=None,  # keep the process's JSON logging (workers/logs.py)
    )
