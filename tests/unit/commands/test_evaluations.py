"""The evaluation aggregate's rules: judges score 0..100, revise and delete their own."""

from __future__ import annotations

import pytest

from commands import evaluations
from commands.actors import Actor, Role
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.evaluations import EvaluationDecision, EvaluationState
from commands.submissions import SubmissionState
from commands.users import UserState
from events.evaluations import EvaluationDeleted, EvaluationRevised, SubmissionScored
from events.submissions import EvaluationRecorded, EvaluationWithdrawn, JudgeUnassigned
from tests.unit.commands.builders import (
    EVALUATION,
    SUBMISSION,
    TEAM,
    actor,
    apply_evaluation,
    approved,
    assigned,
    deleted_user,
    evaluation,
    judge_with_conflict,
    removed,
    submission,
    uid,
    user,
)

JUDGE, OTHER_JUDGE = actor(5, Role.JUDGE), actor(6, Role.JUDGE)
ORGANIZER = actor(9, Role.ORGANIZER)


def score(
    value: int = 80,
    who: Actor = JUDGE,
    judge: UserState | None = None,
    target: SubmissionState | None = None,
) -> EvaluationDecision:
    return evaluations.decide_score(
        EVALUATION,
        submission(approved(), assigned(5)) if target is None else target,
        user(5, Role.JUDGE) if judge is None else judge,
        who,
        value,
        "clean wiring",
    )


def scored(value: int = 70) -> tuple[EvaluationState, SubmissionState]:
    """The evaluation and its submission after JUDGE scored ``value``."""
    return apply_evaluation(score(value), EvaluationState(), submission(approved(), assigned(5)))


@pytest.mark.parametrize("value", [0, 1, 50, 99, 100])
def test_judge_scores_from_0_to_100(value: int) -> None:
    decision = score(value)
    assert decision.evaluation == [
        SubmissionScored(
            evaluation_id=EVALUATION,
            submission_id=SUBMISSION,
            judge_id=JUDGE.user_id,
            score=value,
            comments="clean wiring",
        )
    ]
    assert decision.submission == [
        EvaluationRecorded(evaluation_id=EVALUATION, judge_id=JUDGE.user_id, score=value)
    ]
    state, mirrored = apply_evaluation(
        decision, EvaluationState(), submission(approved(), assigned(5))
    )
    assert state.active and state.score == value
    assert mirrored.scores == {EVALUATION: value}


@pytest.mark.parametrize("value", [-1, 101, -100, 1000])
def test_score_outside_0_to_100_is_invalid(value: int) -> None:
    with pytest.raises(Invalid) as refused:
        score(value)
    assert refused.value.field == "score"


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.ORGANIZER, Role.AUDITOR, Role.SYSTEM])
def test_only_a_judge_scores(role: Role) -> None:
    with pytest.raises(Forbidden):
        score(who=actor(5, role), judge=user(5, role))


def test_judge_with_a_declared_conflict_cannot_score_that_team() -> None:
    with pytest.raises(Forbidden, match="conflict"):
        score(judge=judge_with_conflict(5, TEAM))


def test_conflict_with_another_team_does_not_stop_scoring() -> None:
    assert score(judge=judge_with_conflict(5, uid(1001))).evaluation


def test_deleted_judge_cannot_score() -> None:
    with pytest.raises(NotFound):
        score(judge=deleted_user(5, Role.JUDGE))


def test_deleted_submission_cannot_be_scored() -> None:
    with pytest.raises(NotFound):
        score(target=submission(approved(), removed()))


def test_judge_revises_their_own_evaluation() -> None:
    state, sub = scored(70)
    decision = evaluations.decide_revise(state, sub, JUDGE, 85, None)
    assert decision.evaluation == [EvaluationRevised(score=85, comments="clean wiring")]
    revised, mirrored = apply_evaluation(decision, state, sub)
    assert revised.score == 85 and mirrored.scores == {EVALUATION: 85}


def test_revising_only_comments_mirrors_nothing() -> None:
    state, sub = scored(70)
    decision = evaluations.decide_revise(state, sub, JUDGE, None, "loose bolts")
    assert decision.submission == []
    assert apply_evaluation(decision, state, sub)[0].comments == "loose bolts"


