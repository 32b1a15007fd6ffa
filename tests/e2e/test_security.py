"""Forged tokens, login throttling, secrets kept out of logs and events, bad input is a 4xx."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import bcrypt
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.client import (
    ADDRESS_THROTTLE_KEYS,
    PASSWORD,
    Platform,
    User,
    assert_problem,
    forget_login_failures,
    query,
)
from tests.e2e.conftest import LOGIN_ATTEMPTS, TEST_JWT_SECRET

JSON = {"content-type": "application/json"}

# --- tokens -----------------------------------------------------------------------------


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(user: User, **changes: Any) -> dict[str, Any]:
    """The claims the API issues for user; a value of None drops that claim."""
    now = int(time.time())
    issued = {"sub": user.user_id, "role": user.role, "iat": now, "exp": now + 600}
    issued.update(changes)
    return {k: v for k, v in issued.items() if v is not None}


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """`header.payload` of a compact JWS, base64url without padding."""
    parts = (json.dumps(part, separators=(",", ":")).encode() for part in (header, payload))
    return ".".join(b64url(part) for part in parts)


def with_char_changed(text: str, index: int) -> str:
    """text with the character at index replaced by another base64url character."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


async def change_own_profile(platform: Platform, user: User, token: str) -> httpx.Response:
    """A harmless command that needs a signed-in caller: the user renames themself."""
    return await platform.client.patch(
        f"/users/{user.user_id}",
        json={"name": "Renamed"},
        headers={"Authorization": f"Bearer {token}"},
    )


async def assert_refused(platform: Platform, user: User, token: str) -> None:
    """The user's real token works, so only the forgery can be why the other call fails."""
    accepted = await change_own_profile(platform, user, user.token)
    assert accepted.status_code == 200, accepted.text
    refused = await change_own_profile(platform, user, token)
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"


async def test_an_expired_token_is_refused(platform: Platform) -> None:
    user = await platform.participant()
    past = int(time.time()) - 120
    token = jwt.encode(claims(user, iat=past - 600, exp=past), TEST_JWT_SECRET, algorithm="HS256")

    await assert_refused(platform, user, token)


async def test_a_token_with_one_character_of_its_payload_changed_is_refused(
    platform: Platform,
) -> None:
    user = await platform.participant()
    header, payload, signature = user.token.split(".")
    token = f"{header}.{with_char_changed(payload, len(payload) // 2)}.{signature}"

    await assert_refused(platform, user, token)


async def test_a_token_whose_role_was_raised_to_organizer_is_refused(platform: Platform) -> None:
    user = await platform.participant()
    signature = user.token.split(".")[2]
    raised = unsigned({"alg": "HS256", "typ": "JWT"}, claims(user, role="ORGANIZER"))
    token = f"{raised}.{signature}"

    await assert_refused(platform, user, token)


async def test_a_token_with_one_character_of_its_signature_changed_is_refused(
    platform: Platform,
) -> None:
    user = await platform.participant()
    header, payload, signature = user.token.split(".")
    # Not the last character: its low bits are padding, which base64 decoding may ignore.
    token = f"{header}.{payload}.{with_char_changed(signature, 5)}"

    await assert_refused(platform, user, token)


async def test_an_unsigned_alg_none_token_is_refused(platform: Platform) -> None:
    user = await platform.participant()
    token = unsigned({"alg": "none", "typ": "JWT"}, claims(user)) + "."

    await assert_refused(platform, user, token)


async def test_a_token_signed_with_another_secret_is_refused(platform: Platform) -> None:
    user = await platform.participant()
    token = jwt.encode(claims(user), "another-secret-0123456789abcdef!", algorithm="HS256")

    await assert_refused(platform, user, token)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def test_an_rs256_token_is_refused(platform: Platform, rsa_key: rsa.RSAPrivateKey) -> None:
    user = await platform.participant()
    token = jwt.encode(claims(user), rsa_key, algorithm="RS256")

    await assert_refused(platform, user, token)


async def test_an_hs256_token_keyed_with_an_rsa_public_key_is_refused(
    platform: Platform, rsa_key: rsa.RSAPrivateKey
) -> None:
    """The RS256/HS256 confusion: the public key PEM used as the HMAC secret."""
    user = await platform.participant()
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # PyJWT refuses to HMAC-sign with a PEM key, so the token is built by hand.
    signing_input = unsigned({"alg": "HS256", "typ": "JWT"}, claims(user))
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(mac)}"

    await assert_refused(platform, user, token)


