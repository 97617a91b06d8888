"""The ledger: the manifest's rows (`dumps.parquet`) and their one writer.

A row says what became of one dump: `ok` (its partitions are current), `rejected` (why, in
`error`) or `superseded` (by `superseded_by`, a newer version under the same path). The rows
themselves are made in `records` (`manifest_row`, `superseded_row`); here they are read, written
(`record_dumps`, the one place that writes the file, through `Store.write_file`) and what they
vouch for is enforced: the current dumps (`ok_dump_ids`), the partitions no row vouches for after
a crash (`drop_uncommitted`), the partitions of superseded versions (`record_and_retire`) and a
dump forgotten on request (`remove_dump`).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.records import DumpRecord, superseded_row
from pipeline.store import Store

_SAME_OUTCOME = ("dump_id", "path", "status", "error", "pipeline_version", "size_bytes", "superseded_by")


def read_manifest(store: Store) -> pa.Table:
    """The manifest as a table (empty before the first run); a column added since it was written
    (a legacy row) is null for its rows."""
    if not store.manifest_path.exists():
        return schemas.DUMPS.empty_table()
    table = pq.read_table(store.manifest_path)
    for f in schemas.DUMPS:
        if f.name not in table.column_names and f.nullable:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table.select(schemas.DUMPS.names)


def rows(store: Store) -> list[dict]:
    """The manifest's rows as dicts."""
    return read_manifest(store).to_pylist()


def _write(store: Store, table: pa.Table) -> None:
    store.write_file(table.cast(schemas.DUMPS), store.manifest_path)


def record_dumps(store: Store, rows: list[DumpRecord]) -> int:
    """Add or replace manifest rows (by dump id); returns how many rows changed.

    A row that repeats the manifest's outcome for that dump is left as it is (its `processed_at`
    too), so a re-run that finds the same rejected file changes nothing. A `rejected` row of the
    same path is dropped when that path gets a new outcome.
    """
    manifest = read_manifest(store)
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
    _write(store, table.take(order))
    return len(changed)


def _same(old: dict | None, new: DumpRecord) -> bool:
    return old is not None and all(str(old[k]) == str(getattr(new, k)) for k in _SAME_OUTCOME)


def superseded_rows(store: Store, old_ids: tuple[str, ...] | list[str], successor: str) -> list[DumpRecord]:
    """The `superseded` rows of the given `ok` dumps, for one manifest write with the successor's row."""
    by_id = {r["dump_id"]: r for r in rows(store)}
    return [superseded_row(by_id[d], successor) for d in old_ids if by_id.get(d, {}).get("status") == "ok"]


def record_and_retire(store: Store, rows: list[DumpRecord]) -> None:
    """Record rows in one manifest write (the commit point), then remove the partitions of those
    that are `superseded`: a kill in between leaves partitions that `drop_uncommitted` removes."""
    if rows:
        record_dumps(store, rows)
    if old := [r.dump_id for r in rows if r.status == "superseded"]:
        retire(store, old)


def retire(store: Store, dump_ids: list[str]) -> None:
    """Remove the partitions of versions the manifest already marks `superseded` (after that row)."""
    for dump_id in dump_ids:
        store.remove_partitions(dump_id)


def ok_dump_ids(store: Store) -> list[str]:
    """The current dumps (`ok`; not rejected, not superseded): an `ok` row vouches for their
    partitions, the corpus every table is read from."""
    m = read_manifest(store)
    return sorted(d for d, s in zip(m.column("dump_id").to_pylist(), m.column("status").to_pylist()) if s == "ok")


def drop_uncommitted(store: Store) -> list[str]:
    """Crash recovery (under the lock): delete the partitions no `ok` manifest row vouches for.

    That covers both halves of an interrupted replacement: a new version switched in before
    its manifest row (the old version stays current) and a `superseded` version whose
    partitions were not yet retired after the row (the new version is current).
    """
    dropped = sorted(store.partition_dump_ids() - set(ok_dump_ids(store)))
    for dump_id in dropped:
        store.remove_partitions(dump_id)
    return dropped


def remove_dump(store: Store, dump_id: str) -> bool:
    """Delete one dump's manifest row, then its partitions. Returns whether it was known."""
    manifest = read_manifest(store)
    known = dump_id in manifest.column("dump_id").to_pylist()
    if known:
        _write(store, manifest.filter(pc.not_equal(manifest.column("dump_id"), dump_id)))
    return store.remove_partitions(dump_id) or known
