"""Command line: `python -m pipeline run|...` (also installed as `pipeline`)."""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def _run(args: argparse.Namespace) -> int:
    from pipeline.flows import process_raw_folder
    from pipeline.process import RunSummary

    result = process_raw_folder(raw_dir=str(args.raw), out_dir=str(args.out))
    summary = RunSummary(**result)
    print(summary.line())
    return 2 if summary.rejected else 0


def build_parser() -> argparse.ArgumentParser:
    from pipeline.settings import Settings

    defaults = Settings.from_env()
    parser = argparse.ArgumentParser(prog="pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="process every new dump of the raw folder")
    run.add_argument("--raw", default=defaults.raw_dir, help="folder of raw dumps (default: %(default)s)")
    run.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    run.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
