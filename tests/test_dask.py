"""`run --workers 2`: the same flow on a local Dask cluster gives the same tables as the default run."""

from __future__ import annotations

from tests.runs import assert_same_tables, cli, make_raw, read_tables


def test_two_dask_workers_give_the_same_tables(prefect_server, sample_run, tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    # Two documents per batch: the one dump is analyzed as three tasks spread over the workers.
    proc = cli(["run", "--raw", str(raw), "--out", str(out), "--workers", "2"], prefect_server, PIPELINE_BATCH_SIZE="2")
    (
        stdout,
        stderr,
    ) = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-3000:]
    assert "dumps: 1 new" in stdout
    assert "analyze-batch" in stderr and "distributed" in stderr
    assert len(list((out / "documents").glob("*/part-*.parquet"))) == 3
    assert_same_tables(read_tables(out), read_tables(sample_run))
