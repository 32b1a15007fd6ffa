"""Plain async handlers: load the aggregates, decide, append. One module per aggregate."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar
from uuid import UUID

import msgspec

from commands.ports import CommandContext, Services
from commands.repository import Aggregate
from events.base import Event
from eventstore.errors import ConcurrencyConflict

T = TypeVar("T")
S = TypeVar("S")
P = ParamSpec("P")

CONFLICT_RETRIES = 3


class Outcome(msgspec.Struct, frozen=True):
    """What an accepted command answers: the last position it appended, and the new id."""

    position: int
    id: UUID | None = None


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]]) -> T:
    """Re-run a whole load-decide-append when another writer got there first.

    The decision is re-made on the new state, so a retry never overwrites anyone; after a
    few losses the conflict goes to the caller (HTTP 409)."""
    for _ in range(CONFLICT_RETRIES - 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            continue
    return await attempt()


def retrying(handler: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Make a load-decide-append handler retry itself on a concurrency conflict."""

    @functools.wraps(handler)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await retry_on_conflict(lambda: handler(*args, **kwargs))

    return run


async def on_one_stream(
    services: Services,
    ctx: CommandContext,
    aggregate: Aggregate[S],
    entity_id: UUID,
    decide: Callable[[S], list[Event]],
    *,
    new: bool = False,
) -> Outcome:
    """The common shape of a command on one aggregate: load, decide, append.

    ``new``: the command creates the aggregate under an id the server has just made (a
    uuid4), so there is nothing to load: it is decided on the initial state. Should the id
    exist after all, the append at version 0 is a concurrency conflict (HTTP 409)."""
    loaded = (
        aggregate.fresh(entity_id) if new else await services.repository.load(aggregate, entity_id)
    )
    result = await services.repository.save([loaded.append(decide(loaded.state))], ctx.metadata())
    return Outcome(result.last_position, entity_id)
