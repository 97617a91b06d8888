"""The main command as a user runs it: `python -m pipeline run`, twice, on a copy of raw/, with a Prefect
server running on the local address (found, not configured: PREFECT_API_URL is unset)."""

from __future__ import annotations

import pandas as pd

from tests.runs import cli_env, run_cli


def _run(raw, out, server):
    return run_cli(["run", "--raw", str(raw), "--out", str(out)], cli_env(None, PIPELINE_LOCAL_SERVER_URL=server))


def test_run_twice_gives_the_same_tables(prefect_server, raw_with_sample, tmp_path):
    out = tmp_path / "processed"
    first = _run(raw_with_sample, out, prefect_server)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"reporting to the Prefect server at {prefect_server}" in first.stderr
    summary = first.stdout.strip().splitlines()[-1]
    assert summary.startswith("dumps: 1 new, 0 unchanged, 0 rejected | documents: 6 (en 5, ru 1)")
    assert summary.endswith("pairs: 1")
    tables = {n: pd.read_parquet(out / n) for n in ("documents", "entities", "pairs")}
    second = _run(raw_with_sample, out, prefect_server)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "dumps: 0 new, 1 unchanged" in second.stdout
    for name, table in tables.items():
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), table)
