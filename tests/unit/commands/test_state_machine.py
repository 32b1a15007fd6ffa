"""Random command sequences through the real decide and evolve functions keep the invariants.

The world is a set of in-memory aggregates, each folded with its Aggregate descriptor. A
command runs its real decide function as a random actor (often one with the wrong role); its
events are applied only when it raises no DomainError. Like the store, the harness holds one
unique claim per (submission, judge), so a judge's second evaluation is refused even though
the pure decision allows it. The clock only moves when a rule moves it.

Every run opens with one event and two teams whose first submissions are approved and scored
(all through the decide functions), so that the random commands reach review, scoring and
the winner often enough to matter within a few dozen steps.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, timedelta, timezone, tzinfo
from typing import TypeVar
from uuid import UUID

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from commands import competitions, evaluations, ranking, submissions, teams, users
from commands.actors import SYSTEM_ACTOR, Actor, Role
from commands.competitions import CompetitionState
from commands.errors import DomainError
from commands.evaluations import MAX_SCORE, MIN_SCORE, EvaluationDecision, EvaluationState
from commands.repository import EVALUATIONS, EVENTS, SUBMISSIONS, USERS
from commands.submissions import Status, SubmissionState
from commands.teams import TeamDecision, TeamState
from commands.users import UserState
from events.base import Event
from events.competitions import WinnerDeclared
from tests.unit.commands.builders import (
    HOUR,
    NOW,
    PDF_HEAD,
    SEALED,
    STORED,
    apply_team,
    registration,
    uid,
)

T = TypeVar("T")

PARTICIPANTS = [Actor(uid(n), Role.PARTICIPANT) for n in range(1, 7)]
JUDGES = [Actor(uid(n), Role.JUDGE) for n in range(11, 14)]
ORGANIZERS = [Actor(uid(n), Role.ORGANIZER) for n in range(21, 23)]
POOL = [*PARTICIPANTS, *JUDGES, *ORGANIZERS]
TEAM_IDS = [uid(1001 + i) for i in range(4)]
EVENT_IDS = [uid(2001), uid(2002)]
ALMATY = timezone(timedelta(hours=5))
MINUTE = timedelta(minutes=1)

actors = st.sampled_from([*POOL, SYSTEM_ACTOR])
# Anyone may try any command, but the role it is meant for tries it more often.
participants = st.sampled_from(PARTICIPANTS) | actors
judges = st.sampled_from(JUDGES) | actors
organizers = st.sampled_from(ORGANIZERS) | actors
team_ids = st.sampled_from(TEAM_IDS)
event_ids = st.sampled_from(EVENT_IDS)
user_ids = st.sampled_from([a.user_id for a in POOL])
score_values = st.integers(min_value=MIN_SCORE, max_value=MAX_SCORE) | st.sampled_from(
    [MIN_SCORE - 1, MIN_SCORE, MAX_SCORE, MAX_SCORE + 1]
)
reasons = st.sampled_from(["conflict of interest", "blank pages", "  "])
heads = st.sampled_from([PDF_HEAD, PDF_HEAD, PDF_HEAD, b"PK\x03\x04"])


def qualifies(entry: SubmissionState) -> bool:
    """What competes for a computed winner: approved, not deleted, scored."""
    return entry.status is Status.APPROVED and not entry.deleted and bool(entry.scores)


def pending(entry: SubmissionState) -> bool:
    return entry.active and entry.status is Status.PENDING


def approved_and_active(entry: SubmissionState) -> bool:
    return entry.active and entry.status is Status.APPROVED


def known_or_any(known: Iterable[UUID], pool: st.SearchStrategy[UUID]) -> st.SearchStrategy[UUID]:
    existing = sorted(known)
    return st.sampled_from(existing) | pool if existing else pool


def check_declaration(
    declared: WinnerDeclared, entries: list[SubmissionState], override: UUID | None
) -> None:
    """An override names a team that submitted; a computed winner has an approved,
    undeleted, scored submission with the best mean; the digest recomputes."""
    assert declared.leaderboard_digest == ranking.leaderboard_digest(declared.standings)
    if override is not None:
        assert declared.method == "override"
        assert override in {s.team_id for s in entries if not s.deleted}
        return
    assert declared.method == "computed"
    qualifying = [s for s in entries if qualifies(s)]
    assert declared.winner_team_id in {s.team_id for s in qualifying}
    best = max(statistics.fmean(s.scores.values()) for s in qualifying)
    assert declared.standings[0].team_id == declared.winner_team_id
    assert declared.standings[0].mean_score == round(best, 6)


class World(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.serial = 0
        self.users: dict[UUID, UserState] = {}
        self.teams: dict[UUID, TeamState] = {}
        self.contests: dict[UUID, CompetitionState] = {}
        self.submissions: dict[UUID, SubmissionState] = {}
        self.evaluations: dict[UUID, EvaluationState] = {}
        self.claims: dict[tuple[UUID, UUID], UUID] = {}  # (submission, judge) -> evaluation
        self.declared: dict[UUID, tuple[WinnerDeclared, list[SubmissionState], UUID | None]] = {}
        for who in POOL:
            command = registration(who.user_id.int, who.role)
            decided = users.decide_register(UserState(), command, SYSTEM_ACTOR, SEALED)
            self.users[who.user_id] = USERS.fold(decided)

    # --- the harness ---------------------------------------------------------------------------

    def user(self, user_id: UUID) -> UserState:
        return self.users.get(user_id, UserState())

    def team(self, team_id: UUID) -> TeamState:
        return self.teams.get(team_id, TeamState())

    def contest(self, event_id: UUID) -> CompetitionState:
        return self.contests.get(event_id, CompetitionState())

    def some_team(self, data: st.DataObject) -> UUID:
        return data.draw(known_or_any(self.teams, team_ids), label="team_id")

    def some_event(self, data: st.DataObject) -> UUID:
        return data.draw(known_or_any(self.contests, event_ids), label="event_id")

    def some_submission(
        self, data: st.DataObject, prefer: Callable[[SubmissionState], bool] = bool
    ) -> UUID:
        """A submission, more often one that ``prefer`` picks (the opening makes two)."""
        chosen = [k for k, v in self.submissions.items() if prefer(v)]
        return data.draw(known_or_any(chosen, st.sampled_from(sorted(self.submissions))))

    def some_evaluation(self, data: st.DataObject) -> UUID:
        """An evaluation, more often an active one."""
        chosen = [k for k, v in self.evaluations.items() if v.active]
        return data.draw(known_or_any(chosen, st.sampled_from(sorted(self.evaluations))))

    def insiders(self, team_id: UUID | None) -> st.SearchStrategy[Actor]:
        """Members of the team more often than anyone else."""
        team = TeamState() if team_id is None else self.team(team_id)
        members = [Actor(m, self.user(m).role) for m in team.members]
        return st.sampled_from(members) | participants if members else participants

    def captain_or_anyone(self, team_id: UUID) -> st.SearchStrategy[Actor]:
        captain = self.team(team_id).captain_id
        if captain is None:
            return self.insiders(team_id)
        return st.just(Actor(captain, Role.PARTICIPANT)) | self.insiders(team_id)

    def author_or_anyone(self, evaluation: EvaluationState) -> st.SearchStrategy[Actor]:
        assert evaluation.judge_id is not None
        return st.just(Actor(evaluation.judge_id, Role.JUDGE)) | judges

    def new_id(self, base: int) -> UUID:
        self.serial += 1
        return uid(base + self.serial)

    def attempt(self, who: Actor, decide: Callable[[], T]) -> T | None:
        """The decision, or None when the command is refused."""
        if who.role is not Role.SYSTEM and not self.user(who.user_id).active:
            return None  # the gateway refuses the token of a deleted user
        try:
            return decide()
        except DomainError:
            return None

    def apply_team(self, team_id: UUID, decision: TeamDecision) -> None:
        self.teams[team_id], self.users = apply_team(decision, self.team(team_id), self.users)

    def apply_user(self, user_id: UUID, decided: list[Event]) -> None:
        self.users[user_id] = USERS.fold(decided, self.user(user_id))

    def apply_submission(self, submission_id: UUID, decided: list[Event]) -> None:
        self.submissions[submission_id] = SUBMISSIONS.fold(
            decided, self.submissions.get(submission_id)
        )

    def apply_evaluation(self, evaluation_id: UUID, decision: EvaluationDecision) -> None:
        state = EVALUATIONS.fold(decision.evaluation, self.evaluations.get(evaluation_id))
        assert state.submission_id is not None
        self.evaluations[evaluation_id] = state
        self.apply_submission(state.submission_id, decision.submission)

    # --- commands shared by the rules and the opening --------------------------------------------

    def create_team_as(self, who: Actor, team_id: UUID, name: str) -> bool:
        member = self.user(who.user_id)
        decision = self.attempt(
            who, lambda: teams.decide_create(self.team(team_id), member, who, team_id, name)
        )
        if decision is None:
            return False
        assert who.role is Role.PARTICIPANT and member.team_id is None
        self.apply_team(team_id, decision)
        return True

    def join_as(self, who: Actor, team_id: UUID) -> None:
        member = self.user(who.user_id)
        decision = self.attempt(who, lambda: teams.decide_join(self.team(team_id), member, who))
        if decision is not None:
            assert who.role is Role.PARTICIPANT and member.team_id is None
            self.apply_team(team_id, decision)

    def create_event_as(
        self, who: Actor, event_id: UUID, starts_in: int, lasts: int, zone: tzinfo | None
    ) -> bool:
        start = (self.now + starts_in * HOUR).astimezone(zone or UTC)
        end = start + lasts * HOUR
        if zone is None:
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        before = self.contest(event_id)
        decided = self.attempt(
            who, lambda: competitions.decide_create(before, who, event_id, "Cup", start, end)
        )
        if decided is None:
            return False
        assert who.role is Role.ORGANIZER and zone is not None and end > start
        self.contests[event_id] = EVENTS.fold(decided)
        return True

    def submit_as(self, who: Actor, team_id: UUID, event_id: UUID, head: bytes) -> UUID | None:
        submission_id = self.new_id(30000)
        contest, team, submitter = (
            self.contest(event_id),
            self.team(team_id),
            self.user(who.user_id),
        )

        def decide() -> list[Event]:
            submissions.check_submit(contest, team, submitter, who, self.now)
            submissions.check_file_head(head)
            return submissions.decide_submit(
                submission_id, contest, team, submitter, who, self.now, STORED
            )

        decided = self.attempt(who, decide)
        if decided is None:
            return None
        assert who.role is Role.PARTICIPANT and who.user_id in team.members
        assert contest.active and contest.is_open(self.now) and contest.winner_team_id is None
        assert head.startswith(b"%PDF-")
        self.apply_submission(submission_id, decided)
        received = [competitions.received(submission_id, team_id)]
        self.contests[event_id] = EVENTS.fold(received, contest)
        assert self.submissions[submission_id].status is Status.PENDING
        return submission_id

    def score_as(self, who: Actor, submission_id: UUID, value: int) -> bool:
        evaluation_id = self.new_id(40000)
        before, judge = self.submissions[submission_id], self.user(who.user_id)
        if who.role is Role.JUDGE and who.user_id not in before.judges:
            # What the evaluation_assignment worker does first, when the rules allow it.
            assignment = self.attempt(
                SYSTEM_ACTOR, lambda: submissions.decide_assign(before, judge, SYSTEM_ACTOR)
            )
            if assignment is not None:
                before = SUBMISSIONS.fold(assignment, before)
                self.submissions[submission_id] = before
        decision = self.attempt(
            who,
            lambda: evaluations.decide_score(evaluation_id, before, judge, who, value, "ok"),
        )
        if decision is None:
            return False
        assert who.role is Role.JUDGE and MIN_SCORE <= value <= MAX_SCORE
        assert before.active and before.team_id not in judge.conflicts
        assert who.user_id in before.judges  # only an assigned judge scores
        if (submission_id, who.user_id) in self.claims:
            # The pure decision allowed it; the store's unique claim refuses a second one.
            event("the claim refused a second evaluation")
            return False
        self.apply_evaluation(evaluation_id, decision)
        self.claims[(submission_id, who.user_id)] = evaluation_id
        return True

    # --- the opening: an open event and two teams, each with an approved, scored submission -----

    @initialize(
        organizer=st.sampled_from(ORGANIZERS),
        started=st.integers(min_value=0, max_value=24),
        lasts=st.integers(min_value=25, max_value=96),
        crew=st.permutations(PARTICIPANTS),
        split=st.integers(min_value=1, max_value=5),
        marks=st.lists(st.tuples(st.sampled_from(JUDGES), score_values), min_size=2, max_size=2),
    )
    def opening(
        self,
        organizer: Actor,
        started: int,
        lasts: int,
        crew: list[Actor],
        split: int,
        marks: list[tuple[Actor, int]],
    ) -> None:
        assert self.create_event_as(organizer, EVENT_IDS[0], -started, lasts, UTC)
        for team_id, members, (judge, value) in zip(
            TEAM_IDS, (crew[:split], crew[split:]), marks, strict=False
        ):
            captain, *joiners = members
            assert self.create_team_as(captain, team_id, "Rocketeers")
            for joiner in joiners:
                self.join_as(joiner, team_id)
            submitted = self.submit_as(captain, team_id, EVENT_IDS[0], PDF_HEAD)
            assert submitted is not None
            approval = submissions.decide_approve(self.submissions[submitted], organizer)
            self.apply_submission(submitted, approval)
            self.score_as(judge, submitted, value)

    # --- users ---------------------------------------------------------------------------------

    @rule(who=actors, account_id=user_ids)
    def delete_user(self, who: Actor, account_id: UUID) -> None:
        """As the handler does: a member leaves their team in the same append."""
        account = self.user(account_id)

        def decide() -> tuple[list[Event], TeamDecision | None]:
            deleted = users.decide_delete(account, who, "account deleted")
            if account.team_id is None:
                return deleted, None
            own = Actor(account_id, account.role)
            return deleted, teams.decide_leave(self.team(account.team_id), account_id, own)

        outcome = self.attempt(who, decide)
        if outcome is None:
            return
        assert who.user_id == account_id or who.role is Role.ORGANIZER
        deleted, leaving = outcome
        if leaving is not None:
            assert account.team_id is not None
            self.apply_team(account.team_id, leaving)
        self.apply_user(account_id, deleted)

    @rule(who=judges, reason=reasons, data=st.data())
    def declare_conflict(self, who: Actor, reason: str, data: st.DataObject) -> None:
        entered = {s.team_id for s in self.submissions.values() if s.team_id is not None}
        team_id = data.draw(known_or_any(entered, team_ids), label="team_id")
        exists = self.team(team_id).exists
        judge = self.user(who.user_id)
        decided = self.attempt(
            who, lambda: users.decide_declare_conflict(judge, who, team_id, exists, reason)
        )
        if decided is not None:
            assert who.role is Role.JUDGE and reason.strip() and team_id not in judge.conflicts
            self.apply_user(who.user_id, decided)

    # --- teams ---------------------------------------------------------------------------------

    @rule(who=participants, team_id=team_ids, name=st.sampled_from(["Orbit", " Apogee ", ""]))
    def create_team(self, who: Actor, team_id: UUID, name: str) -> None:
        self.create_team_as(who, team_id, name)

    @rule(who=participants, data=st.data())
    def join_team(self, who: Actor, data: st.DataObject) -> None:
        self.join_as(who, self.some_team(data))

    @rule(data=st.data())
    def leave_team(self, data: st.DataObject) -> None:
        """A member leaves, or someone (rightly or not) removes them."""
        team_id = self.some_team(data)
        before = self.team(team_id)
        member = data.draw(self.insiders(team_id), label="member")
        who = data.draw(st.just(member) | self.insiders(team_id), label="who")
        member_id = member.user_id
        decision = self.attempt(who, lambda: teams.decide_leave(before, member_id, who))
        if decision is not None:
            assert who.user_id in (member_id, before.captain_id)
            assert member_id != before.captain_id or before.members == (member_id,)
            self.apply_team(team_id, decision)

    @rule(data=st.data())
    def transfer_captain(self, data: st.DataObject) -> None:
        team_id = self.some_team(data)
        before = self.team(team_id)
        who = data.draw(self.captain_or_anyone(team_id), label="who")
        candidate = self.user(data.draw(self.insiders(team_id), label="candidate").user_id)
        decision = self.attempt(who, lambda: teams.decide_transfer_captain(before, candidate, who))
        if decision is not None:
            assert who.user_id == before.captain_id and candidate.user_id in before.members
            assert candidate.role is Role.PARTICIPANT
            self.apply_team(team_id, decision)

    @rule(data=st.data())
    def delete_team(self, data: st.DataObject) -> None:
        team_id = self.some_team(data)
        before = self.team(team_id)
        who = data.draw(self.insiders(team_id) | organizers, label="who")
        decision = self.attempt(who, lambda: teams.decide_delete(before, who, "disbanded"))
        if decision is not None:
            assert who.user_id == before.captain_id or who.role is Role.ORGANIZER
            self.apply_team(team_id, decision)

    # --- competitive events and the clock --------------------------------------------------------

    @rule(by=st.integers(min_value=1, max_value=72))
    def advance_clock(self, by: int) -> None:
        self.now += by * HOUR

    @rule(data=st.data())
    def advance_clock_past_an_end(self, data: st.DataObject) -> None:
        self.advance_clock_past(self.some_event(data))

    def advance_clock_past(self, event_id: UUID) -> None:
        end = self.contest(event_id).end_date
        if end is not None and end >= self.now:
            self.now = end + MINUTE

    @rule(
        who=organizers,
        event_id=event_ids,
        starts_in=st.integers(min_value=-48, max_value=24),
        lasts=st.integers(min_value=-6, max_value=96),
        zone=st.sampled_from([UTC, ALMATY, None]),
    )
    def create_event(
        self, who: Actor, event_id: UUID, starts_in: int, lasts: int, zone: tzinfo | None
    ) -> None:
        self.create_event_as(who, event_id, starts_in, lasts, zone)

    @rule(who=organizers, ends_in=st.integers(min_value=-24, max_value=96), data=st.data())
    def change_event_end(self, who: Actor, ends_in: int, data: st.DataObject) -> None:
        event_id = self.some_event(data)
        before = self.contest(event_id)
        end = self.now + ends_in * HOUR
        decided = self.attempt(
            who, lambda: competitions.decide_change(before, who, None, None, end)
        )
        if decided is not None:
            assert who.role is Role.ORGANIZER and before.winner_team_id is None
            assert before.start_date is not None and end > before.start_date
            self.contests[event_id] = EVENTS.fold(decided, before)

    @rule(who=actors, data=st.data())
    def delete_event(self, who: Actor, data: st.DataObject) -> None:
        event_id = self.some_event(data)
        before = self.contest(event_id)
        decided = self.attempt(who, lambda: competitions.decide_delete(before, who, "cancelled"))
        if decided is not None:
            assert who.role is Role.ORGANIZER and before.active
            self.contests[event_id] = EVENTS.fold(decided, before)

    @rule(
        who=st.sampled_from(ORGANIZERS) | organizers,
        overriding=st.sampled_from([False, False, True]),
        wait=st.booleans(),
        data=st.data(),
    )
    def declare_winner(self, who: Actor, overriding: bool, wait: bool, data: st.DataObject) -> None:
        """Declare now, or (``wait``) as soon as the event ends."""
        event_id = self.some_event(data)
        override = self.some_team(data) if overriding else None
        if wait:
            self.advance_clock_past(event_id)
        before = self.contest(event_id)
        entries = [self.submissions[s] for s in before.submissions]
        decided = self.attempt(
            who,
            lambda: competitions.decide_declare_winner(before, entries, who, self.now, override),
        )
        if decided is None:
            return
        declared = decided[0]
        assert isinstance(declared, WinnerDeclared) and len(decided) == 1
        assert who.role is Role.ORGANIZER and before.winner_team_id is None
        assert before.end_date is not None and self.now > before.end_date
        check_declaration(declared, entries, override)
        event(f"winner declared ({declared.method})")
        self.contests[event_id] = EVENTS.fold(decided, before)
        self.declared[event_id] = (declared, entries, override)

    # --- submissions ---------------------------------------------------------------------------

    @rule(head=heads, data=st.data())
    def submit(self, head: bytes, data: st.DataObject) -> None:
        team_id = self.some_team(data)
        who = data.draw(self.insiders(team_id), label="who")
        self.submit_as(who, team_id, self.some_event(data), head)

    @rule(who=organizers, data=st.data())
    def approve(self, who: Actor, data: st.DataObject) -> None:
        submission_id = self.some_submission(data, pending)
        before = self.submissions[submission_id]
        decided = self.attempt(who, lambda: submissions.decide_approve(before, who))
        if decided is not None:
            assert who.role is Role.ORGANIZER and before.status is Status.PENDING
            self.apply_submission(submission_id, decided)

    @rule(who=organizers, reason=reasons, data=st.data())
    def reject(self, who: Actor, reason: str, data: st.DataObject) -> None:
        submission_id = self.some_submission(data, pending)
        before = self.submissions[submission_id]
        decided = self.attempt(who, lambda: submissions.decide_reject(before, who, reason))
        if decided is not None:
            assert who.role is Role.ORGANIZER and before.status is Status.PENDING
            assert reason.strip()
            self.apply_submission(submission_id, decided)

    @rule(data=st.data())
    def delete_submission(self, data: st.DataObject) -> None:
        submission_id = self.some_submission(data)
        before = self.submissions[submission_id]
        assert before.team_id is not None
        team = self.team(before.team_id)
        who = data.draw(self.insiders(before.team_id) | organizers, label="who")
        decided = self.attempt(who, lambda: submissions.decide_delete(before, team, who, "oops"))
        if decided is not None:
            assert who.role is Role.ORGANIZER or who.user_id == team.captain_id
            self.apply_submission(submission_id, decided)

    @rule(who=organizers, judge=judges, data=st.data())
    def assign_judge(self, who: Actor, judge: Actor, data: st.DataObject) -> None:
        submission_id = self.some_submission(data)
        before, candidate = self.submissions[submission_id], self.user(judge.user_id)
        decided = self.attempt(who, lambda: submissions.decide_assign(before, candidate, who))
        if decided is not None:
            assert who.role in (Role.ORGANIZER, Role.SYSTEM)
            assert candidate.active and candidate.role is Role.JUDGE
            assert before.team_id not in candidate.conflicts
            assert judge.user_id not in before.judges
            self.apply_submission(submission_id, decided)

    # --- evaluations ---------------------------------------------------------------------------

    @rule(who=judges, value=score_values, data=st.data())
    def score(self, who: Actor, value: int, data: st.DataObject) -> None:
        self.score_as(who, self.some_submission(data, approved_and_active), value)

    @precondition(lambda self: bool(self.evaluations))
    @rule(
        value=st.none() | score_values,
        comments=st.none() | st.sampled_from(["ok", "better"]),
        data=st.data(),
    )
    def revise(self, value: int | None, comments: str | None, data: st.DataObject) -> None:
        evaluation_id = self.some_evaluation(data)
        before = self.evaluations[evaluation_id]
        who = data.draw(self.author_or_anyone(before), label="who")
        assert before.submission_id is not None
        submission = self.submissions[before.submission_id]
        decision = self.attempt(
            who, lambda: evaluations.decide_revise(before, submission, who, value, comments)
        )
        if decision is not None:
            assert who.user_id == before.judge_id and submission.active and before.active
            self.apply_evaluation(evaluation_id, decision)

    @precondition(lambda self: bool(self.evaluations))
    @rule(data=st.data())
    def delete_evaluation(self, data: st.DataObject) -> None:
        evaluation_id = self.some_evaluation(data)
        before = self.evaluations[evaluation_id]
        who = data.draw(self.author_or_anyone(before) | organizers, label="who")
        assert before.submission_id is not None and before.judge_id is not None
        submission = self.submissions[before.submission_id]
        decision = self.attempt(
            who, lambda: evaluations.decide_delete(before, submission, who, "withdrawn")
        )
        if decision is not None:
            assert who.user_id == before.judge_id or who.role is Role.ORGANIZER
            self.apply_evaluation(evaluation_id, decision)
            del self.claims[(before.submission_id, before.judge_id)]  # the store releases it

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def every_active_team_has_one_captain_who_is_a_participant_member(self) -> None:
        for team in self.teams.values():
            if not team.active:
                assert team.members == ()
                continue
            assert team.captain_id is not None and team.captain_id in team.members
            captain = self.user(team.captain_id)
            assert captain.active and captain.role is Role.PARTICIPANT

    @invariant()
    def team_membership_and_user_team_agree(self) -> None:
        seats = Counter(m for team in self.teams.values() for m in team.members)
        assert all(count == 1 for count in seats.values()), seats
        for team_id, team in self.teams.items():
            for member in team.members:
                assert self.user(member).active and self.user(member).team_id == team_id
        for user_id, account in self.users.items():
            if account.team_id is not None:
                assert user_id in self.team(account.team_id).members

    @invariant()
    def at_most_one_active_evaluation_per_judge_per_submission(self) -> None:
        pairs = [(e.submission_id, e.judge_id) for e in self.evaluations.values() if e.active]
        assert len(pairs) == len(set(pairs))
        assert set(pairs) == set(self.claims)

    @invariant()
    def scores_stay_within_range_and_mirror_the_evaluations(self) -> None:
        for evaluation in self.evaluations.values():
            assert MIN_SCORE <= evaluation.score <= MAX_SCORE
        for submission_id, submission in self.submissions.items():
            assert all(MIN_SCORE <= v <= MAX_SCORE for v in submission.scores.values())
            assert submission.scores == {
                e.evaluation_id: e.score
                for e in self.evaluations.values()
                if e.active and e.submission_id == submission_id
            }

    @invariant()
    def declared_winners_came_from_the_rule_and_stay(self) -> None:
        for event_id, (declared, entries, override) in self.declared.items():
            assert self.contest(event_id).winner_team_id == declared.winner_team_id
            check_declaration(declared, entries, override)
        assert all(
            c.winner_team_id is None for k, c in self.contests.items() if k not in self.declared
        )


def test_random_commands_keep_the_invariants() -> None:
    run_state_machine_as_test(
        World, settings=settings(max_examples=60, stateful_step_count=40, deadline=None)
    )
