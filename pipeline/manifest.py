"""The manifest side of a run: which dumps there are, which are new or replace an older version,
which must wait, recording outcomes.

A dump is identified by the hash of its bytes. Re-hashing every big file on every run is avoided
with a fingerprint cache (path, size, mtime, ctime, inode -> dump id) kept beside the manifest:
a file whose fingerprint is unchanged is not read again. A file the cache does not know is read
once: its hash is taken in the same pass that decodes and splits it (`pipeline.dump`), because
its size already tells that its content is new. Only a file whose size is that of a dump the
manifest has `ok`, or of another file of the folder, may repeat content the run knows (a copy, a
rename, a file put back); that one is hashed to plan, and read again only if its content is new.

The folder is read at any depth (`pipeline.raw_folder`: a dump's name is its path inside the
folder; links out of it are rejected unread). A file may still be being written when a run meets
it. Names that writers use for files in progress (`*.part`, `*.tmp`, `*.crdownload`, `.name`,
`~name`) are left alone, and every new or
changed file is looked at twice, `settle_s` apart (size, mtime, ctime, inode): one that moved in
between waits for a later run. One look at the mtime is not trusted (`cp -p`, `rsync -t` and
`curl -R` set an old mtime on a file they are still writing); one look at the ctime is: every
write and every change of the times sets it to the current time, and nothing sets it back, so a
file whose ctime is already `settle_s` old has not been touched for that long, which is what the
second look would show (this spares the wait on a folder of finished files, `pipeline run` on the
sample included; it assumes the file system's clock is this machine's, true of local disks).
The look is repeated after hashing and after reading (`unchanged_since`), so a file that changes
during the run is not recorded.

One name, one current version: when the content under a name changes, the new dump supersedes
the `ok` dumps recorded under that name (unless their content is still in the folder under another
name). Their rows stay in the manifest as `superseded` with `superseded_by`, written in the same
manifest write as the new row; their partitions are retired after it (`Store.retire`, and
`Store.drop_uncommitted` after a crash). A feed is the exception (`formats.accumulates`): a feed
file downloaded again under the same name holds the latest items of a stream, so its earlier
versions stay current beside it (the items the new version repeats are `exact` duplicates).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import PIPELINE_VERSION, schemas
from pipeline.raw_folder import dump_name, raw_entries
from pipeline.records import DumpRecord
from pipeline.settings import Settings
from pipeline.stages.decode import dump_id_of_file
from pipeline.stages.formats import accumulates
from pipeline.store import Store

MODELS_DIR = Settings().models_dir
CHANGED_WHILE_READ = "still being written: it changed while it was being read"


@dataclass(frozen=True)
class Candidate:
    """One entry of the raw folder: its content id when it is a readable file, else why not.

    `path` is where it is opened, `name` its path inside the raw folder (the manifest's `path`).

    `dump_id` is None for a file not read to plan: its content is new, its id comes from the pass
    that processes it. `looked` is what the file system said when the run planned it (size,
    mtime, ctime, inode); `replaces` the `ok` dumps of the same path that this version supersedes
    once it is recorded.
    """

    path: Path
    dump_id: str | None
    size_bytes: int = 0
    error: str | None = None
    looked: tuple | None = None
    replaces: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Waiting:
    """A raw entry left for a later run, and why."""

    path: str
    reason: str


@dataclass
class Plan:
    """What a run has to do: dumps to process, dumps already done, entries rejected before reading,
    entries left for later, and versions superseded by content the tables already hold."""

    todo: list[Candidate] = field(default_factory=list)
    unchanged: list[Candidate] = field(default_factory=list)
    rejected: list[DumpRecord] = field(default_factory=list)
    fingerprints: dict[str, dict] = field(default_factory=dict)
    waiting: list[Waiting] = field(default_factory=list)
    superseded: list[DumpRecord] = field(default_factory=list)


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


def path_id(name: str | Path) -> str:
    """The id of a rejected entry that has no content to hash: its name in the raw folder."""
    return "path:" + str(name)


def hash_file(path: Path) -> str:
    """sha256 of the file's bytes (first 16 hex), read in chunks: the same as `dump_id_of(bytes)`."""
    return dump_id_of_file(path)[0]


def _fingerprint(st: os.stat_result) -> dict:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino}