@pytest.mark.parametrize("reviser", [OTHER_JUDGE, ORGANIZER])
def test_only_the_judge_who_wrote_it_revises(reviser: Actor) -> None:
    state, sub = scored()
    with pytest.raises(Forbidden):
        evaluations.decide_revise(state, sub, reviser, 10, None)


@pytest.mark.parametrize("value", [-1, 101])
def test_revised_score_stays_within_0_to_100(value: int) -> None:
    state, sub = scored()
    with pytest.raises(Invalid):
        evaluations.decide_revise(state, sub, JUDGE, value, None)


def test_revising_to_the_same_values_is_a_conflict() -> None:
    state, sub = scored(70)
    with pytest.raises(Conflict):
        evaluations.decide_revise(state, sub, JUDGE, 70, "clean wiring")


def test_revising_needs_something_to_change() -> None:
    state, sub = scored()
    with pytest.raises(Invalid):
        evaluations.decide_revise(state, sub, JUDGE, None, None)


def test_evaluation_of_a_deleted_submission_cannot_be_revised() -> None:
    state, sub = scored()
    with pytest.raises(NotFound):
        evaluations.decide_revise(state, submission(approved(), removed()), JUDGE, 10, None)
    assert sub.active


@pytest.mark.parametrize("deleter", [JUDGE, ORGANIZER])
def test_judge_or_organizer_deletes_an_evaluation(deleter: Actor) -> None:
    state, sub = scored(70)
    decision = evaluations.decide_delete(state, sub, deleter, "mistake")
    assert decision.evaluation == [EvaluationDeleted(deleted_by=deleter.user_id, reason="mistake")]
    assert decision.submission == [EvaluationWithdrawn(evaluation_id=EVALUATION)]
    gone, mirrored = apply_evaluation(decision, state, sub)
    assert not gone.active and mirrored.scores == {}


@pytest.mark.parametrize(
    "deleter", [OTHER_JUDGE, actor(1, Role.PARTICIPANT), actor(8, Role.AUDITOR)]
)
def test_only_the_judge_or_an_organizer_deletes_an_evaluation(deleter: Actor) -> None:
    state, sub = scored()
    with pytest.raises(Forbidden):
        evaluations.decide_delete(state, sub, deleter, "mine")


def test_deleted_evaluation_is_not_found() -> None:
    gone = evaluation(5, 70, EvaluationDeleted(deleted_by=uid(5), reason="x"))
    with pytest.raises(NotFound):
        evaluations.decide_revise(gone, submission(), JUDGE, 10, None)
    with pytest.raises(NotFound):
        evaluations.decide_delete(gone, submission(), JUDGE, "twice")


def test_judge_with_a_declared_conflict_cannot_change_their_score_either() -> None:
    state, sub = scored(40)
    conflicted = judge_with_conflict(5, TEAM)
    assert TEAM in conflicted.conflicts
    with pytest.raises(Forbidden, match="conflict"):
        score(judge=conflicted)  # a new score is refused ...
    with pytest.raises(Forbidden, match="conflict"):
        evaluations.decide_revise(state, sub, JUDGE, 100, None, judge=conflicted)  # nor a revision


def test_claim_key_is_one_per_judge_per_submission() -> None:
    key = evaluations.claim_key(SUBMISSION, JUDGE.user_id)
    assert key == evaluations.claim_key(SUBMISSION, JUDGE.user_id)
    assert key != evaluations.claim_key(SUBMISSION, OTHER_JUDGE.user_id)
    assert key != evaluations.claim_key(uid(3001), JUDGE.user_id)


def test_a_judge_not_assigned_to_the_submission_cannot_score_it() -> None:
    with pytest.raises(Forbidden, match="assigned"):
        score(target=submission(approved(), assigned(6)))


def test_a_judge_taken_off_the_submission_can_no_longer_score_it() -> None:
    unassigned = JudgeUnassigned(judge_id=uid(5), unassigned_by=uid(9))
    with pytest.raises(Forbidden, match="assigned"):
        score(target=submission(approved(), assigned(5), unassigned))
