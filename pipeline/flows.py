"""Prefect flows: orchestration only. The run itself is plain Python (`pipeline.run`: lock, plan,
dumps, corpus steps, summary); here it gets a Prefect face.

`TaskExecutor` is the run's executor in a flow: each batch step (`dump.analyze_batch`, then
`dump.finish_batch` with the dump's context) and each corpus step is a task of the flow run, on
the flow's task runner. On the default thread runner a batch task hands its batch to the run's
local pool of worker processes (`pipeline.workers`, started once per run, each loading the models
once); on a Dask runner (`run --workers N`, `--dask-address`) the Dask workers analyze the
batches themselves (one process each). The stats of each step are published as the flow run's
table artifact (`pipeline-run-stats`), which the Prefect UI shows on the run's page.

This is the only module that imports Prefect: the commands call `run_flow` and `serve_flow`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

import prefect.flow_engine
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.prefect_api import PrefectAPI, choose_api
from pipeline.run import run
from pipeline.settings import Settings
from pipeline.workers import InlineExecutor, LocalExecutor


def heartbeats_without_join(prefect_heartbeats: Callable[..., Any]) -> Callable[..., Any]:
    """Prefect's flow-run heartbeats (`prefect.flow_engine._send_heartbeats`), left to end on
    their own instead of joined when the flow run ends (`join_on_exit=False`, as Prefect's async
    engine does).

    The heartbeat thread emits a heartbeat, then sleeps one second at a time, looking at its stop
    event between sleeps: the sync engine's join waited up to 1 s for the current sleep to end
    (0.1 to 1.0 s of each run's wall time measured on the sample, nothing done meanwhile). Not
    joined, the daemon thread still stops at its next look and sends nothing after the stop; the
    heartbeats themselves are unchanged."""

    def send_heartbeats(engine: Any, join_on_exit: bool = True) -> Any:
        return prefect_heartbeats(engine, join_on_exit=False)

    send_heartbeats.prefect_heartbeats = prefect_heartbeats
    return send_heartbeats


# A private name of Prefect, kept: a flow run 0.35 s instead of 1.21 s on a tiny flow, 0.1-1.0 s of
# every run's wall time (`benchmarks/private_apis.py`); tests/test_private_apis.py fails when it changes.
_PREFECT_HEARTBEATS = prefect.flow_engine._send_heartbeats
if "join_on_exit" in inspect.signature(_PREFECT_HEARTBEATS).parameters and not hasattr(
    _PREFECT_HEARTBEATS, "prefect_heartbeats"
):  # Prefect's own, with the parameter: wrapped once
    prefect.flow_engine._send_heartbeats = heartbeats_without_join(_PREFECT_HEARTBEATS)


class Sealed:
    """A call's function and arguments as one value that Prefect does not walk: it looks for futures
    inside every list and dataclass of a task's parameters (0.4-0.7 s for the entities of one batch,
    here), and `quote` does not survive the Dask runner. Plain records inside, pickled as they are."""

    __slots__ = ("call",)

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict):
        self.call = (fn, args, kwargs)


def run_sealed(sealed: Sealed, in_local_pool: bool) -> Any:
    """A task's body: the call, here or, for a batch step of a pool run, in the run's local pool
    (a batch step takes the run's settings last)."""
    fn, args, kwargs = sealed.call
    settings = args[-1] if args else None
    if in_local_pool and isinstance(settings, Settings) and settings.local_workers > 1:
        return LocalExecutor(settings.local_workers).submit(fn, *args, **kwargs).result()
    return fn(*args, **kwargs)


class TaskExecutor(Executor):
    """The run's executor in a flow: each call a Prefect task of the flow run, named after its
    function (`analyze-batch`, `pair-corpus`). Batch steps (`batches=True`) are submitted to the
    flow's task runner (local threads, from which they go on to the local pool, or a Dask
    cluster); other calls (the corpus steps) run as tasks here, in the flow's process, which owns
    the output folder."""

    def __init__(self, batches: bool = False):
        self.batches = batches
        self.tasks: dict[str, Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        name = fn.__name__.replace("_", "-")
        if name not in self.tasks:
            self.tasks[name] = task(run_sealed, name=name, cache_policy=NO_CACHE)
        sealed = Sealed(fn, args, kwargs)
        if not self.batches:
            return InlineExecutor().submit(self.tasks[name], sealed, False)
        submitted = self.tasks[name].submit(sealed, True)
        future: Future = Future()
        submitted.add_done_callback(lambda _: _settle(future, submitted.result))
        return future


def _settle(future: Future, result: Callable[[], Any]) -> None:
    """`future` done with what `result()` returns, or with what it raises."""
    try:
        future.set_result(result())
    except Exception as exc:  # noqa: BLE001 - the caller takes it from the future
        future.set_exception(exc)


STATS_ARTIFACT = "pipeline-run-stats"


@flow(name="process-raw-folder", task_runner=ThreadPoolTaskRunner(max_workers=4))
def process_raw_folder(raw_dir: str = "raw", out_dir: str = "processed", lock_timeout_s: float | None = None) -> dict:
    """Process every new dump of `raw_dir` into `out_dir`, then bring the corpus steps up to date
    (`pipeline.run`); the stats of each step become the flow run's table artifact."""
    settings = Settings.from_env(raw_dir=raw_dir, out_dir=out_dir, lock_timeout_s=lock_timeout_s)
    on_threads = runs_on_threads()
    if not on_threads:  # Dask workers are daemonic: one process each, no pool inside them
        settings = settings.with_(local_workers=1, n_process=1)
    batches = TaskExecutor(batches=True)
    blocks = None if on_threads else batches  # a full pairing recompute spreads over the Dask workers
    summary = run(settings, batches, TaskExecutor(), get_run_logger(), blocks)
    create_table_artifact(
        key=STATS_ARTIFACT,
        table=summary.steps,
        description="What each step of this run did: documents looked at, rows written, seconds"
        " (`ran` false: the step was current, nothing to do).",
    )
    return summary.__dict__


def runs_on_threads() -> bool:
    """Whether this flow run's tasks run on local threads (the default runner), which hand their
    batches to the local pool; on a Dask runner the Dask workers analyze them."""
    context = FlowRunContext.get()
    return context is not None and isinstance(context.task_runner, ThreadPoolTaskRunner)


# ---- entry points: the task runner and the Prefect API of a run, the schedule of a deployment ----


def run_flow(
    raw_dir: str, out_dir: str, lock_timeout_s: float | None = None, workers: int | None = None,
    dask_address: str | None = None, api: PrefectAPI | None = None,
) -> dict:
    """One flow run, on the default thread runner, a local Dask cluster of `workers` processes, or
    the Dask cluster at `dask_address`, reporting to `api` (see `reporting_to`)."""
    chosen = process_raw_folder
    if workers is not None or dask_address:
        chosen = process_raw_folder.with_options(task_runner=dask_runner(workers, dask_address))
    with reporting_to(api, Settings.from_env().local_server_url):
        return chosen(raw_dir=raw_dir, out_dir=out_dir, lock_timeout_s=lock_timeout_s)


def dask_runner(workers: int | None, address: str | None):
    """A DaskTaskRunner on an existing cluster, or on a local cluster of `workers` processes."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )


@contextlib.contextmanager
def reporting_to(api: PrefectAPI | None, local_server_url: str) -> Iterator[PrefectAPI]:
    """The Prefect API of one run (`pipeline.prefect_api`): `api` as `pipeline run` chose it before
    Prefect was imported, or chosen here (PREFECT_API_URL or the current Prefect setting, a running
    local server, a temporary one). Its URL is set for Prefect and in the environment, which local
    Dask workers inherit (without it each worker would start a temporary server of its own); a
    temporary server stops when the process exits."""
    if api is None:
        api = choose_api(local_server_url, PREFECT_API_URL.value())
    api.wait()
    if api.kind == "configured":
        yield api
        return
    os.environ["PREFECT_API_URL"] = api.url
    try:
        with temporary_settings(updates={PREFECT_API_URL: api.url}):
            yield api
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def check_cron(cron: str, timezone: str) -> None:
    """Raise ValueError when `cron` is not a valid cron expression."""
    from prefect.client.schemas.schedules import CronSchedule

    CronSchedule(cron=cron, timezone=timezone)


def serve_flow(name: str, cron: str, timezone: str, parameters: dict) -> None:
    """Serve the flow as a deployment on a cron schedule (needs a Prefect server; blocks)."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    check_cron(cron, timezone)
    process_raw_folder.serve(
        name=name,
        schedule=Cron(cron, timezone=timezone),
        parameters=parameters,
        description="Process every new dump of the raw folder into the Parquet dataset.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
