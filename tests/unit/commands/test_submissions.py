"""The submission aggregate's rules: who submits when, review, deletion, judge assignment."""

from __future__ import annotations

from datetime import datetime

import pytest

from commands import submissions
from commands.actors import SYSTEM_ACTOR, Actor, Role
from commands.competitions import CompetitionState
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.repository import EVENTS, SUBMISSIONS
from commands.submissions import Status, SubmissionState
from commands.teams import TeamState
from commands.users import UserState
from events.competitions import CompetitiveEventDeleted
from events.submissions import (
    JudgeAssigned,
    JudgeUnassigned,
    SubmissionApproved,
    SubmissionRejected,
)
from tests.unit.commands.builders import (
    DAY,
    NOW,
    PDF_HEAD,
    STORED,
    SUBMISSION,
    TEAM,
    actor,
    approved,
    competition,
    deleted_user,
    dissolved_team,
    judge_with_conflict,
    member_of,
    rejected,
    removed,
    submission,
    team,
    uid,
    user,
    winner_declared,
)

ORGANIZER = actor(9, Role.ORGANIZER)
CAPTAIN, MEMBER = actor(1, Role.PARTICIPANT), actor(2, Role.PARTICIPANT)
JUDGE = actor(5, Role.JUDGE)


def submit(
    event: CompetitionState | None = None,
    squad: TeamState | None = None,
    submitter: UserState | None = None,
    who: Actor = MEMBER,
    now: datetime = NOW,
) -> SubmissionState:
    decided = submissions.decide_submit(
        SUBMISSION,
        competition() if event is None else event,
        team(1, 2) if squad is None else squad,
        member_of(2, TEAM) if submitter is None else submitter,
        who,
        now,
        STORED,
    )
    return SUBMISSIONS.fold(decided)


def test_team_member_submits_while_the_event_is_open() -> None:
    state = submit()
    assert state.active and state.team_id == TEAM and state.submitted_at == NOW


def test_new_submission_is_pending() -> None:
    assert submit().status is Status.PENDING


@pytest.mark.parametrize("now", [NOW - DAY, NOW + DAY])
def test_event_boundaries_are_open_for_submissions(now: datetime) -> None:
    assert submit(now=now).active


@pytest.mark.parametrize("now", [NOW - 2 * DAY, NOW + 2 * DAY])
def test_submission_outside_the_event_dates_is_a_conflict(now: datetime) -> None:
    with pytest.raises(Conflict, match="not open"):
        submit(now=now)


@pytest.mark.parametrize("role", [Role.JUDGE, Role.ORGANIZER, Role.AUDITOR])
def test_only_a_participant_submits(role: Role) -> None:
    with pytest.raises(Forbidden):
        submit(who=actor(2, role))


def test_only_a_member_of_the_team_submits_for_it() -> None:
    with pytest.raises(Forbidden, match="member"):
        submit(submitter=user(3), who=actor(3, Role.PARTICIPANT))


def test_deleted_submitter_cannot_submit() -> None:
    with pytest.raises(NotFound):
        submit(submitter=deleted_user(2))


def test_submission_for_an_unknown_or_dissolved_team_is_not_found() -> None:
    with pytest.raises(NotFound):
        submit(squad=TeamState())
    with pytest.raises(NotFound):
        submit(squad=dissolved_team())


def test_submission_to_a_deleted_event_is_not_found() -> None:
    gone = EVENTS.fold([CompetitiveEventDeleted(deleted_by=uid(9), reason="x")], competition())
    with pytest.raises(NotFound):
        submit(event=gone)


def test_no_submission_after_a_winner_is_declared() -> None:
    with pytest.raises(Conflict, match="winner"):
        submit(event=competition(NOW - DAY, NOW + DAY, winner_declared(TEAM)))


@pytest.mark.parametrize("head", [b"", b"%PDF", b"PK\x03\x04", b" %PDF-1.7", b"%pdf-1.7"])
def test_file_must_start_with_the_pdf_magic(head: bytes) -> None:
    with pytest.raises(Invalid) as refused:
        submissions.check_file_head(head)
    assert refused.value.field == "file"


def test_pdf_head_is_accepted() -> None:
    submissions.check_file_head(PDF_HEAD)


def test_organizer_approves_a_pending_submission() -> None:
    decided = submissions.decide_approve(submission(), ORGANIZER)
    assert decided == [SubmissionApproved(approved_by=ORGANIZER.user_id)]
    assert SUBMISSIONS.fold(decided, submission()).status is Status.APPROVED


