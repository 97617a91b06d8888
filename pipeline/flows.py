"""Prefect flows: orchestration only. Every step is a plain function (manifest, dump, corpus, store).

One run: take the output lock, drop what an interrupted run left behind, plan from the manifest,
then per dump: read (retried: it may sit on a network share), analyze in batches of a few hundred
documents (spread over the workers of the task runner), write and switch in its partitions, and
record its manifest row last. After the dumps, pair over the whole corpus when it changed.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.corpus import RunSummary, pair_corpus, summarize
from pipeline.dump import BatchAnalysis, ReadDump, analyze_batch, read_dump, write_dump
from pipeline.manifest import Candidate, current_version, manifest_row, ok_dump_ids, plan_run, record_dumps
from pipeline.progress import current as current_progress
from pipeline.records import DocumentRecord, DumpRecord
from pipeline.settings import Settings
from pipeline.store import Store, corpus_key


def in_dask_worker() -> bool:
    """Whether this code runs inside a Dask worker (daemonic: no child processes there)."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


@task(name="read-dump", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def read_dump_task(path: str, settings: Settings, dump_id: str) -> ReadDump | DumpRecord:
    return read_dump(Path(path), settings, dump_id)


@task(name="analyze-batch", cache_policy=NO_CACHE)
def analyze_batch_task(documents: list[DocumentRecord], settings: Settings) -> BatchAnalysis:
    if in_dask_worker():
        settings = settings.with_(n_process=1)
    return analyze_batch(documents, settings)


@task(name="write-dump", cache_policy=NO_CACHE)
def write_dump_task(read: ReadDump, analyses: list[BatchAnalysis], settings: Settings) -> DumpRecord:
    return write_dump(read, analyses, settings, Store(settings.out_dir))


@task(name="pair-corpus", cache_policy=NO_CACHE)
def pair_corpus_task(settings: Settings) -> int:
    return pair_corpus(Store(settings.out_dir), settings)


@flow(name="process-raw-folder", task_runner=ThreadPoolTaskRunner(max_workers=1))
def process_raw_folder(raw_dir: str = "raw", out_dir: str = "processed", lock_timeout_s: float | None = None) -> dict:
    """Process every new dump of `raw_dir` into `out_dir`, then pair over the whole corpus."""
    settings = Settings.from_env(raw_dir=raw_dir, out_dir=out_dir, lock_timeout_s=lock_timeout_s)
    return run_pipeline(settings).__dict__


def run_pipeline(settings: Settings) -> RunSummary:
    logger = get_run_logger()
    store = Store(settings.out_dir)
    summary = RunSummary()
    with store.lock(settings.lock_timeout_s):
        store.clean_tmp()
        drop_uncommitted(store)
        plan = plan_run(settings.raw_dir, store)
        summary.skipped_dumps = len(plan.unchanged)
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
        key = corpus_key(ok_dump_ids(store), current_version())
        if store.pairs_key() != key:
            pair_corpus_task(settings)
            store.write_pairs_key(key)
        summarize(store, summary)
    return summary


def process_dumps(todo: list[Candidate], settings: Settings):
    """Yield the manifest row of each dump, in order; the next dump is read while one is written."""
    reads = {}

    def submit_read(i: int) -> None:
        if i < len(todo) and i not in reads:
            reads[i] = read_dump_task.submit(str(todo[i].path), settings, todo[i].dump_id)

    pending = None
    submit_read(0)
    for i, cand in enumerate(todo):
        try:
            read = reads.pop(i).result()
        except OSError as exc:
            read = manifest_row(cand.path, cand.dump_id, cand.size_bytes, None, 0, f"unreadable: {exc}")
        submit_read(i + 1)
        if isinstance(read, DumpRecord):
            current = read
        else:
            analyses = [analyze_batch_task.submit(batch, settings) for batch in read.batches]
            current = write_dump_task.submit(read, analyses, settings)
        if pending is not None:
            yield _row(pending)
        pending = current
    if pending is not None:
        yield _row(pending)


def _row(item) -> DumpRecord:
    return item if isinstance(item, DumpRecord) else item.result()


def drop_uncommitted(store: Store) -> None:
    """Remove partitions that no `ok` manifest row vouches for (left by a crash before the row)."""
    committed = set(ok_dump_ids(store))
    for dump_id in sorted(store.partition_dump_ids() - committed):
        store.remove_partitions(dump_id)
