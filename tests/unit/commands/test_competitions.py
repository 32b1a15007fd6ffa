"""The competitive event aggregate's rules: organizers only, valid dates, frozen after a winner."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from commands import competitions
from commands.actors import Actor, Role
from commands.competitions import CompetitionState
from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.repository import EVENTS
from events.competitions import CompetitiveEventChanged, CompetitiveEventDeleted
from tests.unit.commands.builders import (
    DAY,
    EVENT,
    NOW,
    TEAM,
    actor,
    competition,
    uid,
    winner_declared,
)

ORGANIZER = actor(9, Role.ORGANIZER)


def create(
    start: datetime = NOW, end: datetime = NOW + DAY, who: Actor = ORGANIZER
) -> CompetitionState:
    return EVENTS.fold(
        competitions.decide_create(CompetitionState(), who, EVENT, " Rocket Cup ", start, end)
    )


def test_organizer_creates_a_competitive_event() -> None:
    state = create()
    assert state.active and state.title == "Rocket Cup"
    assert (state.start_date, state.end_date) == (NOW, NOW + DAY)


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.JUDGE, Role.AUDITOR, Role.SYSTEM])
def test_only_an_organizer_creates_an_event(role: Role) -> None:
    with pytest.raises(Forbidden):
        create(who=actor(1, role))


@pytest.mark.parametrize("end", [NOW, NOW - timedelta(seconds=1)])
def test_end_date_must_be_after_start_date(end: datetime) -> None:
    with pytest.raises(Invalid) as refused:
        create(NOW, end)
    assert refused.value.field == "end_date"


def test_dates_need_a_timezone() -> None:
    naive = datetime(2025, 3, 1, 12, 0)
    with pytest.raises(Invalid, match="timezone"):
        create(naive, naive + DAY)
    with pytest.raises(Invalid, match="timezone"):
        create(NOW, naive + 2 * DAY)


def test_dates_in_any_timezone_compare_as_instants() -> None:
    almaty = timezone(timedelta(hours=5))
    # 16:00 in Almaty is 11:00 UTC: before NOW, so the event is valid.
    state = create(NOW.astimezone(almaty) - timedelta(hours=1), NOW + DAY)
    assert state.is_open(NOW)


@pytest.mark.parametrize("title", ["", "  ", "t" * 301])
def test_title_has_1_to_300_characters(title: str) -> None:
    with pytest.raises(Invalid):
        competitions.decide_create(CompetitionState(), ORGANIZER, EVENT, title, NOW, NOW + DAY)


def test_creating_an_existing_event_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        competitions.decide_create(competition(), ORGANIZER, EVENT, "Again", NOW, NOW + DAY)


def test_organizer_changes_title_and_dates() -> None:
    decided = competitions.decide_change(competition(), ORGANIZER, "Cup 2", None, NOW + 2 * DAY)
    assert decided == [
        CompetitiveEventChanged(title="Cup 2", start_date=NOW - DAY, end_date=NOW + 2 * DAY)
    ]
    assert EVENTS.fold(decided, competition()).end_date == NOW + 2 * DAY


def test_only_an_organizer_changes_an_event() -> None:
    with pytest.raises(Forbidden):
        competitions.decide_change(competition(), actor(1, Role.PARTICIPANT), "Mine", None, None)


def test_change_keeps_end_after_start() -> None:
    with pytest.raises(Invalid):
        competitions.decide_change(competition(), ORGANIZER, None, NOW + 2 * DAY, None)


def test_change_needs_something_to_change() -> None:
    with pytest.raises(Invalid):
        competitions.decide_change(competition(), ORGANIZER, None, None, None)


def test_event_cannot_change_after_a_winner_is_declared() -> None:
    decided = competition(NOW - 2 * DAY, NOW - DAY, winner_declared(TEAM))
    with pytest.raises(Conflict, match="winner"):
        competitions.decide_change(decided, ORGANIZER, "Renamed", None, None)


def test_organizer_soft_deletes_an_event() -> None:
    decided = competitions.decide_delete(competition(), ORGANIZER, "cancelled")
    assert decided == [CompetitiveEventDeleted(deleted_by=ORGANIZER.user_id, reason="cancelled")]
    state = EVENTS.fold(decided, competition())
    assert state.exists and state.deleted and not state.active
    assert state.title == "Rocket Cup"  # the history stays


def test_only_an_organizer_deletes_an_event() -> None:
    with pytest.raises(Forbidden):
        competitions.decide_delete(competition(), actor(5, Role.JUDGE), "mine now")


def test_deleted_event_is_not_found() -> None:
    gone = EVENTS.fold([CompetitiveEventDeleted(deleted_by=uid(9), reason="x")], competition())
    with pytest.raises(NotFound):
        competitions.decide_change(gone, ORGANIZER, "Back", None, None)
    with pytest.raises(NotFound):
        competitions.decide_delete(gone, ORGANIZER, "twice")
