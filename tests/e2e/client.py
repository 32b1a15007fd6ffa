"""A small client of the write API for end-to-end tests, written against API.md only."""

from __future__ import annotations

import asyncio
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import psycopg
from pypdf import PdfWriter
from redis.asyncio import Redis

PASSWORD = "correct-horse-battery"


def pdf_bytes(note: str = "rocket") -> bytes:
    """A valid one-page PDF (the submission_processing worker accepts it), unique per note."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Subject": note})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    token: str
    role: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Platform:
    client: httpx.AsyncClient
    database_url: str
    run_id: str
    reader: httpx.AsyncClient

    async def read(
        self, path: str, user: User | None = None, position: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """GET from the read API; ``position``: sent as X-Min-Position (read-your-writes)."""
        headers = {**kwargs.pop("headers", {}), **(user.auth if user else {})}
        if position is not None:
            headers["X-Min-Position"] = str(position)
        return await self.reader.get(path, headers=headers, **kwargs)

    def email(self, label: str) -> str:
        return f"{label}-{self.run_id}-{uuid4().hex[:6]}@kazrockets.test"

    async def call(
        self, method: str, path: str, user: User | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **(user.auth if user else {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def login(self, email: str, password: str = PASSWORD) -> str:
        answer = await self.client.post("/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    async def participant(self, label: str = "participant") -> User:
        email = self.email(label)
        answer = await self.client.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": label.title()}
        )
        assert answer.status_code == 201, answer.text
        return User(answer.json()["user_id"], email, await self.login(email), "PARTICIPANT")

    async def account(self, organizer: User, role: str, label: str = "") -> User:
        email = self.email(label or role.lower())
        body = {"email": email, "password": PASSWORD, "name": label or role.title(), "role": role}
        answer = await self.call("POST", "/users", organizer, json=body)
        assert answer.status_code == 201, answer.text
        return User(answer.json()["user_id"], email, await self.login(email), role)

    async def event(self, organizer: User, *, open_now: bool = True) -> str:
        now = datetime.now(UTC)
        start = now - timedelta(hours=1) if open_now else now + timedelta(days=1)
        answer = await self.call(
            "POST", "/events", organizer,
            json={"title": f"Cup {self.run_id}", "start_date": start.isoformat(),
                  "end_date": (start + timedelta(days=2)).isoformat()},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        event_id: str = answer.json()["event_id"]
        return event_id

    async def close_event(self, organizer: User, event_id: str) -> None:
        ended = datetime.now(UTC) - timedelta(seconds=1)
        answer = await self.call(
            "PATCH", f"/events/{event_id}", organizer, json={"end_date": ended.isoformat()}
        )
        assert answer.status_code == 200, answer.text

    async def team(self, captain: User, name: str = "Falcons") -> str:
        answer = await self.call("POST", "/teams", captain, json={"name": name})
        assert answer.status_code == 201, answer.text
        team_id: str = answer.json()["team_id"]
        return team_id

    async def submit(
        self, member: User, team_id: str, event_id: str, content: bytes | None = None
    ) -> httpx.Response:
        return await self.call(
            "POST", "/submissions", member,
            files={"file": ("entry.pdf", content or pdf_bytes(), "application/pdf")},
            data={"team_id": team_id, "event_id": event_id},
        )  # fmt: skip

    async def submission(self, member: User, team_id: str, event_id: str) -> str:
        answer = await self.submit(member, team_id, event_id)
        assert answer.status_code == 202, answer.text
        submission_id: str = answer.json()["submission_id"]
        return submission_id

    async def checked(self, user: User, submission_id: str) -> dict[str, Any]:
        """The submission (read API) once the submission_processing worker checked its file."""
        for _ in range(300):
            answer = await self.read(f"/submissions/{submission_id}", user)
            if answer.status_code == 200 and answer.json()["file_check"] != "PENDING":
                body: dict[str, Any] = answer.json()
                return body
            await asyncio.sleep(0.1)
        raise AssertionError("the file was never checked")

    async def assign(self, organizer: User, submission_id: str, judge: User) -> None:
        """Assign a judge before they score (200), unless the worker did it already (409)."""
        answer = await self.call(
            "POST", f"/submissions/{submission_id}/assignments", organizer,
            json={"judge_id": judge.user_id},
        )  # fmt: skip
        assert answer.status_code in (200, 409), answer.text


# Helpers for the security, idempotency and schema tests: they look behind the HTTP API at
# the throttle counters in Redis and at the event store, which API.md does not expose.

REDIS_URL = os.environ.get("KAZROCKETS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LOGIN_THROTTLE_KEYS = "kazrockets:throttle:login:*"
ADDRESS_THROTTLE_KEYS = "kazrockets:throttle:login:ip:*"


async def forget_login_failures(pattern: str = LOGIN_THROTTLE_KEYS) -> int:
    """Delete the login throttle counters matching pattern; how many were deleted."""
    redis: Redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=pattern, count=500)]
        return int(await redis.delete(*keys)) if keys else 0
    finally:
        await redis.aclose()


async def query(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of one parameterised query against the end-to-end database."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(sql, params)
        return await cursor.fetchall()


def assert_problem(answer: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """The answer is an RFC 9457 problem (of that status, if given); its document."""
    assert answer.headers.get("content-type", "").startswith("application/problem+json"), (
        answer.status_code,
        answer.headers.get("content-type"),
        answer.text[:500],
    )
    document: dict[str, Any] = answer.json()
    assert document["status"] == answer.status_code, document
    assert isinstance(document["title"], str) and document["title"], document
    assert isinstance(document["detail"], str) and document["detail"], document
    if status is not None:
        assert answer.status_code == status, (answer.status_code, document)
    return document
