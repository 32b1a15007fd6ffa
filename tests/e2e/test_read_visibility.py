"""Who sees what on the read API, from one table: every read route x every relationship.

One world is built per module over the write API: two teams (each of one captain), an open
event where both teams submitted and an organizer approved both, a judge assigned to and
scoring the first team's submission; a second event, closed, where the first team's scored
submission won; and a team and an account that were deleted. Every row reads one route as
one caller, after the projections reached the world's last write (`X-Min-Position`).

The callers are named by their relationship to the first team ("own team"):
ORGANIZER, AUDITOR, JUDGE; OWN_TEAM (its captain), OTHER_TEAM (the second team's captain),
NO_TEAM (a PARTICIPANT in no team); ANONYMOUS (no token), FORGED (a token signed with
another secret) and EXPIRED (a token of ours that has expired).

A row names the route as the OpenAPI document does, the caller, the expected status, which
world entity fills the route's path parameters, a query string if any, and what the answer
must hold (`has`), must not hold (`lacks`; over every page of a list), and which fields must
be null or filled. The /audit routes are for ORGANIZER and AUDITOR only.
Besides the rows, two rules hold for every answer: a PARTICIPANT never sees another team's
submission (the leaderboard aside: API.md shows every ranked team's submission_id to any
signed-in user), and nobody but ORGANIZER and AUDITOR sees another user's email address.
A route the read API serves without a row here fails `test_every_route_has_a_row`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt
import pytest

from tests.e2e.client import Platform, User, assert_problem
from tests.e2e.conftest import TEST_JWT_SECRET

SIGNED_IN = ("ORGANIZER", "AUDITOR", "JUDGE", "OWN_TEAM", "OTHER_TEAM", "NO_TEAM")
SIGNED_OUT = ("ANONYMOUS", "FORGED", "EXPIRED")
PARTICIPANTS = ("OWN_TEAM", "OTHER_TEAM", "NO_TEAM")
STAFF = ("ORGANIZER", "AUDITOR")  # the audit routes, deleted rows, everyone's email
LEADERBOARD = "/events/{event_id}/leaderboard"
# The submissions each PARTICIPANT may never see (their ids appear in no answer to them).
FOREIGN = {
    "OWN_TEAM": ("other_submission",),
    "OTHER_TEAM": ("submission", "decided_submission"),
    "NO_TEAM": ("submission", "decided_submission", "other_submission"),
}
CATCH_UP_SECONDS = 30
DELETED = "include_deleted=true"
FUTURE = "as_of=2100-01-01T00:00:00Z"  # an audit point in time: everything so far


@dataclass(frozen=True)
class Row:
    route: str  # as the OpenAPI document names it
    who: str
    status: int
    at: str = ""  # the world entity filling the route's path parameters
    query: str = ""  # sent as the query string
    has: tuple[str, ...] = ()  # world entities whose ids the answer holds
    lacks: tuple[str, ...] = ()  # world entities whose ids appear on no page of the answer
    null: tuple[str, ...] = ()  # fields of the answer that are null
    filled: tuple[str, ...] = ()  # fields of the answer that are not null

    @property
    def label(self) -> str:
        query = f"?{self.query}" if self.query else ""
        target = f" @{self.at}" if self.at else ""
        return f"{self.route}{query}{target} {self.who}"


def signed_out(route: str, at: str = "") -> list[Row]:
    """No token, a forged one, an expired one: 401 everywhere but /health."""
    return [Row(route, who, 401, at) for who in SIGNED_OUT]


def anyone_signed_in(
    route: str, at: str = "", has: tuple[str, ...] = (), lacks: tuple[str, ...] = (),
    null: tuple[str, ...] = (),
) -> list[Row]:  # fmt: skip
    return [Row(route, who, 200, at, has=has, lacks=lacks, null=null) for who in SIGNED_IN]


def deleted_rows(route: str, at: str = "", has: tuple[str, ...] = ()) -> list[Row]:
    """``?include_deleted=true``: ORGANIZER and AUDITOR only; PARTICIPANT and JUDGE get 403."""
    return [
        Row(route, "ORGANIZER", 200, at, DELETED, has=has),
        Row(route, "AUDITOR", 200, at, DELETED, has=has),
        Row(route, "JUDGE", 403, at, DELETED),
        Row(route, "OWN_TEAM", 403, at, DELETED),
    ]


def staff_only(
    route: str, at: str = "", query: str = "", has: tuple[str, ...] = (),
    filled: tuple[str, ...] = (),
) -> list[Row]:  # fmt: skip
    """ORGANIZER and AUDITOR: 200; JUDGE and every PARTICIPANT: 403."""
    return [
        Row(route, who, 200 if who in STAFF else 403, at, query,
            has=has if who in STAFF else (), filled=filled if who in STAFF else ())
        for who in SIGNED_IN
    ]  # fmt: skip


# Events' submissions, by who sees them.
BOTH = ("submission", "other_submission")

TABLE: list[Row] = [
    # --- users ---------------------------------------------------------------------------
    *[Row("/users/me", who, 200, filled=("email",)) for who in SIGNED_IN],
    *signed_out("/users/me"),
    Row("/users/{user_id}", "ORGANIZER", 200, "other_user", filled=("email",)),
    Row("/users/{user_id}", "AUDITOR", 200, "other_user", filled=("email",)),
    Row("/users/{user_id}", "JUDGE", 200, "other_user", null=("email",)),
    Row("/users/{user_id}", "OWN_TEAM", 200, "other_user", null=("email",)),
    Row("/users/{user_id}", "OTHER_TEAM", 200, "other_user", filled=("email",)),  # their own
    Row("/users/{user_id}", "NO_TEAM", 200, "other_user", null=("email",)),
    Row("/users/{user_id}", "OWN_TEAM", 200, "judge", null=("email",)),
    Row("/users/{user_id}", "JUDGE", 200, "organizer", null=("email",)),
    Row("/users/{user_id}", "OWN_TEAM", 404, "deleted_user"),
    Row("/users/{user_id}", "ORGANIZER", 404, "deleted_user"),
    *deleted_rows("/users/{user_id}", "deleted_user"),
    *deleted_rows("/users/{user_id}", "other_user"),
    *signed_out("/users/{user_id}", "other_user"),
    Row("/users", "ORGANIZER", 200, has=("own_user", "other_user"), lacks=("deleted_user",)),
    Row("/users", "AUDITOR", 200, has=("own_user", "other_user"), lacks=("deleted_user",)),
    Row("/users", "JUDGE", 403),
    Row("/users", "OWN_TEAM", 403),
    Row("/users", "OTHER_TEAM", 403),
    Row("/users", "NO_TEAM", 403),
    *deleted_rows("/users", has=("deleted_user",)),
    *signed_out("/users"),
    *anyone_signed_in("/users/me/notifications"),
    *signed_out("/users/me/notifications"),
    # --- teams ---------------------------------------------------------------------------
    *anyone_signed_in("/teams", has=("team", "other_team"), lacks=("deleted_team",)),
    *deleted_rows("/teams", has=("deleted_team",)),
    Row("/teams", "NO_TEAM", 403, query=DELETED),
    *signed_out("/teams"),
    *anyone_signed_in("/teams/{team_id}", "team", has=("team", "own_user")),
    Row("/teams/{team_id}", "OWN_TEAM", 404, "deleted_team"),
    Row("/teams/{team_id}", "ORGANIZER", 404, "deleted_team"),
    *deleted_rows("/teams/{team_id}", "deleted_team", has=("deleted_team",)),
    *deleted_rows("/teams/{team_id}", "team"),
    *signed_out("/teams/{team_id}", "team"),
    # --- events --------------------------------------------------------------------------
    *anyone_signed_in("/events", has=("event", "decided_event")),
    *deleted_rows("/events", has=("event",)),
    *signed_out("/events"),
    *anyone_signed_in("/events/{event_id}", "event", null=("winner_team_id",)),
    *anyone_signed_in("/events/{event_id}", "decided_event", has=("team",)),
    *deleted_rows("/events/{event_id}", "event"),
    *signed_out("/events/{event_id}", "event"),
    Row("/events/{event_id}/submissions", "ORGANIZER", 200, "event", has=BOTH),
    Row("/events/{event_id}/submissions", "AUDITOR", 200, "event", has=BOTH),
    Row("/events/{event_id}/submissions", "JUDGE", 200, "event", has=BOTH),
    Row(
        "/events/{event_id}/submissions", "OWN_TEAM", 200, "event",
        has=("submission",), lacks=("other_submission",),
    ),
    Row(
        "/events/{event_id}/submissions", "OTHER_TEAM", 200, "event",
        has=("other_submission",), lacks=("submission",),
    ),
    Row("/events/{event_id}/submissions", "NO_TEAM", 200, "event", lacks=BOTH),
    *deleted_rows("/events/{event_id}/submissions", "event", has=BOTH),
    Row("/events/{event_id}/submissions", "NO_TEAM", 403, "event", DELETED),
    *signed_out("/events/{event_id}/submissions", "event"),
    # Ranked: the first team's scored submission (the second team's is not scored).
    *anyone_signed_in(LEADERBOARD, "event", has=("team",)),
    *signed_out(LEADERBOARD, "event"),
    # As it stood at a point in time, rebuilt from the event store: ORGANIZER and AUDITOR.
    *staff_only(LEADERBOARD, "decided_event", FUTURE, has=("team",)),
    # --- submissions ---------------------------------------------------------------------
    Row("/submissions/{submission_id}", "ORGANIZER", 200, "submission", filled=("download_url",)),
    Row("/submissions/{submission_id}", "AUDITOR", 200, "submission", null=("download_url",)),
    Row("/submissions/{submission_id}", "JUDGE", 200, "submission", filled=("download_url",)),
    Row("/submissions/{submission_id}", "OWN_TEAM", 200, "submission", filled=("download_url",)),
    Row("/submissions/{submission_id}", "OTHER_TEAM", 403, "submission"),
    Row("/submissions/{submission_id}", "NO_TEAM", 403, "submission"),
    Row("/submissions/{submission_id}", "OWN_TEAM", 403, "other_submission"),
    *deleted_rows("/submissions/{submission_id}", "submission"),
    *signed_out("/submissions/{submission_id}", "submission"),
    # Before the results are out: the staff only.
    Row("/submissions/{submission_id}/evaluations", "ORGANIZER", 200, "submission",
        has=("evaluation",)),
    Row("/submissions/{submission_id}/evaluations", "AUDITOR", 200, "submission",
        has=("evaluation",)),
    Row("/submissions/{submission_id}/evaluations", "JUDGE", 200, "submission",
        has=("evaluation",)),
    Row("/submissions/{submission_id}/evaluations", "OWN_TEAM", 403, "submission"),
    Row("/submissions/{submission_id}/evaluations", "OTHER_TEAM", 403, "submission"),
    Row("/submissions/{submission_id}/evaluations", "NO_TEAM", 403, "submission"),
    # Once the winner is declared: the team too, still not the others.
    Row("/submissions/{submission_id}/evaluations", "ORGANIZER", 200, "decided_submission",
        has=("decided_evaluation",)),
    Row("/submissions/{submission_id}/evaluations", "OWN_TEAM", 200, "decided_submission",
        has=("decided_evaluation",)),
    Row("/submissions/{submission_id}/evaluations", "OTHER_TEAM", 403, "decided_submission"),
    Row("/submissions/{submission_id}/evaluations", "NO_TEAM", 403, "decided_submission"),
    *deleted_rows("/submissions/{submission_id}/evaluations", "decided_submission",
                  has=("decided_evaluation",)),
    *signed_out("/submissions/{submission_id}/evaluations", "submission"),
    # --- judges --------------------------------------------------------------------------
    Row("/judges/me/assignments", "JUDGE", 200, has=("submission",)),
    Row("/judges/me/assignments", "ORGANIZER", 403),
    Row("/judges/me/assignments", "AUDITOR", 403),
    Row("/judges/me/assignments", "OWN_TEAM", 403),
    Row("/judges/me/assignments", "OTHER_TEAM", 403),
    Row("/judges/me/assignments", "NO_TEAM", 403),
    *signed_out("/judges/me/assignments"),
    # --- audit: ORGANIZER and AUDITOR ----------------------------------------------------
    *staff_only("/audit/events", query="limit=5"),
    *signed_out("/audit/events"),
    *staff_only("/audit/streams/{stream_id}", "team_stream", has=("team", "own_user")),
    *signed_out("/audit/streams/{stream_id}", "team_stream"),
    *staff_only("/audit/correlations/{correlation_id}", "winner_request", has=("decided_event",)),
    *signed_out("/audit/correlations/{correlation_id}", "winner_request"),
    *staff_only("/audit/entities/{kind}/{entity_id}", "team_entity", has=("team", "own_user")),
    *staff_only("/audit/entities/{kind}/{entity_id}", "team_entity", FUTURE, has=("team",)),
    *signed_out("/audit/entities/{kind}/{entity_id}", "team_entity"),
    *staff_only("/audit/verify", filled=("ok",)),
    *signed_out("/audit/verify"),
    *staff_only("/audit/export", query="stream=team-{team}", has=("team", "own_user")),
    *signed_out("/audit/export"),
    # --- health: public ------------------------------------------------------------------
    Row("/health", "ANONYMOUS", 200),
    Row("/health", "OWN_TEAM", 200),
]  # fmt: skip


@dataclass(frozen=True)
class World:
    platform: Platform
    callers: dict[str, User | None]
    ids: dict[str, str]
    emails: dict[str, str] = field(default_factory=dict)  # user id -> email
    position: int = 0  # the last write's: every read waits for the projections to reach it

    def path(self, row: Row) -> str:
        """The route with its path parameters (together) replaced by the row's entity."""
        return re.sub(r"\{[a-z_]+\}(/\{[a-z_]+\})*", lambda _: self.ids[row.at], row.route)

    def params(self, row: Row) -> dict[str, str]:
        """The row's query, ``{name}`` in a value replaced by that world entity's id."""
        pairs = parse_qsl(row.query)
        return {k: re.sub(r"\{([a-z_]+)\}", lambda m: self.ids[m[1]], v) for k, v in pairs}


