"""PDF checks: honest files are accepted; hostile ones end in a rejection within the time bound."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import pdfs
from workers import pdfcheck
from workers.pdfcheck import PdfAccepted, PdfLimits, PdfRejected, check_pdf

LIMITS = PdfLimits()
BOUND = LIMITS.seconds + 5  # the wall time any check may take, hostile or not

# Every hostile file, with a fragment of the reason it is rejected for.
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "renamed text file": (pdfs.renamed_text_file, "not a PDF"),
    "truncated": (pdfs.truncated_pdf, "not a readable PDF"),
    "encrypted": (pdfs.encrypted_pdf, "encrypted"),
    "zero pages": (pdfs.zero_page_pdf, "no pages"),
    "3000 pages": (pdfs.many_pages_pdf, "at most 50 are allowed"),
    "contents containing themselves": (pdfs.self_referencing_contents_pdf, "not a readable PDF"),
    "page tree containing itself": (pdfs.self_referencing_page_tree_pdf, "not a readable PDF"),
    "stream length pointing at itself": (pdfs.self_referencing_length_pdf, "not a readable PDF"),
    "5000 nested arrays": (pdfs.nested_arrays_pdf, "not a readable PDF"),
    "decompression bomb": (pdfs.decompression_bomb_pdf, "not a readable PDF"),
}


async def timed_check(
    data: bytes, limits: PdfLimits = LIMITS
) -> tuple[PdfAccepted | PdfRejected, float]:
    started = time.monotonic()
    verdict = await check_pdf(
        data,
        expected_size=len(data),
        expected_sha256=hashlib.sha256(data).hexdigest(),
        limits=limits,
    )
    return verdict, time.monotonic() - started


def checker_children() -> list[int]:
    """Live (or unreaped) child processes of this test process running the PDF check."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # ended while we looked
        if int(fields[1]) == os.getpid() and b"pdfcheck" in command:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize(("version", "pages"), [("1.4", 1), ("1.7", 2), ("2.0", 3)])
async def test_a_valid_pdf_is_accepted_with_its_page_count_and_version(
    version: str, pages: int
) -> None:
    verdict, _ = await timed_check(pdfs.valid_pdf(version, pages))
    assert verdict == PdfAccepted(pages=pages, pdf_version=version)


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_hostile_file_is_rejected_within_the_time_bound(name: str) -> None:
    make, reason = HOSTILE[name]
    verdict, seconds = await timed_check(make())
    assert isinstance(verdict, PdfRejected)
    assert reason in verdict.reason
    assert seconds < BOUND


async def test_the_page_limit_is_named_in_the_reason() -> None:
    verdict, _ = await timed_check(pdfs.many_pages_pdf())
    assert verdict == PdfRejected("The PDF has 3000 pages but at most 50 are allowed; shorten it.")


async def test_the_page_limit_comes_from_the_limits() -> None:
    data = pdfs.valid_pdf("1.7", 3)
    at_limit, _ = await timed_check(data, PdfLimits(max_pages=3))
    over_limit, _ = await timed_check(data, PdfLimits(max_pages=2))
    assert at_limit == PdfAccepted(pages=3, pdf_version="1.7")
    assert isinstance(over_limit, PdfRejected) and "at most 2" in over_limit.reason


async def test_a_size_other_than_announced_is_rejected() -> None:
    data = pdfs.valid_pdf()
    verdict = await check_pdf(
        data,
        expected_size=len(data) + 1,
        expected_sha256=hashlib.sha256(data).hexdigest(),
        limits=LIMITS,
    )
    assert isinstance(verdict, PdfRejected) and "instead of the announced" in verdict.reason


async def test_a_checksum_other_than_announced_is_rejected() -> None:
    data = pdfs.valid_pdf()
    verdict = await check_pdf(
        data,
        expected_size=len(data),
        expected_sha256=hashlib.sha256(data + b"x").hexdigest(),
        limits=LIMITS,
    )
    assert isinstance(verdict, PdfRejected) and "SHA-256" in verdict.reason


async def test_the_announced_checksum_may_be_upper_case() -> None:
    data = pdfs.valid_pdf()
    verdict = await check_pdf(
        data,
        expected_size=len(data),
        expected_sha256=hashlib.sha256(data).hexdigest().upper(),
        limits=LIMITS,
    )
    assert isinstance(verdict, PdfAccepted)


async def test_a_check_over_its_time_is_killed_and_rejected() -> None:
    verdict, seconds = await timed_check(pdfs.valid_pdf(), PdfLimits(seconds=0.05))
    assert verdict == pdfcheck.TOO_LONG
    assert seconds < 1
    assert checker_children() == []


async def test_a_bomb_under_pypdfs_own_cap_is_stopped_by_the_memory_limit() -> None:
    verdict, seconds = await timed_check(
        pdfs.decompression_bomb_pdf(), PdfLimits(memory_bytes=128 * 1024 * 1024)
    )
    assert verdict == pdfcheck.TOO_BIG
    assert seconds < BOUND


async def test_a_child_that_cannot_load_pypdf_gives_a_rejection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    verdict, _ = await timed_check(pdfs.valid_pdf(), PdfLimits(memory_bytes=16 * 1024 * 1024))
    assert verdict == pdfcheck.UNCHECKABLE
    assert "child failed" in caplog.text


@pytest.mark.parametrize(
    "module",
    [
        pytest.param("this", id="answers garbage"),  # prints the Zen of Python and exits 0
        pytest.param("workers.no_such_module", id="exits with an error"),
    ],
)
async def test_a_child_that_misbehaves_gives_a_rejection(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdfcheck, "CHILD_MODULE", module)
    verdict, _ = await timed_check(pdfs.valid_pdf())
    assert verdict == pdfcheck.UNCHECKABLE


async def test_the_worker_still_accepts_a_valid_pdf_after_every_hostile_file() -> None:
    files = [make() for make, _ in HOSTILE.values()]
    started = time.monotonic()
    verdicts = await asyncio.gather(*(timed_check(data) for data in files))
    assert all(isinstance(verdict, PdfRejected) for verdict, _ in verdicts)
    assert time.monotonic() - started < BOUND
    verdict, _ = await timed_check(pdfs.valid_pdf("1.7", 2))
    assert verdict == PdfAccepted(pages=2, pdf_version="1.7")
    assert checker_children() == []
