"""The manifest side of a run: which dumps there are, which are new, recording outcomes.

A dump is identified by the hash of its bytes. Re-hashing every big file on every run is avoided
with a fingerprint cache (path, size, mtime, ctime, inode -> dump id) kept beside the manifest:
a file whose fingerprint is unchanged is not read again; any change sends it back to the hash.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import PIPELINE_VERSION, schemas
from pipeline.records import DumpRecord
from pipeline.settings import Settings
from pipeline.stages.decode import dump_id_of_file
from pipeline.store import Store

MODELS_DIR = Settings().models_dir


@dataclass(frozen=True)
class Candidate:
    """One entry of the raw folder: its content id when it is a readable file, else why not."""

    path: Path
    dump_id: str
    size_bytes: int = 0
    error: str | None = None


@dataclass
class Plan:
    """What a run has to do: dumps to process, dumps already done, entries rejected before reading."""

    todo: list[Candidate] = field(default_factory=list)
    unchanged: list[Candidate] = field(default_factory=list)
    rejected: list[DumpRecord] = field(default_factory=list)
    fingerprints: dict[str, dict] = field(default_factory=dict)


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


def discover_dumps(raw_dir: Path) -> list[Path]:
    """Every entry of the raw folder that is not hidden, in name order (bad ones are rejected later)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    return sorted(p for p in raw_dir.iterdir() if not p.name.startswith("."))


def path_id(path: Path) -> str:
    """The id of a rejected entry that has no content to hash."""
    return "path:" + Path(path).name


def hash_file(path: Path) -> str:
    """sha256 of the file's bytes (first 16 hex), read in chunks: the same as `dump_id_of(bytes)`."""
    return dump_id_of_file(path)[0]


def _fingerprint(st: os.stat_result) -> dict:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino}


def _filesystem_problem(path: Path) -> tuple[str | None, os.stat_result | None]:
    """Why an entry cannot be a dump file, judged from the file system alone (None when it can)."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop: the link points (through other links) back to itself", None
        if exc.errno == errno.ENOENT:
            if path.is_symlink():
                return f"broken symlink: its target {os.readlink(path)} does not exist", None
            return "vanished: the file was removed before it could be read", None
        return f"unreadable: {exc.strerror or exc}", None
    if stat.S_ISDIR(st.st_mode):
        return "a directory, not a dump file", None
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        return f"not a regular file ({kind}); it cannot be read as a dump", None
    if st.st_size == 0:
        return "empty file (0 bytes)", None
    return None, st


def inspect(path: Path, known: dict[str, dict]) -> tuple[Candidate, dict | None]:
    """Identify one raw entry: (candidate, its fingerprint record); hashes only what changed."""
    problem, st = _filesystem_problem(path)
    if problem:
        return Candidate(path, path_id(path), 0, problem), None
    fp = _fingerprint(st)
    cached = known.get(str(path))
    if cached and all(cached.get(k) == v for k, v in fp.items()) and cached.get("dump_id"):
        return Candidate(path, cached["dump_id"], st.st_size), dict(fp, dump_id=cached["dump_id"])
    try:
        dump_id = hash_file(path)
    except OSError as exc:
        return Candidate(path, path_id(path), 0, f"unreadable: {exc.strerror or exc}"), None
    return Candidate(path, dump_id, st.st_size), dict(fp, dump_id=dump_id)


def plan_run(raw_dir: Path, store: Store) -> Plan:
    """Sort the raw folder into new work, finished dumps and entries rejected before reading.

    A dump is finished when the manifest has an `ok` row with its id and this pipeline version.
    Rejected dumps are looked at again on every run (the cause may be gone, e.g. a network share).
    The same content under two names is one dump.
    """
    manifest = store.read_manifest()
    version = current_version()
    done = {
        d
        for d, s, v in zip(*(manifest.column(c).to_pylist() for c in ("dump_id", "status", "pipeline_version")))
        if s == "ok" and v == version
    }
    known = store.read_fingerprints()
    plan = Plan()
    seen: set[str] = set()
    for path in discover_dumps(raw_dir):
        cand, fp = inspect(path, known)
        if fp is not None:
            plan.fingerprints[str(path)] = fp
        if cand.error:
            plan.rejected.append(manifest_row(path, cand.dump_id, 0, None, 0, cand.error))
        elif cand.dump_id in done or cand.dump_id in seen:
            plan.unchanged.append(cand)
        else:
            plan.todo.append(cand)
        seen.add(cand.dump_id)
    return plan


def manifest_row(
    path: Path, dump_id: str, size: int, encoding: str | None, n_docs: int, error: str | None
) -> DumpRecord:
    return DumpRecord(
        dump_id=dump_id,
        path=str(path),
        size_bytes=size,
        encoding=encoding,
        n_documents=n_docs,
        status="rejected" if error else "ok",
        error=error,
        pipeline_version=current_version(),
        processed_at=datetime.now(UTC),
    )


_SAME_OUTCOME = ("dump_id", "path", "status", "error", "pipeline_version", "size_bytes")


def record_dumps(store: Store, rows: list[DumpRecord]) -> int:
    """Add or replace manifest rows (by dump id); returns how many rows changed.

    A row that repeats the manifest's outcome for that dump is left as it is (its `processed_at`
    too), so a re-run that finds the same rejected file changes nothing. A `rejected` row of the
    same path is dropped when that path gets a new outcome.
    """
    manifest = store.read_manifest()
    old = {r["dump_id"]: r for r in manifest.to_pylist()}
    changed = [r for r in rows if not _same(old.get(r.dump_id), r)]
    if not changed:
        return 0
    drop = {r.dump_id for r in changed}
    paths = {r.path for r in changed}
    keep = [
        d
        for d, p, s in zip(*(manifest.column(c).to_pylist() for c in ("dump_id", "path", "status")))
        if d not in drop and not (s == "rejected" and p in paths)
    ]
    if manifest.num_rows:
        manifest = manifest.filter(pc.is_in(manifest.column("dump_id"), pa.array(keep, pa.string())))
    table = pa.concat_tables([manifest.cast(schemas.DUMPS), schemas.to_table(changed, schemas.DUMPS)])
    order = pc.sort_indices(table, sort_keys=[("path", "ascending"), ("dump_id", "ascending")])
    store.write_manifest(table.take(order))
    return len(changed)


def _same(old: dict | None, new: DumpRecord) -> bool:
    return old is not None and all(str(old[k]) == str(getattr(new, k)) for k in _SAME_OUTCOME)


def ok_dump_ids(store: Store) -> list[str]:
    m = store.read_manifest()
    return sorted(d for d, s in zip(m.column("dump_id").to_pylist(), m.column("status").to_pylist()) if s == "ok")
