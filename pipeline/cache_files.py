"""Files of the cache folder (`PIPELINE_CACHE_DIR`): built things kept as pickles under a key.

A missing, truncated or foreign file reads as None (the caller builds again and rewrites it); a
write goes through a temporary name and a rename, and a folder that cannot be written keeps
nothing (the run goes on)."""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from pathlib import Path


def read_pickle(path: Path) -> object | None:
    """The value kept at `path`, or None when there is none that can be read."""
    try:
        return pickle.loads(Path(path).read_bytes())
    except Exception:  # none yet, or a truncated or foreign file
        return None


def write_pickle(path: Path, value: object) -> None:
    """Keep `value` at `path`, atomically."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
