"""The raw folder as scrapers and crawlers leave it: every file at any depth is a dump, named by its
path inside the folder (`tass/2024-07-25/news.txt`), which the manifest, `status` and the report show.

What is passed over, at any depth: names that writers use for files in progress or hide
(`*.part`, `*.tmp`, `*.crdownload`, `.name`, `~name`; a folder of such a name with all it holds).
A symbolic link is followed only when what it leads to lies inside the raw folder (a file or a
folder); any other link is an entry with a `problem`, and what it leads to is never opened: a
scraper's folder is not trusted input, and a link out of it must not put a private file into the
tables. A folder reached twice (through a link, or a link loop) is read once, under its own name.

The plan of a run (`plan_run`), from the folder, the manifest's rows and the fingerprints the last
run kept, all given as data (this module reads neither the ledger nor the store):

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
manifest write as the new row; their partitions are retired after it (`ledger.record_and_retire`, and
`ledger.drop_uncommitted` after a crash). A feed is the exception (`readers.FeedReader.accumulates`): a feed
file downloaded again under the same name holds the latest items of a stream, so its earlier
versions stay current beside it (the items the new version repeats are `exact` duplicates).
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from pipeline.ids import current_version, hash_file, path_id
from pipeline.readers import accumulates
from pipeline.records import DumpRecord, manifest_row, superseded_row

IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")
IN_PROGRESS_PREFIXES = (".", "~")
CHANGED_WHILE_READ = "still being written: it changed while it was being read"
LINK_OUTSIDE = (
    "a symbolic link that leads outside the raw folder: not followed, nothing read "
    "(only links to files and folders inside the raw folder are read)"
)


@dataclass(frozen=True)
class RawEntry:
    """One entry of the raw folder: where it is opened, its name in the manifest, and, for an entry
    that is no dump to read, why (`problem`: rejected; `waiting`: left alone for now)."""

    path: Path
    name: str
    problem: str | None = None
    waiting: str | None = None


def in_progress_reason(name: str, folder: bool = False) -> str | None:
    """Why a file or folder name says that a writer is not done with it (None when it does not)."""
    lower = name.lower()
    kind = "folder" if folder else "file"
    for suffix in IN_PROGRESS_SUFFIXES:
        if lower.endswith(suffix):
            return f"its name ends in `{suffix}`: a {kind} still being written"
    if name.startswith(IN_PROGRESS_PREFIXES):
        return f"its name starts with `{name[0]}`: a hidden or temporary {kind}, still being written or not a dump"
    return None


def dump_name(raw_dir: Path, path: Path) -> str:
    """The name of a dump: its path relative to the raw folder, `/`-separated."""
    return PurePosixPath(*Path(os.path.relpath(path, raw_dir)).parts).as_posix()


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def raw_entries(raw_dir: Path) -> list[RawEntry]:
    """Every entry of the raw folder at any depth, in name order: files to read, and entries passed
    over (in-progress and hidden names, links out of the folder, unreadable folders) with why."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    root = os.path.realpath(raw_dir)
    entries: list[RawEntry] = []
    read_folders = {root}
    linked: list[Path] = []  # folders reached through a link: read after the real ones, if not read yet

    def visit(folder: Path) -> None:
        try:
            with os.scandir(folder) as found:
                names = sorted(e.name for e in found)
        except OSError as exc:
            problem = f"unreadable folder: {exc.strerror or exc}"
            entries.append(RawEntry(folder, dump_name(raw_dir, folder), problem=problem))
            return
        for name in names:
            path = folder / name
            is_link = path.is_symlink()
            if is_link and not _inside(os.path.realpath(path), root):
                entries.append(RawEntry(path, dump_name(raw_dir, path), problem=LINK_OUTSIDE))
                continue
            is_folder = path.is_dir()
            if reason := in_progress_reason(name, folder=is_folder):
                entries.append(RawEntry(path, dump_name(raw_dir, path), waiting=reason))
            elif is_folder and is_link:
                linked.append(path)
            elif is_folder:
                read_folders.add(os.path.realpath(path))
                visit(path)
            else:  # a file, a link to one inside the folder, or an entry the manifest rejects (a broken link)
                entries.append(RawEntry(path, dump_name(raw_dir, path)))

    visit(raw_dir)
    while linked:
        path = linked.pop(0)
        real = os.path.realpath(path)
        if real not in read_folders:
            read_folders.add(real)
            visit(path)
    return sorted(entries, key=lambda e: e.name)


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


def plan_run(
    raw_dir: Path, rows: list[dict], known: dict[str, dict], settle_s: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Plan:
    """Sort the raw folder into new work, finished dumps, entries rejected before reading and
    entries left for later (still being written), and find the versions each new one replaces.

    `rows` are the manifest's rows (`ledger.rows`), `known` the fingerprints the last run kept
    (`Store.read_fingerprints`). A dump is finished when the manifest has an `ok` row with its id
    and this pipeline version. Rejected dumps are looked at again on every run (the cause may be
    gone, e.g. a network share). The same content under two names is one dump.
    """
    version = current_version()
    done = {r["dump_id"] for r in rows if r["status"] == "ok" and r["pipeline_version"] == version}
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