def look(st: os.stat_result) -> tuple:
    """What two looks at a settled file agree on: size, mtime, ctime, inode."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def unchanged_since(path: Path, looked: tuple | None) -> bool:
    """Whether the file still is what the run planned (False when it moved, or cannot be looked at)."""
    if looked is None:
        return True  # nothing was looked at to compare with
    try:
        return look(Path(path).stat()) == looked
    except OSError:
        return False


def _cached(cached: dict | None, st: os.stat_result) -> bool:
    fp = _fingerprint(st)
    return bool(cached and cached.get("dump_id") and all(cached.get(k) == v for k, v in fp.items()))


def _moved(before: os.stat_result, after: os.stat_result, settle_s: float) -> str:
    if before.st_ino != after.st_ino:
        return f"still being written: replaced by another file within {settle_s:g} s"
    if before.st_size != after.st_size:
        return f"still being written: {before.st_size:,} -> {after.st_size:,} bytes within {settle_s:g} s"
    return f"still being written: modified within {settle_s:g} s"


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
    return None, st


def inspect(
    path: Path, known: dict[str, dict], st: os.stat_result | None = None, hash_new: bool = True, name: str = ""
) -> tuple[Candidate, dict | None]:
    """Identify one raw file (settled when `st` is given): (candidate, its fingerprint record);
    hashes only what changed, and only with `hash_new` (else a new file's id is left to its pass).
    `name` is its name in the raw folder (by default the file's name)."""
    name = name or Path(path).name
    if st is None:
        problem, st = _filesystem_problem(path)
        if problem:
            return Candidate(path, path_id(name), 0, problem, name=name), None
    fp = _fingerprint(st)
    cached = known.get(name)
    if _cached(cached, st):
        return Candidate(path, cached["dump_id"], st.st_size, looked=look(st), name=name), dict(
            fp, dump_id=cached["dump_id"]
        )
    if st.st_size == 0:
        return Candidate(path, path_id(name), 0, "empty file (0 bytes)", name=name), None
    if not hash_new:
        return Candidate(path, None, st.st_size, looked=look(st), name=name), None
    try:
        dump_id = hash_file(path)
    except OSError as exc:
        return Candidate(path, path_id(name), 0, f"unreadable: {exc.strerror or exc}", name=name), None
    return Candidate(path, dump_id, st.st_size, looked=look(st), name=name), dict(fp, dump_id=dump_id)


def fingerprint_read(cand: Candidate, dump_id: str) -> dict:
    """The fingerprint record of a file read once by the run (`cand.looked`), now that its pass gave its id."""
    size, mtime_ns, ctime_ns, ino = cand.looked
    return {"size": size, "mtime_ns": mtime_ns, "ctime_ns": ctime_ns, "ino": ino, "dump_id": dump_id}


def sizes_to_hash(looks: list[os.stat_result], rows: list[dict]) -> set[int]:
    """The sizes at which a file the cache does not know may hold content the run knows: that of
    an `ok` dump of the manifest, or of another entry of the folder. A file of any other size
    holds new content (equal bytes have equal sizes)."""
    counts = Counter(st.st_size for st in looks)
    return {r["size_bytes"] for r in rows if r["status"] == "ok"} | {n for n, k in counts.items() if k > 1}


def _quiet(st: os.stat_result, settle_s: float, now_ns: int) -> bool:
    """Whether nothing has written to the file or changed its times for `settle_s` (its ctime)."""
    return now_ns - st.st_ctime_ns >= settle_s * 1e9


def settled_entries(
    raw_dir: Path, known: dict[str, dict], settle_s: float, plan: Plan, sleep: Callable[[float], None] = time.sleep
) -> list[tuple[Path, str, os.stat_result]]:
    """The raw files (path, name, what the file system said) that no writer is busy with; the
    others go to `plan.waiting` or `plan.rejected`. Files the fingerprint cache knows unchanged were
    settled at the last run; files untouched for `settle_s` already (`_quiet`) need no second look."""
    first: list[tuple[Path, str, os.stat_result]] = []
    for entry in raw_entries(raw_dir):
        problem, st = (entry.problem, None) if entry.problem or entry.waiting else _filesystem_problem(entry.path)
        if entry.waiting:
            plan.waiting.append(Waiting(entry.name, entry.waiting))
        elif problem:
            plan.rejected.append(manifest_row(entry.name, path_id(entry.name), 0, None, 0, problem))
        else:
            first.append((entry.path, entry.name, st))
    now_ns = time.time_ns()
    fresh = {n for _, n, st in first if not _cached(known.get(n), st) and not _quiet(st, settle_s, now_ns)}
    if not fresh:
        return first
    sleep(max(settle_s, 0.0))
    settled = []
    for path, name, st in first:
        if name not in fresh:
            settled.append((path, name, st))
            continue
        problem, again = _filesystem_problem(path)
        if problem:
            plan.rejected.append(manifest_row(name, path_id(name), 0, None, 0, problem))
        elif look(again) != look(st):
            plan.waiting.append(Waiting(name, _moved(st, again, settle_s)))
        else:
            settled.append((path, name, again))
    return settled


def plan_run(raw_dir: Path, store: Store, settle_s: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> Plan:
    """Sort the raw folder into new work, finished dumps, entries rejected before reading and
    entries left for later (still being written), and find the versions each new one replaces.

    A dump is finished when the manifest has an `ok` row with its id and this pipeline version.
    Rejected dumps are looked at again on every run (the cause may be gone, e.g. a network share).
    The same content under two names is one dump.
    """
    manifest = store.read_manifest()
    version = current_version()
    rows = manifest.to_pylist()
    done = {r["dump_id"] for r in rows if r["status"] == "ok" and r["pipeline_version"] == version}
    known = store.read_fingerprints()
    plan = Plan()
    candidates: list[Candidate] = []
    entries = settled_entries(raw_dir, known, settle_s, plan, sleep)
    may_repeat = sizes_to_hash([st for _, _, st in entries], rows)
    for path, name, st in entries:
        cand, fp = inspect(path, known, st, hash_new=st.st_size in may_repeat, name=name)
        if cand.error:
            plan.rejected.append(manifest_row(name, cand.dump_id, 0, None, 0, cand.error))
        elif not unchanged_since(path, cand.looked):
            plan.waiting.append(Waiting(name, "still being written: it changed while it was being hashed"))
        else:
            if fp is not None:
                plan.fingerprints[name] = fp
            candidates.append(cand)
    replaces = _replacements(candidates, rows, raw_dir)
    by_id = {r["dump_id"]: r for r in rows}
    seen: set[str] = set()
    for cand in candidates:
        old = tuple(sorted(replaces.get(cand.name, ())))
        if cand.dump_id is not None and (cand.dump_id in done or cand.dump_id in seen):
            plan.unchanged.append(cand)
            if cand.dump_id in done:  # content the tables hold, now under a path of older versions
                plan.superseded += [superseded_row(by_id[o], cand.dump_id) for o in old]
        else:
            plan.todo.append(replace(cand, replaces=old))
        if cand.dump_id is not None:
            seen.add(cand.dump_id)
    plan.superseded.sort(key=lambda r: (r.superseded_by, r.dump_id))
    return plan


def _recorded_name(path: str, raw_dir: Path) -> str:
    """The name a manifest row was recorded under: its path inside the raw folder (rows of older
    versions hold the file's path as the run was given it)."""
    if os.path.isabs(path) or path.startswith(os.path.normpath(raw_dir) + os.sep):
        name = dump_name(Path(raw_dir).resolve(), Path(path).resolve())
        if not name.startswith("../"):
            return name
    return path


def _replacements(candidates: list[Candidate], rows: list[dict], raw_dir: Path) -> dict[str, set[str]]:
    """Candidate name -> the `ok` dumps recorded under that name whose content is no longer in the
    folder (a candidate not read to plan holds new content: it is none of them). A feed replaces
    nothing: its earlier versions hold items the new one may have dropped."""
    current_at: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["status"] == "ok":
            current_at[_recorded_name(r["path"], raw_dir)].add(r["dump_id"])
    present = {c.dump_id for c in candidates if c.dump_id is not None}
    out: dict[str, set[str]] = {}
    for cand in candidates:
        old = current_at.get(cand.name, set()) - present
        if old and not accumulates(cand.name):
            out[cand.name] = old
    return out


def superseded_row(row: dict, successor: str) -> DumpRecord:
    """A manifest row kept as history: `superseded` by the dump `successor` (same path, newer content)."""
    values = {f.name: row.get(f.name) for f in fields(DumpRecord)}
    return DumpRecord(**dict(values, status="superseded", superseded_by=successor))


def superseded_rows(store: Store, old_ids: tuple[str, ...] | list[str], successor: str) -> list[DumpRecord]:
    """The `superseded` rows of the given `ok` dumps, for one manifest write with the successor's row."""
    by_id = {r["dump_id"]: r for r in store.read_manifest().to_pylist()}
    return [superseded_row(by_id[d], successor) for d in old_ids if by_id.get(d, {}).get("status") == "ok"]


def manifest_row(
    name: str | Path, dump_id: str, size: int, encoding: str | None, n_docs: int, error: str | None
) -> DumpRecord:
    """A manifest row of the dump `name` (its path inside the raw folder)."""
    return DumpRecord(
        dump_id=dump_id,
        path=str(name),
        size_bytes=size,
        encoding=encoding,
        n_documents=n_docs,
        status="rejected" if error else "ok",
        error=error,
        pipeline_version=current_version(),
        processed_at=datetime.now(UTC),
    )


_SAME_OUTCOME = ("dump_id", "path", "status", "error", "pipeline_version", "size_bytes", "superseded_by")


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


def record_and_retire(store: Store, rows: list[DumpRecord]) -> None:
    """Record rows in one manifest write (the commit point), then retire the partitions of those
    that are `superseded`: a kill in between leaves partitions that `Store.drop_uncommitted` removes."""
    if rows:
        record_dumps(store, rows)
    if old := [r.dump_id for r in rows if r.status == "superseded"]:
        store.retire(old)


def _same(old: dict | None, new: DumpRecord) -> bool:
    return old is not None and all(str(old[k]) == str(getattr(new, k)) for k in _SAME_OUTCOME)


def ok_dump_ids(store: Store) -> list[str]:
    """The current dumps (`ok`; not rejected, not superseded): the corpus every table is read from."""
    return store.committed_dump_ids()
