"""`pipeline run`: process every new dump of the raw folder (locally, or on a Dask cluster)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator

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
    from pipeline.corpus import RunSummary
    from pipeline.flows import process_raw_folder
    from pipeline.progress import console
    from pipeline.store import LockTimeout

    if not os.path.isdir(args.raw):
        print(f"pipeline run: raw folder not found: {args.raw}", file=sys.stderr)
        return 1
    flow = process_raw_folder
    if args.workers is not None or args.dask_address:
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
        flow = process_raw_folder.with_options(task_runner=dask_runner(args.workers, args.dask_address))
    try:
        with prefect_api_for_workers(args.workers is not None), console():
            result = flow(raw_dir=str(args.raw), out_dir=str(args.out), lock_timeout_s=args.lock_timeout)
    except LockTimeout as exc:
        print(f"pipeline run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    summary = RunSummary(**result)
    print(summary.line())
    return EXIT_REJECTED if summary.rejected else EXIT_OK


def dask_runner(workers: int | None, address: str | None):
    """A DaskTaskRunner on an existing cluster, or on a local cluster of `workers` processes."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )


@contextlib.contextmanager
def prefect_api_for_workers(local_cluster: bool) -> Iterator[None]:
    """Give local Dask workers one Prefect API to report to.

    Without PREFECT_API_URL every process would start its own temporary server: the flow's
    process and each worker. Here one temporary server is started for the run, and its URL is
    set in the environment that the worker processes inherit.
    """
    if not local_cluster or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
