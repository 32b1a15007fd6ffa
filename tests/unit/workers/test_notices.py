"""Who is told what: the notifications worker's pure policy, and its fit to the catalogues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from commands.notifications import notification_id
from events.base import Event
from events.competitions import CompetitiveEventCreated, TeamStanding, WinnerDeclared
from events.submissions import (
    EvaluationRecorded,
    JudgeAssigned,
    SubmissionApproved,
    SubmissionDeleted,
    SubmissionFileRejected,
    SubmissionFileValidated,
    SubmissionRejected,
)
from events.teams import TeamCreated
from events.users import UserProfileChanged, UserRegistered
from workers.messages import catalogue, placeholders
from workers.notices import (
    DEADLINE_1H,
    DEADLINE_24H,
    KINDS,
    AssignedJudge,
    EventTeams,
    NewAccount,
    OpenEventTeams,
    Plan,
    SubmissionTeam,
    deadline_kind,
    plan,
    reminder_id,
)
from workers.topology import TASK_QUEUES

# The names each audience's lookup in the read tables adds (workers/recipients.py).
LOOKED_UP = {
    SubmissionTeam: {"team_name", "event_title"},
    AssignedJudge: {"team_name", "event_title"},
    EventTeams: {"event_title", "winner_team_name"},
    OpenEventTeams: {"event_title", "end_date"},
    NewAccount: set(),
}
ROLES = st.sampled_from(["PARTICIPANT", "ORGANIZER", "JUDGE", "AUDITOR"])
TEXT = st.text(min_size=1, max_size=40)


def registered(user_id: UUID, role: str, created_by: UUID | None) -> UserRegistered:
    return UserRegistered(
        user_id=user_id, email="sealed", name="sealed", email_hash="h", password_hash="p",
        role=role, created_by=created_by,
    )  # fmt: skip


submission_events = st.one_of(
    st.builds(SubmissionFileValidated, pages=st.integers(1, 50), pdf_version=st.just("1.7")),
    st.builds(SubmissionFileRejected, reason=TEXT),
    st.builds(SubmissionApproved, approved_by=st.uuids()),
    st.builds(SubmissionRejected, rejected_by=st.uuids(), reason=TEXT),
    st.builds(JudgeAssigned, judge_id=st.uuids(), assigned_by=st.uuids()),
)
winners = st.builds(
    WinnerDeclared,
    winner_team_id=st.uuids(), decided_by=st.uuids(), method=st.just("computed"),
    standings=st.just(list[TeamStanding]()), leaderboard_digest=st.just("d"),
)  # fmt: skip


def check_fits_the_catalogue(planned: Plan) -> None:
    """The event's values and the lookup's names fill every placeholder of the template."""
    template = catalogue("en").kinds[planned.kind]
    wanted = placeholders(template.subject) | placeholders(template.body)
    assert wanted <= set(planned.values) | LOOKED_UP[type(planned.audience)]


@given(entity=st.uuids(), event=submission_events)
def test_the_team_hears_about_its_submission_and_a_judge_of_the_assignment(
    entity: UUID, event: Event
) -> None:
    planned = plan(f"submission-{entity}", event)
    assert planned is not None
    check_fits_the_catalogue(planned)
    match event:
        case JudgeAssigned(judge_id=judge_id):
            assert planned.kind == "judge_assigned"
            assert planned.audience == AssignedJudge(judge_id, entity)
        case SubmissionRejected(reason=reason) | SubmissionFileRejected(reason=reason):
            assert planned.kind == "submission_rejected"
            assert planned.values == {"reason": reason}
            assert planned.audience == SubmissionTeam(entity)
        case _:
            assert planned.audience == SubmissionTeam(entity)


@given(entity=st.uuids(), event=winners)
def test_every_team_of_the_event_hears_of_the_winner(entity: UUID, event: WinnerDeclared) -> None:
    planned = plan(f"event-{entity}", event)
    assert planned == Plan("winner_declared", EventTeams(entity, event.winner_team_id))
    check_fits_the_catalogue(planned)


@given(user_id=st.uuids(), role=ROLES, creator=st.sampled_from(["none", "self", "other"]))
def test_only_an_account_made_by_someone_else_is_announced(
    user_id: UUID, role: str, creator: str
) -> None:
    created_by = {"none": None, "self": user_id, "other": uuid4()}[creator]
    planned = plan(f"user-{user_id}", registered(user_id, role, created_by))
    if creator != "other":
        assert planned is None
        return
    assert planned == Plan("account_created", NewAccount(user_id), {"role": role})
    check_fits_the_catalogue(planned)


def test_other_events_notify_nobody() -> None:
    now = datetime.now(UTC)
    quiet: list[Event] = [
        SubmissionDeleted(deleted_by=uuid4(), reason="r"),
        EvaluationRecorded(evaluation_id=uuid4(), judge_id=uuid4(), score=3),
        TeamCreated(team_id=uuid4(), name="T", captain_id=uuid4()),
        UserProfileChanged(language="kk"),
        CompetitiveEventCreated(
            event_id=uuid4(), title="C", start_date=now, end_date=now, created_by=uuid4()
        ),
    ]
    assert [plan(f"x-{uuid4()}", event) for event in quiet] == [None] * len(quiet)


def test_every_event_the_queue_is_bound_to_can_notify() -> None:
    bound = next(q for q in TASK_QUEUES if q.name == "notifications").bindings
    planned = {
        "submission.SubmissionFileValidated", "submission.SubmissionFileRejected",
        "submission.SubmissionApproved", "submission.SubmissionRejected",
        "submission.JudgeAssigned", "event.WinnerDeclared", "user.UserRegistered",
    }  # fmt: skip
    assert set(bound) == planned


def test_reminders_fit_the_catalogue() -> None:
    for kind in (DEADLINE_24H, DEADLINE_1H):
        check_fits_the_catalogue(Plan(kind, OpenEventTeams(uuid4())))
    assert set(KINDS) >= {DEADLINE_24H, DEADLINE_1H}


@given(seconds_left=st.integers(-3 * 86400, 3 * 86400))
def test_the_nearer_reminder_is_due_and_none_outside_the_last_day(seconds_left: int) -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    kind = deadline_kind(now + timedelta(seconds=seconds_left), now)
    if seconds_left <= 0 or seconds_left > 86400:
        assert kind is None
    elif seconds_left <= 3600:
        assert kind == DEADLINE_1H
    else:
        assert kind == DEADLINE_24H


@given(event_id=st.uuids(), hours=st.integers(-12, 12))
def test_a_reminder_has_one_id_whatever_the_time_zone_it_is_read_in(
    event_id: UUID, hours: int
) -> None:
    end = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
    shown = end.astimezone(timezone(timedelta(hours=hours)))
    assert reminder_id(event_id, DEADLINE_1H, shown) == reminder_id(event_id, DEADLINE_1H, end)
    assert reminder_id(event_id, DEADLINE_1H, end) != reminder_id(event_id, DEADLINE_24H, end)
    moved = end + timedelta(hours=1)
    assert reminder_id(event_id, DEADLINE_1H, moved) != reminder_id(event_id, DEADLINE_1H, end)


@given(recipient=st.uuids(), trigger=st.uuids(), kind=st.sampled_from(KINDS))
def test_a_notification_id_is_a_function_of_recipient_trigger_and_kind(
    recipient: UUID, trigger: UUID, kind: str
) -> None:
    first = notification_id(recipient, trigger, kind)
    assert first == notification_id(recipient, trigger, kind)
    assert first != notification_id(trigger, recipient, kind) or recipient == trigger
