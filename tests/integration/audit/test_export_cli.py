"""`kazrockets audit export` and `audit verify --file`: an export of a real history verifies
offline, and any single edit of its lines is caught and named by position."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actors import Role
from commands.handlers import users
from commands.ports import Services, new_context
from eventstore.export import verify_lines
from tests.integration.audit.competition import declared
from tests.integration.test_cli import kazrockets

MUTATIONS = ("data", "metadata", "version", "delete", "swap")
ALL_EVENTS = "SELECT global_position, stream_id, version FROM eventstore.events ORDER BY 1"


class Exported:
    def __init__(self, path: Path, rows: list[tuple[int, str, int]]) -> None:
        self.path = path
        self.rows = rows
        self.lines = path.read_bytes().splitlines(keepends=True)


async def export(database_url: str, out: Path, *options: str) -> dict[str, Any]:
    done = kazrockets(database_url, "audit", "export", *options, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr  # the progress bar
    assert not out.with_name(out.name + ".partial").exists()
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def verify_file(database_url: str, path: Path) -> tuple[int, dict[str, Any], str]:
    done = kazrockets(database_url, "audit", "verify", "--file", str(path))
    return done.returncode, json.loads(done.stdout.splitlines()[-1]), done.stderr


@pytest.fixture
async def exported(
    services: Services,
    pool: AsyncConnectionPool[AsyncConnection],
    database_url: str,
    tmp_path: Path,
) -> Exported:
    """A competition to its winner, a revised score and a renamed and erased participant."""
    await declared(services, [("revise", 0, 0, 55), ("rename", 2, 0, 7), ("erase", 2, 0, 0)])
    async with pool.connection() as conn:
        rows = await (await conn.execute(ALL_EVENTS)).fetchall()
    path = tmp_path / "all.ndjson"
    end = (await export(database_url, path))["end"]
    assert end == {"count": len(rows), "last_position": rows[-1][0]}
    return Exported(path, [(int(p), str(s), int(v)) for p, s, v in rows])


def mutate(lines: list[bytes], kind: str, pick: int, other: int, where: int) -> tuple[bytes, int]:
    """One edit of the event lines (not the header or end line); return the file and the
    position the verifier must name first."""
    events = lines[1:-1]
    index = pick % len(events)
    line = json.loads(events[index])
    position = line["global_position"]
    if kind in ("data", "metadata"):  # flip one character of the stored text
        text = line[kind]
        at = where % len(text)
        line[kind] = text[:at] + chr(ord(text[at]) ^ 1) + text[at + 1 :]
    elif kind == "version":
        line["version"] += 100
    elif kind == "delete":
        del events[index]
    elif kind == "swap":
        second = other % len(events)
        second = (index + 1) % len(events) if second == index else second
        events[index], events[second] = events[second], events[index]
        position = min(position, json.loads(events[index])["global_position"])
    if kind in ("data", "metadata", "version"):
        events[index] = json.dumps(line, ensure_ascii=False).encode() + b"\n"
    return b"".join([lines[0], *events, lines[-1]]), position


async def test_an_unaltered_export_verifies_offline_and_one_edit_is_named(
    exported: Exported, database_url: str, tmp_path: Path
) -> None:
    code, report, _ = verify_file(database_url, exported.path)
    assert code == 0, report
    assert report["ok"] is True and report["checked"] == len(exported.rows)
    assert report["first_bad_position"] is None and report["unlinked_streams"] == 0

    edited, position = mutate(exported.lines, "delete", 3, 0, 0)
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(edited)
    code, report, stderr = verify_file(database_url, broken)
    assert code == 1
    assert report["ok"] is False and report["first_bad_position"] == position
    assert f"export broken at position {position}" in stderr


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(MUTATIONS),
    pick=st.integers(min_value=0, max_value=10_000),
    other=st.integers(min_value=0, max_value=10_000),
    where=st.integers(min_value=0, max_value=10_000),
)
async def test_every_single_edit_of_an_export_is_caught_at_its_position(
    exported: Exported, kind: str, pick: int, other: int, where: int
) -> None:
    edited, position = mutate(exported.lines, kind, pick, other, where)
    report = verify_lines(edited.splitlines(keepends=True))  # what `audit verify --file` runs
    assert not report.ok, f"{kind} at {pick} went unnoticed"
    assert report.first_bad_position == position, report.problems


async def test_a_truncated_export_is_caught(exported: Exported) -> None:
    for cut in (exported.lines[:-1], exported.lines[:-2]):
        report = verify_lines(cut)
        assert not report.ok
        assert "the end line is missing: the file is truncated" in report.problems


async def test_an_export_from_a_position_or_of_one_stream_verifies(
    exported: Exported, database_url: str, tmp_path: Path
) -> None:
    first = exported.rows[len(exported.rows) // 2][0]
    partial = tmp_path / "from.ndjson"
    await export(database_url, partial, "--from", str(first))
    code, report, _ = verify_file(database_url, partial)
    in_range = [row for row in exported.rows if row[0] >= first]
    firsts: dict[str, int] = {}
    for _, stream_id, version in in_range:
        firsts.setdefault(stream_id, version)
    begun = [stream_id for stream_id, version in firsts.items() if version > 1]
    assert code == 0, report
    assert report["checked"] == len(in_range) and report["from"] == first
    assert report["unlinked_streams"] == len(begun) > 0
    assert any("streams begin before" in note for note in report["notes"])

    stream = next(s for _, s, _ in exported.rows if s.startswith("submission-"))
    one = tmp_path / "stream.ndjson"
    await export(database_url, one, "--stream", stream, "--to", str(exported.rows[-1][0]))
    code, report, _ = verify_file(database_url, one)
    assert code == 0, report
    assert report["checked"] == sum(1 for _, s, _ in exported.rows if s == stream)


async def test_an_erased_users_personal_data_is_absent_and_the_export_still_verifies(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    world = await declared(services, [])
    member = world.participants[2]
    await users.change_profile(
        services, new_context(member), member.user_id, "Aigerim Unique-Name", None
    )
    assert member.role is Role.PARTICIPANT
    await users.erase_user(services, new_context(member), member.user_id)
    path = tmp_path / "erased.ndjson"
    await export(database_url, path)

    content = path.read_bytes()
    for personal in (f"{member.user_id}@t.kz", f"N {member.user_id.hex[:6]}", "Aigerim"):
        assert personal.encode() not in content, personal
    assert b"pd1." in content  # sealed, as stored: the ciphertext the chain covers
    assert b'"type":"UserErased"' in content
    code, report, _ = verify_file(database_url, path)
    assert code == 0 and report["ok"] is True, report
