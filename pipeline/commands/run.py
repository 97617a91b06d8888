"""`pipeline run`: process every new dump of the raw folder."""

from __future__ import annotations

import argparse

from pipeline.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("run", help="process every new dump of the raw folder")
    p.add_argument("--raw", default=defaults.raw_dir, help="folder of raw dumps (default: %(default)s)")
    p.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.corpus import RunSummary
    from pipeline.flows import process_raw_folder
    from pipeline.progress import console

    with console():  # a progress line on stderr, only when it is a terminal
        summary = RunSummary(**process_raw_folder(raw_dir=str(args.raw), out_dir=str(args.out)))
    print(summary.line())
    return 2 if summary.rejected else 0
