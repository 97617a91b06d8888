"""What every reader shares: the interface (`Reader`), the opened dump (`DumpSource`), the one pass
over its bytes (`ReadPass`), and gzip.

A dump's id is the sha256 of its bytes, so it is known when the pass reaches the end of the file.
Readers that stream chunks use `ReadPass.chunks`; readers that seek (WARC framing) read through
`ReadPass.open`, which hashes the bytes in file order as they are first reached; a saved page or a
feed is read whole with `ReadPass.read_all` (`read_whole`). `ReadPass.finish` reads what the reader
left (a rejected dump, a record skipped by seeking past it) through the same open file, so a dump is
opened once.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

from pipeline.ids import CHUNK_BYTES, dump_id_of_file
from pipeline.records import DocumentRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected

GZIP_MAGIC = b"\x1f\x8b"
MAX_PROBLEMS = 20


class Reader:
    """One dump format: which names it reads (`suffixes`, each also with `.gz`) and how.

    `read(source, settings)` gives the dump's documents as a one-pass stream; what it cannot read
    raises DumpRejected (at once, or midway through the stream). A reader reads the bytes through
    `source.read` (hashed on the way: the dump id) and fills in what it learns of the dump on
    `source`: its encoding, compression, problems and pages without an article.
    `accumulates`: a new version of a file of this format adds to the earlier ones instead of
    replacing them (a feed downloaded again)."""

    format: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    accumulates: ClassVar[bool] = False

    def matches(self, name: str) -> bool:
        """Whether a file of this name is of this format (lower case; `.gz` of each too)."""
        return str(name).lower().removesuffix(".gz").endswith(self.suffixes)

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        raise NotImplementedError


class Reread(Exception):  # noqa: N818 - a request, not an error
    """The whole stream decided another encoding than the first guess: read the dump again in it.

    Raised by `DumpSource.documents` at the end of the pass (documents already given are void):
    `readers.read_through` opens the dump again with `encoding`."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"read again as {encoding}")
        self.encoding = encoding


@dataclass
class DumpSource:
    """An opened dump: its identity, how it was read, and its documents as a one-pass stream.

    `dump_id` is the id the run planned with, else the hash of the bytes read, known once
    `documents` has been consumed (the pass reached the end). `problems` (skipped JSON lines and
    the like, at most MAX_PROBLEMS messages and a count of the rest) is complete then too.
    `encoding` given at open: the one to decode a text dump in (read again after `Reread`).
    """

    path: Path
    planned_id: str | None
    size_bytes: int
    encoding: str | None  # None until a web dump's pages are read
    format: str  # the reader's: "text", "jsonl", "warc", "wet", "page" or "feed"
    compression: str | None  # "gzip" or None
    documents: Iterator[DocumentRecord]
    read: ReadPass
    problems: list[str] = field(default_factory=list)
    n_without_article: int | None = None  # web pages that gave no document (None: not a web dump)
    n_problems: int = 0  # problems reported, listed or not

    @property
    def read_id(self) -> str | None:
        """The id of the bytes read to the end (None before)."""
        return self.read.dump_id

    @property
    def dump_id(self) -> str | None:
        return self.planned_id or self.read_id

    def finish_read(self) -> str:
        """The id of the dump's bytes, reading what the stream left unread (a dump rejected midway)."""
        return self.planned_id or self.read.finish()

    def rejected(self, reason: str) -> DumpRejected:
        """A rejection that names the dump (its bytes are hashed to the end)."""
        return DumpRejected(reason, self.finish_read(), self.size_bytes)

    def problem(self, message: str) -> None:
        """Report a problem that does not reject the dump (the first MAX_PROBLEMS are listed)."""
        self.n_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def count_unlisted_problems(self) -> None:
        """At the end of the stream: say how many problems were reported beyond the list."""
        if self.n_problems > len(self.problems):
            self.problems.append(f"... and {self.n_problems - len(self.problems)} more problems")


