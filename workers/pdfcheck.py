"""Check that an uploaded submission is a PDF a judge can open, without trusting the file.

The cheap checks (size, SHA-256, the `%PDF-` magic) run in-process. Parsing is different: a
hostile PDF can make pypdf loop for minutes, recurse without end or inflate a few megabytes
into gigabytes. Time and memory bounds can only be enforced on a whole process, so the parse
runs in a child (`python -m workers.pdfcheck`) that sets its own RLIMIT_AS and RLIMIT_CPU
before importing pypdf, reads the bytes on stdin and answers with one small JSON document on
stdout. The parent kills it after `PdfLimits.seconds` of wall-clock time. Whatever happens to
the child (killed, out of memory, crashed, garbage on stdout) the answer is a definite
`PdfRejected`, never an exception: the worker that calls `check_pdf` records a verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import logging
import math
import re
import resource
import sys
import warnings
from io import BytesIO
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from pypdf import PageObject

log = logging.getLogger(__name__)

CHILD_MODULE = "workers.pdfcheck"  # this module, by the name the child imports it under
MAGIC = b"%PDF-"
PAGE_CONTENTS = "/Contents"
VERSION = re.compile(r"\d\.\d")
DETAIL_CHARS = 160  # enough to tell a developer what pypdf saw, short enough for a participant
STDERR_CHARS = 2000  # the tail of a failed child's stderr that reaches the log


class PdfAccepted(msgspec.Struct, frozen=True, tag=True):
    pages: int
    pdf_version: str  # "1.7", from the header


class PdfRejected(msgspec.Struct, frozen=True, tag=True):
    reason: str  # one English sentence the participant can act on


class PdfLimits(msgspec.Struct, frozen=True):
    max_pages: int = 50
    seconds: float = 10.0  # wall clock, start of the child to its answer
    memory_bytes: int = 512 * 1024 * 1024  # address space of the child


Verdict = PdfAccepted | PdfRejected
ANSWER: msgspec.json.Decoder[Verdict] = msgspec.json.Decoder(Verdict)

TOO_LONG = PdfRejected(
    "The PDF took too long to check; export it again without unusual content and re-upload it."
)
TOO_BIG = PdfRejected(
    "The PDF needs too much memory to check; export it again with smaller images and re-upload it."
)
UNCHECKABLE = PdfRejected(
    "The PDF could not be checked; export it again from your editor and re-upload it."
)


async def check_pdf(
    data: bytes, *, expected_size: int, expected_sha256: str, limits: PdfLimits
) -> Verdict:
    """Accept `data` as the upload that was announced, or say why it is rejected.

    Raises only if the child process cannot be started at all (an error of this machine,
    not of the file: the caller retries it).
    """
    if len(data) != expected_size:
        return PdfRejected(
            f"The upload has {len(data)} bytes instead of the announced {expected_size}; "
            "upload the file again."
        )
    if hashlib.sha256(data).hexdigest() != expected_sha256.lower():
        return PdfRejected(
            "The upload does not match its announced SHA-256 checksum; upload the file again."
        )
    if not data.startswith(MAGIC):
        return PdfRejected("The file is not a PDF; export your document as PDF and upload that.")
    return await _check_in_child(data, limits)


async def _check_in_child(data: bytes, limits: PdfLimits) -> Verdict:
    """Run the parse in a child process, killed once `limits.seconds` have passed."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        CHILD_MODULE,
        str(limits.max_pages),
        str(limits.seconds),
        str(limits.memory_bytes),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(limits.seconds):
            out, err = await child.communicate(data)
    except TimeoutError:
        log.warning("pdf check killed after %s s", limits.seconds)
        return TOO_LONG
    finally:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it may end by itself meanwhile
                child.kill()
            await child.wait()
    return _read_answer(child.returncode, out, err)


def _read_answer(returncode: int | None, out: bytes, err: bytes) -> Verdict:
    """The child's verdict, or UNCHECKABLE when it died or answered nonsense."""
    if returncode == 0:
        try:
            return ANSWER.decode(out)
        except msgspec.DecodeError:
            pass
    tail = err[-STDERR_CHARS:].decode("utf-8", "replace")
    log.warning("pdf check child failed (exit %s): %s", returncode, tail)
    return UNCHECKABLE


def _limit_child(seconds: float, memory_bytes: int) -> None:
    """Bound this process; the CPU limit is a backstop behind the parent's wall clock."""
    cpu = max(1, math.ceil(seconds))
    _lower_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _lower_limit(resource.RLIMIT_AS, memory_bytes, memory_bytes)


def _lower_limit(kind: int, soft: int, hard: int) -> None:
    """Set a limit, never above a hard limit already in force (only root may raise one)."""
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def _inspect(data: bytes, max_pages: int) -> Verdict:
    """Parse with pypdf and read every page's content stream, turning failures into verdicts."""
    try:
        return _walk(data, max_pages)
    except MemoryError:
        return TOO_BIG
    except Exception as error:  # anything pypdf trips over in a hostile file
        return _unreadable(_describe(error))


def _walk(data: bytes, max_pages: int) -> Verdict:
    from pypdf import PdfReader  # imported by the child after its limits, never by the parent

    reader = PdfReader(BytesIO(data), strict=False)
    if reader.is_encrypted:
        return PdfRejected("The file is encrypted; upload a PDF without a password.")
    pages = len(reader.pages)
    if pages == 0:
        return PdfRejected("The PDF has no pages; upload a document with at least one page.")
    if pages > max_pages:
        return PdfRejected(
            f"The PDF has {pages} pages but at most {max_pages} are allowed; shorten it."
        )
    for number, page in enumerate(reader.pages, start=1):
        if not _read_contents(page):
            return _unreadable(f"page {number} has contents that are not streams")
    version = reader.pdf_header.removeprefix("%PDF-")
    if not VERSION.fullmatch(version):
        return PdfRejected("The PDF header names no version; export the document as PDF again.")
    return PdfAccepted(pages=pages, pdf_version=version)


def _read_contents(page: PageObject) -> bool:
    """Inflate the page's content streams; False unless /Contents is a stream or an array of
    streams, as the spec says (pypdf itself skips whatever else it finds there)."""
    from pypdf.generic import ArrayObject, NullObject, StreamObject

    contents = page.get(PAGE_CONTENTS, NullObject()).get_object()
    parts = list(contents) if isinstance(contents, ArrayObject) else [contents]
    for part in parts:
        if not isinstance(part.get_object(), StreamObject | NullObject):
            return False
    streams = page.get_contents()
    if streams is not None:
        streams.get_data()
    return True


def _unreadable(detail: str) -> PdfRejected:
    return PdfRejected(f"The file is not a readable PDF ({detail}); export it again.")


def _describe(error: BaseException) -> str:
    """The error's type and message on one line, short, without a sentence-ending period."""
    message = " ".join(str(error).split()).rstrip(".")
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def _child_main(argv: list[str]) -> int:
    """Entry point of the child: limits first, then stdin to one JSON verdict on stdout."""
    max_pages, seconds, memory_bytes = int(argv[0]), float(argv[1]), int(argv[2])
    _limit_child(seconds, memory_bytes)
    importlib.import_module("pypdf")  # failing here is this machine's fault: exit 1, not a verdict
    logging.disable(logging.CRITICAL)  # pypdf warns per broken object; the verdict says enough
    warnings.simplefilter("ignore")
    data = sys.stdin.buffer.read()
    sys.stdout.buffer.write(msgspec.json.encode(_inspect(data, max_pages)))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
