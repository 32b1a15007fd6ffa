"""The leaderboard the projector keeps in SQL follows the winner rule of commands/ranking.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands import ranking
from projections.changes import RecomputeLeaderboard
from workers.tables import read_standings, recompute_standings

# Per submission: its team (index), status, and judges' scores.
entries = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(["APPROVED", "APPROVED", "PENDING", "REJECTED"]),
        st.lists(st.integers(0, 100), max_size=4),
    ),
    min_size=1,
    max_size=8,
)

INSERT_SUBMISSION = """
INSERT INTO submission (submission_id, team_id, event_id, file_url, file_size, sha256, status,
                        submitted_at, updated_at)
VALUES (%s, %s, %s, 'k', 1, 'h', %s, %s, %s)
"""
INSERT_EVALUATION = """
INSERT INTO evaluation (evaluation_id, submission_id, judge_id, score, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s)
"""


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(submissions=entries)
async def test_sql_standings_equal_the_python_winner_rule(
    read_pool: AsyncConnectionPool[AsyncConnection],
    clean_db: None,
    submissions: list[tuple[int, str, list[int]]],
) -> None:
    event_id, teams = uuid4(), [uuid4() for _ in range(4)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    standings = []
    async with read_pool.connection() as conn, conn.transaction():
        for index, (team, status, scores) in enumerate(submissions):
            submission_id, at = uuid4(), start + timedelta(minutes=index % 3)
            await conn.execute(
                INSERT_SUBMISSION, (submission_id, teams[team], event_id, status, at, at)
            )
            for score in scores:
                await conn.execute(
                    INSERT_EVALUATION, (uuid4(), submission_id, uuid4(), score, at, at)
                )
            if status == "APPROVED" and scores:
                standings.append(ranking.standing(teams[team], submission_id, at, scores))
        await recompute_standings(conn, [RecomputeLeaderboard(submission_id=submission_id)], 1)
        rows = await (
            await conn.execute(
                "SELECT team_id, submission_id, rank, mean_score, median_score FROM leaderboard"
                " WHERE event_id = %s ORDER BY rank",
                (event_id,),
            )
        ).fetchall()

    expected = ranking.rank(standings)
    assert [(r[0], r[1]) for r in rows] == [(s.team_id, s.submission_id) for s in expected]
    assert [r[2] for r in rows] == list(range(1, len(expected) + 1))
    assert [(r[3], r[4]) for r in rows] == [(s.mean_score, s.median_score) for s in expected]


async def test_an_evaluation_and_its_submissions_approval_in_two_partitions_both_count(
    read_pool: AsyncConnectionPool[AsyncConnection], clean_db: None
) -> None:
    """The evaluation's transaction cannot see the submission yet (uncommitted), and the
    approval's recomputation cannot see the evaluation (uncommitted): the standings must
    still count the evaluation, whichever commits first."""
    event_id, team_id, submission_id = uuid4(), uuid4(), uuid4()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with read_pool.connection() as approval, read_pool.connection() as evaluation:
        await evaluation.execute("BEGIN")
        await evaluation.execute(INSERT_EVALUATION, (uuid4(), submission_id, uuid4(), 70, at, at))
        await approval.execute("BEGIN")
        await approval.execute(
            INSERT_SUBMISSION, (submission_id, team_id, event_id, "APPROVED", at, at)
        )
        assert await recompute_standings(
            approval, [RecomputeLeaderboard(submission_id=submission_id)], 2
        ) == [event_id]
        # The evaluation's recomputation waits for the approval's transaction to end.
        late = asyncio.create_task(
            recompute_standings(evaluation, [RecomputeLeaderboard(submission_id=submission_id)], 1)
        )
        await asyncio.sleep(0.2)
        assert not late.done()
        await approval.execute("COMMIT")
        assert await late == [event_id]
        await evaluation.execute("COMMIT")
        standings = await read_standings(evaluation, event_id)

    assert standings is not None
    assert [(s.team_id, s.mean_score, s.evaluations) for s in standings.items] == [
        (team_id, 70.0, 1)
    ]
    assert standings.as_of_position == 2


@pytest.mark.parametrize("team_first", [True, False])
async def test_a_team_created_in_another_partition_than_its_scores_is_named(
    read_pool: AsyncConnectionPool[AsyncConnection], clean_db: None, team_first: bool
) -> None:
    """The team's row and its scored submission are written by two partitions at once: the
    standings show the team's name whichever of the two recomputes them first."""
    event_id, team_id, submission_id = uuid4(), uuid4(), uuid4()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with read_pool.connection() as team, read_pool.connection() as scoring:
        await team.execute("BEGIN")
        await team.execute(
            "INSERT INTO team (team_id, name, captain_id, created_at, updated_at)"
            " VALUES (%s, 'Rocketeers', %s, %s, %s)",
            (team_id, uuid4(), at, at),
        )
        await scoring.execute("BEGIN")
        await scoring.execute(
            INSERT_SUBMISSION, (submission_id, team_id, event_id, "APPROVED", at, at)
        )
        await scoring.execute(INSERT_EVALUATION, (uuid4(), submission_id, uuid4(), 70, at, at))
        first, second = (team, scoring) if team_first else (scoring, team)
        recomputes = {
            team: [RecomputeLeaderboard(team_id=team_id)],
            scoring: [RecomputeLeaderboard(submission_id=submission_id)],
        }
        await recompute_standings(first, recomputes[first], 1)
        late = asyncio.create_task(recompute_standings(second, recomputes[second], 2))
        await asyncio.sleep(0.2)
        assert not late.done()  # waits for the first transaction to end
        await first.execute("COMMIT")
        assert await late == [event_id]
        await second.execute("COMMIT")
        standings = await read_standings(second, event_id)

    assert standings is not None
    assert [(s.team_id, s.team_name) for s in standings.items] == [(team_id, "Rocketeers")]
