"""`pipeline forget DUMP_ID`: remove one dump on purpose (partitions, manifest row; the corpus steps
rerun, the pairs' full recompute on a Dask cluster with `--workers N` or `--dask-address`).

Forgetting a current dump forgets the superseded versions of its file too (their rows are history
that would point at nothing); forgetting a superseded dump removes only its history row."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("forget", help="remove one dump's rows from the output dataset")
    p.add_argument("dump_id", help="the dump's id (dump_id column of dumps.parquet)")
    p.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    p.add_argument("--raw", default=defaults.raw_dir, help="raw folder the dump came from (default: %(default)s)")
    p.add_argument("--lock-timeout", type=float, default=defaults.lock_timeout_s, metavar="SECONDS")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="recompute the pairs on a local Dask cluster of N processes",
    )
    where.add_argument(
        "--dask-address", default=None, metavar="tcp://HOST:PORT",
        help="recompute the pairs on an existing Dask cluster (its workers need the output folder at the same path)",
    )
    p.set_defaults(func=forget)


def forget(args: argparse.Namespace) -> int:
    from pipeline.corpus import STEPS, run_steps
    from pipeline.ledger import read_manifest, remove_dump
    from pipeline.store import LockTimeout, Store
    from pipeline.workers import dask_client

    settings = Settings.from_env(out_dir=args.out)
    store = Store(settings.out_dir)
    try:
        with store.lock(args.lock_timeout):
            store.clean_tmp()
            manifest = read_manifest(store).to_pylist()
            rows = [r for r in manifest if r["dump_id"] == args.dump_id]
            if not remove_dump(store, args.dump_id):
                print(f"pipeline forget: no dump {args.dump_id} in {store.root}", file=sys.stderr)
                return 1
            history = predecessors(manifest, args.dump_id)
            for dump_id in history:  # superseded versions of the same file: rows only, their data is retired
                remove_dump(store, dump_id)
            with dask_client(getattr(args, "workers", None), getattr(args, "dask_address", None)) as blocks:
                run_steps(store, settings, STEPS, blocks=blocks)  # each step whose input the dump was part of
            n_duplicates = store.read_duplicates().num_rows
            n_pairs = store.read_pairs().num_rows
    except LockTimeout as exc:
        print(f"pipeline forget: {exc}", file=sys.stderr)
        return 3
    print(f"forgot dump {args.dump_id}; duplicates recomputed: {n_duplicates}; pairs recomputed: {n_pairs}")
    for row in rows:
        if row["status"] == "superseded":
            print(f"it was superseded by {row['superseded_by']}: only its manifest row was left (history)")
    if history:
        print(f"also forgot the older versions it had superseded: {', '.join(history)}")
    for row in rows:
        if (Path(args.raw) / row["path"]).exists():  # its path inside the raw folder
            print(
                f"note: {row['path']} is still in the raw folder; the next run will process it again"
                " unless it is moved away",
                file=sys.stderr,
            )
    return 0


def predecessors(manifest: list[dict], dump_id: str) -> list[str]:
    """The superseded versions that led to `dump_id` (rows whose successor chain reaches it)."""
    found: list[str] = []
    frontier = {dump_id}
    while frontier:
        step = sorted(
            r["dump_id"] for r in manifest if r.get("superseded_by") in frontier and r["dump_id"] not in found
        )
        found += step
        frontier = set(step)
    return found
