"""Command line: `python -m pipeline COMMAND` (also installed as `pipeline`).

Each command lives in `pipeline/commands/<name>.py` with `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

COMMANDS = [
    "run",
    "evaluate",
    "forget",
    "serve",
    "status",
    "report",
    "schema",
    "export",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeline", description="Bilingual RU/EN news pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"pipeline.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    try:
        args = build_parser().parse_args(argv)
    except ValidationError as exc:  # a PIPELINE_* variable that does not parse
        problems = "; ".join(f"PIPELINE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        print(f"pipeline: bad setting: {problems}", file=sys.stderr)
        return 1
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
