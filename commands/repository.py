"""Loading aggregates by folding their streams, and appending what a command decided."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from commands import competitions, evaluations, notifications, submissions, teams, users
from events.base import Event, EventMetadata
from eventstore.records import AppendResult, NewEvent, StreamAppend, UniqueClaim, stream_id_for
from eventstore.store import EventStore

S = TypeVar("S")


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    kind: str
    initial: S
    evolve: Callable[[S, Event], S]

    def stream_id(self, entity_id: UUID) -> str:
        return stream_id_for(self.kind, entity_id)

    def fold(self, events: Sequence[Event], state: S | None = None) -> S:
        current = self.initial if state is None else state
        for event in events:
            current = self.evolve(current, event)
        return current

    def fresh(self, entity_id: UUID) -> Loaded[S]:
        """A stream not written yet, under an id just made: nothing to load. Should it exist
        after all, the append at version 0 is a concurrency conflict."""
        return Loaded(self.stream_id(entity_id), 0, self.initial)


USERS = Aggregate("user", users.UserState(), users.evolve)
TEAMS = Aggregate("team", teams.TeamState(), teams.evolve)
EVENTS = Aggregate("event", competitions.CompetitionState(), competitions.evolve)
SUBMISSIONS = Aggregate("submission", submissions.SubmissionState(), submissions.evolve)
EVALUATIONS = Aggregate("evaluation", evaluations.EvaluationState(), evaluations.evolve)
NOTIFICATIONS = Aggregate("notification", notifications.NotificationState(), notifications.evolve)


@dataclass(frozen=True)
class Loaded(Generic[S]):
    stream_id: str
    version: int
    state: S

    def append(self, events: Sequence[Event]) -> StreamAppend:
        return StreamAppend(self.stream_id, self.version, [NewEvent(e) for e in events])


class Repository:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load(self, aggregate: Aggregate[S], entity_id: UUID) -> Loaded[S]:
        stream_id = aggregate.stream_id(entity_id)
        recorded = await self.store.read_stream(stream_id)
        state = aggregate.fold([r.event for r in recorded])
        return Loaded(stream_id, recorded[-1].version if recorded else 0, state)

    async def save(
        self,
        appends: Sequence[StreamAppend],
        metadata: EventMetadata,
        *,
        claims: Sequence[UniqueClaim] = (),
        releases: Sequence[UniqueClaim] = (),
    ) -> AppendResult:
        non_empty = [a for a in appends if a.events]
        return await self.store.append_streams(
            non_empty, metadata, claims=claims, releases=releases
        )
