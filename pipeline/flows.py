"""Prefect flows: orchestration only. Every step is a plain function (manifest, dump, corpus, store).

One run: take the output lock, drop what an interrupted run left behind, plan from the manifest,
then each new dump takes the one path of `pipeline.dump.process_dump`, with its open as a task
(retried on I/O errors: a dump may sit on a network share) and each batch of a few hundred
documents analyzed as two tasks, the models then the rest of the entity stage with the dump's
context (at most `batches_in_flight` batches at once); the manifest row is recorded
last. After the dumps, mark the documents that repeat earlier ones (`pipeline.duplicates`,
incremental), then pair the new documents against the whole corpus (`pipeline.pairing_index`; a
full recompute after `forget` or a version change, its blocks spread over the Dask workers on a
Dask runner), then align the sentences of the pairs that are new (the bitext table).
With the pairs, the key map is learned from them and the entities dimension rebuilt.

Both cores: on a Dask task runner (`run --workers N`) the batches spread over the Dask workers (one
process each inside them); in the default run each batch task hands its batch to a pool of
`local_workers` processes (`pipeline/workers.py`) started once per run, at its start, each loading
the models once while the first batches are read. The flow decides which, once per run.

This is the only module that imports Prefect: the commands call `run_flow` and `serve_flow`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import prefect.flow_engine
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.bitext import sync_bitext
from pipeline.corpus import RunSummary, build_entity_keys, learn_keys, pair_corpus, refresh_pairs, summarize
from pipeline.dump import analyze_batch, finish_batch, load_analysis_models, open_source, process_dump
from pipeline.duplicates import find_duplicates
from pipeline.manifest import (
    Waiting,
    fingerprint_read,
    ok_dump_ids,
    plan_run,
    record_and_retire,
    record_dumps,
    superseded_rows,
)
from pipeline.prefect_api import PrefectAPI, choose_api
from pipeline.progress import current as current_progress
from pipeline.settings import Settings
from pipeline.store import Store
from pipeline.workers import local_pool, shutdown_local_pools


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


_PREFECT_HEARTBEATS = prefect.flow_engine._send_heartbeats
if "join_on_exit" in inspect.signature(_PREFECT_HEARTBEATS).parameters and not hasattr(
    _PREFECT_HEARTBEATS, "prefect_heartbeats"
):  # Prefect's own, with the parameter: wrapped once
    prefect.flow_engine._send_heartbeats = heartbeats_without_join(_PREFECT_HEARTBEATS)


def _on_io_error(task, task_run, state) -> bool:
    """Retry an open only when the file system failed (not when the content was rejected)."""
    return isinstance(getattr(state, "data", None), OSError)


open_dump_task = task(
    open_source, name="open-dump", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
    retry_condition_fn=_on_io_error,
)


class Sealed:
    """A batch step's arguments as one value that Prefect does not walk: it looks for futures inside
    every list and dataclass of a task's parameters (0.4-0.7 s for the entities of one batch, here),
    and `quote` does not survive the Dask runner. Plain records inside, pickled as they are."""

    __slots__ = ("args",)

    def __init__(self, args: tuple):
        self.args = args


def _in_worker(step, batch: Sealed, settings: Settings):
    """One step of a batch here, or in the run's local worker pool."""
    if settings.local_workers > 1:
        return local_pool(settings.local_workers).submit(step, *batch.args, settings).result()
    return step(*batch.args, settings)


@task(name="analyze-batch", cache_policy=NO_CACHE)
def analyze_batch_task(batch: Sealed, settings: Settings):
    """A batch's first step, `dump.analyze_batch`: its documents -> entities as found, their
    summary, embeddings."""
    return _in_worker(analyze_batch, batch, settings)


@task(name="finish-batch", cache_policy=NO_CACHE)
def finish_batch_task(batch: Sealed, settings: Settings):
    """A batch's second step, `dump.finish_batch`, with the dump's context: labels, dates, keys,
    `published`."""
    return _in_worker(finish_batch, batch, settings)


BATCH_TASKS = {analyze_batch: analyze_batch_task, finish_batch: finish_batch_task}


def submit_batch_step(settings: Settings):
    """`process_dump`'s `submit`: each step of a batch as its task."""
    return lambda step, *args: BATCH_TASKS[step].submit(Sealed(args), settings)


@task(name="find-duplicates", cache_policy=NO_CACHE)
def find_duplicates_task(settings: Settings) -> int:
    store = Store(settings.out_dir)
    return find_duplicates(store, settings, ok_dump_ids(store))[0]


@task(name="pair-corpus", cache_policy=NO_CACHE)
def pair_corpus_task(settings: Settings) -> int:
    return pair_corpus(Store(settings.out_dir), settings)


@task(name="pair-block", cache_policy=NO_CACHE)
def pair_block_task(work: Sealed):
    """One block of a full pairing recompute (`pipeline.pairing_index`: the k-NN lists of a block of
    Russian documents, or the alignment of a chunk of candidate pairs) on a Dask worker."""
    fn, args = work.args
    return fn(*args)


def submit_pair_block(fn, *args):
    return pair_block_task.submit(Sealed((fn, args)))


