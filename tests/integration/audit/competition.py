"""A competition run to its declared winner through the real handlers (see fanout/scenario)."""

from __future__ import annotations

from commands.ports import Services
from tests.integration.fanout.scenario import World

# Three participants in two teams, two judges, one event, two approved submissions and three
# evaluations (team 0: 70 and 90, team 1: 40), then the event closes and its winner is declared.
UNDER_WAY = [
    ("participant", 0, 0, 0), ("participant", 1, 0, 0), ("participant", 2, 0, 0),
    ("judge", 0, 0, 0), ("judge", 1, 0, 0), ("event", 0, 0, 1), ("team", 0, 0, 2),
    ("team", 1, 0, 3), ("join", 2, 0, 0), ("submit", 0, 0, 0), ("submit", 1, 0, 0),
    ("approve", 0, 0, 0), ("approve", 1, 0, 0), ("score", 0, 0, 70), ("score", 1, 1, 40),
    ("score", 1, 0, 90),
]  # fmt: skip
DECLARE = [("close", 0, 0, 0), ("winner", 0, 0, 0)]


async def under_way(services: Services, more: list[tuple[str, int, int, int]]) -> World:
    """The competition under way, then ``more`` steps (refused ones are skipped)."""
    world = World(services)
    await world.run(UNDER_WAY + more)
    assert len(world.evaluations) >= 3 and len(world.submissions) >= 2
    return world


async def declared(services: Services, more: list[tuple[str, int, int, int]]) -> World:
    """The competition with its winner declared (each of these steps must succeed)."""
    world = await under_way(services, more)
    for op, a, b, n in DECLARE:
        await world.step(op, a, b, n)
    return world
