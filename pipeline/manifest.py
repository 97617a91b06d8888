"""The manifest side of a run: which dumps there are, which are new, recording outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import PIPELINE_VERSION, schemas
from pipeline.records import DumpRecord
from pipeline.stages.decode import dump_id_of_file
from pipeline.store import Store


def discover_dumps(raw_dir: Path) -> list[Path]:
    """Every entry of the raw folder that is not hidden, in name order (bad ones are rejected later)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    return sorted(p for p in raw_dir.iterdir() if not p.name.startswith("."))


def dumps_to_process(paths: list[Path], manifest: pa.Table) -> tuple[list[Path], list[Path]]:
    """Split paths into (to process, unchanged) using the manifest's dump ids and versions."""
    done = set(zip(manifest.column("dump_id").to_pylist(), manifest.column("pipeline_version").to_pylist()))
    todo, unchanged = [], []
    for p in paths:
        try:
            dump_id = dump_id_of_file(p)[0]
        except OSError:
            todo.append(p)
            continue
        (unchanged if (dump_id, PIPELINE_VERSION) in done else todo).append(p)
    return todo, unchanged


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
        pipeline_version=PIPELINE_VERSION,
        processed_at=datetime.now(UTC),
    )


def record_dumps(store: Store, rows: list[DumpRecord]) -> None:
    """Add or replace manifest rows (by dump id)."""
    manifest = store.read_manifest()
    new_ids = {r.dump_id for r in rows}
    if manifest.num_rows:
        manifest = manifest.filter(pc.invert(pc.is_in(manifest.column("dump_id"), pa.array(sorted(new_ids)))))
    table = pa.concat_tables([manifest.cast(schemas.DUMPS), schemas.to_table(rows, schemas.DUMPS)])
    order = pc.sort_indices(table, sort_keys=[("path", "ascending"), ("dump_id", "ascending")])
    store.write_manifest(table.take(order))


def ok_dump_ids(store: Store) -> list[str]:
    m = store.read_manifest()
    return sorted(d for d, s in zip(m.column("dump_id").to_pylist(), m.column("status").to_pylist()) if s == "ok")
