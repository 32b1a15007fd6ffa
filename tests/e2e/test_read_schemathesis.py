"""Schemathesis against the running read API: no 5xx, every answer as documented, no leaks.

Every operation of the read API's `/schema/openapi.json` is called with generated requests,
valid ones and ones that break the schema, signed in as an ORGANIZER, an AUDITOR, a JUDGE
and a PARTICIPANT. The world of `test_read_visibility` is built first, so that besides random
ids (404s) the path parameters also hit real users, teams, events, submissions, streams and
requests. Each answer must not be a 5xx, must have a documented status and content type and
match the documented schema; an answer to the PARTICIPANT (the first team's captain) must not
name the other team's submission, the leaderboard aside (API.md shows every ranked team's
submission_id to any signed-in user), and no answer to the JUDGE or the PARTICIPANT holds
another user's email address. Failures are collected over all operations, so one run lists
every one of them. Cursors a client tampered with are sent to every list by a test of their
own (random strings rarely decode to a well-formed cursor).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.test_read_visibility import LEADERBOARD, STAFF, World, opened_world

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOTH = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
VALID = (GenerationMode.POSITIVE,)
# Each role: the world's caller it is fuzzed as, and with which requests. Input that breaks
# the schema is refused before any role rule applies, so two roles send it for all four.
ROLES = {
    "ORGANIZER": ("ORGANIZER", BOTH),
    "AUDITOR": ("AUDITOR", VALID),
    "JUDGE": ("JUDGE", VALID),
    "PARTICIPANT": ("OWN_TEAM", BOTH),
}
# Which world entities a path parameter may be: real ids, besides the generated ones.
SEEDS = {
    "user_id": ("own_user", "other_user", "deleted_user", "judge", "organizer"),
    "team_id": ("team", "other_team", "deleted_team"),
    "event_id": ("event", "decided_event"),
    "submission_id": ("submission", "other_submission", "decided_submission"),
    "stream_id": ("team_stream",),
    "correlation_id": ("winner_request",),
}
# /audit/entities/{kind}/{entity_id}: a kind and one world entity of that kind.
ENTITIES = (
    ("user", "own_user"), ("team", "team"), ("event", "decided_event"),
    ("submission", "submission"), ("evaluation", "evaluation"),
)  # fmt: skip
# The submissions the PARTICIPANT may never see (nor may the JUDGE or they see others' emails).
FOREIGN = ("other_submission",)
# At most 10 requests per operation, mode and role, a failure reported as found, not shrunk,
# and nothing kept between runs: the four roles take 15 to 25 s on two busy cores.
BOUNDED = settings(
    max_examples=10,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def cursor(key: object) -> str:
    """A cursor as the read API makes them (base64url of the JSON sort key, unpadded)."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


# Well-formed cursors holding a sort key the API never made: a client may edit its cursor.
TAMPERED = {
    "words": ["yesterday", "not-a-uuid"],
    "numbers": [1, 2],
    "a time and no uuid": ["2026-01-01T00:00:00+00:00", "x"],
    "objects": [{}, []],
}


def path_parameters(operation: APIOperation[Any, Any, Any, Any]) -> set[str]:
    return {p.name for p in operation.iter_parameters() if p.location is ParameterLocation.PATH}


def seeds(operation: APIOperation[Any, Any, Any, Any], world: World) -> list[dict[str, str]]:
    """Path parameters naming real things of the world."""
    names = path_parameters(operation)
    if names == {"kind", "entity_id"}:
        return [{"kind": kind, "entity_id": world.ids[entity]} for kind, entity in ENTITIES]
    return [{name: world.ids[entity]} for name in names & SEEDS.keys() for entity in SEEDS[name]]


def strategy(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, world: World
) -> st.SearchStrategy[Case[Any]]:
    """Generated requests, and (valid ones only) requests on the world's real ids."""
    generated = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return generated
    seeded = [
        operation.as_strategy(generation_mode=mode, path_parameters=fixed)
        for fixed in seeds(operation, world)
    ]
    return st.one_of(generated, *seeded)


def fuzz(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, world: World, who: str
) -> str:
    """What went wrong calling operation with generated requests, or "" when nothing did."""
    caller = world.callers[who]
    assert caller is not None
    headers = {"Authorization": f"Bearer {caller.token}"}
    hidden = []  # what must not appear in any answer to this caller
    if who == "OWN_TEAM" and operation.path != LEADERBOARD:
        hidden += [world.ids[name] for name in FOREIGN]
    if who not in STAFF:
        hidden += [email.lower() for uid, email in world.emails.items() if uid != caller.user_id]

    @BOUNDED
    @given(case=strategy(operation, mode, world))
    def calls(case: Case[Any]) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=15)
        text = response.text.lower()
        shown = [item for item in hidden if item in text]
        assert not shown, f"{case.formatted_path}: shown what the caller may not see: {shown}"

    try:
        calls()
    except Unsatisfiable:
        takes_input = next(operation.iter_parameters(), None) is not None or operation.body
        if mode is GenerationMode.NEGATIVE and not takes_input:  # /users/me: nothing to break
            return ""
        return f"{operation.label} [{mode.value}]: no request could be generated"
    except (Exception, FailureGroup) as failure:  # every operation runs; all failures are listed
        return f"{operation.label} [{mode.value}]: {failure}"
    return ""


def fuzz_everything(
    schema: BaseSchema, world: World, who: str, modes: tuple[GenerationMode, ...]
) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the schema does not describe well: {result.err()}")
            continue
        failures += [fuzz(result.ok(), mode, world, who) for mode in modes]
    return [failure for failure in failures if failure]


@pytest.fixture(scope="module")
async def world(
    urls: tuple[str, str], database_url: str, organizer_email: str
) -> AsyncIterator[World]:
    async with opened_world(urls, database_url, organizer_email, "fuzzed") as built:
        yield built


@pytest.fixture(scope="module")
async def read_schema(read_url: str) -> BaseSchema:
    return await asyncio.to_thread(schemathesis.openapi.from_url, f"{read_url}/schema/openapi.json")


@pytest.mark.parametrize("role", list(ROLES))
async def test_the_read_api_keeps_its_schema(
    read_schema: BaseSchema, world: World, role: str
) -> None:
    who, modes = ROLES[role]

    failures = await asyncio.to_thread(fuzz_everything, read_schema, world, who, modes)

    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("key", list(TAMPERED))
async def test_a_tampered_cursor_is_a_422_never_a_500(
    read_schema: BaseSchema, world: World, key: str
) -> None:
    """Every list, called by ORGANIZER and JUDGE (one of them may read each list)."""
    failures = []
    for result in read_schema.get_all_operations():
        if isinstance(result, Err):
            continue  # reported by the schema test
        operation = result.ok()
        parameters = {p.name: p.location for p in operation.iter_parameters()}
        if parameters.get("cursor") is not ParameterLocation.QUERY:
            continue
        path = operation.path
        for name in SEEDS.keys() & parameters.keys():
            path = path.replace("{" + name + "}", world.ids[SEEDS[name][0]])
        params = {"cursor": cursor(TAMPERED[key])}
        answers = [
            await world.platform.read(path, world.callers[who], params=params)
            for who in ("ORGANIZER", "JUDGE")
        ]
        statuses = [answer.status_code for answer in answers]
        if not set(statuses) <= {403, 422} or 422 not in statuses:
            failures.append(f"{path}: {statuses} {[a.text[:200] for a in answers]}")

    assert not failures, "\n".join(failures)
