"""`pipeline serve`: a Prefect deployment that processes the raw folder on a cron schedule.

It needs a running Prefect server (`prefect server start`) and PREFECT_API_URL pointing at it:
the server keeps the schedule and the run history; this process polls it and runs the flow.
"""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.settings import Settings

DEFAULT_NAME = "raw-folder"


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("serve", help="serve a Prefect deployment that processes the raw folder on a cron schedule")
    p.add_argument("--raw", default=defaults.raw_dir, help="folder of raw dumps (default: %(default)s)")
    p.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    p.add_argument("--cron", required=True, metavar="EXPR", help='cron schedule, e.g. "*/15 * * * *" (UTC)')
    p.add_argument("--timezone", default="UTC", help="time zone of the cron expression (default: %(default)s)")
    p.add_argument(
        "--name", default=DEFAULT_NAME, help="deployment name, shown as process-raw-folder/NAME (default: %(default)s)"
    )
    p.add_argument("--lock-timeout", type=float, default=None, metavar="SECONDS")
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        print(
            "pipeline serve: schedules live on a Prefect server. Start one (`prefect server start`) and set"
            " PREFECT_API_URL=http://127.0.0.1:4200/api, then run this command again.",
            file=sys.stderr,
        )
        return 1
    from pipeline.flows import check_cron, serve_flow

    try:
        check_cron(args.cron, args.timezone)
    except ValueError as exc:
        print(f"pipeline serve: invalid --cron {args.cron!r}: {exc}", file=sys.stderr)
        return 1
    parameters = {
        "raw_dir": os.path.abspath(args.raw),
        "out_dir": os.path.abspath(args.out),
        "lock_timeout_s": args.lock_timeout,
    }
    serve_flow(args.name, args.cron, args.timezone, parameters)
    return 0