def test_organizer_rejects_a_pending_submission_with_a_reason() -> None:
    decided = submissions.decide_reject(submission(), ORGANIZER, "  blank pages ")
    assert decided == [SubmissionRejected(rejected_by=ORGANIZER.user_id, reason="blank pages")]
    assert SUBMISSIONS.fold(decided, submission()).status is Status.REJECTED


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR, Role.SYSTEM])
def test_only_an_organizer_reviews_submissions(role: Role) -> None:
    with pytest.raises(Forbidden):
        submissions.decide_approve(submission(), actor(1, role))
    with pytest.raises(Forbidden):
        submissions.decide_reject(submission(), actor(1, role), "no")


@pytest.mark.parametrize("reviewed", [approved(), rejected()])
def test_review_happens_only_from_pending(
    reviewed: SubmissionApproved | SubmissionRejected,
) -> None:
    state = submission(reviewed)
    with pytest.raises(Conflict, match="not PENDING"):
        submissions.decide_approve(state, ORGANIZER)
    with pytest.raises(Conflict, match="not PENDING"):
        submissions.decide_reject(state, ORGANIZER, "changed my mind")


@pytest.mark.parametrize("reason", ["", "   ", "r" * 2001])
def test_rejection_needs_a_reason(reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        submissions.decide_reject(submission(), ORGANIZER, reason)
    assert refused.value.field == "reason"


@pytest.mark.parametrize("deleter", [CAPTAIN, ORGANIZER])
def test_captain_or_organizer_deletes_a_submission(deleter: Actor) -> None:
    decided = submissions.decide_delete(submission(), team(1, 2), deleter, "oops")
    assert not SUBMISSIONS.fold(decided, submission()).active


@pytest.mark.parametrize("deleter", [MEMBER, JUDGE, actor(8, Role.AUDITOR)])
def test_only_captain_or_organizer_deletes_a_submission(deleter: Actor) -> None:
    with pytest.raises(Forbidden):
        submissions.decide_delete(submission(), team(1, 2), deleter, "mine")


def test_deleted_submission_is_not_found() -> None:
    gone = submission(removed())
    with pytest.raises(NotFound):
        submissions.decide_delete(gone, team(1), CAPTAIN, "twice")
    with pytest.raises(NotFound):
        submissions.decide_approve(gone, ORGANIZER)
    with pytest.raises(NotFound):
        submissions.decide_assign(gone, user(5, Role.JUDGE), ORGANIZER)


@pytest.mark.parametrize("assigner", [ORGANIZER, SYSTEM_ACTOR])
def test_organizer_or_system_assigns_a_judge(assigner: Actor) -> None:
    decided = submissions.decide_assign(submission(), user(5, Role.JUDGE), assigner)
    assert decided == [JudgeAssigned(judge_id=uid(5), assigned_by=assigner.user_id)]
    assert SUBMISSIONS.fold(decided, submission()).judges == {uid(5)}


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR])
def test_only_organizer_or_system_assigns_judges(role: Role) -> None:
    with pytest.raises(Forbidden):
        submissions.decide_assign(submission(), user(5, Role.JUDGE), actor(5, role))


@pytest.mark.parametrize(
    "candidate", [user(6), user(6, Role.ORGANIZER), deleted_user(6, Role.JUDGE)]
)
def test_only_an_active_judge_is_assigned(candidate: UserState) -> None:
    with pytest.raises(Invalid) as refused:
        submissions.decide_assign(submission(), candidate, ORGANIZER)
    assert refused.value.field == "judge_id"


def test_judge_with_a_conflict_with_the_team_is_not_assigned() -> None:
    with pytest.raises(Conflict, match="conflict"):
        submissions.decide_assign(submission(), judge_with_conflict(5, TEAM), ORGANIZER)


def test_judge_is_not_assigned_twice() -> None:
    assigned = submission(JudgeAssigned(judge_id=uid(5), assigned_by=uid(9)))
    with pytest.raises(Conflict, match="assigned already"):
        submissions.decide_assign(assigned, user(5, Role.JUDGE), ORGANIZER)


def test_organizer_unassigns_a_judge_who_may_then_be_assigned_again() -> None:
    assigned = submission(JudgeAssigned(judge_id=uid(5), assigned_by=uid(9)))
    decided = submissions.decide_unassign(assigned, uid(5), ORGANIZER)
    assert decided == [JudgeUnassigned(judge_id=uid(5), unassigned_by=ORGANIZER.user_id)]
    after = SUBMISSIONS.fold(decided, assigned)
    assert after.judges == frozenset()
    assert submissions.decide_assign(after, user(5, Role.JUDGE), ORGANIZER)


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR, Role.SYSTEM])
def test_only_an_organizer_unassigns(role: Role) -> None:
    assigned = submission(JudgeAssigned(judge_id=uid(5), assigned_by=uid(9)))
    with pytest.raises(Forbidden):
        submissions.decide_unassign(assigned, uid(5), actor(5, role))


def test_unassigning_a_judge_who_is_not_assigned_is_not_found() -> None:
    with pytest.raises(NotFound):
        submissions.decide_unassign(submission(), uid(5), ORGANIZER)
