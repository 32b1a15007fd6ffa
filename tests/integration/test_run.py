"""`kazrockets run` brings the platform up and SIGTERM takes all of it down cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.broker import fresh_vhost
from workers.cli import PLATFORM_PROCESSES

PORT, READ_PORT = 18100, 18101


VHOST = "kazrockets_test_run"


def test_run_serves_then_stops_every_child_on_sigterm(database_url: str, tmp_path: Path) -> None:
    # A virtual host of its own: the relay publishes the test database's events, which are
    # nobody else's business (they would land in a developer's dead-letter queues).
    fresh_vhost(VHOST)
    env = {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": database_url,
        "KAZROCKETS_RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
        "KAZROCKETS_WRITE_API_PORT": str(PORT),
        "KAZROCKETS_READ_API_PORT": str(READ_PORT),
        "KAZROCKETS_S3_BUCKET": "kazrockets-test",
    }
    # Logs go to a file: a pipe nobody reads until the end could fill and stall the children.
    log = (tmp_path / "run.log").open("wb")
    parent = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        for port in (PORT, READ_PORT):
            healthy = False
            while time.monotonic() < deadline and not healthy:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    healthy = answer.status_code == 200
                except httpx.TransportError:
                    time.sleep(0.2)
            assert healthy, f"the API on {port} did not come up under `kazrockets run`"

        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        log.close()
    assert parent.returncode == 0
    output = (tmp_path / "run.log").read_text()
    assert '"message":"all processes stopped"' in output
    assert output.count('"message":"stopped"') == len(PLATFORM_PROCESSES)
    try:
        httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=1)
        still_serving = True
    except httpx.TransportError:
        still_serving = False
    assert not still_serving
