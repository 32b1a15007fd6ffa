"""End-to-end fixtures: the write API served by granian in its own process, over real HTTP."""

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

from tests.e2e.client import PASSWORD, Platform, User
from tests.support.databases import fresh_database

WRITE_PORT = int(os.environ.get("KAZROCKETS_TEST_WRITE_PORT", "18000"))
TEST_JWT_SECRET = "e2e-test-secret-0123456789abcdef"
LOGIN_ATTEMPTS = 5
E2E_DATABASE_URL = os.environ.get(
    "KAZROCKETS_E2E_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kazrockets_e2e"
)


@pytest.fixture(scope="session")
def database_url() -> str:
    """End-to-end tests get a database of their own: other tests truncate theirs."""
    return fresh_database(E2E_DATABASE_URL)


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": database_url,
        "KAZROCKETS_WRITE_API_PORT": str(WRITE_PORT),
        "KAZROCKETS_REDIS_URL": "redis://127.0.0.1:6379/15",
        "KAZROCKETS_S3_BUCKET": "kazrockets-test",
        "KAZROCKETS_JWT_SECRET": TEST_JWT_SECRET,
        "KAZROCKETS_BCRYPT_ROUNDS": "4",
        "KAZROCKETS_LOGIN_ATTEMPTS": str(LOGIN_ATTEMPTS),
        "KAZROCKETS_DB_POOL_SIZE": "20",
        "KAZROCKETS_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
    }


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the write API exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the write API did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers") / "write-api.log"


@pytest.fixture(scope="session")
def write_url(database_url: str, server_log: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{WRITE_PORT}"
    subprocess.run(["/usr/bin/redis-cli", "-n", "15", "FLUSHDB"], check=False, capture_output=True)
    with server_log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "write-api"],
            env=server_env(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, server_log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
async def platform(write_url: str, database_url: str) -> AsyncIterator[Platform]:
    async with httpx.AsyncClient(base_url=write_url, timeout=30) as client:
        yield Platform(client, database_url, run_id=uuid4().hex[:8])


@pytest.fixture(scope="session")
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
