"""`kazrockets audit export`, `audit verify --file` and `audit verify-results`.

Two exports exist on purpose. This one is for proof: the rows exactly as stored (personal
data still sealed, ``pd1.…``), which anyone can verify offline with ``audit verify --file``.
``GET /audit/export`` on the read API is for reading: personal data opened (``[erased]`` once
erased), password hashes withheld, so its lines no longer match their hashes.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import msgspec
from psycopg import AsyncConnection
from tqdm import tqdm

from eventstore.export import ExportEnd, ExportHeader, ExportWriter, verify_lines
from eventstore.pool import open_pool
from eventstore.store import SAFE_HEAD_POSITION
from read_api.audit import History, read_history
from workers.audit_results import NoResult, check_results
from workers.settings import Settings

BATCH = 5000
COUNT = """
SELECT count(*) FROM eventstore.events
WHERE global_position > %(after)s AND global_position <= %(up_to)s
  AND (%(stream)s::text IS NULL OR stream_id = %(stream)s)
"""
EXPORT_HELP = (
    "write the events exactly as stored, for proof, to an NDJSON file that `audit verify "
    "--file` checks offline (progress on stderr). Personal data stays encrypted; password "
    "hashes are kept as stored, since the chain covers them: keep the file private. "
    "GET /audit/export is the readable form (personal data opened, secrets withheld), "
    "which cannot be verified"
)


def add_parsers(audit: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The audit actions, next to the code that runs them."""
    verify = audit.add_parser(
        "verify",
        help="check the hash chains (or, with --file, an export offline); exit 1 if broken",
    )
    verify.add_argument(
        "--file", type=Path, metavar="FILE", help="a file of `audit export`: no database used"
    )
    export = audit.add_parser("export", help=EXPORT_HELP, description=EXPORT_HELP)
    export.add_argument("--stream", metavar="S", help="only this stream, e.g. submission-<uuid>")
    export.add_argument(
        "--from", dest="from_position", type=int, metavar="P", help="first position"
    )
    export.add_argument("--to", dest="to_position", type=int, metavar="P", help="last position")
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write")
    results = audit.add_parser(
        "verify-results",
        help="recompute a declared winner from the raw events; exit 1 if it differs, 2 if none",
    )
    results.add_argument("event_id", type=UUID, metavar="EVENT_ID")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    match args.audit_command:
        case "verify":
            return verify_file(args.file)
        case "export":
            return await export(
                settings, args.stream, args.from_position, args.to_position, args.out
            )
        case "verify-results":
            return await verify_results(settings, args.event_id)
    raise AssertionError(f"unhandled audit action {args.audit_command}")


def _print(report: msgspec.Struct) -> None:
    sys.stdout.write(msgspec.json.encode(report).decode() + "\n")


async def export(
    settings: Settings, stream: str | None, first: int | None, last: int | None, out: Path
) -> int:
    pool = await open_pool(settings.database_url, min_size=1, max_size=1, name="audit")
    try:
        async with pool.connection() as conn:
            end = await write_export(conn, stream, first, last, out)
    finally:
        await pool.close()
    sys.stdout.write(msgspec.json.encode({"out": str(out), "end": end}).decode() + "\n")
    return 0


async def write_export(
    conn: AsyncConnection, stream: str | None, first: int | None, last: int | None, out: Path
) -> ExportEnd:
    """Export up to the safe head (no event can still commit inside the range), in batches;
    the file appears under its name only once complete."""
    head = await (await conn.execute(SAFE_HEAD_POSITION)).fetchone()
    up_to = min(int(head[0]) if head else 0, last if last is not None else 2**63 - 1)
    after = first - 1 if first is not None else 0
    params = {"after": after, "up_to": up_to, "stream": stream}
    total = await (await conn.execute(COUNT, params)).fetchone()
    history = History(after=after, up_to=up_to, stream=stream, safe=False, limit=BATCH)
    header = ExportHeader(
        stream=stream, from_position=first, to_position=up_to, exported_at=datetime.now(UTC)
    )
    partial = out.with_name(out.name + ".partial")
    progress = tqdm(total=total[0] if total else None, unit="ev", file=sys.stderr)
    with progress, partial.open("wb") as file:
        writer = ExportWriter(file, header)
        while raws := await read_history(conn, history):
            writer.write(raws)
            progress.update(len(raws))
            history = msgspec.structs.replace(history, after=raws[-1].global_position)
        end = writer.close()
    partial.replace(out)
    return end


def verify_file(path: Path) -> int:
    """Verify an export without a database; the report as `audit verify` prints one."""
    try:
        with path.open("rb") as file:
            report = verify_lines(file)
    except OSError as error:
        sys.stderr.write(f"cannot read {path}: {error.strerror}\n")
        return 2
    _print(report)
    if not report.ok:
        sys.stderr.write(f"export broken at position {report.first_bad_position}\n")
    return 0 if report.ok else 1


async def verify_results(settings: Settings, event_id: UUID) -> int:
    pool = await open_pool(settings.database_url, min_size=1, max_size=1, name="audit")
    try:
        async with pool.connection() as conn:
            report = await check_results(conn, event_id)
    except NoResult as missing:
        sys.stderr.write(f"{missing}\n")
        return 2
    finally:
        await pool.close()
    _print(report)
    if not report.ok:
        lines = "".join(f"  - {difference}\n" for difference in report.differences)
        sys.stderr.write(f"the results of event {event_id} do not verify:\n{lines}")
    return 0 if report.ok else 1
