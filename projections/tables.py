"""The five read tables (and team members, judge assignments): a pure policy.

``project(event)`` says which rows one fact event changes; it does no I/O, so replay and
incremental projection run the same code. Personal data is handed over still sealed.
"""

from __future__ import annotations

from uuid import UUID

from events.competitions import (
    CompetitiveEventChanged,
    CompetitiveEventCreated,
    CompetitiveEventDeleted,
    WinnerDeclared,
)
from events.evaluations import EvaluationDeleted, EvaluationRevised, SubmissionScored
from events.submissions import (
    JudgeAssigned,
    JudgeUnassigned,
    SubmissionApproved,
    SubmissionDeleted,
    SubmissionFileRejected,
    SubmissionFileValidated,
    SubmissionRejected,
    SubmissionUploaded,
)
from events.teams import (
    TeamCaptainChanged,
    TeamCreated,
    TeamDeleted,
    TeamMemberJoined,
    TeamMemberLeft,
)
from events.users import (
    JudgeConflictDeclared,
    UserDeleted,
    UserErased,
    UserJoinedTeam,
    UserLeftTeam,
    UserProfileChanged,
    UserRegistered,
)
from projections.changes import (
    Change,
    Delete,
    Fact,
    RecomputeLeaderboard,
    Sealed,
    Update,
    Upsert,
)
from projections.notifications import project_notifications

NAME = "tables"
ERASED = "[erased]"
TABLES = (
    "app_user", "team", "team_member", "competitive_event", "submission", "evaluation",
    "judge_assignment", "judge_conflict", "leaderboard",
)  # fmt: skip


def entity_id(fact: Fact) -> UUID:
    return UUID(fact.stream_id.split("-", 1)[1])


def project(fact: Fact) -> list[Change]:
    for policy in (_users, _teams, _events, _submissions, _evaluations, project_notifications):
        changes = policy(fact)
        if changes is not None:
            return changes
    return []


def _touch(table: str, column: str, fact: Fact, **values: object) -> Update:
    return Update(table, {column: entity_id(fact)}, {**values, "updated_at": fact.recorded_at})


def _users(fact: Fact) -> list[Change] | None:
    event, at = fact.event, fact.recorded_at
    match event:
        case UserRegistered():
            row = {
                "email": Sealed(event.user_id, event.email),
                "email_hash": event.email_hash,
                "name": Sealed(event.user_id, event.name),
                "role": event.role,
                "language": event.language,
                "team_id": None,
                "created_at": at,
                "updated_at": at,
            }
            return [Upsert("app_user", {"user_id": event.user_id}, row)]
        case UserProfileChanged(name=name, language=language):
            values: dict[str, object] = {}
            if name is not None:
                values["name"] = Sealed(entity_id(fact), name)
            if language is not None:
                values["language"] = language
            return [_touch("app_user", "user_id", fact, **values)]
        case UserJoinedTeam(team_id=team_id):
            return [_touch("app_user", "user_id", fact, team_id=team_id)]
        case UserLeftTeam():
            return [_touch("app_user", "user_id", fact, team_id=None)]
        case UserDeleted():
            return [_touch("app_user", "user_id", fact, team_id=None, deleted_at=at)]
        case JudgeConflictDeclared(team_id=team_id, reason=reason):
            key = {"judge_id": entity_id(fact), "team_id": team_id}
            return [Upsert("judge_conflict", key, {"reason": reason, "declared_at": at})]
        case UserErased():
            return [_touch("app_user", "user_id", fact, email=ERASED, name=ERASED, erased_at=at)]
    return None


def _teams(fact: Fact) -> list[Change] | None:
    event, at = fact.event, fact.recorded_at
    match event:
        case TeamCreated():
            row = {
                "name": event.name,
                "captain_id": event.captain_id,
                "created_at": at,
                "updated_at": at,
            }
            member = {"team_id": event.team_id, "user_id": event.captain_id}
            return [
                Upsert("team", {"team_id": event.team_id}, row),
                Upsert("team_member", member, {"joined_at": at}),
                # The team's submissions live in another partition and may have been ranked
                # before this row existed, under no name.
                RecomputeLeaderboard(team_id=event.team_id),
            ]
        case TeamMemberJoined(user_id=user_id):
            return [
                Upsert(
                    "team_member",
                    {"team_id": entity_id(fact), "user_id": user_id},
                    {"joined_at": at},
                ),
                _touch("team", "team_id", fact),
            ]
        case TeamMemberLeft(user_id=user_id):
            return [
                Delete("team_member", {"team_id": entity_id(fact), "user_id": user_id}),
                _touch("team", "team_id", fact),
            ]
        case TeamCaptainChanged(captain_id=captain_id):
            return [_touch("team", "team_id", fact, captain_id=captain_id)]
        case TeamDeleted():
            return [
                Delete("team_member", {"team_id": entity_id(fact)}),
                _touch("team", "team_id", fact, deleted_at=at),
            ]
    return None


