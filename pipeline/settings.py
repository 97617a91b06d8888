"""One settings object: paths and thresholds, from defaults, `PIPELINE_<NAME>` variables and CLI flags.

A pydantic-settings model: explicit values (CLI flags) win over the environment, which wins over
the defaults below. The English spaCy package is named once, in `models/pipelines.toml`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "PIPELINE_"


def default_cache_dir() -> str:
    """The user's cache folder for this pipeline ($XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "bilingual-news-pipeline")


def default(name: str):
    """The default of one setting (not the environment's value): the one place it is written, for
    the functions that take it as a parameter."""
    return Settings.model_fields[name].default


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    raw_dir: Path = Path("raw")
    out_dir: Path = Path("processed")
    models_dir: Path = REPO_ROOT / "models"
    batch_size: int = 256
    n_process: int = 1
    # default (non-Dask) runs analyze batches in a pool of this many processes, models loaded once each
    local_workers: int = 2
    # ... when the new dumps of a run total at least this many bytes (below, the pool's start costs more)
    pool_min_bytes: int = 1_000_000
    # batches read ahead and being analyzed at once, per dump (bounds memory)
    batches_in_flight: int = 4
    lang_sample_chars: int = 500
    lang_min_prob: float = 0.70
    headline_max_chars: int = 200
    pair_min_score: float = 1.25  # ratio margin of sentence alignment (pipeline/stages/pairing.py)
    # documents of one language from which pairing candidates come from a vector index (faiss IVF)
    # instead of exact search (pipeline/pairing_index.py)
    pair_index_min_docs: int = 100_000
    # estimated Jaccard of 5-word shingles from which a document repeats an earlier one (the same
    # article scraped again); measured in benchmarks/near_duplicate_threshold.py: re-scrapes with
    # edits >= 0.25 in 99.8% (WMT23) and 99.2% (WMT21), different articles at most 0.14, translations 0.00
    duplicate_threshold: float = 0.25
    lock_timeout_s: float = 600.0
    # a new or changed raw file is looked at twice, this far apart; one whose size or mtime moved
    # in between is still being written and is left for a later run
    settle_s: float = 3.0
    # a Prefect server already running here is reported to when PREFECT_API_URL is not set (where
    # `prefect server start` listens; loopback only; empty: always start a temporary one)
    local_server_url: str = "http://127.0.0.1:4200/api"
    # when none runs there: "background" starts one there (`prefect server start --background`) and
    # leaves it running for the next runs; "temporary" starts one for this run alone (8-15 s each run)
    prefect_server: Literal["background", "temporary"] = "background"
    # derived data kept between runs, each file under a key of what it is built from (never stale):
    # the built gazetteer (pipeline/nlp/loaders.py); empty: none kept
    cache_dir: str = Field(default_factory=default_cache_dir)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then PIPELINE_<FIELD> environment variables, then the overrides that are not None."""
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    def with_(self, **changes) -> Settings:
        """A copy with the changes that are not None (validated like any other value)."""
        return type(self)(**{**self.model_dump(), **{k: v for k, v in changes.items() if v is not None}})
