"""`pipeline status`: what is processed, dump by dump, with totals and the last run."""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("status", help="list the processed dumps: documents by language, entities, errors")
    p.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=status)


def status(args: argparse.Namespace) -> int:
    from pipeline.reporting.data import DatasetNotFound, load_overview
    from pipeline.reporting.status import format_status, status_dict

    try:
        overview = load_overview(args.out)
    except DatasetNotFound as exc:
        print(f"pipeline status: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(status_dict(overview), ensure_ascii=False, indent=2) if args.json else format_status(overview))
    return 0
