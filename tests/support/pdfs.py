"""A corpus of PDFs, good and hostile, generated on demand so that no binary is checked in.

Valid files come from pypdf's writer. Hostile ones are written by hand (`assemble` lays out
numbered objects, the cross-reference table and the trailer), since no honest writer makes a
page tree that contains itself or a stream that inflates to gigabytes.
"""

from __future__ import annotations

import zlib
from functools import cache
from io import BytesIO

from pypdf import PdfWriter

LETTER = (612, 792)  # points
GIB = 1 << 30
NESTING = 5_000  # far deeper than any recursive parser's stack
BOMB_CHUNK = 1 << 20


def valid_pdf(version: str = "1.7", pages: int = 1) -> bytes:
    """A PDF of blank pages whose header declares `version` ("1.4", "1.7", "2.0")."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(*LETTER)
    writer.pdf_header = f"%PDF-{version}".encode()
    return _written(writer)


def zero_page_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    return _written(PdfWriter())


def encrypted_pdf() -> bytes:
    """One blank page behind the user password "secret" (AES-256)."""
    writer = PdfWriter()
    writer.add_blank_page(*LETTER)
    writer.encrypt("secret", algorithm="AES-256")
    return _written(writer)


@cache
def many_pages_pdf(pages: int = 3_000) -> bytes:
    """A valid PDF far over any sensible page limit."""
    return valid_pdf("1.7", pages)


def renamed_text_file() -> bytes:
    """A text file uploaded under a .pdf name."""
    return b"Our robot design, version 3.\nSee the attached drawings.\n" * 20


def truncated_pdf() -> bytes:
    """A valid three-page PDF cut in half, as an interrupted upload leaves it."""
    whole = valid_pdf("1.7", 3)
    return whole[: len(whole) // 2]


def self_referencing_contents_pdf() -> bytes:
    """A page whose /Contents is an array that contains itself."""
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"[4 0 R 4 0 R]",
        ]
    )


def self_referencing_page_tree_pdf() -> bytes:
    """A page tree whose root dictionary lists itself among its kids."""
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


def self_referencing_length_pdf() -> bytes:
    """A content stream whose /Length is a reference to the stream itself."""
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length 4 0 R >>\nstream\n0 0 m 10 10 l S\nendstream",
        ]
    )


def nested_arrays_pdf(depth: int = NESTING) -> bytes:
    """A page carrying a chain of `depth` arrays, each the only element of the one around it."""
    nested = b"[" * depth + b"0" + b"]" * depth
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Nested "
            + nested
            + b" /Contents 4 0 R >>",
            _stream(b"0 0 m 10 10 l S"),
        ]
    )


@cache
def decompression_bomb_pdf(inflated_bytes: int = 2 * GIB) -> bytes:
    """A page whose FlateDecode content stream inflates to `inflated_bytes` zeros (~2 MiB)."""
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            _stream(zeros_deflated(inflated_bytes), b"/Filter /FlateDecode"),
        ]
    )


def zeros_deflated(size: int) -> bytes:
    """zlib data for `size` zero bytes (a multiple of 1 MiB), made in milliseconds.

    After a full flush deflate forgets its history, so every further MiB of zeros compresses
    to the same bytes: compress one MiB once and repeat it. The Adler-32 of n zeros is
    (n mod 65521) << 16 | 1, so the checksum needs no pass over the data either.
    """
    chunks, rest = divmod(size, BOMB_CHUNK)
    if rest or not chunks:
        raise ValueError(f"size must be a positive multiple of {BOMB_CHUNK}")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(bytes(BOMB_CHUNK)) + deflate.flush(zlib.Z_FULL_FLUSH)
    final = deflate.flush(zlib.Z_FINISH)
    adler = ((size % 65521) << 16) | 1
    return b"\x78\xda" + block * chunks + final + adler.to_bytes(4, "big")


def assemble(objects: list[bytes], header: bytes = b"%PDF-1.7") -> bytes:
    """A PDF file of `objects` numbered from 1 (the first is the catalog), with a correct
    cross-reference table, so that only the objects themselves are hostile."""
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %b >>\nstream\n%b\nendstream" % (len(data), entries, data)


def _written(writer: PdfWriter) -> bytes:
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
