"""Prefect flows: orchestration only. Every step is a plain stage function (dump, manifest, corpus)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.corpus import RunSummary, pair_corpus, summarize
from pipeline.dump import process_dump
from pipeline.manifest import discover_dumps, dumps_to_process, record_dumps
from pipeline.progress import current as current_progress
from pipeline.records import DumpRecord
from pipeline.settings import Settings
from pipeline.store import Store


@task(name="process-dump", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def process_dump_task(path: str, settings: Settings) -> DumpRecord:
    return process_dump(Path(path), settings, Store(settings.out_dir))


@task(name="pair-corpus", cache_policy=NO_CACHE)
def pair_corpus_task(settings: Settings) -> int:
    return pair_corpus(Store(settings.out_dir), settings)


@flow(name="process-raw-folder")
def process_raw_folder(raw_dir: str = "raw", out_dir: str = "processed") -> dict:
    """Process every new dump of `raw_dir` into `out_dir`, then pair over the whole corpus."""
    settings = Settings.from_env(raw_dir=raw_dir, out_dir=out_dir)
    return run_pipeline(settings).__dict__


def run_pipeline(settings: Settings) -> RunSummary:
    logger = get_run_logger()
    store = Store(settings.out_dir)
    summary = RunSummary()
    with store.lock(settings.lock_timeout_s):
        store.clean_tmp()
        todo, unchanged = dumps_to_process(discover_dumps(settings.raw_dir), store.read_manifest())
        summary.skipped_dumps = len(unchanged)
        current_progress().start(len(todo))
        for path in todo:
            row = process_dump_task(str(path), settings)
            record_dumps(store, [row])
            current_progress().advance(row.n_documents, dumps=1, label=Path(row.path).name)
            if row.status == "rejected":
                summary.rejected.append((row.path, row.error))
                logger.warning("rejected %s: %s", row.path, row.error)
            else:
                summary.new_dumps += 1
                logger.info("processed %s: %d documents", row.path, row.n_documents)
        if todo or not store.pairs_path.exists():
            pair_corpus_task(settings)
        summarize(store, summary)
    return summary