def _events(fact: Fact) -> list[Change] | None:
    event, at = fact.event, fact.recorded_at
    match event:
        case CompetitiveEventCreated():
            row = {
                "title": event.title,
                "start_date": event.start_date,
                "end_date": event.end_date,
                "winner_team_id": None,
                "created_at": at,
                "updated_at": at,
            }
            return [Upsert("competitive_event", {"event_id": event.event_id}, row)]
        case CompetitiveEventChanged():
            return [
                _touch(
                    "competitive_event", "event_id", fact,
                    title=event.title, start_date=event.start_date, end_date=event.end_date,
                )
            ]  # fmt: skip
        case CompetitiveEventDeleted():
            return [_touch("competitive_event", "event_id", fact, deleted_at=at)]
        case WinnerDeclared(winner_team_id=winner):
            return [_touch("competitive_event", "event_id", fact, winner_team_id=winner)]
    return None


def _submissions(fact: Fact) -> list[Change] | None:
    event, at = fact.event, fact.recorded_at
    match event:
        case SubmissionUploaded():
            row = {
                "team_id": event.team_id,
                "event_id": event.event_id,
                "file_url": event.file_key,
                "file_size": event.file_size,
                "sha256": event.sha256,
                "status": "PENDING",
                "rejection_reason": None,
                "submitted_at": event.submitted_at,
                "updated_at": at,
            }
            return [Upsert("submission", {"submission_id": event.submission_id}, row)]
        case SubmissionApproved():
            return [
                _touch("submission", "submission_id", fact, status="APPROVED"),
                RecomputeLeaderboard(submission_id=entity_id(fact)),
            ]
        case SubmissionFileValidated(pages=pages):
            return [_touch("submission", "submission_id", fact, file_check="VALID",
                           file_pages=pages)]  # fmt: skip
        case SubmissionFileRejected(reason=reason):
            return [
                _touch("submission", "submission_id", fact, status="REJECTED",
                       rejection_reason=reason, file_check="INVALID"),
                RecomputeLeaderboard(submission_id=entity_id(fact)),
            ]  # fmt: skip
        case SubmissionRejected(reason=reason):
            return [
                _touch(
                    "submission",
                    "submission_id",
                    fact,
                    status="REJECTED",
                    rejection_reason=reason,
                ),
                RecomputeLeaderboard(submission_id=entity_id(fact)),
            ]
        case SubmissionDeleted():
            return [
                _touch("submission", "submission_id", fact, deleted_at=at),
                RecomputeLeaderboard(submission_id=entity_id(fact)),
            ]
        case JudgeAssigned(judge_id=judge_id):
            key = {"submission_id": entity_id(fact), "judge_id": judge_id}
            return [Upsert("judge_assignment", key, {"assigned_at": at})]
        case JudgeUnassigned(judge_id=judge_id):
            return [
                Delete("judge_assignment", {"submission_id": entity_id(fact), "judge_id": judge_id})
            ]
    return None


def _evaluations(fact: Fact) -> list[Change] | None:
    event, at = fact.event, fact.recorded_at
    match event:
        case SubmissionScored():
            row = {
                "submission_id": event.submission_id,
                "judge_id": event.judge_id,
                "score": event.score,
                "comments": event.comments,
                "created_at": at,
                "updated_at": at,
            }
            return [
                Upsert("evaluation", {"evaluation_id": event.evaluation_id}, row),
                RecomputeLeaderboard(submission_id=event.submission_id),
            ]
        case EvaluationRevised(score=score, comments=comments):
            return [
                _touch("evaluation", "evaluation_id", fact, score=score, comments=comments),
                RecomputeLeaderboard(evaluation_id=entity_id(fact)),
            ]
        case EvaluationDeleted():
            return [
                _touch("evaluation", "evaluation_id", fact, deleted_at=at),
                RecomputeLeaderboard(evaluation_id=entity_id(fact)),
            ]
    return None
