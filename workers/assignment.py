"""The `evaluation_assignment` worker: gives each validated submission its judges.

On ``SubmissionFileValidated`` it reads the judges, their open work and their conflicts
from the read tables, picks with ``commands.assignment.choose`` and issues one SYSTEM
``assign_judge`` command per judge (``JudgeAssigned`` events, caused by the validation).
The command re-checks every rule against the event store, so a judge assigned or conflicted
in the meantime is skipped and the next one taken; a redelivery finds the judges assigned.
"""

from __future__ import annotations

import logging
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.assignment import choose
from commands.errors import Conflict, Invalid
from commands.handlers.submissions import assign_judge
from commands.ports import Services
from commands.repository import SUBMISSIONS
from events.submissions import SubmissionFileValidated
from eventstore.records import RecordedEvent
from workers.processing import caused_by

log = logging.getLogger(__name__)

# Each live judge's open work: assignments to live submissions they have not scored.
OPEN_LOAD = """
SELECT u.user_id, count(s.submission_id) FILTER (WHERE e.evaluation_id IS NULL)
FROM read.app_user u
LEFT JOIN read.judge_assignment a ON a.judge_id = u.user_id
LEFT JOIN read.submission s ON s.submission_id = a.submission_id AND s.deleted_at IS NULL
LEFT JOIN read.evaluation e ON e.submission_id = a.submission_id AND e.judge_id = u.user_id
                           AND e.deleted_at IS NULL
WHERE u.role = 'JUDGE' AND u.deleted_at IS NULL
GROUP BY u.user_id
"""
CONFLICTED = "SELECT judge_id FROM read.judge_conflict WHERE team_id = %s"


class JudgeAssigner:
    def __init__(
        self, services: Services, pool: AsyncConnectionPool[AsyncConnection], judges: int
    ) -> None:
        self._services = services
        self._pool = pool
        self._judges = judges

    async def __call__(self, recorded: RecordedEvent) -> None:
        if not isinstance(recorded.event, SubmissionFileValidated):
            return
        submission_id = UUID(recorded.stream_id.removeprefix("submission-"))
        submission = (await self._services.repository.load(SUBMISSIONS, submission_id)).state
        if not submission.active or submission.team_id is None:
            return
        async with self._pool.connection() as conn:
            load = {row[0]: int(row[1]) for row in await (await conn.execute(OPEN_LOAD)).fetchall()}
            rows = await (await conn.execute(CONFLICTED, (submission.team_id,))).fetchall()
        everyone = len(load) + len(submission.judges)  # a full ranking, to skip past refusals
        ranked = choose(load, [row[0] for row in rows], submission.judges, everyone)
        wanted = max(0, self._judges - len(submission.judges))
        for judge_id in ranked:
            if wanted == 0:
                return
            try:
                await assign_judge(self._services, caused_by(recorded), submission_id, judge_id)
                wanted -= 1
            except (Conflict, Invalid) as skipped:  # assigned or conflicted since, or deleted
                log.info("judge skipped", extra={"judge_id": str(judge_id), "why": str(skipped)})
