"""The main command as a user runs it: `python -m pipeline run`, twice, on a copy of raw/."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd

from tests.conftest import REPO


def _run(raw, out):
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_run_twice_gives_the_same_tables(raw_with_sample, tmp_path):
    out = tmp_path / "processed"
    first = _run(raw_with_sample, out)
    assert first.returncode == 0, first.stderr[-3000:]
    summary = first.stdout.strip().splitlines()[-1]
    assert summary.startswith("dumps: 1 new, 0 unchanged, 0 rejected | documents: 6 (en 5, ru 1)")
    assert summary.endswith("pairs: 1")
    tables = {n: pd.read_parquet(out / n) for n in ("documents", "entities", "pairs")}
    second = _run(raw_with_sample, out)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "dumps: 0 new, 1 unchanged" in second.stdout
    for name, table in tables.items():
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), table)
