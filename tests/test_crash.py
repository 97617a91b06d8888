"""SIGKILL the run at several moments: the tables stay readable, and the next run completes them
with exactly the rows of a clean run (nothing lost, nothing duplicated)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.runs import (
    TABLES,
    assert_same_tables,
    cli_env,
    make_raw,
    read_tables,
    run_flow,
    start_killed_run,
    wait_killed_runs,
)

BATCH = "2"  # documents per batch: each dump is written as three part files per table
# (event, n) -> what must be on disk right after the kill
MOMENTS = {
    ("part", 4): "nothing visible yet: part files of the first dump are only staged",
    ("commit", 2): "the first dump recorded; the second's partitions in place without its manifest row",
    ("pairs", 1): "every dump recorded, pairing cut off",
}


@pytest.fixture(scope="module")
def clean(prefect_harness, tmp_path_factory):
    base = tmp_path_factory.mktemp("crash_clean")
    raw = make_raw(base, wmt=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIPELINE_BATCH_SIZE", BATCH)
        run_flow(raw, base / "out")
    return read_tables(base / "out")


@pytest.fixture(scope="module")
def crashed(prefect_server, tmp_path_factory):
    """One killed run per moment, all started at once; returns {moment: (raw, out, returncode)}."""
    procs = {}
    for event, n in MOMENTS:
        base = tmp_path_factory.mktemp(f"crash_{event}{n}")
        raw, out = make_raw(base, wmt=True), base / "out"
        env = cli_env(prefect_server, PIPELINE_BATCH_SIZE=BATCH, PIPELINE_POOL_MIN_BYTES="0")  # the process pool too
        procs[(event, n)] = (raw, out, start_killed_run(event, n, raw, out, env))
    return wait_killed_runs(procs)


def visible(out) -> dict[str, int]:
    """Rows a reader sees right now in each table (reading must work whatever the moment)."""
    rows = {n: len(pd.read_parquet(out / n)) for n in TABLES if (out / n).exists()}
    if (out / "dumps.parquet").exists():
        rows["dumps"] = len(pd.read_parquet(out / "dumps.parquet"))
    return rows


@pytest.mark.parametrize("moment", list(MOMENTS), ids=[f"{e}{n}" for e, n in MOMENTS])
def test_killed_run_is_completed_by_the_next_one(moment, crashed, clean, monkeypatch):
    raw, out, code, err = crashed[moment]
    assert code == -9, f"the run was not killed at {moment}: {err}"
    seen = visible(out)
    if moment == ("part", 4):
        assert seen == {}
        assert list((out / "_tmp").rglob("part-*.parquet")), "part files were staged"
    elif moment == ("commit", 2):
        assert seen["dumps"] == 1
        assert seen["documents"] == len(clean["documents"]), "both dumps' partitions in place"
        assert "pairs" not in seen
    else:
        assert seen["dumps"] == 2 and "pairs" not in seen

    monkeypatch.setenv("PIPELINE_BATCH_SIZE", BATCH)
    run_flow(raw, out)
    assert not list((out / "_tmp").glob("*")), "nothing left staged"
    assert_same_tables(read_tables(out), clean)
