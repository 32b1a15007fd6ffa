"""The `kazrockets` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import msgspec

from commands.users import ACCOUNT_ROLES
from eventstore.migrate import migrate
from eventstore.pool import open_pool
from eventstore.verify import verify
from workers import audit_cli, fanout, lifecycle
from workers.accounts import create_user
from workers.apps import MIGRATED_PACKAGES
from workers.dlq import run_dlq
from workers.logs import setup_logging
from workers.sealer import run_sealer
from workers.serve import serve
from workers.settings import Settings, load_settings, safe_view
from workers.status import lags
from workers.supervisor import supervise
from workers.task_processes import WORKERS, run_worker

log = logging.getLogger("kazrockets")

# What `kazrockets run` starts, each as its own child process.
PLATFORM_PROCESSES: tuple[tuple[str, ...], ...] = (
    ("write-api",),
    ("read-api",),
    ("sealer",),
    ("relay",),
    ("projector", "tables"),
    ("projector", "redis"),
    *(("worker", name) for name in WORKERS),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kazrockets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="migrate, then run every process of the platform")
    sub.add_parser("migrate", help="create or upgrade the database schema")
    sub.add_parser("sealer", help="seal the global log periodically (one process)")
    sub.add_parser("write-api", help="serve the write API (KAZROCKETS_WRITE_API_HOST/PORT)")
    sub.add_parser("read-api", help="serve the read API (KAZROCKETS_READ_API_HOST/PORT)")
    sub.add_parser(
        "relay", help="publish committed events to RabbitMQ (one active, others stand by)"
    )
    projector = sub.add_parser("projector", help="keep the read tables current")
    projector.add_argument("name", nargs="?", default="all", choices=["all", "tables", "redis"])
    worker = sub.add_parser("worker", help="run one task worker")
    worker.add_argument("name", choices=WORKERS)
    dlq = sub.add_parser("dlq", help="dead-letter queues: list them, or replay one")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("name", nargs="?", help="the queue to replay (without .dead)")
    sub.add_parser("status", help="how far behind the relay and each projection are")
    replay = sub.add_parser("replay", help="rebuild the read tables from the event store")
    replay.add_argument("--projection", default="tables", choices=["tables"])
    create = sub.add_parser("create-user", help="create an account of any role")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in ACCOUNT_ROLES])
    audit = sub.add_parser("audit", help="audit the event history")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_cli.add_parsers(audit_sub)
    return parser


def _migrate(settings: Settings) -> int:
    applied = migrate(settings.database_url, MIGRATED_PACKAGES)
    log.info("schema up to date", extra={"applied": [f"{m.package}/{m.version}" for m in applied]})
    return 0


async def _audit_verify(settings: Settings) -> int:
    pool = await open_pool(settings.database_url, min_size=1, max_size=1, name="audit")
    try:
        report = await verify(pool)
    finally:
        await pool.close()
    sys.stdout.write(msgspec.json.encode(report).decode() + "\n")
    if not report.ok:
        sys.stderr.write(f"hash chain broken at position {report.first_bad_position}\n")
    return 0 if report.ok else 1


async def _status(settings: Settings) -> int:
    pool = await open_pool(settings.database_url, min_size=1, max_size=1, name="status")
    try:
        async with pool.connection() as conn:
            found = await lags(conn, settings.projector_partitions)
    finally:
        await pool.close()
    sys.stdout.write(msgspec.json.encode(found).decode() + "\n")
    return 0


def _run(settings: Settings) -> int:
    _migrate(settings)
    log.info("starting platform", extra={"settings": safe_view(settings)})
    lifecycle.run(supervise(PLATFORM_PROCESSES))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level)
    match args.command:
        case "run":
            return _run(settings)
        case "migrate":
            return _migrate(settings)
        case "sealer":
            lifecycle.run(run_sealer(settings))
            return 0
        case "write-api":
            return serve(
                "workers.apps:write_api_app",
                settings.write_api_host,
                settings.write_api_port,
                settings.api_workers,
            )
        case "read-api":
            return serve(
                "workers.apps:read_api_app",
                settings.read_api_host,
                settings.read_api_port,
                settings.api_workers,
            )
        case "relay":
            lifecycle.run(fanout.run_relay(settings))
            return 0
        case "projector" if args.name == "redis":
            lifecycle.run(fanout.run_views(settings))
            return 0
        case "projector" if args.name == "tables":
            lifecycle.run(fanout.run_projector(settings))
            return 0
        case "projector":
            lifecycle.run(supervise([("projector", "tables"), ("projector", "redis")]))
            return 0
        case "worker":
            lifecycle.run(run_worker(settings, args.name))
            return 0
        case "dlq":
            return lifecycle.run(
                run_dlq(
                    settings.rabbitmq_url, settings.projector_partitions, args.action, args.name
                )
            )
        case "status":
            return lifecycle.run(_status(settings))
        case "replay":
            lifecycle.run(fanout.run_replay(settings))
            return 0
        case "create-user":
            return lifecycle.run(
                create_user(settings, args.email, args.password, args.name, args.role)
            )
        case "audit" if args.audit_command == "verify" and args.file is None:
            return lifecycle.run(_audit_verify(settings))
        case "audit":
            return lifecycle.run(audit_cli.run(settings, args))
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
