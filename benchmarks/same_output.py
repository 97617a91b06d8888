"""Whether two processed datasets hold the same tables, row for row.

    python -m benchmarks.same_output PROCESSED_A PROCESSED_B

Compares every table of the store (each partitioned table part file by part file in order, and
the pairs table) and the manifest (without `processed_at` and `pipeline_version`, which name the
run, not its output). Prints one line per table with its row count; exits 1 at the first table
that differs, naming the first differing row.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RUN_COLUMNS = {"processed_at", "pipeline_version"}


def table_files(root: Path) -> dict[str, list[Path]]:
    """Every Parquet file of a dataset by table name (the top-level folder or file), in order."""
    tables: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*.parquet")):
        rel = path.relative_to(root)
        if rel.parts[0].startswith("_"):
            continue
        tables.setdefault(rel.parts[0].removesuffix(".parquet"), []).append(rel)
    return tables


def read(root: Path, files: list[Path]) -> pa.Table:
    tables = [pq.read_table(root / f) for f in files]
    table = pa.concat_tables(tables) if tables else pa.table({})
    return table.drop_columns([c for c in table.column_names if c in RUN_COLUMNS])


def first_difference(a: pa.Table, b: pa.Table) -> str:
    if a.schema != b.schema:
        return f"schemas differ: {a.schema} / {b.schema}"
    if a.num_rows != b.num_rows:
        return f"{a.num_rows} rows / {b.num_rows} rows"
    for i, (x, y) in enumerate(zip(a.to_pylist(), b.to_pylist())):
        if x != y:
            return f"row {i}: {x} / {y}"
    return "equal"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    args = ap.parse_args()
    files_a, files_b = table_files(args.a), table_files(args.b)
    if files_a.keys() != files_b.keys():
        print(f"tables differ: {sorted(files_a)} / {sorted(files_b)}")
        return 1
    for name in sorted(files_a):
        if files_a[name] != files_b[name]:
            print(f"{name}: part files differ: {files_a[name]} / {files_b[name]}")
            return 1
        a, b = read(args.a, files_a[name]), read(args.b, files_b[name])
        if not a.equals(b):
            print(f"{name}: DIFFERENT: {first_difference(a, b)}")
            return 1
        print(f"{name}: {a.num_rows} rows, identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
