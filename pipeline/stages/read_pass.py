"""The one pass over a dump file's bytes: they are hashed (the dump id) and counted as they are read.

A dump's id is the sha256 of its bytes, so it is known when the pass reaches the end of the file.
Readers that stream chunks use `ReadPass.chunks`; readers that seek (WARC framing) read through
`ReadPass.open`, which hashes the bytes in file order as they are first reached; a saved page is
read whole with `ReadPass.read_all`. `ReadPass.finish` reads what the reader left (a rejected
dump, a record skipped by seeking past it) through the same open file, so a dump is opened once.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pipeline.stages.decode import CHUNK_BYTES, dump_id_of_file


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
        """The whole file (a saved page: bounded by its reader)."""
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
