"""Prefect flows: orchestration only. Every step is a plain function (manifest, dump, corpus, store).

One run: take the output lock, drop what an interrupted run left behind, plan from the manifest,
then per dump, streaming: open it (retried: it may sit on a network share), cut its documents into
batches of a few hundred, analyze each batch as a task (at most `batches_in_flight` at once), write
each analyzed batch's part files in order, switch the partitions in and record the manifest row
last. After the dumps, pair over the whole corpus when it changed.

Both cores: on a Dask task runner (`run --workers N`) the batches spread over the Dask workers (one
process each inside them); in the default run each batch task hands its batch to a pool of
`local_workers` processes (`pipeline/workers.py`) started once per run, at its start, each loading
the models once while the first batches are read.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.corpus import RunSummary, pair_corpus, summarize
from pipeline.dump import (
    BatchAnalysis,
    DumpWriter,
    analyze_batch,
    iter_batches,
    load_analysis_models,
    open_source,
    rejected_row,
)
from pipeline.manifest import Candidate, current_version, ok_dump_ids, plan_run, record_dumps
from pipeline.progress import current as current_progress
from pipeline.records import DocumentRecord, DumpRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.readers import DumpSource
from pipeline.store import Store, corpus_key
from pipeline.workers import local_pool, shutdown_local_pools


def in_dask_worker() -> bool:
    """Whether this code runs inside a Dask worker (daemonic: no child processes there)."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


@task(name="analyze-batch", cache_policy=NO_CACHE)
def analyze_batch_task(documents: list[DocumentRecord], settings: Settings) -> BatchAnalysis:
    if in_dask_worker():
        return analyze_batch(documents, settings.with_(n_process=1))
    if settings.local_workers > 1:
        return local_pool(settings.local_workers).submit(analyze_batch, documents, settings.with_(n_process=1)).result()
    return analyze_batch(documents, settings)


@task(name="pair-corpus", cache_policy=NO_CACHE)
def pair_corpus_task(settings: Settings) -> int:
    return pair_corpus(Store(settings.out_dir), settings)


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
        plan = plan_run(settings.raw_dir, store)
        summary.skipped_dumps = len(plan.unchanged)
        if sum(c.size_bytes for c in plan.todo) < settings.pool_min_bytes:
            settings = settings.with_(local_workers=1)  # a small run: the models load once, here
        elif settings.local_workers > 1 and runs_on_threads():
            warm_local_pool(settings)
        record_dumps(store, plan.rejected)
        for row in plan.rejected:
            summary.rejected.append((row.path, row.error))
            logger.warning("rejected %s: %s", row.path, row.error)
        current_progress().start(len(plan.todo))
        for row in process_dumps(plan.todo, settings):
            record_dumps(store, [row])
            current_progress().advance(row.n_documents, dumps=1, label=Path(row.path).name)
            if row.status == "rejected":
                summary.rejected.append((row.path, row.error))
                logger.warning("rejected %s: %s", row.path, row.error)
            else:
                summary.new_dumps += 1
                logger.info("processed %s: %d documents", row.path, row.n_documents)
        store.write_fingerprints(plan.fingerprints)
        shutdown_local_pools()  # the analysis is over: the workers' models leave memory before pairing
        key = corpus_key(ok_dump_ids(store), current_version())
        if store.pairs_key() != key:
            pair_corpus_task(settings)
            store.write_pairs_key(key)
        summarize(store, summary)
    return summary


def process_dumps(todo: list[Candidate], settings: Settings) -> Iterator[DumpRecord]:
    """Yield the manifest row of each dump, in order."""
    for cand in todo:
        yield process_one_dump(cand, settings)


def open_with_retries(path: Path, settings: Settings, attempts: int = 3, delay_s: float = 2.0) -> DumpSource:
    """Open a dump, retrying I/O errors (it may sit on a network share)."""
    for attempt in range(attempts):
        try:
            return open_source(path, settings)
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(delay_s)
    raise AssertionError("unreachable")


def process_one_dump(cand: Candidate, settings: Settings) -> DumpRecord:
    """Stream one dump: batches are read, analyzed as tasks (a bounded number in flight) and
    written in order; the partitions are switched in at the end and the row returned."""
    try:
        source = open_with_retries(Path(cand.path), settings)
    except (OSError, DumpRejected) as exc:
        return rejected_row(Path(cand.path), cand.dump_id, exc)
    writer = DumpWriter(source, settings, Store(settings.out_dir))
    in_flight: deque = deque()
    try:
        for batch in iter_batches(source, settings.batch_size):
            in_flight.append((batch, analyze_batch_task.submit(batch, settings)))
            while len(in_flight) >= max(1, settings.batches_in_flight):
                done, future = in_flight.popleft()
                writer.write_batch(done, future.result())
        while in_flight:
            done, future = in_flight.popleft()
            writer.write_batch(done, future.result())
    except (OSError, DumpRejected) as exc:
        for _, future in in_flight:
            future.wait()
        writer.abort()
        return rejected_row(Path(cand.path), source.dump_id, exc)
    return writer.finish()


def drop_uncommitted(store: Store) -> None:
    """Remove partitions that no `ok` manifest row vouches for (left by a crash before the row)."""
    committed = set(ok_dump_ids(store))
    for dump_id in sorted(store.partition_dump_ids() - committed):
        store.remove_partitions(dump_id)
