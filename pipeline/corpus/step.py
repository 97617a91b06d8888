"""What a corpus step is, and the one loop that runs the steps in order, each only when what it
depends on changed.

A step names the tables it reads and writes and is run as `run(store, settings) -> StepStats`.
Whether it is current is decided in one way for every step: its stamp is a digest of the corpus
(the `ok` dumps and the pipeline version, which the dump tables hold), the step's own settings
(`params`) and the stamps of the steps that wrote the tables it reads; the store keeps the stamp
of each step's last run (`_state/steps.json`), and a step whose stamp is unchanged is skipped.
A stamp is written after its step's tables are, so a run stopped midway redoes the step.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass

from pipeline.ids import current_version
from pipeline.ledger import ok_dump_ids
from pipeline.settings import Settings
from pipeline.store import Store


@dataclass
class StepStats:
    """What one step of a run did: documents it looked at, rows it wrote, its seconds."""

    step: str
    documents: int = 0
    rows: int = 0
    seconds: float = 0.0
    skipped: bool = False  # current: nothing to do

    def as_row(self) -> dict:
        return {
            "step": self.step,
            "documents": self.documents,
            "rows": self.rows,
            "seconds": round(self.seconds, 2),
            "ran": not self.skipped,
        }


@dataclass(frozen=True)
class CorpusStep:
    """One step over the whole dataset."""

    name: str
    reads: tuple[str, ...]  # tables: the dumps' own (documents, entities, ...) or earlier steps'
    writes: tuple[str, ...]
    run: Callable[..., StepStats]  # run(store, settings), and the blocks executor when it `spreads`
    params: Callable[[Settings], str] = lambda settings: ""  # its settings: a change reruns it
    spreads: bool = False  # its work can spread over an executor's blocks (a full pairing recompute on Dask)


def stamp(step: CorpusStep, corpus: str, params: str, upstream: Iterable[str | None]) -> str:
    """The digest of everything a step's output depends on."""
    data = json.dumps([step.name, corpus, params, sorted(s or "" for s in upstream)])
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def corpus_stamp(store: Store) -> str:
    """The dumps whose rows the tables hold, and the version that made them."""
    return hashlib.sha256(json.dumps([sorted(ok_dump_ids(store)), current_version()]).encode()).hexdigest()[:24]


def run_steps(
    store: Store,
    settings: Settings,
    steps: Iterable[CorpusStep],
    executor: Executor | None = None,
    blocks: Executor | None = None,
) -> list[StepStats]:
    """Run each step that is not current, in order (as `executor` tasks when given; a step that
    spreads its work gets `blocks`, None: it works here); their stats."""
    stamps = store.read_step_stamps()
    corpus = corpus_stamp(store)
    written_by: dict[str, str] = {}
    done: list[StepStats] = []
    for step in steps:
        upstream = [stamps.get(written_by[t]) for t in step.reads if t in written_by]
        current = stamp(step, corpus, step.params(settings), upstream)
        written_by.update({t: step.name for t in step.writes})
        if stamps.get(step.name) == current and all(store.has_table(t) for t in step.writes):
            done.append(StepStats(step.name, skipped=True))
            continue
        t0 = time.perf_counter()
        args = (store, settings, blocks) if step.spreads else (store, settings)
        stats = executor.submit(step.run, *args).result() if executor else step.run(*args)
        stats.seconds = time.perf_counter() - t0
        done.append(stats)
        stamps[step.name] = current
        store.write_step_stamps(stamps)
    return done
