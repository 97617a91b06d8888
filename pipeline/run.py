"""One run, in plain Python: lock, plan, the dumps, the corpus steps, the summary.

The batches of each dump go to an executor (`concurrent.futures.Executor`): by default the
run's local pool of worker processes, or this process for a small run (`pipeline.workers`); the
flow (`pipeline.flows`) hands in its Prefect adapter instead, which runs each batch step as a task
(on a Dask cluster too). The corpus steps go to a second executor when one is given (the flow's,
so that each is a task), else run here. Nothing here calls back into its caller.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.corpus import STEPS, StepStats, run_steps
from pipeline.dump import load_analysis_models, process_dump
from pipeline.ledger import (
    drop_uncommitted,
    ok_dump_ids,
    record_and_retire,
    record_dumps,
    rows,
    superseded_rows,
)
from pipeline.progress import current as current_progress
from pipeline.raw_folder import Waiting, fingerprint_read, plan_run
from pipeline.settings import Settings
from pipeline.store import Store
from pipeline.workers import LocalExecutor, local_pool, shutdown_local_pools

LOG = logging.getLogger("pipeline.run")


@dataclass
class RunSummary:
    new_dumps: int = 0
    skipped_dumps: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    documents_by_lang: Counter = field(default_factory=Counter)
    entities_by_label: Counter = field(default_factory=Counter)
    n_pairs: int = 0
    replaced: int = 0  # older versions of a file superseded by this run's new dumps
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (path, why) left for a later run
    steps: list[dict] = field(default_factory=list)  # per step: documents, rows, seconds (StepStats.as_row)

    def line(self) -> str:
        docs = ", ".join(f"{k} {v}" for k, v in sorted(self.documents_by_lang.items())) or "none"
        ents = ", ".join(f"{k} {v}" for k, v in sorted(self.entities_by_label.items())) or "none"
        dumps = f"dumps: {self.new_dumps} new, {self.skipped_dumps} unchanged, {len(self.rejected)} rejected"
        dumps += f", {self.replaced} superseded" if self.replaced else ""
        dumps += f", {len(self.waiting)} left for later" if self.waiting else ""
        later = "".join(f" | left for later: {Path(p).name}: {why}" for p, why in self.waiting)
        return (
            f"{dumps}"
            f" | documents: {sum(self.documents_by_lang.values())} ({docs})"
            f" | entities: {sum(self.entities_by_label.values())} ({ents})"
            f" | pairs: {self.n_pairs}{later}"
        )

    def steps_table(self) -> str:
        """The per-step stats as aligned text lines (steps that had nothing to do say so)."""
        lines = []
        for s in self.steps:
            did = f"{s['documents']} documents, {s['rows']} rows, {s['seconds']:.1f} s" if s["ran"] else "current"
            lines.append(f"  {s['step']:<12} {did}")
        return "\n".join(lines)


def run(
    settings: Settings,
    batches: Executor | None = None,
    steps: Executor | None = None,
    log: logging.Logger | logging.LoggerAdapter = LOG,
    blocks: Executor | None = None,
) -> RunSummary:
    """Process every new dump of the raw folder, then bring the corpus steps up to date (a step
    whose work spreads, a full pairing recompute, over `blocks` when given)."""
    store = Store(settings.out_dir)
    summary = RunSummary()
    with store.lock(settings.lock_timeout_s):
        try:
            dumps = process_dumps(store, settings, summary, batches, log)
        finally:
            shutdown_local_pools()  # the analysis is over: the workers' models leave memory before pairing
        step_stats = run_steps(store, settings, STEPS, steps, blocks)
        summary.steps = [s.as_row() for s in (dumps, *step_stats)]
        summarize(store, summary)
    return summary


def process_dumps(
    store: Store, settings: Settings, summary: RunSummary, batches: Executor | None, log
) -> StepStats:
    """Drop what an interrupted run left, plan from the manifest and the raw folder, record the
    rejected and superseded, then each new dump in turn; the manifest row of each is written last."""
    t0 = time.perf_counter()
    stats = StepStats("dumps")
    store.clean_tmp()
    drop_uncommitted(store)
    plan = plan_run(settings.raw_dir, rows(store), store.read_fingerprints(), settings.settle_s)
    summary.skipped_dumps = len(plan.unchanged)
    summary.waiting = [(w.path, w.reason) for w in plan.waiting]
    settings = analysis_settings(settings, sum(c.size_bytes for c in plan.todo))
    if settings.local_workers > 1:
        warm_local_pool(settings)
    batches = batches or LocalExecutor(settings.local_workers)
    record_dumps(store, plan.rejected)
    for row in plan.rejected:
        summary.rejected.append((row.path, row.error))
        log.warning("rejected %s: %s", row.path, row.error)
    record_and_retire(store, plan.superseded)  # a file now holds content the tables already have
    summary.replaced += len(plan.superseded)
    current_progress().start(len(plan.todo))
    for cand in plan.todo:
        row = process_dump(
            Path(cand.path), settings, store, cand.dump_id, batches, looked=cand.looked, name=cand.name
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
            log.warning("rejected %s: %s", row.path, row.error)
        else:
            summary.new_dumps += 1
            stats.documents += row.n_documents
            stats.rows += row.n_documents
            log.info("processed %s: %d documents", row.path, row.n_documents)
    for path, why in summary.waiting:
        log.info("left for later %s: %s", path, why)
    store.write_fingerprints(plan.fingerprints)
    store.write_waiting(summary.waiting)
    stats.seconds = time.perf_counter() - t0
    stats.skipped = not plan.todo
    return stats


def analysis_settings(settings: Settings, todo_bytes: int) -> Settings:
    """Where this run's batches are analyzed, decided once: in this process (a small run: the
    models load once, here) or in the local pool (one process each, spaCy in one process). A
    caller whose executor runs batches elsewhere (Dask workers) passes `local_workers=1`."""
    if todo_bytes < settings.pool_min_bytes or settings.local_workers <= 1:
        return settings.with_(local_workers=1)
    return settings.with_(n_process=1)


def warm_local_pool(settings: Settings) -> list[Future]:
    """Start the workers and load their models now, while the first batches are read."""
    pool = local_pool(settings.local_workers)
    return [pool.submit(load_analysis_models, settings) for _ in range(settings.local_workers)]


def summarize(store: Store, summary: RunSummary) -> RunSummary:
    """Fill the dataset-wide counts of the summary from the tables."""
    ids = ok_dump_ids(store)
    docs = store.read_table("documents", ids, ["lang"])
    ents = store.read_table("entities", ids, ["label"])
    summary.documents_by_lang = _value_counts(docs.column("lang"))
    summary.entities_by_label = _value_counts(ents.column("label"))
    summary.n_pairs = store.read_pairs().num_rows
    return summary


def _value_counts(column: pa.ChunkedArray) -> Counter:
    """How often each value occurs, counted in Arrow (no Python object per row)."""
    counts = pc.value_counts(column.cast(pa.string()))
    return Counter(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))
