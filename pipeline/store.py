"""The one place that writes the dataset: atomic Parquet files, staged partitions, the lock.

What the files mean is known above it: the manifest's rows (`dumps.parquet`, at `manifest_path`)
by `pipeline.ledger`, the raw folder's fingerprints and waiting entries by `pipeline.raw_folder`."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.settings import default

COMPRESSION = "zstd"
_PART = "part-{:05d}.parquet"
DUPLICATES_STATE = b"duplicates_state"


class LockTimeout(RuntimeError):
    """Another run holds the output folder for longer than we agreed to wait."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Staging:
    """A dump's partitions being written: part files under `_tmp/`, switched in by `Store.commit`.

    `dump_id` may be unknown while the dump is read (None: its id is the hash of all its bytes);
    `commit` is then given it."""

    def __init__(self, store: Store, dump_id: str | None):
        self.store = store
        self.dump_id = dump_id
        self.dir = store.tmp_dir / f"stage-{dump_id or 'reading'}-{uuid.uuid4().hex[:8]}"
        self.counts: dict[str, int] = dict.fromkeys(schemas.PARTITIONED, 0)
        for name in schemas.PARTITIONED:
            (self.dir / name).mkdir(parents=True, exist_ok=True)

    def write_part(self, name: str, table: pa.Table) -> Path:
        """Write the next part file of one table (part-00000, part-00001, ...)."""
        path = self.dir / name / _PART.format(self.counts[name])
        self.store.write_file(_checked(name, table), path)
        self.counts[name] += 1
        return path


def _checked(name: str, table: pa.Table) -> pa.Table:
    """A part file's table, checked against its table's schema (its dump is its partition folder)."""
    expected = schemas.PARTITIONED[name]
    if not table.schema.equals(expected, check_metadata=False):
        raise ValueError(f"{name}: schema mismatch:\n{table.schema}\nexpected:\n{expected}")
    return table


