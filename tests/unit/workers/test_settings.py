"""Settings come from KAZROCKETS_* variables with local defaults; secrets stay out of logs."""

from __future__ import annotations

import io
import json
import logging
from uuid import uuid4

import msgspec
import pytest

from events.base import current_correlation_id
from workers.logs import JsonFormatter
from workers.settings import Settings, load_settings, safe_view


def test_defaults_need_no_configuration() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.database_url.startswith("postgresql://")


def test_variables_override_defaults_with_their_types() -> None:
    settings = load_settings(
        {"KAZROCKETS_WRITE_API_PORT": "9100", "KAZROCKETS_JWT_SECRET": "s3cret", "OTHER": "x"}
    )
    assert settings.write_api_port == 9100
    assert settings.jwt_secret == "s3cret"


def test_a_malformed_value_fails_loudly() -> None:
    with pytest.raises(msgspec.ValidationError, match="write_api_port"):
        load_settings({"KAZROCKETS_WRITE_API_PORT": "eighty"})


def test_secrets_never_reach_the_safe_view_or_repr() -> None:
    settings = load_settings(
        {
            "KAZROCKETS_JWT_SECRET": "top-secret",
            "KAZROCKETS_RABBITMQ_URL": "amqp://user:hunter2@mq:5672/",
        }
    )
    shown = json.dumps(safe_view(settings)) + repr(settings)
    assert "top-secret" not in shown
    assert "hunter2" not in shown
    assert "amqp://user:***@mq:5672/" in shown


def test_log_lines_are_json_with_the_correlation_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    correlation = uuid4()
    token = current_correlation_id.set(correlation)
    try:
        logger.warning("appended", extra={"stream_id": "team-1", "id": uuid4()})
    finally:
        current_correlation_id.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "appended"
    assert line["correlation_id"] == str(correlation)
    assert line["stream_id"] == "team-1"
    assert line["level"] == "warning"
