"""`run --workers 2`: the same flow on a local Dask cluster gives the same tables as the default run."""

from __future__ import annotations

from tests.runs import assert_same_tables, cli, make_raw, read_tables, run_flow

# Two documents per batch: the sample's one dump is analyzed as three batches (two tasks each) spread over the workers.
# Embeddings depend, in their last bits, on how texts are batched (so both runs use the same batches)
# and on the process's math-library threading (Dask workers run with one thread): within 1e-5.
BATCH = "2"


def test_two_dask_workers_give_the_same_tables(prefect_server, prefect_harness, tmp_path, monkeypatch):
    raw = make_raw(tmp_path)
    proc = cli(
        ["run", "--raw", str(raw), "--out", str(tmp_path / "dask"), "--workers", "2"],
        prefect_server,
        PIPELINE_BATCH_SIZE=BATCH,
    )
    monkeypatch.setenv("PIPELINE_BATCH_SIZE", BATCH)
    run_flow(raw, tmp_path / "default")  # meanwhile, the default run in this process

    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-3000:]
    assert "dumps: 1 new" in stdout
    logs = stdout + stderr
    assert "distributed.scheduler" in logs and logs.count("Task run 'analyze-batch") >= 3
    assert logs.count("Task run 'finish-batch") >= 3  # the whole entity stage in the workers too
    assert len(list((tmp_path / "dask" / "documents").glob("*/part-*.parquet"))) == 3
    assert_same_tables(read_tables(tmp_path / "dask"), read_tables(tmp_path / "default"), vector_atol=1e-5)
