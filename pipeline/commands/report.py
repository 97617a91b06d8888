"""`pipeline report --html FILE`: one self-contained HTML page with charts of the dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("report", help="write a self-contained HTML report with charts of the dataset")
    p.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    p.add_argument("--html", required=True, help="the HTML file to write")
    p.add_argument("--top", type=int, default=15, help="people and organizations to chart (default: %(default)s)")
    p.add_argument("--max-pairs", type=int, default=200, help="pairs listed, best first (default: %(default)s)")
    p.set_defaults(func=report)


def report(args: argparse.Namespace) -> int:
    from pipeline.reporting.data import DatasetNotFound
    from pipeline.reporting.html import build_report

    try:
        page = build_report(args.out, top=args.top, max_pairs=args.max_pairs)
    except DatasetNotFound as exc:
        print(f"pipeline report: {exc}", file=sys.stderr)
        return 1
    target = Path(args.html)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    print(f"report written to {target} ({len(page.encode('utf-8')) // 1024} KiB)")
    return 0
