"""Declaring the winner (decide_declare_winner) and the ranking rule behind it (ranking.rank)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands import competitions, ranking
from commands.actors import Actor, Role
from commands.competitions import CompetitionState
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.repository import EVENTS
from commands.submissions import SubmissionState
from events.catalog import domain_codec
from events.competitions import CompetitiveEventDeleted, TeamStanding, WinnerDeclared
from tests.unit.commands.builders import (
    HOUR,
    NOW,
    approved,
    ended_competition,
    received,
    rejected,
    removed,
    scored_submission,
    scores,
    submission,
    uid,
    uploaded,
    winner_declared,
)

ORGANIZER = Actor(uid(9), Role.ORGANIZER)
RED, BLUE, GREEN = uid(1001), uid(1002), uid(1003)


def entry(n: int, team_id: UUID, values: Sequence[int], at: datetime = NOW) -> SubmissionState:
    """An APPROVED submission uid(3000 + n) of ``team_id`` scored with ``values``."""
    return scored_submission(uid(3000 + n), team_id, values, at)


def declare(
    entries: Sequence[SubmissionState],
    who: Actor = ORGANIZER,
    now: datetime = NOW,
    override: UUID | None = None,
    event: CompetitionState | None = None,
) -> WinnerDeclared:
    state = ended_competition(*received(*entries)) if event is None else event
    decided = competitions.decide_declare_winner(state, list(entries), who, now, override)
    assert len(decided) == 1 and isinstance(decided[0], WinnerDeclared)
    return decided[0]


# --- who and when --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR, Role.SYSTEM])
def test_only_an_organizer_declares_the_winner(role: Role) -> None:
    with pytest.raises(Forbidden):
        declare([entry(1, RED, [80])], who=Actor(uid(1), role))


@pytest.mark.parametrize("now", [NOW - 2 * timedelta(days=1), NOW - timedelta(days=1)])
def test_winner_is_declared_only_after_the_end_date(now: datetime) -> None:
    with pytest.raises(Conflict, match="after the event ends"):
        declare([entry(1, RED, [80])], now=now)


def test_winner_is_not_declared_twice() -> None:
    entries = [entry(1, RED, [80])]
    done = ended_competition(*received(*entries), winner_declared(RED))
    with pytest.raises(Conflict, match="already"):
        declare(entries, event=done)


def test_winner_of_a_deleted_event_is_not_found() -> None:
    gone = EVENTS.fold(
        [CompetitiveEventDeleted(deleted_by=uid(9), reason="x")], ended_competition()
    )
    with pytest.raises(NotFound):
        declare([entry(1, RED, [80])], event=gone)


# --- the computed winner -------------------------------------------------------------------


def test_highest_mean_wins() -> None:
    declared = declare([entry(1, RED, [70, 90]), entry(2, BLUE, [85, 86]), entry(3, GREEN, [99])])
    assert declared.winner_team_id == GREEN and declared.method == "computed"
    assert [s.team_id for s in declared.standings] == [GREEN, BLUE, RED]


def test_equal_means_are_broken_by_the_higher_median() -> None:
    # Both means are 60; the medians are 50 and 70.
    declared = declare([entry(1, RED, [50, 50, 80]), entry(2, BLUE, [30, 80, 70])])
    assert declared.winner_team_id == BLUE


def test_equal_means_and_medians_are_broken_by_more_evaluations() -> None:
    declared = declare([entry(1, RED, [60, 60]), entry(2, BLUE, [60, 60, 60])])
    assert declared.winner_team_id == BLUE


def test_full_ties_are_broken_by_the_earlier_submission() -> None:
    declared = declare([entry(1, RED, [75], NOW - HOUR), entry(2, BLUE, [75], NOW - 2 * HOUR)])
    assert declared.winner_team_id == BLUE


@pytest.mark.parametrize(
    "loser",
    [
        submission(*scores(100), upload=uploaded(uid(3009), BLUE)),  # PENDING
        submission(rejected(), *scores(100), upload=uploaded(uid(3009), BLUE)),
        submission(approved(), *scores(100), removed(), upload=uploaded(uid(3009), BLUE)),
        submission(approved(), upload=uploaded(uid(3009), BLUE)),  # never scored
    ],
    ids=["pending", "rejected", "deleted", "unscored"],
)
def test_only_approved_undeleted_scored_submissions_compete(loser: SubmissionState) -> None:
    declared = declare([entry(1, RED, [10]), loser])
    assert declared.winner_team_id == RED
    assert [s.team_id for s in declared.standings] == [RED]


def test_without_a_qualifying_submission_there_is_no_computed_winner() -> None:
    with pytest.raises(Conflict, match="no team"):
        declare([submission(rejected(), *scores(90))])


def test_team_keeps_its_best_submission() -> None:
    declared = declare([entry(1, RED, [40]), entry(2, RED, [95]), entry(3, BLUE, [90])])
    assert declared.winner_team_id == RED
    assert [(s.team_id, s.submission_id) for s in declared.standings] == [
        (RED, uid(3002)),
        (BLUE, uid(3003)),
    ]


def test_winner_records_standings_and_a_digest_that_recomputes() -> None:
    declared = declare([entry(1, RED, [70, 90]), entry(2, BLUE, [85])])
    assert declared.standings[0] == TeamStanding(
        team_id=BLUE,
        submission_id=uid(3002),
        submitted_at=NOW,
        scores=[85],
        mean_score=85.0,
        median_score=85.0,
    )
    assert declared.leaderboard_digest == ranking.leaderboard_digest(declared.standings)
    assert declared.leaderboard_digest == ranking.leaderboard_digest(
        ranking.rank(reversed(declared.standings))
    )
    assert EVENTS.fold([declared], ended_competition()).winner_team_id == BLUE


def test_digest_recomputes_from_the_stored_event() -> None:
    almaty = timezone(timedelta(hours=5))
    declared = declare(
        [entry(1, RED, [70, 91, 33]), entry(2, BLUE, [64], (NOW - HOUR).astimezone(almaty))]
    )
    codec = domain_codec()
    stored = codec.decode(codec.tag_of(declared), 1, codec.encode(declared))
    assert isinstance(stored, WinnerDeclared) and stored == declared
    assert ranking.leaderboard_digest(stored.standings) == declared.leaderboard_digest


# --- the override --------------------------------------------------------------------------


def test_override_names_a_team_that_submitted() -> None:
    declared = declare([entry(1, RED, [90]), entry(2, BLUE, [10])], override=BLUE)
    assert declared.winner_team_id == BLUE and declared.method == "override"
    assert declared.standings[0].team_id == RED  # the standings still tell the computed order


def test_override_may_name_a_team_without_a_scored_submission() -> None:
    pending = submission(upload=uploaded(uid(3009), BLUE))
    assert declare([pending], override=BLUE).winner_team_id == BLUE


@pytest.mark.parametrize("outsider", [GREEN, BLUE])
def test_override_must_be_a_team_that_submitted(outsider: UUID) -> None:
    withdrawn = submission(removed(), upload=uploaded(uid(3009), BLUE))
    with pytest.raises(Invalid) as refused:
        declare([entry(1, RED, [90]), withdrawn], override=outsider)
    assert refused.value.field == "team_id"


# --- properties of the ranking rule ----------------------------------------------------------

TEAMS = [uid(1001 + i) for i in range(5)]


@st.composite
def standings(draw: st.DrawFn) -> list[TeamStanding]:
    """Standings of a few teams, some with several submissions, with frequent ties."""
    count = draw(st.integers(min_value=1, max_value=10))
    return [
        ranking.standing(
            draw(st.sampled_from(TEAMS)),
            uid(3000 + i),
            NOW + draw(st.integers(min_value=0, max_value=3)) * HOUR,
            draw(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=5)),
        )
        for i in range(count)
    ]


@given(data=st.data(), entries=standings())
def test_rank_does_not_depend_on_the_input_order(
    data: st.DataObject, entries: list[TeamStanding]
) -> None:
    shuffled = data.draw(st.permutations(entries))
    assert ranking.rank(shuffled) == ranking.rank(entries)
    assert ranking.leaderboard_digest(ranking.rank(shuffled)) == ranking.leaderboard_digest(
        ranking.rank(entries)
    )


@given(entries=standings())
def test_rank_is_a_strict_total_order_with_one_entry_per_team(entries: list[TeamStanding]) -> None:
    ranked = ranking.rank(entries)
    keys = [ranking.rank_key(s) for s in ranked]
    assert all(a < b for a, b in itertools.pairwise(keys))
    assert sorted(s.team_id for s in ranked) == sorted({s.team_id for s in entries})
    assert ranking.rank(ranked) == ranked


@given(entries=standings())
def test_winner_has_the_highest_mean(entries: list[TeamStanding]) -> None:
    winner = ranking.rank(entries)[0]
    best = max(statistics.fmean(s.scores) for s in entries)
    assert statistics.fmean(winner.scores) == pytest.approx(best)
    assert winner.mean_score == max(s.mean_score for s in entries)


@given(entries=standings())
def test_each_team_is_ranked_by_its_best_submission(entries: list[TeamStanding]) -> None:
    for kept in ranking.rank(entries):
        own = [ranking.rank_key(s) for s in entries if s.team_id == kept.team_id]
        assert ranking.rank_key(kept) == min(own)


@given(
    values=st.lists(
        st.lists(st.integers(min_value=0, max_value=100), min_size=0, max_size=4),
        min_size=1,
        max_size=6,
    ),
    data=st.data(),
)
def test_declared_winner_is_the_first_of_the_ranking(
    values: list[list[int]], data: st.DataObject
) -> None:
    entries = [
        entry(i, data.draw(st.sampled_from(TEAMS)), v, NOW - i * HOUR) for i, v in enumerate(values)
    ]
    qualifying = [s for s in entries if s.scores]
    if not qualifying:
        with pytest.raises(Conflict):
            declare(entries)
        return
    declared = declare(entries)
    assert declared.winner_team_id == declared.standings[0].team_id
    assert max(statistics.fmean(s.scores.values()) for s in qualifying) == pytest.approx(
        declared.standings[0].mean_score
    )
    assert declared.leaderboard_digest == ranking.leaderboard_digest(declared.standings)
