"""`kazrockets audit verify-results`: a declared winner recomputed from the raw events.

The write side declared the winner from the submissions' states (``declare_winner`` in
commands/handlers/competitions.py). Here the same decision, ``decide_declare_winner`` with the
winner rule of commands/ranking.py, runs again on the events as they stood at the
declaration's position: the event's SubmissionReceived list, each submission's stream
(approvals, rejections, deletions) and each score from its evaluation's own stream. Its
standings, digest and winner are compared with what WinnerDeclared recorded; differences name
the team, submission and evaluation concerned. The hash chains are not checked here (that is
``kazrockets audit verify``): a score edited in place breaks both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import msgspec
from psycopg import AsyncConnection

from commands import competitions, ranking
from commands.actors import Actor, Role
from commands.competitions import CompetitionState
from commands.errors import DomainError
from commands.evaluations import EvaluationState
from commands.repository import EVALUATIONS, EVENTS, SUBMISSIONS
from commands.submissions import SubmissionState
from events.base import Event
from events.competitions import TeamStanding, WinnerDeclared
from events.submissions import EvaluationRecorded
from eventstore.records import RawEvent
from read_api.audit import CODEC, AsOf, streams_as_of

Scores = dict[UUID, dict[UUID, int]]  # submission id -> evaluation id -> score


class NoResult(Exception):
    """No such competitive event, or no winner declared: nothing to verify."""


class ResultsReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    event_id: UUID
    declared_at_position: int
    method: str
    recorded_winner_team_id: UUID
    recomputed_winner_team_id: UUID | None
    recorded_digest: str
    recomputed_digest: str | None
    differences: list[str]


def _decode(raws: Sequence[RawEvent], differences: list[str]) -> list[Event]:
    """The events that still decode; each one that does not is a difference."""
    events = []
    for raw in raws:
        try:
            events.append(CODEC.decode(raw.type, raw.schema_version, raw.data))
        except (msgspec.DecodeError, LookupError) as error:  # edited or unknown
            differences.append(
                f"{raw.stream_id} v{raw.version} (position {raw.global_position}) "
                f"cannot be read: {error}"
            )
    return events


async def _declaration(
    conn: AsyncConnection, event_id: UUID, differences: list[str]
) -> tuple[RawEvent, WinnerDeclared, CompetitionState]:
    """The WinnerDeclared row, its event, and the competition's state just before it."""
    stream = EVENTS.stream_id(event_id)
    raws = (await streams_as_of(conn, [stream], AsOf())).get(stream)
    if not raws:
        raise NoResult(f"there is no competitive event {event_id}")
    before: list[Event] = []
    for raw in raws:
        events = _decode([raw], differences)
        if events and isinstance(events[0], WinnerDeclared):
            return raw, events[0], EVENTS.fold(before)
        before += events
    raise NoResult(f"no winner is declared for competitive event {event_id}: nothing to verify")


async def _inputs(
    conn: AsyncConnection, competition: CompetitionState, position: int, differences: list[str]
) -> tuple[list[SubmissionState], dict[UUID, EvaluationState]]:
    """The submissions and every evaluation they ever mirrored, as of ``position``."""
    as_of = AsOf(position=position)
    wanted = [SUBMISSIONS.stream_id(s) for s in competition.submissions]
    found = await streams_as_of(conn, wanted, as_of)
    events = [_decode(found.get(stream, []), differences) for stream in wanted]
    mirrored = {e.evaluation_id for es in events for e in es if isinstance(e, EvaluationRecorded)}
    evaluation_ids = sorted(mirrored, key=str)
    streams = [EVALUATIONS.stream_id(e) for e in evaluation_ids]
    history = await streams_as_of(conn, streams, as_of)
    evaluations = {
        e: EVALUATIONS.fold(_decode(history.get(s, []), differences))
        for e, s in zip(evaluation_ids, streams, strict=True)
    }
    return [SUBMISSIONS.fold(es) for es in events], evaluations


def _own_scores(evaluations: dict[UUID, EvaluationState]) -> Scores:
    scores: Scores = {}
    for evaluation_id, state in evaluations.items():
        if state.active and state.submission_id is not None:
            scores.setdefault(state.submission_id, {})[evaluation_id] = state.score
    return scores


def _rescored(
    submissions: list[SubmissionState], scores: Scores, differences: list[str]
) -> list[SubmissionState]:
    """Each submission with its scores from the evaluation streams, each disagreement with the
    submission's own copy of them named."""
    rescored = []
    for submission in submissions:
        own = scores.get(submission.submission_id, {}) if submission.submission_id else {}
        for evaluation_id in sorted(own.keys() | submission.scores.keys(), key=str):
            theirs, copy = own.get(evaluation_id), submission.scores.get(evaluation_id)
            if theirs != copy:
                differences.append(
                    f"evaluation {evaluation_id} of submission {submission.submission_id}: "
                    f"its own stream gives {_shown(theirs)}, its copy in the submission stream "
                    f"{_shown(copy)}"
                )
        rescored.append(msgspec.structs.replace(submission, scores=own))
    return rescored


