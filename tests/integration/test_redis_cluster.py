"""One setting switches every Redis user to a Redis Cluster: a real three-node cluster here."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from redis import Redis as SyncRedis

from projections.cache import Cache, RedisClient, Standing, Standings, ViewUpdate, connect
from write_api.problems import ProblemError
from write_api.throttle import LoginThrottle

PORTS = (17101, 17102, 17103)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("redis-cluster")
    servers = [_node(folder, port) for port in PORTS]
    try:
        for port in PORTS:
            _wait(port)
        subprocess.run(  # noqa: S603 -- Redis' own tool, fixed arguments
            [_tool("redis-cli"), "--cluster", "create", *(f"127.0.0.1:{p}" for p in PORTS),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        _wait_until_ok(PORTS[0])
        yield f"redis://127.0.0.1:{PORTS[0]}/0"
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/bin/{name}"


def _node(folder: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 -- the Redis server binary, fixed arguments
        [_tool("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
         "--cluster-enabled", "yes",
         "--cluster-config-file", str(folder / f"nodes-{port}.conf"), "--dir", str(folder),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _wait(port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            SyncRedis(port=port).ping()
            return
        except Exception:
            assert time.monotonic() < deadline, f"redis on {port} did not start"
            time.sleep(0.1)


def _wait_until_ok(port: int) -> None:
    deadline = time.monotonic() + 30
    while SyncRedis(port=port).cluster("info").get("cluster_state") != "ok":
        assert time.monotonic() < deadline, "the cluster did not become ok"
        time.sleep(0.2)


@pytest.fixture
async def client(cluster: str) -> AsyncIterator[RedisClient]:
    redis = connect(cluster, cluster=True)
    yield redis
    await redis.aclose()


async def test_views_and_standings_are_written_forward_on_a_cluster(client: RedisClient) -> None:
    cache = Cache(client)
    views = [f"kazrockets:event:{uuid4()}" for _ in range(20)]  # spread over the slots
    for view in views:
        assert await cache.write_view(view, 2, b'{"v": 2}', ttl=60)
        assert not await cache.write_view(view, 1, b'{"v": 1}')
        assert await cache.read_view(view) == b'{"v": 2}'

    event_id = uuid4()
    item = Standing(1, uuid4(), "Rockets", 80.0, 80.0, 2, uuid4())
    newer = Standings(event_id, as_of_position=9, revision=5, items=[item])
    assert await cache.write_standings(newer)
    assert not await cache.write_standings(Standings(event_id, 3, revision=4, items=[]))
    assert await cache.read_standings(event_id) == newer


async def test_many_views_are_written_at_once_on_a_cluster(client: RedisClient) -> None:
    cache = Cache(client)
    views = [f"kazrockets:user:{uuid4()}" for _ in range(20)]  # spread over the nodes
    await cache.write_views([ViewUpdate(view, 3, b'{"v": 3}', ttl=60) for view in views])
    written = await cache.write_views(
        [ViewUpdate(view, version, b'{"v": %d}' % version) for view in views for version in (2, 4)]
    )
    assert written == len(views)  # only version 4: 2 is older than what each holds
    assert [await cache.read_view(view) for view in views] == [b'{"v": 4}'] * len(views)


async def test_login_throttle_counts_on_a_cluster(client: RedisClient) -> None:
    throttle = LoginThrottle(client, limit=2, window=60)
    email = f"{uuid4()}@t.kz"
    await throttle.check(email, "10.0.0.1")
    await throttle.failed(email, "10.0.0.1")
    await throttle.failed(email, "10.0.0.2")
    with pytest.raises(ProblemError) as refused:
        await throttle.check(email, "10.0.0.3")
    assert refused.value.status == 429
