"""The read API: queries over the read tables and Redis, never the event store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from psycopg import AsyncConnection

from eventstore.pool import open_pool
from projections import cache
from projections.watermark import Checkpoints
from read_api.answers import Answers
from read_api.requests import sign_in
from read_api.routes.audit import AuditController
from read_api.routes.events import EventsController
from read_api.routes.judges import JudgesController
from read_api.routes.submissions import SubmissionsController
from read_api.routes.teams import TeamsController
from read_api.routes.users import UsersController
from read_api.schemas import Health
from read_api.views import Views
from workers.status import Lag, lags
from write_api import tokens
from write_api.app import ApiConfig
from write_api.context import CorrelationMiddleware
from write_api.files import S3FileStore
from write_api.health import dependencies
from write_api.problems import handle

# What X-Min-Position waits for: a read that sends it is answered from the tables alone.
PROJECTIONS = ("tables",)


class ReadApiConfig(ApiConfig, frozen=True, kw_only=True):
    partitions: int = 2
    min_position_wait_seconds: float = 2.0
    download_url_seconds: int = 300
    view_cache_seconds: float = 1.0


def _lifespan(config: ReadApiConfig) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await open_pool(
            config.database_url, max_size=config.pool_size, name="read-api", search_path="read"
        )
        redis = cache.connect(config.redis_url, config.redis_cluster)
        app.state.config = config
        app.state.pool = pool
        app.state.redis = redis
        app.state.views = Views(cache.Cache(redis), pool, config.view_cache_seconds)
        app.state.answers = Answers()
        app.state.tokens = tokens.CheckedTokens(config.tokens)
        app.state.files = S3FileStore.from_config(config)
        app.state.checkpoints = Checkpoints(pool, PROJECTIONS, config.partitions)
        try:
            yield
        finally:
            await app.state.checkpoints.close()
            await redis.aclose()
            await pool.close()

    return lifespan


@get("/health", operation_id="health", tags=["health"])
async def health(state: State) -> Health:
    """Each dependency's state and each projection's lag (in events and seconds)."""
    found: list[Lag] = []

    async def projections(conn: AsyncConnection) -> None:
        found.extend(await lags(conn, state.config.partitions))

    ok, states = await dependencies(state.pool, state.redis, state.files, projections)
    return Health(status="ok" if ok else "degraded", dependencies=states, projections=found)


def create_app(config: ReadApiConfig) -> Litestar:
    signed_in = Router(
        "/",
        route_handlers=[
            UsersController,
            TeamsController,
            EventsController,
            SubmissionsController,
            JudgesController,
            AuditController,
        ],
        before_request=sign_in,  # 401 before anything else; routes ask viewer_of(request)
    )
    return Litestar(
        route_handlers=[signed_in, health],
        middleware=[CorrelationMiddleware],
        exception_handlers={Exception: handle},
        lifespan=[_lifespan(config)],
        openapi_config=OpenAPIConfig(
            title="KazRockets read API",
            version="1.0.0",
            path="/schema",
            description="Queries of the KazRockets competition platform.",
        ),
        debug=False,
        logging_config=None,  # keep the process's JSON logging (workers/logs.py)
    )