def pair_step(settings: Settings) -> int:
    """The pairing step: one task on the thread runner; on a Dask runner it runs here and a full
    recompute sends its blocks to the workers as `pair-block` tasks (they read the kept state from
    the output folder, which must be at the same path for them)."""
    if runs_on_threads():
        return pair_corpus_task(settings)
    return pair_corpus(Store(settings.out_dir), settings, submit=submit_pair_block)


@task(name="align-pairs", cache_policy=NO_CACHE)
def bitext_task(settings: Settings) -> int:
    return sync_bitext(Store(settings.out_dir)).units


@task(name="learn-keys", cache_policy=NO_CACHE)
def learn_keys_task(settings: Settings) -> int:
    """Name equivalences from the pairs' aligned sentences (the key map), then the entities
    dimension over it."""
    store = Store(settings.out_dir)
    sync_bitext(store)  # the pairs just changed: their units first (the later bitext step then has nothing to do)
    n = learn_keys(store)
    build_entity_keys(store)
    return n


@flow(name="process-raw-folder", task_runner=ThreadPoolTaskRunner(max_workers=4))
def process_raw_folder(raw_dir: str = "raw", out_dir: str = "processed", lock_timeout_s: float | None = None) -> dict:
    """Process every new dump of `raw_dir` into `out_dir`, then pair over the whole corpus."""
    settings = Settings.from_env(raw_dir=raw_dir, out_dir=out_dir, lock_timeout_s=lock_timeout_s)
    try:
        return run_pipeline(settings).__dict__
    finally:
        shutdown_local_pools()


def runs_on_threads() -> bool:
    """Whether this flow run's tasks run on local threads (the default runner), which hand their
    batches to the local pool; on a Dask runner the Dask workers analyze them."""
    context = FlowRunContext.get()
    return context is not None and isinstance(context.task_runner, ThreadPoolTaskRunner)


def analysis_settings(settings: Settings, todo_bytes: int) -> Settings:
    """Where this run's batches are analyzed, decided once: in a Dask worker (one process, no
    pool: Dask workers are daemonic), in this process (a small run: the models load once, here),
    or in the local pool."""
    if not runs_on_threads():
        return settings.with_(local_workers=1, n_process=1)
    if todo_bytes < settings.pool_min_bytes or settings.local_workers <= 1:
        return settings.with_(local_workers=1)
    return settings.with_(n_process=1)


def warm_local_pool(settings: Settings) -> list[Future]:
    """Start the workers and load their models now, while the first batches are read."""
    pool = local_pool(settings.local_workers)
    return [pool.submit(load_analysis_models, settings) for _ in range(settings.local_workers)]


def run_pipeline(settings: Settings) -> RunSummary:
    logger = get_run_logger()
    store = Store(settings.out_dir)
    summary = RunSummary()
    with store.lock(settings.lock_timeout_s):
        store.clean_tmp()
        drop_uncommitted(store)
        plan = plan_run(settings.raw_dir, store, settings.settle_s)
        summary.skipped_dumps = len(plan.unchanged)
        summary.waiting = [(w.path, w.reason) for w in plan.waiting]
        settings = analysis_settings(settings, sum(c.size_bytes for c in plan.todo))
        if settings.local_workers > 1:
            warm_local_pool(settings)
        record_dumps(store, plan.rejected)
        for row in plan.rejected:
            summary.rejected.append((row.path, row.error))
            logger.warning("rejected %s: %s", row.path, row.error)
        record_and_retire(store, plan.superseded)  # a file now holds content the tables already have
        summary.replaced += len(plan.superseded)
        current_progress().start(len(plan.todo))
        for cand in plan.todo:
            row = process_dump(
                Path(cand.path), settings, store, cand.dump_id, opener=open_dump_task,
                submit=submit_batch_step(settings), looked=cand.looked, name=cand.name,
            )
            if isinstance(row, Waiting):  # it changed while it was read: not switched in
                plan.fingerprints.pop(cand.name, None)
                summary.waiting.append((row.path, row.reason))
                current_progress().advance(0, dumps=1, label=row.path)
                continue
            if cand.dump_id is None and not row.dump_id.startswith("path:"):  # its id came from its one read
                plan.fingerprints[cand.name] = fingerprint_read(cand, row.dump_id)
            old = superseded_rows(store, cand.replaces, row.dump_id) if row.status == "ok" else []
            record_and_retire(store, [row, *old])  # one manifest write switches the versions, then retire
            summary.replaced += len(old)
            current_progress().advance(row.n_documents, dumps=1, label=row.path)
            if row.status == "rejected":
                summary.rejected.append((row.path, row.error))
                logger.warning("rejected %s: %s", row.path, row.error)
            else:
                summary.new_dumps += 1
                logger.info("processed %s: %d documents", row.path, row.n_documents)
        for path, why in summary.waiting:
            logger.info("left for later %s: %s", path, why)
        store.write_fingerprints(plan.fingerprints)
        store.write_waiting(summary.waiting)
        shutdown_local_pools()  # the analysis is over: the workers' models leave memory before pairing
        find_duplicates_task(settings)
        refresh_pairs(store, settings, pair=pair_step, learn=learn_keys_task)
        bitext_task(settings)  # in step with the pairs: rewrites only partitions whose pairs changed
        summarize(store, summary)
    return summary


def drop_uncommitted(store: Store) -> None:
    """Remove partitions that no `ok` manifest row vouches for: a crash before a new dump's row, or
    between a replacement's manifest write and the retirement of the superseded version."""
    store.drop_uncommitted()


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
