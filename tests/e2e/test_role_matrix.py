"""Every route of the write API x every role (and anonymous), from one table.

Each row names who may call the route on a target that is not their own (their own team,
account or evaluation is exercised by the other end-to-end tests). Allowed callers succeed;
anonymous callers of protected routes get 401 and everyone else 403. A route the app serves
without a row here fails `test_every_route_has_a_row`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.client import PASSWORD, Platform, User, pdf_bytes

ROLES = ("ANONYMOUS", "PARTICIPANT", "JUDGE", "ORGANIZER", "AUDITOR")
EVERYONE = frozenset(ROLES)
PUBLIC = frozenset({"/auth/register", "/auth/login", "/health"})


@dataclass
class World:
    """Targets made fresh for one call, owned by other users than the caller."""

    platform: Platform
    organizer: User

    async def team(self) -> tuple[User, str]:
        captain = await self.platform.participant("captain")
        return captain, await self.platform.team(captain)

    async def submission(self) -> str:
        event_id = await self.platform.event(self.organizer)
        captain, team_id = await self.team()
        return await self.platform.submission(captain, team_id, event_id)

    async def evaluation(self) -> str:
        submission_id = await self.submission()
        judge = await self.platform.account(self.organizer, "JUDGE")
        await self.platform.assign(self.organizer, submission_id, judge)
        answer = await self.platform.call(
            "POST", "/evaluations", judge, json={"submission_id": submission_id, "score": 50}
        )
        evaluation_id: str = answer.json()["evaluation_id"]
        return evaluation_id


Call = tuple[str, dict[str, Any]]
Setup = Callable[[World], Awaitable[Call]]


async def register(w: World) -> Call:
    email = w.platform.email("new")
    return "/auth/register", {"json": {"email": email, "password": PASSWORD, "name": "New"}}


async def login(w: World) -> Call:
    user = await w.platform.participant()
    return "/auth/login", {"json": {"email": user.email, "password": PASSWORD}}


async def create_user(w: World) -> Call:
    body = {"email": w.platform.email("made"), "password": PASSWORD, "name": "M", "role": "JUDGE"}
    return "/users", {"json": body}


async def other_user(w: World) -> str:
    return (await w.platform.participant("other")).user_id


async def change_user(w: World) -> Call:
    return f"/users/{await other_user(w)}", {"json": {"language": "kk"}}


async def delete_user(w: World) -> Call:
    return f"/users/{await other_user(w)}", {}


async def erase_user(w: World) -> Call:
    return f"/users/{await other_user(w)}/erase", {}


async def create_team(w: World) -> Call:
    return "/teams", {"json": {"name": "Comets"}}


async def join_team(w: World) -> Call:
    _, team_id = await w.team()
    return f"/teams/{team_id}/members", {}


async def remove_member(w: World) -> Call:
    _, team_id = await w.team()
    member = await w.platform.participant("member")
    await w.platform.call("POST", f"/teams/{team_id}/members", member)
    return f"/teams/{team_id}/members/{member.user_id}", {}


async def transfer_captain(w: World) -> Call:
    _, team_id = await w.team()
    member = await w.platform.participant("member")
    await w.platform.call("POST", f"/teams/{team_id}/members", member)
    return f"/teams/{team_id}/captain", {"json": {"user_id": member.user_id}}


async def delete_team(w: World) -> Call:
    _, team_id = await w.team()
    return f"/teams/{team_id}", {}


def _dates(days: int = 1) -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(days=days)
    return {"start_date": start.isoformat(), "end_date": (start + timedelta(days=1)).isoformat()}


async def create_event(w: World) -> Call:
    return "/events", {"json": {"title": "Matrix cup", **_dates()}}


async def change_event(w: World) -> Call:
    return f"/events/{await w.platform.event(w.organizer)}", {"json": {"title": "Renamed"}}


async def delete_event(w: World) -> Call:
    return f"/events/{await w.platform.event(w.organizer)}", {}


async def declare_winner(w: World) -> Call:
    event_id = await w.platform.event(w.organizer)
    captain, team_id = await w.team()
    await w.platform.submission(captain, team_id, event_id)
    await w.platform.close_event(w.organizer, event_id)
    return f"/events/{event_id}/winner", {"json": {"team_id": team_id}}


async def submit(w: World) -> Call:
    event_id = await w.platform.event(w.organizer)
    _, team_id = await w.team()
    files = {"file": ("entry.pdf", pdf_bytes(), "application/pdf")}
    return "/submissions", {"files": files, "data": {"team_id": team_id, "event_id": event_id}}


async def approve(w: World) -> Call:
    return f"/submissions/{await w.submission()}/approve", {}


async def reject(w: World) -> Call:
    return f"/submissions/{await w.submission()}/reject", {"json": {"reason": "too late"}}


async def delete_submission(w: World) -> Call:
    return f"/submissions/{await w.submission()}", {}


async def assign(w: World) -> Call:
    judge = await w.platform.account(w.organizer, "JUDGE")
    return f"/submissions/{await w.submission()}/assignments", {"json": {"judge_id": judge.user_id}}


async def unassign(w: World) -> Call:
    judge = await w.platform.account(w.organizer, "JUDGE")
    submission_id = await w.submission()
    await w.platform.assign(w.organizer, submission_id, judge)
    return f"/submissions/{submission_id}/assignments/{judge.user_id}", {}


async def score(w: World) -> Call:
    return "/evaluations", {"json": {"submission_id": await w.submission(), "score": 77}}


async def revise(w: World) -> Call:
    return f"/evaluations/{await w.evaluation()}", {"json": {"score": 12}}


async def delete_evaluation(w: World) -> Call:
    return f"/evaluations/{await w.evaluation()}", {}


async def declare_conflict(w: World) -> Call:
    _, team_id = await w.team()
    return "/judges/me/conflicts", {"json": {"team_id": team_id, "reason": "my cousin"}}


async def health(w: World) -> Call:
    return "/health", {}


ORGANIZER = frozenset({"ORGANIZER"})
NOBODY: frozenset[str] = frozenset()  # only the owner of the target, never a role as such

# (method, route as the OpenAPI document names it) -> (who may call it, how to set it up)
MATRIX: dict[tuple[str, str], tuple[frozenset[str], Setup]] = {
    ("POST", "/auth/register"): (EVERYONE, register),
    ("POST", "/auth/login"): (EVERYONE, login),
    ("POST", "/users"): (ORGANIZER, create_user),
    ("PATCH", "/users/{user_id}"): (ORGANIZER, change_user),
    ("DELETE", "/users/{user_id}"): (ORGANIZER, delete_user),
    ("POST", "/users/{user_id}/erase"): (ORGANIZER, erase_user),
    ("POST", "/teams"): (frozenset({"PARTICIPANT"}), create_team),
    ("POST", "/teams/{team_id}/members"): (frozenset({"PARTICIPANT"}), join_team),
    ("DELETE", "/teams/{team_id}/members/{user_id}"): (NOBODY, remove_member),
    ("PUT", "/teams/{team_id}/captain"): (NOBODY, transfer_captain),
    ("DELETE", "/teams/{team_id}"): (ORGANIZER, delete_team),
    ("POST", "/events"): (ORGANIZER, create_event),
    ("PATCH", "/events/{event_id}"): (ORGANIZER, change_event),
    ("DELETE", "/events/{event_id}"): (ORGANIZER, delete_event),
    ("POST", "/events/{event_id}/winner"): (ORGANIZER, declare_winner),
    ("POST", "/submissions"): (NOBODY, submit),
    ("POST", "/submissions/{submission_id}/approve"): (ORGANIZER, approve),
    ("POST", "/submissions/{submission_id}/reject"): (ORGANIZER, reject),
    ("DELETE", "/submissions/{submission_id}"): (ORGANIZER, delete_submission),
    ("POST", "/submissions/{submission_id}/assignments"): (ORGANIZER, assign),
    ("DELETE", "/submissions/{submission_id}/assignments/{judge_id}"): (ORGANIZER, unassign),
    ("POST", "/evaluations"): (frozenset({"JUDGE"}), score),
    ("PATCH", "/evaluations/{evaluation_id}"): (NOBODY, revise),
    ("DELETE", "/evaluations/{evaluation_id}"): (ORGANIZER, delete_evaluation),
    ("POST", "/judges/me/conflicts"): (frozenset({"JUDGE"}), declare_conflict),
    ("GET", "/health"): (EVERYONE, health),
}


async def caller(platform: Platform, organizer: User, role: str) -> User | None:
    if role == "ANONYMOUS":
        return None
    if role == "ORGANIZER":
        return organizer
    if role == "PARTICIPANT":
        return await platform.participant("caller")
    return await platform.account(organizer, role)


def expected(route: str, role: str, allowed: frozenset[str]) -> set[int]:
    if role in allowed:
        return {200, 201, 202}
    if role == "ANONYMOUS" and route not in PUBLIC:
        return {401}
    return {403}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "route"), list(MATRIX), ids=[f"{m} {r}" for m, r in MATRIX])
async def test_role_rules_of_every_route(
    platform: Platform, organizer: User, method: str, route: str, role: str
) -> None:
    allowed, setup = MATRIX[(method, route)]
    path, kwargs = await setup(World(platform, organizer))
    user = await caller(platform, organizer, role)
    if route == "/evaluations" and user is not None and user.role == "JUDGE":
        await platform.assign(organizer, kwargs["json"]["submission_id"], user)  # only they score

    answer = await platform.call(method, path, user, **kwargs)

    assert answer.status_code in expected(route, role, allowed), answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_every_route_has_a_row(write_url: str) -> None:
    async with httpx.AsyncClient(base_url=write_url) as client:
        document = (await client.get("/schema/openapi.json")).json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert served == set(MATRIX)
