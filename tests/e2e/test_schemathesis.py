"""Schemathesis against the running write API: no 5xx, and every answer is as documented.

Every operation of `/schema/openapi.json` is called with generated requests, valid ones and
ones that break the schema, as a signed-in ORGANIZER and as a PARTICIPANT. Each answer must
not be a 5xx, must have a documented status and content type, and must match the documented
schema. Nothing is excluded: random ids mostly reach 404s and random uploads 415s, which are
still checked against the schema; logins with random credentials trip the login throttle,
whose counters the test clears afterwards so that later tests can sign in from the same
address. Failures are collected over all operations, so one run lists every one of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.client import Platform, User, forget_login_failures

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# At most 25 requests per operation and mode; a failure is reported as found, not shrunk,
# and nothing is kept between runs, so the run stays well under a minute per role.
BOUNDED = settings(
    max_examples=25,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def fuzz(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, token: str) -> str:
    """What went wrong calling operation with generated requests, or "" when nothing did."""
    headers = {"Authorization": f"Bearer {token}"}

    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def calls(case: Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=15)

    try:
        calls()
    except Unsatisfiable:
        takes_input = next(operation.iter_parameters(), None) is not None or operation.body
        if mode is GenerationMode.NEGATIVE and not takes_input:  # GET /health: nothing to break
            return ""
        return f"{operation.label} [{mode.value}]: no request could be generated"
    except (Exception, FailureGroup) as failure:  # every operation runs; all failures are listed
        return f"{operation.label} [{mode.value}]: {failure}"
    return ""


def fuzz_everything(schema: BaseSchema, token: str) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the schema does not describe well: {result.err()}")
            continue
        failures += [fuzz(result.ok(), mode, token) for mode in MODES]
    return [failure for failure in failures if failure]


@pytest.fixture
async def write_schema(write_url: str) -> AsyncIterator[BaseSchema]:
    """The published schema; the login throttle counters are cleared around each run."""
    await forget_login_failures()
    yield await asyncio.to_thread(schemathesis.openapi.from_url, f"{write_url}/schema/openapi.json")
    await forget_login_failures()


async def test_the_write_api_keeps_its_schema_for_an_organizer(
    write_schema: BaseSchema, organizer: User
) -> None:
    failures = await asyncio.to_thread(fuzz_everything, write_schema, organizer.token)

    assert not failures, "\n\n".join(failures)


async def test_the_write_api_keeps_its_schema_for_a_participant(
    write_schema: BaseSchema, platform: Platform
) -> None:
    participant = await platform.participant("fuzzed")

    failures = await asyncio.to_thread(fuzz_everything, write_schema, participant.token)

    assert not failures, "\n\n".join(failures)