class Builder:
    """Writes through the write API, keeping the highest position any command returned."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.position = 0
        self.correlation_id = ""  # the last write's

    async def write(
        self, method: str, path: str, user: User, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> dict[str, Any]:
        answer = await self.platform.call(method, path, user, **kwargs)
        assert answer.status_code in ok, (method, path, answer.status_code, answer.text)
        body: dict[str, Any] = answer.json()
        self.position = max(self.position, int(body.get("position") or 0))
        self.correlation_id = answer.headers["x-correlation-id"]
        return body


def token(user: User, secret: str, lifetime: int) -> str:
    now = int(time.time())
    claims = {"sub": user.user_id, "role": user.role, "iat": now - 7200, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm="HS256")


async def build_world(platform: Platform, organizer: User) -> World:
    """The world of the module docstring; the callers of every relationship."""
    b = Builder(platform)
    auditor = await platform.account(organizer, "AUDITOR")
    judge = await platform.account(organizer, "JUDGE")
    own = await platform.participant("own")
    other = await platform.participant("other")
    loner = await platform.participant("loner")
    leaver = await platform.participant("leaver")
    team = await platform.team(own, f"Own {platform.run_id}")
    other_team = await platform.team(other, f"Other {platform.run_id}")
    deleted_team = await platform.team(leaver, f"Gone {platform.run_id}")
    event = await platform.event(organizer)
    decided_event = await platform.event(organizer)
    submission = await platform.submission(own, team, event)
    other_submission = await platform.submission(other, other_team, event)
    decided_submission = await platform.submission(own, team, decided_event)
    for submission_id in (submission, other_submission, decided_submission):
        await b.write("POST", f"/submissions/{submission_id}/approve", organizer)
    for assigned in (submission, decided_submission):  # only an assigned judge scores
        await b.write(  # 409: a worker assigned this judge already
            "POST", f"/submissions/{assigned}/assignments", organizer, ok=(200, 409),
            json={"judge_id": judge.user_id},
        )  # fmt: skip
    scored = {"submission_id": submission, "score": 80, "comments": "solid"}
    evaluation = (await b.write("POST", "/evaluations", judge, json=scored))["evaluation_id"]
    scored = {"submission_id": decided_submission, "score": 90, "comments": "great"}
    decided_evaluation = (await b.write("POST", "/evaluations", judge, json=scored))[
        "evaluation_id"
    ]
    ended = {"end_date": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
    await b.write("PATCH", f"/events/{decided_event}", organizer, json=ended)
    await b.write("POST", f"/events/{decided_event}/winner", organizer, json={"team_id": team})
    winner_request = b.correlation_id
    await b.write("DELETE", f"/teams/{deleted_team}", leaver)
    await b.write("DELETE", f"/users/{leaver.user_id}", leaver)

    people = {"ORGANIZER": organizer, "AUDITOR": auditor, "JUDGE": judge, "OWN_TEAM": own}
    people |= {"OTHER_TEAM": other, "NO_TEAM": loner}
    callers: dict[str, User | None] = {**people, "ANONYMOUS": None}
    callers["FORGED"] = User(own.user_id, own.email, token(own, "another-" * 4, 600), own.role)
    callers["EXPIRED"] = User(own.user_id, own.email, token(own, TEST_JWT_SECRET, -60), own.role)
    ids = {
        "organizer": organizer.user_id, "judge": judge.user_id, "own_user": own.user_id,
        "other_user": other.user_id, "deleted_user": leaver.user_id,
        "team": team, "other_team": other_team, "deleted_team": deleted_team,
        "event": event, "decided_event": decided_event,
        "submission": submission, "other_submission": other_submission,
        "decided_submission": decided_submission,
        "evaluation": evaluation, "decided_evaluation": decided_evaluation,
        "team_stream": f"team-{team}", "team_entity": f"team/{team}",
        "winner_request": winner_request,
    }  # fmt: skip
    emails = {user.user_id: user.email for user in (*people.values(), leaver)}
    world = World(platform, callers, ids, emails, b.position)
    await caught_up(world)
    return world


async def caught_up(world: World) -> None:
    """Wait (beyond the read API's own short wait) until the projections hold the world."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        answer = await world.platform.read(
            "/users/me", world.callers["ORGANIZER"], position=world.position
        )
        if answer.status_code != 503 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            return
        await asyncio.sleep(0.2)


