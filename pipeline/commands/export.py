"""`pipeline export tmx --out FILE [--min-score X]`: the aligned sentences for translation tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("export", help="export the aligned sentences (bitext) for other tools")
    formats = p.add_subparsers(dest="format", required=True)
    tmx = formats.add_parser("tmx", help="TMX 1.4: one translation unit per aligned unit, ru and en variants")
    tmx.add_argument("--out", required=True, help="the TMX file to write")
    tmx.add_argument("--data", default=defaults.out_dir, help="the processed dataset folder (default: %(default)s)")
    tmx.add_argument("--min-score", type=float, default=None, metavar="X", help="keep units whose score is at least X")
    tmx.set_defaults(func=export_tmx)


def export_tmx(args: argparse.Namespace) -> int:
    from pipeline.reporting.tmx import write_tmx
    from pipeline.store import Store

    store = Store(args.data)
    if not store.manifest_path.exists():
        print(f"pipeline export: no dataset at {args.data} (run `pipeline run` first)", file=sys.stderr)
        return 1
    n = write_tmx(store, Path(args.out), args.min_score)
    print(f"{n} translation units written to {args.out}")
    return 0