class ReadPass:
    """One read of a dump file, hashed on the way."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.sha = hashlib.sha256()
        self.size = 0  # bytes hashed: the file's first `size` bytes
        self.done = False
        self._chunks: Iterator[bytes] | None = None

    @property
    def dump_id(self) -> str | None:
        """The id of the bytes read (None until the pass has reached the end)."""
        return self.sha.hexdigest()[:16] if self.done else None

    def _take(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes in chunks, from the start (one iterator per pass)."""
        if self._chunks is None:
            self._chunks = self._read_chunks()
        return self._chunks

    def _read_chunks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                self._take(chunk)
                yield chunk
        self.done = True

    def read_all(self) -> bytes:
        """The whole file (a saved page or a feed: bounded by its reader)."""
        with open(self.path, "rb") as f:
            data = f.read()
        self._take(data)
        self.done = True
        return data

    @contextlib.contextmanager
    def open(self) -> Iterator[HashingFile]:
        """The file for a reader that seeks; hashed to the end when the reader is done or fails."""
        with open(self.path, "rb") as f:
            hashing = HashingFile(f, self)
            try:
                yield hashing
            except Exception:  # a rejected dump is still identified (not when its reader is closed early)
                hashing.hash_rest()
                raise
            hashing.hash_rest()

    def finish(self) -> str | None:
        """Read what is left of the pass (the reader stopped early) and give the dump's id."""
        if not self.done and self._chunks is not None:
            for _ in self._chunks:
                pass
        if not self.done:  # the pass was closed before its end: hash the file on its own
            dump_id, self.size = dump_id_of_file(self.path)
            return dump_id
        return self.dump_id


class HashingFile:
    """A binary file that a reader may seek in: its bytes are hashed in file order, each the first
    time the reads reach it (what a seek skips is hashed by `hash_rest`)."""

    def __init__(self, f: BinaryIO, read: ReadPass):
        self.f, self.pass_ = f, read

    def _saw(self, start: int, data: bytes) -> bytes:
        hashed = self.pass_.size
        if start <= hashed < start + len(data):
            self.pass_._take(data[hashed - start :])
        return data

    def read(self, n: int = -1) -> bytes:
        return self._saw(self.f.tell(), self.f.read(n))

    def readline(self, n: int = -1) -> bytes:
        return self._saw(self.f.tell(), self.f.readline(n))

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.f.seek(pos, whence)

    def tell(self) -> int:
        return self.f.tell()

    def hash_rest(self) -> None:
        """Hash the bytes no read reached, to the end of the file."""
        if self.pass_.done:
            return
        self.f.seek(self.pass_.size)
        while chunk := self.f.read(CHUNK_BYTES):
            self.pass_._take(chunk)
        self.pass_.done = True


def check_gz_name(path: Path, compressed: bool) -> None:
    """A file named `.gz` must be gzip-compressed (recognized by its magic bytes)."""
    if Path(path).name.lower().endswith(".gz") and not compressed:
        raise DumpRejected("named .gz but not gzip-compressed")


def gunzip_chunks(chunks: Iterable[bytes], out_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Decompress a gzip stream (several members allowed) in bounded pieces; DumpRejected when cut or corrupt."""
    d = zlib.decompressobj(wbits=31)
    in_member = False
    try:
        for chunk in chunks:
            data = chunk
            while data:
                in_member = True
                out = d.decompress(data, out_bytes)
                if out:
                    yield out
                if d.eof:
                    data, in_member = d.unused_data, False
                    d = zlib.decompressobj(wbits=31)
                    continue
                data = d.unconsumed_tail
                while not data and len(out) == out_bytes:  # output still pending inside zlib
                    out = d.decompress(b"", out_bytes)
                    if out:
                        yield out
    except zlib.error as exc:
        raise DumpRejected(f"corrupt gzip data: {exc}") from None
    if in_member:
        raise DumpRejected("truncated gzip: the compressed stream ends before its end marker")


def read_whole(source: DumpSource, max_bytes: int, what: str) -> bytes:
    """The bytes of a dump read whole (a saved page, a feed: `what`), once, gunzipped when its magic
    bytes say so (`source.compression`); DumpRejected when its gzip is cut or corrupt or it is larger
    than `max_bytes`."""
    data = source.read.read_all()
    compressed = data.startswith(GZIP_MAGIC)
    check_gz_name(source.path, compressed)
    source.compression = "gzip" if compressed else None
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DumpRejected(f"corrupt or truncated gzip: {exc}") from None
    if len(data) > max_bytes:
        raise DumpRejected(f"{what} larger than {max_bytes >> 20} MiB")
    return data