def _shown(score: int | None) -> str:
    return "no score" if score is None else f"score {score}"


def _redecide(
    competition: CompetitionState,
    submissions: list[SubmissionState],
    declared: WinnerDeclared,
    at: datetime,
    differences: list[str],
) -> WinnerDeclared | None:
    """The write side's decision again, by the same organizer at the same moment."""
    override = declared.winner_team_id if declared.method == "override" else None
    organizer = Actor(declared.decided_by, Role.ORGANIZER)
    try:
        decided = competitions.decide_declare_winner(
            competition, submissions, organizer, at, override
        )
    except DomainError as refused:
        differences.append(f"from these events the winner would not be declared: {refused}")
        return None
    again = decided[0]
    assert isinstance(again, WinnerDeclared)
    return again


def _named(entry: TeamStanding, recorded: TeamStanding, scores: Scores) -> str:
    """The evaluations whose scores the recorded entry does not hold."""
    extra = Counter(entry.scores) - Counter(recorded.scores)
    own = scores.get(entry.submission_id, {})
    names = [f"evaluation {e} gives {v}" for e, v in sorted(own.items()) if v in extra]
    return f" ({', '.join(names)})" if names else ""


def _team_differences(
    recorded: TeamStanding, rank: int, entry: TeamStanding, again: int, scores: Scores
) -> list[str]:
    team, found = recorded.team_id, []
    if entry.submission_id != recorded.submission_id:
        found.append(
            f"team {team}: recorded with submission {recorded.submission_id}, "
            f"recomputed with {entry.submission_id}"
        )
    elif entry.scores != recorded.scores:
        found.append(
            f"team {team}, submission {entry.submission_id}: recorded scores "
            f"{recorded.scores}, recomputed {entry.scores}{_named(entry, recorded, scores)}"
        )
    elif entry != recorded:
        found.append(f"team {team}: the recorded entry {recorded} is recomputed as {entry}")
    if rank != again:
        found.append(f"team {team}: recorded at rank {rank}, recomputed at rank {again}")
    return found


def _standings_differences(
    recorded: list[TeamStanding], again: list[TeamStanding], scores: Scores
) -> list[str]:
    before = {e.team_id: (rank, e) for rank, e in enumerate(recorded, start=1)}
    after = {e.team_id: (rank, e) for rank, e in enumerate(again, start=1)}
    found = [f"team {t}: in the recorded standings, not recomputed" for t in before.keys() - after]
    found += [f"team {t}: recomputed, not in the recorded standings" for t in after.keys() - before]
    for team, (rank, entry) in before.items():
        if team in after:
            found += _team_differences(entry, rank, after[team][1], after[team][0], scores)
    return found


def _compare(recorded: WinnerDeclared, again: WinnerDeclared | None, scores: Scores) -> list[str]:
    found = []
    if ranking.leaderboard_digest(recorded.standings) != recorded.leaderboard_digest:
        found.append("the recorded digest is not the digest of the recorded standings")
    if again is None:
        return found
    found += _standings_differences(recorded.standings, again.standings, scores)
    if again.leaderboard_digest != recorded.leaderboard_digest:
        found.append(
            f"leaderboard digest: recorded {recorded.leaderboard_digest}, "
            f"recomputed {again.leaderboard_digest}"
        )
    if again.winner_team_id != recorded.winner_team_id:
        found.append(
            f"winner: recorded team {recorded.winner_team_id}, "
            f"recomputed team {again.winner_team_id}"
        )
    return found


async def check_results(conn: AsyncConnection, event_id: UUID) -> ResultsReport:
    """Recompute the declared result of ``event_id``; NoResult when there is none."""
    differences: list[str] = []
    raw, declared, competition = await _declaration(conn, event_id, differences)
    submissions, evaluations = await _inputs(conn, competition, raw.global_position, differences)
    scores = _own_scores(evaluations)
    rescored = _rescored(submissions, scores, differences)
    again = _redecide(competition, rescored, declared, raw.recorded_at, differences)
    differences += _compare(declared, again, scores)
    return ResultsReport(
        ok=not differences, event_id=event_id, declared_at_position=raw.global_position,
        method=declared.method, recorded_winner_team_id=declared.winner_team_id,
        recomputed_winner_team_id=again.winner_team_id if again else None,
        recorded_digest=declared.leaderboard_digest,
        recomputed_digest=again.leaderboard_digest if again else None, differences=differences,
    )  # fmt: skip
