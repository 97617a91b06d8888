"""`pipeline run`: process every new dump of the raw folder (locally, or on a Dask cluster)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.settings import Settings

EXIT_OK, EXIT_REJECTED, EXIT_LOCKED = 0, 2, 3


def register(sub: argparse._SubParsersAction) -> None:
    defaults = Settings.from_env()
    p = sub.add_parser("run", help="process every new dump of the raw folder")
    p.add_argument("--raw", default=defaults.raw_dir, help="folder of raw dumps (default: %(default)s)")
    p.add_argument("--out", default=defaults.out_dir, help="output dataset folder (default: %(default)s)")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"wait this long for another run on the same output folder (default: {defaults.lock_timeout_s:g})",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, default=None, metavar="N", help="run the tasks on a local Dask cluster of N processes"
    )
    where.add_argument(
        "--dask-address",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run the tasks on an existing Dask cluster (needs PREFECT_API_URL and a shared output folder)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.raw):
        print(f"pipeline run: raw folder not found: {args.raw}", file=sys.stderr)
        return 1
    if args.workers is not None and args.workers < 1:
        print("pipeline run: --workers needs at least 1", file=sys.stderr)
        return 1
    if args.dask_address and not os.environ.get("PREFECT_API_URL"):
        print(
            "pipeline run: --dask-address needs a Prefect server that every Dask worker can reach:"
            " start one (`prefect server start --host 0.0.0.0`) and set PREFECT_API_URL=http://HOST:4200/api",
            file=sys.stderr,
        )
        return 1
    api = choose_prefect_api()  # before the heavy imports below: a temporary server boots meanwhile
    from pipeline.flows import run_flow
    from pipeline.progress import console
    from pipeline.run import RunSummary
    from pipeline.store import LockTimeout

    load_models_while_booting(api, args)
    try:
        with console():
            result = run_flow(
                str(args.raw),
                str(args.out),
                args.lock_timeout,
                workers=args.workers,
                dask_address=args.dask_address,
                api=api,
            )
    except LockTimeout as exc:
        print(f"pipeline run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    summary = RunSummary(**result)
    print(summary.steps_table())
    if api is not None and api.kind == "background":
        print(background_note(api.url))
    print(summary.line())
    return EXIT_REJECTED if summary.rejected else EXIT_OK


def choose_prefect_api():
    """The Prefect API of this run, chosen before Prefect is imported (None when it already is, in
    a test harness: the flow module chooses then); says which on stderr."""
    if "prefect" in sys.modules:
        return None
    from pipeline.prefect_api import choose_api

    settings = Settings.from_env()
    local = settings.local_server_url
    api = choose_api(local, os.environ.get("PREFECT_API_URL"), settings.prefect_server)
    if api.kind == "running":
        print(f"pipeline run: reporting to the Prefect server at {api.url}", file=sys.stderr)
    elif api.kind == "background":
        print(f"pipeline run: {background_note(api.url)}", file=sys.stderr)
    elif api.kind == "temporary":
        where = f" at {local}" if local else ""
        print(
            f"pipeline run: started a temporary Prefect server for this run (none running{where};"
            " `prefect server start` keeps one, with its UI)",
            file=sys.stderr,
        )
    return api


def load_models_while_booting(api, args: argparse.Namespace) -> None:
    """While a server this run started boots (on the other core), load the analysis models here,
    when the run will analyze in this process: no Dask runner, and a raw folder smaller than
    `pool_min_bytes` (any new dumps are then a small run, which loads them in this process; a
    larger folder may be a pool run, whose workers load their own). Otherwise the flow would load
    them only after the server answers. Both languages, as the dumps are not read before the flow:
    time the run would spend waiting anyway. In this thread, not beside the imports: threadpoolctl
    walks the loaded libraries under the loader's lock, which deadlocked with an import's dlopen."""
    if api is None or api.process is None or args.workers is not None or args.dask_address:
        return
    settings = Settings.from_env(raw_dir=args.raw, out_dir=args.out)
    if folder_bytes(args.raw) >= settings.pool_min_bytes:
        return
    from pipeline.dump import load_analysis_models

    load_analysis_models(settings, warm_up=True)


def folder_bytes(folder: str) -> int:
    """The size of the files the run would read in `folder` and its subfolders
    (`raw_folder.raw_entries`: what it passes over is not counted; stat only)."""
    from pipeline.raw_folder import raw_entries

    total = 0
    for entry in raw_entries(Path(folder)):
        if entry.problem is None and entry.waiting is None:
            try:
                total += entry.path.stat().st_size
            except OSError:
                continue
    return total


def background_note(url: str) -> str:
    ui = url.removesuffix("/api")
    return (
        f"started a Prefect server in the background at {url} (none was running there); it keeps running"
        f" for the next runs, which start at once: its UI is at {ui}, `prefect server stop` stops it"
        " (PIPELINE_PREFECT_SERVER=temporary: a server for each run alone)"
    )
