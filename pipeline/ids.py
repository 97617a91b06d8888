"""Ids and versions, the ground floor every other module may import (it imports only settings).

- a dump's id: the sha256 of its bytes (first 16 hex digits), `dump_id_of` / `dump_id_of_file`;
  an entry with no content to hash is named by its path (`path_id`);
- a document's id: the hash of its white-space-normalized title and text (`content_id`);
- the pipeline version the manifest records and compares: the package version and a digest of
  the model assets (`current_version`), so a model or gazetteer change reprocesses the dumps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from pipeline import PIPELINE_VERSION
from pipeline.settings import Settings

CHUNK_BYTES = 1 << 20
MODELS_DIR = Settings().models_dir  # PIPELINE_MODELS_DIR as the process started
_HASH_CHUNK = 1 << 20


def dump_id_of(data: bytes) -> str:
    """The dump's identity: the sha256 of its bytes (first 16 hex digits)."""
    return hashlib.sha256(data).hexdigest()[:16]


def iter_file_bytes(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The raw bytes of a file, in chunks."""
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            yield chunk


def dump_id_of_file(path: Path) -> tuple[str, int]:
    """(dump id, size in bytes) of a file, hashed in chunks: memory does not grow with the file."""
    h, size = hashlib.sha256(), 0
    for chunk in iter_file_bytes(path):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest()[:16], size


def hash_file(path: Path) -> str:
    """sha256 of the file's bytes (first 16 hex), read in chunks: the same as `dump_id_of(bytes)`."""
    return dump_id_of_file(path)[0]


def path_id(name: str | Path) -> str:
    """The id of a rejected entry that has no content to hash: its name in the raw folder."""
    return "path:" + str(name)


def content_id(title: str | None, body: str, chunk: int = _HASH_CHUNK) -> str:
    """A document's id: the content hash of its white-space-normalized title and text, hashed in
    bounded chunks."""
    h = hashlib.sha256()
    started = space = False
    for part in (title or "", "\n", body):
        for i in range(0, len(part), chunk):
            piece = part[i : i + chunk]
            words = piece.split()  # the same white space as the regex \s
            if not words:
                space = space or bool(piece)
                continue
            if started and (space or piece[0].isspace()):
                h.update(b" ")
            h.update(" ".join(words).encode("utf-8"))
            started, space = True, piece[-1].isspace()
    return h.hexdigest()[:24]


def current_version(models_dir: Path | None = None) -> str:
    """The pipeline version recorded in, and compared with, the manifest: the package version and a
    digest of the model assets (`models/`), so a model or gazetteer change reprocesses the dumps."""
    return f"{PIPELINE_VERSION}+models.{models_digest(Path(models_dir or MODELS_DIR))}"


def models_digest(models_dir: Path) -> str:
    """12 hex digits of sha256 over every file of `models/` (relative path and bytes, in path order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in models_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(models_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
