"""Which judges a validated submission gets: a pure, deterministic rule.

The K judges with the least open work (assigned, not yet scored), ties broken by id, never
one with a declared conflict with the team, never one already assigned; judges already
assigned count toward K. A judge account created today has no open work, so it takes the
next submissions first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID


def choose(
    open_load: Mapping[UUID, int],
    conflicted: Iterable[UUID],
    assigned: Iterable[UUID],
    k: int,
) -> list[UUID]:
    """The judges to assign now, in assignment order."""
    taken = set(assigned)
    excluded = taken | set(conflicted)
    candidates = sorted((load, str(judge), judge) for judge, load in open_load.items())
    wanted = max(0, k - len(taken))
    return [judge for _, _, judge in candidates if judge not in excluded][:wanted]
