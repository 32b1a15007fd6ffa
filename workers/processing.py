"""The `submission_processing` worker: checks each uploaded file and records the verdict.

On ``SubmissionUploaded`` it fetches the object from S3 and checks it (``workers.pdfcheck``:
size and SHA-256 against the event, then pypdf in a bounded child process), and issues the
SYSTEM command that appends ``SubmissionFileValidated`` or ``SubmissionFileRejected`` with the
upload as its cause. A redelivered upload finds the verdict recorded and changes nothing.
"""

from __future__ import annotations

from commands.actors import SYSTEM_ACTOR
from commands.handlers.submissions import record_file_check
from commands.ports import CommandContext, Services
from commands.submissions import FileCheck
from events.submissions import SubmissionUploaded
from eventstore.records import RecordedEvent
from workers.pdfcheck import PdfLimits, PdfRejected, check_pdf
from write_api.files import S3FileStore

MISSING = "The uploaded file could not be found in storage; upload it again."


def caused_by(recorded: RecordedEvent) -> CommandContext:
    """A worker's command: the platform acting, in answer to this event, in its request."""
    return CommandContext(
        actor=SYSTEM_ACTOR,
        correlation_id=recorded.metadata.correlation_id,
        causation_id=recorded.event_id,
    )


class SubmissionProcessor:
    def __init__(self, services: Services, files: S3FileStore, limits: PdfLimits) -> None:
        self._services = services
        self._files = files
        self._limits = limits

    async def __call__(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if not isinstance(event, SubmissionUploaded):
            return
        check = await self.check(event)
        await record_file_check(self._services, caused_by(recorded), event.submission_id, check)

    async def check(self, event: SubmissionUploaded) -> FileCheck:
        data = await self._files.get(event.file_key, event.file_size)
        if data is None:
            return FileCheck(rejection=MISSING)
        verdict = await check_pdf(
            data, expected_size=event.file_size, expected_sha256=event.sha256, limits=self._limits
        )
        if isinstance(verdict, PdfRejected):
            return FileCheck(rejection=verdict.reason)
        return FileCheck(pages=verdict.pages, pdf_version=verdict.pdf_version)
