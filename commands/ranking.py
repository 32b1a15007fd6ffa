"""The winner rule, in one place: the write side declares with it, the leaderboard ranks with it.

Among teams with an APPROVED, non-deleted, scored submission: highest mean score first, then
higher median, then more evaluations, then the earlier submission.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import msgspec

from events.competitions import TeamStanding


def standing(
    team_id: UUID, submission_id: UUID, submitted_at: datetime, scores: Iterable[int]
) -> TeamStanding:
    values = sorted(scores)
    return TeamStanding(
        team_id=team_id,
        submission_id=submission_id,
        submitted_at=submitted_at,
        scores=values,
        mean_score=round(statistics.fmean(values), 6),
        median_score=float(statistics.median(values)),
    )


def rank_key(entry: TeamStanding) -> tuple[float, float, int, datetime, str]:
    return (
        -entry.mean_score,
        -entry.median_score,
        -len(entry.scores),
        entry.submitted_at,
        str(entry.submission_id),
    )


def rank(standings: Iterable[TeamStanding]) -> list[TeamStanding]:
    """Best first; a team with several qualifying submissions keeps its best one."""
    best: dict[UUID, TeamStanding] = {}
    for entry in sorted(standings, key=rank_key):
        best.setdefault(entry.team_id, entry)
    return sorted(best.values(), key=rank_key)


def leaderboard_digest(ranked: list[TeamStanding]) -> str:
    """A digest of the final ordering and its inputs, recorded with the winner."""
    return hashlib.sha256(msgspec.json.encode(ranked)).hexdigest()
