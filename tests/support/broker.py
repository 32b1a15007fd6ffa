"""RabbitMQ virtual hosts of the tests' own, through the broker's admin tool."""

from __future__ import annotations

import subprocess


def rabbitmqctl(*args: str) -> None:
    subprocess.run(  # noqa: S603 -- the broker's admin tool, fixed arguments
        ["/usr/sbin/rabbitmqctl", "-q", *args], check=False, capture_output=True, timeout=60
    )


def fresh_vhost(vhost: str) -> None:
    """An empty virtual host: no queue or message of an earlier run is left over."""
    rabbitmqctl("delete_vhost", vhost)
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
