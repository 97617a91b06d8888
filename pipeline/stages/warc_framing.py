"""Cutting a WARC file into its records, so that one bad record costs only itself.

warcio reads the records themselves (`readers.web`), but over a whole file it stops at the first
damaged header and, measured, yields a truncated or corrupt gzip member's content cut short
without an error. So the file is framed here first: `.warc.gz` member by member (each record is
its own gzip member, as every crawler writes them; the member's CRC and end marker are checked),
`.warc` by each header's `Content-Length`. A damaged piece is reported with its byte offset and
the reading goes on at the next gzip member or `WARC/1.x` line; the file's end inside a record
keeps every record before it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
MAX_RECORD_BYTES = 64 << 20  # a record above this (decompressed) is skipped: no page is that big
MAX_HEADER_BYTES = 1 << 16
GZIP_MEMBER = b"\x1f\x8b\x08"
# a version line, then `Name: value` lines (values may be folded onto indented lines)
_VALUE = rb"[^\x00-\x08\x0a-\x1f\x7f]*\r?\n"
_HEADER = re.compile(rb"WARC/\d\.\d+\r?\n(?:[!#-'*+.0-9A-Z^-z|~-]+:" + _VALUE + rb"|[ \t]" + _VALUE + rb")*")
_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.I | re.M)


@dataclass(frozen=True)
class RawRecord:
    """One record's bytes (decompressed), or why it could not be read; offsets in the file as stored."""

    offset: int
    length: int
    data: bytes | None = None
    error: str | None = None


def warc_pieces_of(f: BinaryIO, gzipped: bool) -> Iterator[RawRecord]:
    """The framed pieces of an open WARC file (gzip members, or records of a plain file)."""
    return _gzip_members(f) if gzipped else _plain_records(f)


def _find(f: BinaryIO, start: int, marker: bytes) -> int | None:
    """File offset of the next `marker` at or after `start`, or None."""
    f.seek(start)
    pos, tail = start, b""
    while chunk := f.read(CHUNK):
        data = tail + chunk
        i = data.find(marker)
        if i >= 0:
            return pos - len(tail) + i
        tail = data[-(len(marker) - 1) :]
        pos += len(chunk)
    return None


def _gzip_members(f: BinaryIO) -> Iterator[RawRecord]:
    start = 0
    while True:
        f.seek(start)
        head = f.read(len(GZIP_MEMBER))
        if not head:
            return
        if head != GZIP_MEMBER:
            nxt = _find(f, start, GZIP_MEMBER)
            end = nxt if nxt is not None else f.seek(0, 2)
            yield RawRecord(start, end - start, error="bytes that are not a gzip member, skipped")
            if nxt is None:
                return
            start = nxt
            continue
        f.seek(start)
        record, next_start = _one_member(f, start)
        yield record
        if next_start is None:
            return
        start = next_start


def _one_member(f: BinaryIO, start: int) -> tuple[RawRecord, int | None]:
    """Decompress the member at `start`: (its record, where the next member starts, None at the end)."""
    d = zlib.decompressobj(wbits=31)
    out, size, too_big, consumed = bytearray(), 0, False, 0
    while True:
        chunk = f.read(CHUNK)
        if not chunk:
            return RawRecord(start, consumed, error="truncated: the file ends inside this record"), None
        try:
            data = d.decompress(chunk)
        except zlib.error as exc:
            nxt = _find(f, start + 1, GZIP_MEMBER)
            end = nxt if nxt is not None else f.seek(0, 2)
            return RawRecord(start, end - start, error=f"corrupt gzip member ({exc}), skipped"), nxt
        size += len(data)
        if size > MAX_RECORD_BYTES:
            too_big, out = True, bytearray()
        elif not too_big:
            out += data
        if d.eof:
            consumed += len(chunk) - len(d.unused_data)
            length = consumed
            if too_big:
                return RawRecord(start, length, error=f"record larger than {MAX_RECORD_BYTES >> 20} MiB, skipped"), (
                    start + length
                )
            return RawRecord(start, length, bytes(out)), start + length
        consumed += len(chunk)


def _plain_records(f: BinaryIO) -> Iterator[RawRecord]:
    pos = 0
    while True:
        f.seek(pos)
        line = f.readline(MAX_HEADER_BYTES)
        while line in (b"\r\n", b"\n"):  # blank lines between records
            pos += len(line)
            line = f.readline(MAX_HEADER_BYTES)
        if not line:
            return
        if not line.startswith(b"WARC/"):
            nxt = _next_warc_line(f, pos + 1)
            end = nxt if nxt is not None else f.seek(0, 2)
            yield RawRecord(pos, end - pos, error="not a WARC record header, skipped")
            if nxt is None:
                return
            pos = nxt
            continue
        header = bytearray(line)
        while (line := f.readline(MAX_HEADER_BYTES)) not in (b"\r\n", b"\n", b"") and len(header) < MAX_HEADER_BYTES:
            header += line
        m = _CONTENT_LENGTH.search(bytes(header))
        if line and m is not None and not _HEADER.fullmatch(bytes(header)):
            m = None
        if not line or m is None or len(header) >= MAX_HEADER_BYTES:
            nxt = _next_warc_line(f, pos + 1)
            end = nxt if nxt is not None else f.seek(0, 2)
            why = "truncated: the file ends inside this record" if not line else "damaged WARC header"
            yield RawRecord(pos, end - pos, error=why + ("" if not line else ", skipped"))
            if nxt is None:
                return
            pos = nxt
            continue
        header += line
        n = int(m.group(1))
        if n > MAX_RECORD_BYTES:
            yield RawRecord(pos, len(header) + n, error=f"record larger than {MAX_RECORD_BYTES >> 20} MiB, skipped")
            pos += len(header) + n
            continue
        content = f.read(n)
        if len(content) < n:
            yield RawRecord(pos, len(header) + len(content), error="truncated: the file ends inside this record")
            return
        length = len(header) + n
        yield RawRecord(pos, length, bytes(header) + content)
        pos += length


def _next_warc_line(f: BinaryIO, start: int) -> int | None:
    """Offset of the next line that starts a WARC record (`WARC/1.`) after `start`."""
    nxt = _find(f, start, b"\nWARC/1.")
    return None if nxt is None else nxt + 1
