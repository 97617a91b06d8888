"""SIGKILL a run while it replaces an older version of a file by a newer one, at several moments:
what a reader of the current dumps sees is the old version or the new one, never both, never
neither, and the next run completes the replacement with exactly the rows of a clean run."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.runs import (
    TABLES,
    assert_same_tables,
    cli_env,
    read_tables,
    run_flow,
    small_wmt_dump,
    start_killed_run,
    wait_killed_runs,
)

BATCH = "2"  # documents per batch: the old version has 3 part files per table, the new one 5
NAME = "wmt21_head.txt"
OLD, NEW = small_wmt_dump(6), small_wmt_dump(10)  # the new one is the old one with 4 documents appended
# (event, n) -> which version a reader of the current dumps sees right after the kill
MOMENTS = {
    ("part", 2): "old",  # the new version's part files half staged
    ("commit", 1): "old",  # the new version's partitions switched in, its manifest row not yet written
    ("retire", 1): "new",  # the manifest switched (old row superseded), no old partition retired yet
    ("unretired", 1): "new",  # one table's old partition retired, the other tables' not yet
}


def current(out) -> dict[str, pd.DataFrame]:
    """The tables as README's analysts read them: rows of the dumps the manifest calls `ok`."""
    tables = read_tables(out)
    ok = set(tables["dumps"].dump_id[tables["dumps"].status == "ok"])
    for name in ("documents", "entities", "embeddings"):
        frame = tables[name]
        tables[name] = frame[frame.dump_id.isin(ok)].reset_index(drop=True) if len(frame) else frame
    tables["ok"] = ok
    return tables


@pytest.fixture(scope="module")
def versions(prefect_harness, tmp_path_factory) -> dict[str, dict]:
    """Clean runs of the old and of the new content alone: {version: tables}."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIPELINE_BATCH_SIZE", BATCH)
        for version, text in (("old", OLD), ("new", NEW)):
            base = tmp_path_factory.mktemp(f"replace_{version}")
            (base / "raw").mkdir()
            (base / "raw" / NAME).write_text(text, encoding="utf-8")
            run_flow(base / "raw", base / "out")
            out[version] = current(base / "out")
    return out


@pytest.fixture(scope="module")
def crashed(prefect_harness, prefect_server, tmp_path_factory) -> dict:
    """Per moment: the old version processed by a clean run, then a run on the new version under the
    same name killed at that moment (all killed runs at once). {moment: (raw, out, code, log)}."""
    procs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIPELINE_BATCH_SIZE", BATCH)
        for event, n in MOMENTS:
            base = tmp_path_factory.mktemp(f"replace_crash_{event}{n}")
            raw, out = base / "raw", base / "out"
            raw.mkdir()
            (raw / NAME).write_text(OLD, encoding="utf-8")
            run_flow(raw, out)
            (raw / NAME).write_text(NEW, encoding="utf-8")
            env = cli_env(prefect_server, PIPELINE_BATCH_SIZE=BATCH)
            procs[(event, n)] = (raw, out, start_killed_run(event, n, raw, out, env))
    return wait_killed_runs(procs)


@pytest.mark.parametrize("moment", list(MOMENTS), ids=[f"{e}{n}" for e, n in MOMENTS])
def test_a_killed_replacement_leaves_old_or_new_and_the_next_run_completes_it(moment, crashed, versions, monkeypatch):
    raw, out, code, log = crashed[moment]
    assert code == -9, f"the run was not killed at {moment}: {log}"
    seen, expected = current(out), versions[MOMENTS[moment]]
    other = versions["old" if MOMENTS[moment] == "new" else "new"]
    assert seen["ok"] == expected["ok"] and seen["ok"] != other["ok"], "exactly one version is current"
    for name in ("documents", "entities", "embeddings"):
        pd.testing.assert_frame_equal(seen[name], expected[name], obj=name)
    if MOMENTS[moment] == "new":
        m = seen["dumps"].set_index("dump_id")
        (old_id,) = versions["old"]["ok"]
        assert m.loc[old_id, "status"] == "superseded" and m.loc[old_id, "superseded_by"] in expected["ok"]

    monkeypatch.setenv("PIPELINE_BATCH_SIZE", BATCH)
    run_flow(raw, out)
    assert not list((out / "_tmp").glob("*")), "nothing left staged"
    done = read_tables(out)
    assert_same_tables({n: done[n] for n in TABLES}, {n: versions["new"][n] for n in TABLES})
    statuses = dict(zip(done["dumps"].dump_id, done["dumps"].status))
    assert statuses == {
        **dict.fromkeys(versions["old"]["ok"], "superseded"),
        **dict.fromkeys(versions["new"]["ok"], "ok"),
    }
    assert {p.name for p in (out / "documents").iterdir()} == {f"dump_id={d}" for d in versions["new"]["ok"]}
