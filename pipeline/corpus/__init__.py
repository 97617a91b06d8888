"""Steps over the whole dataset, run in this order after a run's dumps (and by `forget`).

Each step is one module with one `STEP` (`pipeline.corpus.step.CorpusStep`): its name, the tables
it reads and writes, its settings, and `run(store, settings)` returning its stats. A new corpus
step is one module and one line here.
"""

from __future__ import annotations

from pipeline.corpus import bitext, duplicates, entity_keys, key_map, pairs
from pipeline.corpus.step import CorpusStep, StepStats, run_steps

STEPS: tuple[CorpusStep, ...] = (
    duplicates.STEP,  # documents that repeat earlier ones (left out of pairing)
    pairs.STEP,  # RU/EN translation pairs
    bitext.STEP,  # the pairs' aligned sentences
    key_map.STEP,  # name equivalences learned from the aligned sentences
    entity_keys.STEP,  # the entities dimension over the key map
)

__all__ = ["STEPS", "CorpusStep", "StepStats", "run_steps"]