class Store:
    """A processed/ dataset: hive-partitioned tables by dump, the corpus tables, the state files."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    # ---- paths -------------------------------------------------------------------------
    @property
    def tmp_dir(self) -> Path:
        return self.root / "_tmp"

    def partition_dir(self, table: str, dump_id: str) -> Path:
        return self.root / table / f"dump_id={dump_id}"

    @property
    def manifest_path(self) -> Path:
        return self.root / "dumps.parquet"

    @property
    def pairs_path(self) -> Path:
        return self.root / "pairs" / "part-0.parquet"

    @property
    def fingerprints_path(self) -> Path:
        return self.root / "_state" / "fingerprints.json"

    # ---- writing -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _replacing(self, final: Path, suffix: str) -> Iterator[Path]:
        """A temporary path in `_tmp/` to write `final`'s new content to; once written, it is
        fsynced and renamed into place (a reader sees the old file or the new one)."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp_dir / f"{uuid.uuid4().hex}{suffix}"
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)

    def write_file(self, table: pa.Table, final: Path) -> None:
        """One Parquet file, written under a temporary name and renamed into place."""
        with self._replacing(final, ".parquet") as tmp:
            pq.write_table(table, tmp, compression=COMPRESSION)

    def _write_bytes(self, data: bytes, final: Path) -> None:
        with self._replacing(final, ".tmp") as tmp:
            tmp.write_bytes(data)

    # ---- the pairing state (pipeline/pairing_index.py): raw arrays, appended or replaced --------
    @property
    def pairing_dir(self) -> Path:
        return self.root / "_state" / "pairing"

    def append_array(self, path: Path, array: np.ndarray, at_bytes: int) -> int:
        """Write `array`'s bytes to an append-only file after its first `at_bytes` (what an interrupted
        run left past them is cut first), fsync; returns the file's new size. The file's readers
        know how many bytes are committed (the state file written last), so a crash leaves it valid."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, at_bytes)
            os.lseek(fd, at_bytes, os.SEEK_SET)
            data = memoryview(np.ascontiguousarray(array)).cast("B")
            for i in range(0, len(data), 1 << 26):
                os.write(fd, data[i : i + (1 << 26)])
            os.fsync(fd)
        finally:
            os.close(fd)
        return at_bytes + array.nbytes

    def write_array(self, array: np.ndarray, final: Path) -> None:
        """One `.npy` file, written under a temporary name and renamed into place."""
        with self._replacing(final, ".npy") as tmp, open(tmp, "wb") as fh:
            np.save(fh, array)

    def write_json(self, data: dict, final: Path) -> None:
        self._write_bytes(json.dumps(data, sort_keys=True, indent=1).encode(), final)

    def replace_dir(self, built: Path, final: Path) -> None:
        """Put a folder built under `_tmp/` in place of `final` (exchanged in one step where the
        system can), and remove what was there. Without an atomic exchange there is a moment
        without `final`: for a dump's partitions the manifest row, written after, still says redo."""
        _fsync_dir(built)
        final.parent.mkdir(parents=True, exist_ok=True)
        if not final.exists():
            os.replace(built, final)
        elif _exchange(built, final):
            shutil.rmtree(built, ignore_errors=True)
        else:
            trash = self.tmp_dir / f"old-{uuid.uuid4().hex}"
            os.replace(final, trash)
            os.replace(built, final)
            shutil.rmtree(trash, ignore_errors=True)
        _fsync_dir(final.parent)

    def stage(self, dump_id: str | None) -> Staging:
        """Start writing a dump's partitions; nothing is visible until `commit`."""
        return Staging(self, dump_id)

    def commit(self, staging: Staging, dump_id: str | None = None) -> None:
        """Switch a staged dump in (as `dump_id` when the staging did not know it), table by table,
        replacing any older partition of that dump.

        Each table's partition directory is renamed into place in one step, so a reader sees the
        old partition or the new one, never a mix of part files. The manifest row comes after.
        """
        dump_id = staging.dump_id or dump_id
        if not dump_id:
            raise ValueError("a staged dump needs its id to be switched in")
        for name in schemas.PARTITIONED:
            self.replace_dir(staging.dir / name, self.partition_dir(name, dump_id))
        shutil.rmtree(staging.dir, ignore_errors=True)

    def write_partition(self, name: str, dump_id: str, table: pa.Table) -> Path:
        """Replace the partition of one dump in one table by a single part file."""
        staging = Staging(self, dump_id)
        path = staging.write_part(name, table)
        for other in schemas.PARTITIONED:
            if other != name:
                shutil.rmtree(staging.dir / other)
        final = self.partition_dir(name, dump_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            trash = self.tmp_dir / f"old-{uuid.uuid4().hex}"
            os.replace(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(path.parent, final)
        shutil.rmtree(staging.dir, ignore_errors=True)
        return final / path.name

    def write_pairs(self, table: pa.Table) -> None:
        self.write_file(table.cast(schemas.PAIRS), self.pairs_path)

    # ---- corpus-wide tables partitioned by dump (bitext) -------------------------------
    def write_corpus_partition(self, name: str, dump_id: str, table: pa.Table) -> None:
        """Replace one partition of a corpus table (bitext) by one part file, in one rename.

        The part file is written under `_tmp/`, then its folder is exchanged with the partition,
        so a reader sees the old units of that dump or the new ones, never a mix."""
        expected = schemas.CORPUS_PARTITIONED[name]
        if not table.schema.equals(expected, check_metadata=False):
            raise ValueError(f"{name}: schema mismatch:\n{table.schema}\nexpected:\n{expected}")
        staged = self.tmp_dir / f"stage-{name}-{dump_id}-{uuid.uuid4().hex[:8]}"
        meta = {**(expected.metadata or {}), **(table.schema.metadata or {})}
        self.write_file(table.replace_schema_metadata(meta), staged / _PART.format(0))
        self.replace_dir(staged, self.partition_dir(name, dump_id))

    def remove_corpus_partition(self, name: str, dump_id: str) -> None:
        """Drop one partition of a corpus table (moved out of the table first, then removed)."""
        part = self.partition_dir(name, dump_id)
        if part.exists():
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            trash = self.tmp_dir / f"old-{uuid.uuid4().hex}"
            os.replace(part, trash)
            _fsync_dir(part.parent)
            shutil.rmtree(trash, ignore_errors=True)

    def corpus_partition_ids(self, name: str) -> list[str]:
        """Dump ids that have a partition of a corpus table, sorted."""
        table_dir = self.root / name
        if not table_dir.is_dir():
            return []
        return sorted(p.name.split("=", 1)[1] for p in table_dir.iterdir() if p.name.startswith("dump_id="))

    def read_corpus_partition(self, name: str, dump_id: str, columns: list[str] | None = None) -> pa.Table:
        """One partition of a corpus table (empty when it has none)."""
        files = self.part_files(name, dump_id)
        if not files:
            schema = schemas.CORPUS_PARTITIONED[name]
            return schema.empty_table().select(columns or schema.names)
        return pa.concat_tables([pq.read_table(f, columns=columns) for f in files])

    def corpus_partition_metadata(self, name: str, dump_id: str) -> dict[bytes, bytes]:
        """The schema metadata of a corpus partition's first part file ({} when it has none)."""
        files = self.part_files(name, dump_id)
        return dict(pq.read_schema(files[0]).metadata or {}) if files else {}

    def read_bitext(self, columns: list[str] | None = None) -> pa.Table:
        """Every partition of the bitext table, with the `dump_id` of each."""
        parts = []
        for dump_id in self.corpus_partition_ids("bitext"):
            t = self.read_corpus_partition("bitext", dump_id, columns)
            parts.append(t.append_column("dump_id", pa.array([dump_id] * t.num_rows, pa.string())))
        if not parts:
            t = schemas.BITEXT.empty_table().select(columns or schemas.BITEXT.names)
            return t.append_column("dump_id", pa.array([], pa.string()))
        return pa.concat_tables(parts, promote_options="permissive")

    @property
    def key_map_path(self) -> Path:
        return self.root / "key_map" / "part-0.parquet"

    @property
    def entity_keys_path(self) -> Path:
        return self.root / "entity_keys" / "part-0.parquet"

    def write_key_map(self, table: pa.Table) -> None:
        self.write_file(table.cast(schemas.KEY_MAP), self.key_map_path)

    def write_entity_keys(self, table: pa.Table) -> None:
        self.write_file(table.cast(schemas.ENTITY_KEYS), self.entity_keys_path)

    @property
    def step_stamps_path(self) -> Path:
        return self.root / "_state" / "steps.json"

    def read_step_stamps(self) -> dict[str, str]:
        """The stamp of each corpus step's last run (`pipeline.corpus.step`); {} when none ran."""
        try:
            return json.loads(self.step_stamps_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def has_table(self, name: str) -> bool:
        """Whether a corpus table is there (a partitioned one always is: it may hold no partition)."""
        single = {"pairs": self.pairs_path, "key_map": self.key_map_path, "entity_keys": self.entity_keys_path}
        single["duplicates"] = self.duplicates_path
        return single[name].exists() if name in single else True

    def write_step_stamps(self, stamps: dict[str, str]) -> None:
        self.write_json(stamps, self.step_stamps_path)

    @property
    def duplicates_path(self) -> Path:
        return self.root / "duplicates" / "part-0.parquet"

    def write_duplicates(self, table: pa.Table, state: dict) -> None:
        """Replace the duplicates table; `state` (what it was computed from) rides in the same file."""
        table = table.cast(schemas.DUPLICATES)
        meta = dict(table.schema.metadata or {})
        meta[DUPLICATES_STATE] = json.dumps(state, sort_keys=True).encode()
        self.write_file(table.replace_schema_metadata(meta), self.duplicates_path)

    def read_duplicates(self) -> pa.Table:
        if not self.duplicates_path.exists():
            return schemas.DUPLICATES.empty_table()
        return pq.read_table(self.duplicates_path)

    def duplicates_state(self) -> dict | None:
        """What the duplicates table was computed from (None: no table, compute it)."""
        if not self.duplicates_path.exists():
            return None
        meta = pq.read_schema(self.duplicates_path).metadata or {}
        try:
            return json.loads(meta[DUPLICATES_STATE])
        except (KeyError, ValueError):
            return None

    def remove_partitions(self, dump_id: str) -> bool:
        """Delete one dump's partitions (each moved out of the table first, then removed)."""
        found = False
        for name in schemas.PARTITIONED:
            found = self._remove_partition(name, dump_id) or found
        return found

    def _remove_partition(self, name: str, dump_id: str) -> bool:
        """Move one table's partition of a dump out of the table in one rename, then delete it."""
        part = self.partition_dir(name, dump_id)
        if not part.exists():
            return False
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        trash = self.tmp_dir / f"old-{uuid.uuid4().hex}"
        os.replace(part, trash)
        _fsync_dir(part.parent)
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def partition_dump_ids(self) -> set[str]:
        """Dump ids that have a partition directory in any table."""
        ids = set()
        for name in schemas.PARTITIONED:
            table_dir = self.root / name
            if table_dir.is_dir():
                ids.update(p.name.split("=", 1)[1] for p in table_dir.iterdir() if p.name.startswith("dump_id="))
        return ids

    def clean_tmp(self) -> None:
        """Remove what an interrupted run left under `_tmp/` (only ever called under the lock)."""
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    # ---- file fingerprints (skip re-hashing unchanged files) ---------------------------
    def read_fingerprints(self) -> dict[str, dict]:
        try:
            return json.loads(self.fingerprints_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_fingerprints(self, prints: dict[str, dict]) -> None:
        data = json.dumps(prints, sort_keys=True, indent=1).encode()
        self._write_bytes(data, self.fingerprints_path)

    # ---- files left for later by the last run (still being written) --------------------
    @property
    def waiting_path(self) -> Path:
        return self.root / "_state" / "waiting.json"

    def write_waiting(self, waiting: list[tuple[str, str]]) -> None:
        data = json.dumps([{"path": p, "reason": r} for p, r in waiting], indent=1, ensure_ascii=False)
        self._write_bytes(data.encode(), self.waiting_path)

    def read_waiting(self) -> list[dict]:
        """[{path, reason}] of the entries the last run left for a later one."""
        try:
            return json.loads(self.waiting_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []

    # ---- reading -----------------------------------------------------------------------
    def read_partition(self, name: str, dump_id: str, columns: list[str] | None = None) -> pa.Table:
        """All part files of one dump's partition, in part order."""
        schema = schemas.PARTITIONED[name]
        files = self.part_files(name, dump_id)
        if not files:
            return schema.empty_table().select(columns or schema.names)
        tables = [pq.read_table(f, columns=columns) for f in files]
        return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]

    def part_files(self, name: str, dump_id: str) -> list[Path]:
        """The part files of one dump's partition, in part order."""
        part_dir = self.partition_dir(name, dump_id)
        return sorted(part_dir.glob("part-*.parquet")) if part_dir.is_dir() else []

    def count_rows(self, name: str, dump_id: str) -> int:
        """Rows of one dump's partition, over all its part files (from the files' metadata)."""
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.part_files(name, dump_id))

    def read_table(self, name: str, dump_ids: list[str], columns: list[str] | None = None) -> pa.Table:
        """Concatenate the partitions of the given dumps, with a `dump_id` column added."""
        parts = []
        for dump_id in dump_ids:
            t = self.read_partition(name, dump_id, columns)
            parts.append(t.append_column("dump_id", pa.array([dump_id] * t.num_rows, pa.string())))
        if not parts:
            schema = schemas.PARTITIONED[name]
            t = schema.empty_table().select(columns or schema.names)
            return t.append_column("dump_id", pa.array([], pa.string()))
        return pa.concat_tables(parts, promote_options="permissive")

    def read_key_map(self) -> dict[str, str]:
        """`entity_key` -> the key the pairs' evidence joined it to (empty before any learning)."""
        if not self.key_map_path.exists():
            return {}
        t = pq.read_table(self.key_map_path, columns=["entity_key", "key"])
        return dict(zip(t.column("entity_key").to_pylist(), t.column("key").to_pylist()))

    def read_entity_keys(self) -> pa.Table:
        if not self.entity_keys_path.exists():
            return schemas.ENTITY_KEYS.empty_table()
        return pq.read_table(self.entity_keys_path)

    def read_pairs(self) -> pa.Table:
        if not self.pairs_path.exists():
            return schemas.PAIRS.empty_table()
        return pq.read_table(self.pairs_path)

    # ---- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout_s: float = default("lock_timeout_s"), poll_s: float = 0.2) -> Iterator[None]:
        """Hold an exclusive lock on the output folder; wait for another run up to `timeout_s`."""
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / ".lock", "a+")
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"another pipeline run is using {self.root} (waited {timeout_s:g} s for its lock);"
                            " try again later or raise --lock-timeout"
                        ) from None
                    time.sleep(poll_s)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
