"""Builders of aggregate states for the pure command tests: every state is a fold of events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from commands.actors import Actor, Role
from commands.competitions import CompetitionState
from commands.evaluations import EvaluationDecision, EvaluationState
from commands.repository import EVALUATIONS, EVENTS, SUBMISSIONS, TEAMS, USERS
from commands.submissions import SubmissionState, UploadedFile
from commands.teams import TeamDecision, TeamState
from commands.users import RegisterUser, SealedProfile, UserState
from events.base import Event
from events.competitions import CompetitiveEventCreated, SubmissionReceived, WinnerDeclared
from events.evaluations import SubmissionScored
from events.submissions import (
    EvaluationRecorded,
    JudgeAssigned,
    SubmissionApproved,
    SubmissionDeleted,
    SubmissionRejected,
    SubmissionUploaded,
)
from events.teams import TeamCreated, TeamDeleted, TeamMemberJoined
from events.users import JudgeConflictDeclared, UserDeleted, UserJoinedTeam, UserRegistered

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PDF_HEAD = b"%PDF-1.7\n"
PASSWORD = "correct horse"
STORED = UploadedFile(key="submissions/x.pdf", size=1024, sha256="0" * 64)
SEALED = SealedProfile(email="sealed-email", name="sealed-name", email_hash="h", password_hash="p")


def uid(n: int) -> UUID:
    """A readable, deterministic id: uid(7) is 00000000-0000-0000-0000-000000000007."""
    return UUID(int=n)


def actor(n: int, role: Role) -> Actor:
    return Actor(uid(n), role)


# --- users -------------------------------------------------------------------------------


def registration(
    n: int = 1, role: Role = Role.PARTICIPANT, password: str = PASSWORD
) -> RegisterUser:
    return RegisterUser(
        user_id=uid(n), email=f"user{n}@example.kz", name=f"User {n}", password=password, role=role
    )


def registered_event(n: int, role: Role) -> UserRegistered:
    return UserRegistered(
        user_id=uid(n),
        email="sealed-email",
        name="sealed-name",
        email_hash=f"hash-{n}",
        password_hash="bcrypt",
        role=role.value,
    )


def user(n: int, role: Role = Role.PARTICIPANT, *later: Event) -> UserState:
    """A registered user, then any later events of their stream."""
    return USERS.fold([registered_event(n, role), *later])


def member_of(n: int, team_id: UUID) -> UserState:
    return user(n, Role.PARTICIPANT, UserJoinedTeam(team_id=team_id))


def deleted_user(n: int, role: Role = Role.PARTICIPANT) -> UserState:
    return user(n, role, UserDeleted(deleted_by=uid(n), reason="bye"))


def judge_with_conflict(n: int, team_id: UUID) -> UserState:
    return user(n, Role.JUDGE, JudgeConflictDeclared(team_id=team_id, reason="my cousin"))


# --- teams -------------------------------------------------------------------------------

TEAM = uid(1000)


def team(captain: int, *others: int, team_id: UUID = TEAM) -> TeamState:
    """An active team whose captain is user ``captain`` and whose other members follow."""
    return TEAMS.fold(
        [
            TeamCreated(team_id=team_id, name="Rocketeers", captain_id=uid(captain)),
            *(TeamMemberJoined(user_id=uid(o)) for o in others),
        ]
    )


def dissolved_team(captain: int = 1) -> TeamState:
    deleted = TeamDeleted(deleted_by=uid(captain), reason="disbanded", released_members=[])
    return TEAMS.fold([deleted], team(captain))


def apply_team(
    decision: TeamDecision, team_state: TeamState, users: dict[UUID, UserState]
) -> tuple[TeamState, dict[UUID, UserState]]:
    """Fold a team decision onto the team and onto each user it names."""
    folded = dict(users)
    for user_id, events in decision.users.items():
        folded[user_id] = USERS.fold(events, folded.get(user_id))
    return TEAMS.fold(decision.team, team_state), folded


# --- competitive events ------------------------------------------------------------------

EVENT = uid(2000)


def competition(
    start: datetime = NOW - DAY, end: datetime = NOW + DAY, *later: Event
) -> CompetitionState:
    """A competitive event (open around NOW by default), then any later events."""
    created = CompetitiveEventCreated(
        event_id=EVENT, title="Rocket Cup", start_date=start, end_date=end, created_by=uid(9)
    )
    return EVENTS.fold([created, *later])


def ended_competition(*later: Event) -> CompetitionState:
    return competition(NOW - 3 * DAY, NOW - DAY, *later)


def received(*subs: SubmissionState) -> list[Event]:
    out: list[Event] = []
    for s in subs:
        assert s.submission_id is not None and s.team_id is not None
        out.append(SubmissionReceived(submission_id=s.submission_id, team_id=s.team_id))
    return out


def winner_declared(team_id: UUID) -> WinnerDeclared:
    return WinnerDeclared(
        winner_team_id=team_id,
        decided_by=uid(9),
        method="override",
        standings=[],
        leaderboard_digest="",
    )


# --- submissions -------------------------------------------------------------------------

SUBMISSION = uid(3000)


def uploaded(
    submission_id: UUID = SUBMISSION,
    team_id: UUID = TEAM,
    submitted_at: datetime = NOW,
    submitted_by: UUID | None = None,
) -> SubmissionUploaded:
    return SubmissionUploaded(
        submission_id=submission_id,
        team_id=team_id,
        event_id=EVENT,
        file_key=STORED.key,
        file_size=STORED.size,
        sha256=STORED.sha256,
        submitted_by=submitted_by or uid(1),
        submitted_at=submitted_at,
    )


def submission(*later: Event, upload: SubmissionUploaded | None = None) -> SubmissionState:
    """A PENDING submission of TEAM, then any later events of its stream."""
    return SUBMISSIONS.fold([upload or uploaded(), *later])


def approved() -> SubmissionApproved:
    return SubmissionApproved(approved_by=uid(9))


def assigned(judge: int = 5) -> JudgeAssigned:
    """JUDGE uid(judge) assigned by the platform (the evaluation_assignment worker)."""
    return JudgeAssigned(judge_id=uid(judge), assigned_by=uid(0))


def rejected() -> SubmissionRejected:
    return SubmissionRejected(rejected_by=uid(9), reason="blank pages")


def removed() -> SubmissionDeleted:
    return SubmissionDeleted(deleted_by=uid(9), reason="duplicate")


def scores(*values: int, first_evaluation: int = 5000) -> list[Event]:
    """EvaluationRecorded events, one per value, by judges uid(100), uid(101), ..."""
    return [
        EvaluationRecorded(evaluation_id=uid(first_evaluation + i), judge_id=uid(100 + i), score=v)
        for i, v in enumerate(values)
    ]


def scored_submission(
    submission_id: UUID,
    team_id: UUID,
    values: Iterable[int],
    submitted_at: datetime = NOW,
    *later: Event,
) -> SubmissionState:
    """An APPROVED submission scored with ``values``, then any later events."""
    upload = uploaded(submission_id, team_id, submitted_at)
    return submission(
        approved(),
        *scores(*values, first_evaluation=submission_id.int * 100),
        *later,
        upload=upload,
    )


# --- evaluations -------------------------------------------------------------------------

EVALUATION = uid(4000)


def evaluation(judge: int, score: int = 70, *later: Event) -> EvaluationState:
    return EVALUATIONS.fold(
        [
            SubmissionScored(
                evaluation_id=EVALUATION,
                submission_id=SUBMISSION,
                judge_id=uid(judge),
                score=score,
                comments="solid",
            ),
            *later,
        ]
    )


def apply_evaluation(
    decision: EvaluationDecision, state: EvaluationState, sub: SubmissionState
) -> tuple[EvaluationState, SubmissionState]:
    return EVALUATIONS.fold(decision.evaluation, state), SUBMISSIONS.fold(decision.submission, sub)