@asynccontextmanager
async def opened_world(
    urls: tuple[str, str], database_url: str, organizer_email: str, run_id: str
) -> AsyncIterator[World]:
    """The world, with clients of its own that live as long as the module using it."""
    async with (
        httpx.AsyncClient(base_url=urls[0], timeout=30) as client,
        httpx.AsyncClient(base_url=urls[1], timeout=30) as reader,
    ):
        platform = Platform(client, database_url, run_id=run_id, reader=reader)
        token = await platform.login(organizer_email)
        subject = jwt.decode(token, options={"verify_signature": False})["sub"]
        yield await build_world(platform, User(subject, organizer_email, token, "ORGANIZER"))


@pytest.fixture(scope="module")
async def world(
    urls: tuple[str, str], database_url: str, organizer_email: str
) -> AsyncIterator[World]:
    async with opened_world(urls, database_url, organizer_email, "visible") as built:
        yield built


async def read_all(world: World, row: Row, caller: User | None) -> tuple[httpx.Response, str]:
    """The first answer, and the text of every page of a list (walked by next_cursor) the row
    looks into (the audit history is long: only its first page is read)."""
    params, path = world.params(row), world.path(row)
    answer = await world.platform.read(path, caller, position=world.position, params=params)
    text = answer.text
    json = answer.headers.get("content-type", "").startswith("application/json")
    walk = answer.status_code == 200 and json and (row.has or row.lacks)
    page = answer.json() if walk and not row.route.startswith("/audit/") else {}
    while isinstance(page, dict) and page.get("next_cursor"):
        more = {**params, "cursor": page["next_cursor"], "limit": "200"}
        following = await world.platform.read(path, caller, position=world.position, params=more)
        assert following.status_code == 200, following.text
        text += following.text
        page = following.json()
    return answer, text.lower()


