"""The lock on the output folder: a second run waits for the first, or gives up with a clear message."""

from __future__ import annotations

import pandas as pd

from pipeline.cli import main as cli_main
from pipeline.store import Store
from tests.runs import assert_same_tables, cli, make_raw, read_tables


def test_a_run_gives_up_after_the_lock_timeout(prefect_harness, tmp_path, capsys):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    with Store(out).lock():
        code = cli_main(["run", "--raw", str(raw), "--out", str(out), "--lock-timeout", "1"])
    assert code == 3
    assert "another pipeline run is using" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [".lock"], "nothing written without the lock"


def test_two_runs_at_once_on_one_output_folder(prefect_server, sample_run, tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    args = ["run", "--raw", str(raw), "--out", str(out)]
    first, second = cli(args, prefect_server), cli(args, prefect_server)
    results = [p.communicate(timeout=900) + (p.returncode,) for p in (first, second)]
    for _, stderr, code in results:
        assert code == 0, stderr[-3000:]
    summaries = sorted(stdout.strip().splitlines()[-1].split(" | ")[0] for stdout, _, _ in results)
    assert summaries == ["dumps: 0 new, 1 unchanged, 0 rejected", "dumps: 1 new, 0 unchanged, 0 rejected"]
    assert_same_tables(read_tables(out), read_tables(sample_run))
    assert len(pd.read_parquet(out / "dumps.parquet")) == 1
