"""Random but valid-ish command histories, run through the real handlers.

Each step names an operation and picks its targets by index among what exists; commands the
domain refuses are simply refused (as they would be over HTTP), the rest append events.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import strategies as st

from commands.actors import SYSTEM_ACTOR, Actor, Role
from commands.errors import DomainError
from commands.evaluations import EvaluationState
from commands.handlers import competitions, evaluations, submissions, teams, users
from commands.ports import Services, new_context
from commands.repository import EVALUATIONS
from commands.users import RegisterUser

OPERATIONS = (
    "participant", "judge", "event", "team", "join", "leave", "submit", "approve", "reject",
    "score", "revise", "unscore", "rename", "erase", "delete_team", "close", "winner",
)  # fmt: skip

step = st.tuples(
    st.sampled_from(OPERATIONS), st.integers(0, 7), st.integers(0, 7), st.integers(0, 100)
)
steps = st.lists(
    step,
    min_size=5,
    max_size=30,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    services: Services
    organizer: Actor | None = None
    participants: list[Actor] = field(default_factory=list)
    judges: list[Actor] = field(default_factory=list)
    events: list[UUID] = field(default_factory=list)
    teams: list[UUID] = field(default_factory=list)
    submissions: list[UUID] = field(default_factory=list)
    evaluations: list[UUID] = field(default_factory=list)
    refused: int = 0

    async def assign(self, submission_id: UUID, judge: Actor) -> None:
        """What the evaluation_assignment worker (or an organizer) does before a judge scores."""
        with contextlib.suppress(DomainError):  # assigned already, or refused for a reason
            await submissions.assign_judge(
                self.services, new_context(SYSTEM_ACTOR), submission_id, judge.user_id
            )

    async def account(self, role: Role) -> Actor:
        user_id = uuid4()
        command = RegisterUser(
            user_id=user_id, email=f"{user_id}@t.kz", name=f"N {user_id.hex[:6]}",
            password="password-123", role=role,
        )  # fmt: skip
        await users.register(self.services, new_context(SYSTEM_ACTOR), command)
        return Actor(user_id, role)

    async def setup(self) -> None:
        self.organizer = await self.account(Role.ORGANIZER)

    async def run(self, steps: list[tuple[str, int, int, int]]) -> None:
        await self.setup()
        for op, a, b, n in steps:
            try:
                await self.step(op, a, b, n)
            except DomainError:
                self.refused += 1

    @staticmethod
    def pick(items: list[UUID] | list[Actor], index: int) -> object:
        if not items:
            raise DomainError("nothing to pick")
        return items[index % len(items)]

    async def step(self, op: str, a: int, b: int, n: int) -> None:
        s, org = self.services, self.organizer
        assert org is not None
        now = datetime.now(UTC)
        match op:
            case "participant":
                self.participants.append(await self.account(Role.PARTICIPANT))
            case "judge":
                self.judges.append(await self.account(Role.JUDGE))
            case "event":
                event_id = uuid4()
                start = now - timedelta(hours=1)
                await competitions.create_event(
                    s, new_context(org), event_id, f"Cup {n}", start, start + timedelta(days=1)
                )
                self.events.append(event_id)
            case "team":
                team_id = uuid4()
                await teams.create_team(s, new_context(self.actor(a)), team_id, f"Team {n}")
                self.teams.append(team_id)
            case "join":
                await teams.join_team(s, new_context(self.actor(a)), self.uuid(self.teams, b))
            case "leave":
                member = self.actor(a)
                state = await users.load_user(s, member.user_id)
                if state.team_id is None:
                    raise DomainError("not in a team")
                await teams.leave_team(s, new_context(member), state.team_id, member.user_id)
            case "submit":
                member = self.actor(a)
                state = await users.load_user(s, member.user_id)
                if state.team_id is None:
                    raise DomainError("not in a team")
                submission_id = uuid4()
                await submissions.submit(
                    s, new_context(member), submission_id, state.team_id,
                    self.uuid(self.events, b), io.BytesIO(PDF),
                )  # fmt: skip
                self.submissions.append(submission_id)
            case "approve":
                await submissions.approve(s, new_context(org), self.uuid(self.submissions, a))
            case "reject":
                target = self.uuid(self.submissions, a)
                await submissions.reject(s, new_context(org), target, f"r{n}")
            case "score":
                evaluation_id = uuid4()
                judge = self.pick(self.judges, a)
                assert isinstance(judge, Actor)
                target = self.uuid(self.submissions, b)
                await self.assign(target, judge)
                await evaluations.score(s, new_context(judge), evaluation_id, target, n, "ok")
                self.evaluations.append(evaluation_id)
            case "revise" | "unscore":
                evaluation_id = self.uuid(self.evaluations, a)
                judge_id = (await evaluations_state(s, evaluation_id)).judge_id
                assert judge_id is not None
                ctx = new_context(Actor(judge_id, Role.JUDGE))
                if op == "revise":
                    await evaluations.revise(s, ctx, evaluation_id, n, None)
                else:
                    await evaluations.delete_evaluation(s, ctx, evaluation_id)
            case "rename":
                member = self.actor(a)
                await users.change_profile(
                    s, new_context(member), member.user_id, f"Renamed {n}", "kk"
                )
            case "erase":
                member = self.actor(a)
                await users.erase_user(s, new_context(member), member.user_id)
            case "delete_team":
                await teams.delete_team(s, new_context(org), self.uuid(self.teams, a))
            case "close":
                await competitions.change_event(
                    s, new_context(org), self.uuid(self.events, a), None, None,
                    now - timedelta(seconds=1),
                )  # fmt: skip
            case "winner":
                target = self.uuid(self.events, a)
                await competitions.declare_winner(s, new_context(org), target, None)

    def actor(self, index: int) -> Actor:
        actor = self.pick(self.participants, index)
        assert isinstance(actor, Actor)
        return actor

    def uuid(self, items: list[UUID], index: int) -> UUID:
        value = self.pick(items, index)
        assert isinstance(value, UUID)
        return value


async def evaluations_state(services: Services, evaluation_id: UUID) -> EvaluationState:
    return (await services.repository.load(EVALUATIONS, evaluation_id)).state
