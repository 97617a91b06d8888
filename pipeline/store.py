"""The one place that writes the dataset: atomic Parquet files, the manifest, the output lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schemas

COMPRESSION = "zstd"


class LockTimeout(RuntimeError):
    """Another run holds the output folder for longer than we agreed to wait."""


class Store:
    """A processed/ dataset: hive-partitioned tables by dump, the pairs table, the manifest."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    # ---- paths -------------------------------------------------------------------------
    def partition_file(self, table: str, dump_id: str) -> Path:
        return self.root / table / f"dump_id={dump_id}" / "part-0.parquet"

    @property
    def manifest_path(self) -> Path:
        return self.root / "dumps.parquet"

    @property
    def pairs_path(self) -> Path:
        return self.root / "pairs" / "part-0.parquet"

    # ---- writing -----------------------------------------------------------------------
    def _atomic_write(self, table: pa.Table, final: Path) -> None:
        """Write under a temporary name in the same folder tree, fsync, then rename."""
        tmp_dir = self.root / "_tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"{uuid.uuid4().hex}.parquet"
        pq.write_table(table, tmp, compression=COMPRESSION)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)

    def write_partition(self, name: str, dump_id: str, table: pa.Table) -> Path:
        """Replace the partition of one dump in one table."""
        expected = schemas.PARTITIONED[name]
        if not table.schema.equals(expected, check_metadata=False):
            raise ValueError(f"{name}: schema mismatch:\n{table.schema}\nexpected:\n{expected}")
        path = self.partition_file(name, dump_id)
        meta = dict(table.schema.metadata or {})
        meta[b"dump_id"] = dump_id.encode()
        self._atomic_write(table.replace_schema_metadata(meta), path)
        return path

    def write_pairs(self, table: pa.Table) -> None:
        self._atomic_write(table.cast(schemas.PAIRS), self.pairs_path)

    def write_manifest(self, table: pa.Table) -> None:
        self._atomic_write(table.cast(schemas.DUMPS), self.manifest_path)

    def remove_dump(self, dump_id: str) -> bool:
        """Delete one dump's partitions and its manifest row. Returns whether it was known."""
        manifest = self.read_manifest()
        known = dump_id in manifest.column("dump_id").to_pylist()
        if known:
            keep = pc.not_equal(manifest.column("dump_id"), dump_id)
            self.write_manifest(manifest.filter(keep))
        for name in schemas.PARTITIONED:
            part = self.partition_file(name, dump_id).parent
            if part.exists():
                known = True
                shutil.rmtree(part)
        return known

    def clean_tmp(self) -> None:
        shutil.rmtree(self.root / "_tmp", ignore_errors=True)

    # ---- reading -----------------------------------------------------------------------
    def read_manifest(self) -> pa.Table:
        if not self.manifest_path.exists():
            return schemas.DUMPS.empty_table()
        return pq.read_table(self.manifest_path)

    def read_partition(self, name: str, dump_id: str, columns: list[str] | None = None) -> pa.Table:
        path = self.partition_file(name, dump_id)
        if not path.exists():
            return schemas.PARTITIONED[name].empty_table().select(columns or schemas.PARTITIONED[name].names)
        return pq.read_table(path, columns=columns)

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

    def read_pairs(self) -> pa.Table:
        if not self.pairs_path.exists():
            return schemas.PAIRS.empty_table()
        return pq.read_table(self.pairs_path)

    # ---- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout_s: float = 600.0, poll_s: float = 0.2) -> Iterator[None]:
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
                            f"another pipeline run holds {self.root} (waited {timeout_s:.0f} s)"
                        ) from None
                    time.sleep(poll_s)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
