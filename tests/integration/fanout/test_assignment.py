"""The evaluation_assignment worker: K judges per validated submission, least open work
first, never a conflicted judge, and nothing more on redelivery."""

from __future__ import annotations

from commands.actors import SYSTEM_ACTOR
from commands.handlers import submissions, users
from commands.ports import new_context
from commands.submissions import FileCheck
from events.submissions import JudgeAssigned, SubmissionFileValidated
from tests.integration.fanout.conftest import Fanout
from tests.integration.fanout.scenario import World
from workers.assignment import JudgeAssigner


async def test_validated_submissions_get_the_least_busy_judges_without_conflicts(
    fanout: Fanout,
) -> None:
    world = World(fanout.services)
    await world.run(
        [("participant", 0, 0, 0), ("event", 0, 0, 1), ("team", 0, 0, 2)]
        + [("judge", 0, 0, 0)] * 5
        + [("submit", 0, 0, 0), ("submit", 0, 0, 0)]
    )  # fmt: skip
    conflicted = world.judges[0]
    await users.declare_conflict(
        fanout.services, new_context(conflicted), world.teams[0], "my nephew is in it"
    )
    await fanout.caught_up()
    assigner = JudgeAssigner(fanout.services, fanout.pool, judges=3)

    assigned: list[set[object]] = []
    for submission_id in world.submissions:
        check = FileCheck(pages=1, pdf_version="1.4")
        await submissions.record_file_check(
            fanout.services, new_context(SYSTEM_ACTOR), submission_id, check
        )
        [validated] = [
            e for e in await fanout.store.read_stream(f"submission-{submission_id}")
            if isinstance(e.event, SubmissionFileValidated)
        ]  # fmt: skip
        await assigner(validated)
        await assigner(validated)  # redelivered: nothing more
        await fanout.caught_up()
        events = await fanout.store.read_stream(f"submission-{submission_id}")
        judges = [e.event.judge_id for e in events if isinstance(e.event, JudgeAssigned)]
        assert len(judges) == len(set(judges)) == 3
        assert conflicted.user_id not in judges
        assert all(e.metadata.causation_id == validated.event_id
                   for e in events if isinstance(e.event, JudgeAssigned))  # fmt: skip
        assigned.append(set(judges))

    # Four judges without a conflict: the second submission goes first to the one left idle.
    free = {j.user_id for j in world.judges[1:]}
    [idle] = free - assigned[0]
    assert idle in assigned[1]
