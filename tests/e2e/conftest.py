"""End-to-end fixtures: the whole platform under `kazrockets run` (both APIs served by granian,
relay, projectors, sealer) against a database, a RabbitMQ virtual host and a Redis database
of the tests' own, over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import jwt
import pytest

from tests.e2e.client import PASSWORD, REDIS_URL, Platform, User
from tests.support.broker import fresh_vhost
from tests.support.databases import fresh_database

WRITE_PORT = int(os.environ.get("KAZROCKETS_TEST_WRITE_PORT", "18000"))
VIEW_CACHE_SECONDS = 0.2  # short: tests that flush Redis wait this long, then read through
READ_PORT = int(os.environ.get("KAZROCKETS_TEST_READ_PORT", "18001"))
VHOST = os.environ.get("KAZROCKETS_TEST_VHOST", "kazrockets_e2e")
TEST_JWT_SECRET = "e2e-test-secret-0123456789abcdef"
LOGIN_ATTEMPTS = 5
# The platform's mail goes to the debugging SMTP server of tests/e2e/test_notifications.py.
SMTP_PORT = int(os.environ.get("KAZROCKETS_E2E_SMTP_PORT", "18525"))
E2E_DATABASE_URL = os.environ.get(
    "KAZROCKETS_E2E_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_e2e"
)


@pytest.fixture(scope="package")
def database_url() -> str:
    """End-to-end tests get a database of their own: other tests truncate theirs."""
    return fresh_database(E2E_DATABASE_URL)


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": database_url,
        "KAZROCKETS_WRITE_API_PORT": str(WRITE_PORT),
        "KAZROCKETS_READ_API_PORT": str(READ_PORT),
        "KAZROCKETS_RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
        "KAZROCKETS_REDIS_URL": REDIS_URL,
        "KAZROCKETS_S3_BUCKET": "kazrockets-test",
        "KAZROCKETS_JWT_SECRET": TEST_JWT_SECRET,
        "KAZROCKETS_BCRYPT_ROUNDS": "4",
        "KAZROCKETS_LOGIN_ATTEMPTS": str(LOGIN_ATTEMPTS),
        "KAZROCKETS_DB_POOL_SIZE": "8",
        "KAZROCKETS_VIEW_CACHE_SECONDS": str(VIEW_CACHE_SECONDS),
        "KAZROCKETS_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
        "KAZROCKETS_SMTP_PORT": str(SMTP_PORT),
    }


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the platform exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers") / "platform.log"


@pytest.fixture(scope="package")
def urls(database_url: str, server_log: Path) -> Iterator[tuple[str, str]]:
    """The write and read APIs' base URLs, with the rest of the platform behind them."""
    fresh_vhost(VHOST)
    redis_db = REDIS_URL.rsplit("/", 1)[1]
    subprocess.run(  # noqa: S603 -- Redis' own tool, fixed arguments
        ["/usr/bin/redis-cli", "-n", redis_db, "FLUSHDB"], check=False, capture_output=True
    )
    with server_log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "run"],
            env=server_env(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        write, read = f"http://127.0.0.1:{WRITE_PORT}", f"http://127.0.0.1:{READ_PORT}"
        _wait_healthy(write, process, server_log)
        _wait_healthy(read, process, server_log)
        yield write, read
    finally:
        process.terminate()
        try:  # longer than the supervisor's grace period: it stops (or kills) its children
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="package")
def write_url(urls: tuple[str, str]) -> str:
    return urls[0]


@pytest.fixture(scope="package")
def read_url(urls: tuple[str, str]) -> str:
    return urls[1]


@pytest.fixture
async def platform(write_url: str, read_url: str, database_url: str) -> AsyncIterator[Platform]:
    async with (
        httpx.AsyncClient(base_url=write_url, timeout=30) as client,
        httpx.AsyncClient(base_url=read_url, timeout=30) as reader,
    ):
        yield Platform(client, database_url, run_id=uuid4().hex[:8], reader=reader)


@pytest.fixture(scope="package")
def organizer_email(write_url: str, database_url: str) -> str:
    """The first ORGANIZER, made the way the README says: `kazrockets create-user`."""
    email = f"organizer-{uuid4().hex[:8]}@kazrockets.test"
    made = subprocess.run(  # noqa: S603 -- our own console script
        [sys.executable, "-m", "workers.cli", "create-user", "--email", email,
         "--password", PASSWORD, "--name", "Organizer", "--role", "ORGANIZER"],
        env=server_env(database_url), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return email


@pytest.fixture
async def organizer(platform: Platform, organizer_email: str) -> User:
    token = await platform.login(organizer_email)
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    return User(user_id, organizer_email, token, "ORGANIZER")