@pytest.mark.parametrize("row", TABLE, ids=[row.label for row in TABLE])
async def test_who_sees_what(world: World, row: Row) -> None:
    caller = world.callers[row.who]

    answer, text = await read_all(world, row, caller)

    assert answer.status_code == row.status, (answer.status_code, answer.text[:500])
    if row.status >= 400:
        assert_problem(answer, row.status)
        if row.status == 401:
            assert answer.headers.get("www-authenticate", "").startswith("Bearer")
        return
    body = answer.json() if row.null or row.filled else {}
    for name in row.has:
        assert world.ids[name] in text, f"{name} {world.ids[name]} missing"
    for name in row.lacks:
        assert world.ids[name] not in text, f"{name} {world.ids[name]} shown"
    for name in row.null:
        assert body[name] is None, (name, body[name])
    for name in row.filled:
        assert body[name] is not None, (name, body)
    if row.who in PARTICIPANTS and row.route != LEADERBOARD:
        shown = [name for name in FOREIGN[row.who] if world.ids[name] in text]
        assert not shown, f"another team's submissions shown: {shown}"
    if row.who not in STAFF and caller is not None:
        others = [e for uid, e in world.emails.items() if uid != caller.user_id]
        assert not [e for e in others if e.lower() in text], "another user's email shown"


async def test_every_route_has_a_row(read_url: str) -> None:
    async with httpx.AsyncClient(base_url=read_url) as client:
        document = (await client.get("/schema/openapi.json")).json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert served == {("GET", row.route) for row in TABLE}
