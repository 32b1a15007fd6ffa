"""`kazrockets run` brings the platform up and SIGTERM takes all of it down cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from workers.cli import PLATFORM_PROCESSES

PORT = 18100


def test_run_serves_then_stops_every_child_on_sigterm(database_url: str) -> None:
    env = {
        **os.environ,
        "KAZROCKETS_DATABASE_URL": database_url,
        "KAZROCKETS_WRITE_API_PORT": str(PORT),
        "KAZROCKETS_S3_BUCKET": "kazrockets-test",
    }
    parent = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        healthy = False
        while time.monotonic() < deadline and not healthy:
            try:
                healthy = httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        assert healthy, "the write API did not come up under `kazrockets run`"

        parent.send_signal(signal.SIGTERM)
        output, _ = parent.communicate(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert parent.returncode == 0
    assert '"message":"all processes stopped"' in output
    assert output.count('"message":"stopped"') == len(PLATFORM_PROCESSES)
    try:
        httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=1)
        still_serving = True
    except httpx.TransportError:
        still_serving = False
    assert not still_serving