async def test_a_token_without_exp_is_refused(platform: Platform) -> None:
    user = await platform.participant()
    token = jwt.encode(claims(user, exp=None), TEST_JWT_SECRET, algorithm="HS256")

    await assert_refused(platform, user, token)


async def test_a_deleted_users_token_is_refused_and_they_cannot_log_in(
    platform: Platform,
) -> None:
    user = await platform.participant()
    deleted = await platform.call("DELETE", f"/users/{user.user_id}", user)
    assert deleted.status_code == 200, deleted.text

    refused = await change_own_profile(platform, user, user.token)
    login = await platform.client.post(
        "/auth/login", json={"email": user.email, "password": PASSWORD}
    )

    assert_problem(refused, 401)
    assert_problem(login, 401)


# --- login throttling ---------------------------------------------------------------------


@pytest.fixture
async def login_counters() -> AsyncIterator[None]:
    """All test clients share 127.0.0.1, so the address counter starts and ends at zero."""
    await forget_login_failures(ADDRESS_THROTTLE_KEYS)
    yield
    await forget_login_failures()


async def wrong_logins(platform: Platform, email: str, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        answer = await platform.client.post(
            "/auth/login", json={"email": email, "password": "not-the-password"}
        )
        statuses.append(answer.status_code)
    return statuses


def retry_after(answer: httpx.Response) -> int:
    seconds = answer.headers["retry-after"]
    assert seconds.isdigit(), seconds
    return int(seconds)


@pytest.mark.usefixtures("login_counters")
async def test_after_too_many_failed_logins_even_the_right_password_answers_429(
    platform: Platform,
) -> None:
    user = await platform.participant("throttled")
    other = await platform.participant("bystander")
    assert await wrong_logins(platform, user.email, LOGIN_ATTEMPTS) == [401] * LOGIN_ATTEMPTS

    right = await platform.client.post(
        "/auth/login", json={"email": user.email, "password": PASSWORD}
    )

    assert_problem(right, 429)
    assert retry_after(right) > 0
    # The account stays locked once the shared address counter is forgotten ...
    await forget_login_failures(ADDRESS_THROTTLE_KEYS)
    again = await platform.client.post(
        "/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert_problem(again, 429)
    assert retry_after(again) > 0
    # ... while another account signs in from the same address.
    assert await platform.login(other.email)


@pytest.mark.usefixtures("login_counters")
async def test_too_many_failed_logins_from_one_address_throttle_every_account(
    platform: Platform,
) -> None:
    victim = await platform.participant("victim")
    guesses = [platform.email("unknown") for _ in range(LOGIN_ATTEMPTS)]
    for email in guesses:
        assert await wrong_logins(platform, email, 1) == [401]

    answer = await platform.client.post(
        "/auth/login", json={"email": victim.email, "password": PASSWORD}
    )

    assert_problem(answer, 429)
    assert retry_after(answer) > 0


# --- secrets --------------------------------------------------------------------------------


@pytest.mark.usefixtures("login_counters")  # one wrong login below
async def test_passwords_tokens_and_emails_never_reach_the_logs_or_the_events(
    platform: Platform, server_log: Path
) -> None:
    password = f"Zebra-{uuid4().hex}-Quokka"
    email = platform.email("secretive")
    sign_up = {"email": email, "password": password, "name": "Secretive"}
    registered = await platform.client.post("/auth/register", json=sign_up)
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["user_id"]
    token = await platform.login(email, password)
    renamed = await platform.client.patch(
        f"/users/{user_id}", json={"name": "Still Secretive"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    refusals = [  # the error paths see the password too
        await platform.client.post("/auth/register", json=sign_up),
        await platform.client.post("/auth/register", json={**sign_up, "name": ""}),
        await platform.client.post(
            "/auth/login", json={"email": platform.email("nobody"), "password": password}
        ),
    ]
    assert [r.status_code for r in refusals] == [409, 422, 401], [r.text for r in refusals]
    assert all(password not in r.text for r in refusals)

    log = await asyncio.to_thread(server_log.read_text, errors="replace")
    events = await query(
        platform.database_url, "SELECT data::text, metadata::text FROM eventstore.events"
    )
    stored = "\n".join(f"{data}\n{metadata}" for data, metadata in events)
    registration = await query(
        platform.database_url,
        "SELECT data::text FROM eventstore.events WHERE stream_id = %s AND event_type = %s",
        f"user-{user_id}",
        "UserRegistered",
    )

    for secret in (password, token):
        assert secret not in log
        assert secret not in stored
    assert email not in stored and email.lower() not in stored.lower()
    assert len(registration) == 1
    password_hash = json.loads(registration[0][0])["password_hash"]
    assert password_hash.startswith("$2")
    assert bcrypt.checkpw(password.encode(), password_hash.encode())


async def test_a_login_sent_with_an_idempotency_key_leaves_no_token_behind(
    platform: Platform,
) -> None:
    """Login appends nothing, so there is nothing to replay; its answer is a bearer token."""
    user = await platform.participant("keyed-login")
    key = str(uuid4())
    body = {"email": user.email, "password": PASSWORD}

    answers = [
        await platform.client.post("/auth/login", json=body, headers={"Idempotency-Key": key})
        for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert all("idempotent-replayed" not in a.headers for a in answers)
    kept = await query(
        platform.database_url, "SELECT body FROM write_api.idempotency WHERE key = %s", key
    )
    assert kept == []


async def test_a_keyed_registration_keeps_no_fast_hash_of_the_password(
    platform: Platform,
) -> None:
    """The stored request fingerprint must not let a stolen table test password guesses.

    A plain SHA-256 of the request (its line and body, password included) would: anyone who
    reads write_api.idempotency could check guesses at hash speed, never meeting bcrypt.
    """
    key = str(uuid4())
    body = json.dumps(
        {"email": platform.email("keyed"), "password": f"Guess-{uuid4().hex[:6]}", "name": "K"}
    ).encode()
    registered = await platform.client.post(
        "/auth/register", content=body, headers={**JSON, "Idempotency-Key": key}
    )
    assert registered.status_code == 201, registered.text

    rows = await query(
        platform.database_url,
        "SELECT request_hash FROM write_api.idempotency WHERE caller = 'anonymous' AND key = %s",
        key,
    )

    assert len(rows) == 1 and rows[0][0] is not None
    guess = hashlib.sha256(f"POST /auth/register?{b''!r}\n".encode() + body).digest()
    assert bytes(rows[0][0]) != guess


# --- bad input ------------------------------------------------------------------------------

UUID_ZERO = "00000000-0000-0000-0000-000000000000"
HUGE = "x" * 1_000_000

# Who sends it (an ORGANIZER or a PARTICIPANT, so the body is read, not refused for the role),
# and the request.
BAD_INPUT: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "invalid JSON": (
        "ORGANIZER", "POST", "/auth/register", {"content": b'{"email": ', "headers": JSON},
    ),
    "not UTF-8": (
        "ORGANIZER", "POST", "/auth/login", {"content": b'{"email": "\xff\xfe"}', "headers": JSON},
    ),
    "invalid UTF-8 inside a string": (
        "PARTICIPANT", "POST", "/teams", {"content": b'{"name": "\xc3\x28"}', "headers": JSON},
    ),
    "a lone surrogate escape": (
        "PARTICIPANT", "POST", "/teams", {"content": b'{"name": "\\ud800"}', "headers": JSON},
    ),
    "deeply nested JSON": (
        "PARTICIPANT", "POST", "/teams",
        {"content": b"[" * 100_000 + b"]" * 100_000, "headers": JSON},
    ),
    "text instead of JSON": (
        "PARTICIPANT", "POST", "/teams",
        {"content": b"name=Falcons", "headers": {"content-type": "text/plain"}},
    ),
    "a list for an object": ("ORGANIZER", "POST", "/auth/register", {"json": []}),
    "a null body": ("PARTICIPANT", "POST", "/teams", {"content": b"null", "headers": JSON}),
    "an empty body": ("ORGANIZER", "POST", "/events", {"content": b"", "headers": JSON}),
    "wrong types": (
        "ORGANIZER", "POST", "/auth/register",
        {"json": {"email": 5, "password": True, "name": None}},
    ),
    "an unknown field": (
        "ORGANIZER", "POST", "/auth/register",
        {"json": {"email": "a@b.c", "password": PASSWORD, "name": "A", "admin": True}},
    ),
    "a password of 72 characters but 144 bytes, beyond bcrypt": (
        "ORGANIZER", "POST", "/auth/register",
        {"json": {"email": "long@kazrockets.test", "password": "é" * 72, "name": "Long"}},
    ),
    "missing fields": ("ORGANIZER", "POST", "/auth/register", {"json": {"email": "a@b.c"}}),
    "an unknown role": (
        "ORGANIZER", "POST", "/users",
        {"json": {"email": "a@b.c", "password": PASSWORD, "name": "A", "role": "ROOT"}},
    ),
    "a huge email": (
        "ORGANIZER", "POST", "/auth/login", {"json": {"email": HUGE, "password": PASSWORD}},
    ),
    "a huge title": (
        "ORGANIZER", "POST", "/events",
        {"json": {"title": HUGE, "start_date": "2030-01-01T00:00:00Z",
                  "end_date": "2030-01-02T00:00:00Z"}},
    ),
    "a huge team name": ("PARTICIPANT", "POST", "/teams", {"json": {"name": HUGE}}),
    "a date that is not a date": (
        "ORGANIZER", "POST", "/events",
        {"json": {"title": "Cup", "start_date": "soon", "end_date": "2030-01-02T00:00:00Z"}},
    ),
    "a score out of range": (
        "ORGANIZER", "POST", "/evaluations", {"json": {"submission_id": UUID_ZERO, "score": 101}},
    ),
    "a score too big for any integer": (
        "ORGANIZER", "POST", "/evaluations",
        {"content": b'{"submission_id": "' + UUID_ZERO.encode() + b'", "score": 1e999}',
         "headers": JSON},
    ),
    "a body id that is not a UUID": (
        "PARTICIPANT", "PUT", f"/teams/{UUID_ZERO}/captain", {"json": {"user_id": "me"}},
    ),
    "a language outside en, kk, ru": (
        "ORGANIZER", "PATCH", f"/users/{UUID_ZERO}", {"json": {"language": "xx"}},
    ),
    "a path id that is not a UUID": (
        "ORGANIZER", "PATCH", "/users/not-a-uuid", {"json": {"name": "A"}},
    ),
    "a second path id that is not a UUID": (
        "PARTICIPANT", "DELETE", f"/teams/{UUID_ZERO}/members/42", {},
    ),
    "a path id with SQL in it": ("ORGANIZER", "DELETE", "/events/1'%20OR%20'1'='1", {}),
    "a query string that is not UTF-8": (
        "PARTICIPANT", "POST", "/teams?%ff%fe=%ff", {"content": b"{}", "headers": JSON},
    ),
    "an upload without a file": (
        "PARTICIPANT", "POST", "/submissions",
        {"data": {"team_id": UUID_ZERO, "event_id": UUID_ZERO}},
    ),
    "an upload whose fields are not UTF-8": (
        "PARTICIPANT", "POST", "/submissions",
        {"files": {"file": ("entry.pdf", b"%PDF-1.4\n", "application/pdf")},
         "data": {"team_id": b"\xff\xfe", "event_id": UUID_ZERO}},
    ),
    "an upload whose ids are not UUIDs": (
        "PARTICIPANT", "POST", "/submissions",
        {"files": {"file": ("entry.pdf", b"%PDF-1.4\n", "application/pdf")},
         "data": {"team_id": "team", "event_id": "event"}},
    ),
    "an upload that is not a PDF": (
        "PARTICIPANT", "POST", "/submissions",
        {"files": {"file": ("entry.pdf", b"MZ\x90\x00", "application/pdf")},
         "data": {"team_id": UUID_ZERO, "event_id": UUID_ZERO}},
    ),
    "an upload sent as JSON": (
        "PARTICIPANT", "POST", "/submissions",
        {"json": {"team_id": UUID_ZERO, "event_id": UUID_ZERO}},
    ),
    "an Idempotency-Key too long": (
        "PARTICIPANT", "POST", "/teams",
        {"json": {"name": "A"}, "headers": {"Idempotency-Key": "k" * 201}},
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def callers() -> dict[str, User]:
    """Filled once per module by the first bad-input case: one caller of each role."""
    return {}


@pytest.mark.parametrize("case", list(BAD_INPUT))
async def test_bad_input_is_a_4xx_problem_never_a_500(
    platform: Platform, organizer: User, callers: dict[str, User], case: str
) -> None:
    role, method, path, kwargs = BAD_INPUT[case]
    if "PARTICIPANT" not in callers:
        callers["PARTICIPANT"] = await platform.participant("fuzzer")
    caller = organizer if role == "ORGANIZER" else callers["PARTICIPANT"]

    answer = await platform.call(method, path, caller, **kwargs)

    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:500])
    assert_problem(answer)
