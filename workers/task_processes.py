"""Entry points of the task workers: `kazrockets worker NAME`."""

from __future__ import annotations

import asyncio

from eventstore.pool import open_pool
from workers import topology
from workers.assignment import JudgeAssigner
from workers.bootstrap import services_for
from workers.lifecycle import stop_event
from workers.notifications import Notifications, notifications_for
from workers.pdfcheck import PdfLimits
from workers.processing import SubmissionProcessor
from workers.settings import Settings
from workers.tasks import Handler, TaskWorker, run_task_worker
from write_api.files import S3FileStore

WORKERS = tuple(queue.name for queue in topology.TASK_QUEUES)


async def run_worker(settings: Settings, name: str) -> None:
    stopping = stop_event()
    pool = await open_pool(settings.database_url, min_size=1, max_size=4, name=name)
    try:
        files = S3FileStore.from_config(settings)
        services = services_for(settings, pool, files)
        handler: Handler
        match name:
            case "submission_processing":  # the only worker that reads the bucket
                await asyncio.to_thread(files.ensure_bucket)
                limits = PdfLimits(
                    max_pages=settings.pdf_max_pages, seconds=settings.pdf_check_seconds
                )
                handler = SubmissionProcessor(services, files, limits)
            case "evaluation_assignment":
                handler = JudgeAssigner(services, pool, settings.judges_per_submission)
            case "notifications":
                handler = notifications_for(settings, services, pool)
            case _:
                raise ValueError(f"no worker named {name}")
        worker = TaskWorker(name, services.repository.store, handler)
        timers = []
        if isinstance(handler, Notifications):  # deadline reminders, on a timer
            timers.append(handler.run_reminders(stopping, settings.reminder_interval_seconds))
        await asyncio.gather(run_task_worker(worker, settings.rabbitmq_url, stopping), *timers)
    finally:
        await pool.close()
