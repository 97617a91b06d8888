"""A dump that changes under its name: caught mid-write, appended to, replaced, or still being
written while runs fire; in-progress names; the same content under two names."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main as cli_main
from pipeline.ledger import rows
from pipeline.raw_folder import plan_run
from pipeline.reporting.data import load_overview
from pipeline.store import Store
from tests.conftest import EVAL
from tests.runs import assert_same_tables, read_tables, run_flow, small_wmt_dump

DUMP = EVAL / "pairing" / "wmt21_ruen.dump.txt"
NAME = "wmt21_ruen.txt"
PARTIAL_BYTES = 120_000
DATA = ("documents", "entities", "embeddings", "pairs")


def sha16(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _recorded(store: Store) -> tuple[list[dict], dict]:
    """What a run plans from besides the folder: the manifest's rows and the kept fingerprints."""
    return rows(store), store.read_fingerprints()


def manifest(out: Path) -> pd.DataFrame:
    m = pd.read_parquet(out / "dumps.parquet")
    m["status"] = m["status"].astype(str)
    return m


def bitext(out: Path) -> pd.DataFrame:
    """The bitext table (kept in step with the pairs) in a canonical order."""
    units = pd.read_parquet(out / "bitext")
    units["dump_id"] = units["dump_id"].astype(str)
    units["kind"] = units["kind"].astype(str)
    return units.sort_values(["ru_doc_id", "en_doc_id", "unit"]).reset_index(drop=True)


def current_documents(out: Path) -> pd.DataFrame:
    """What an analyst following the README reads: the documents of the `ok` dumps only."""
    m = manifest(out)
    docs = pd.read_parquet(out / "documents")
    docs["dump_id"] = docs["dump_id"].astype(str)
    return docs[docs.dump_id.isin(m.dump_id[m.status == "ok"])]


@pytest.fixture(scope="module")
def complete(prefect_harness, tmp_path_factory) -> Path:
    """The complete 250 kB dump alone, one clean run: the reference."""
    base = tmp_path_factory.mktemp("complete")
    (base / "raw").mkdir()
    (base / "raw" / NAME).write_bytes(DUMP.read_bytes())
    run_flow(base / "raw", base / "out")
    return base / "out"


@pytest.fixture(scope="module")
def replaced(prefect_harness, tmp_path_factory) -> tuple[Path, list[dict], Path]:
    """The issue's scenario: the first 120 kB processed by one run, the whole file under the same
    name by the next. Returns (output folder, the two run summaries, raw folder)."""
    base = tmp_path_factory.mktemp("replaced")
    raw, out = base / "raw", base / "out"
    raw.mkdir()
    data = DUMP.read_bytes()
    assert len(data) > 250_000
    (raw / NAME).write_bytes(data[:PARTIAL_BYTES])
    first = run_flow(raw, out)
    (raw / NAME).write_bytes(data)
    second = run_flow(raw, out)
    return out, [first, second], raw


def test_partial_then_complete_gives_the_documents_of_the_complete_file_alone(replaced, complete):
    out, (first, second), _ = replaced
    assert first["new_dumps"] == 1 and second["new_dumps"] == 1 and second["replaced"] == 1
    got, want = read_tables(out), read_tables(complete)
    assert len(want["documents"]) == 172
    assert_same_tables({k: got[k] for k in DATA}, {k: want[k] for k in DATA})
    assert len(want["pairs"]) == 65
    pd.testing.assert_frame_equal(bitext(out), bitext(complete))  # the bitext follows the pairs
    assert len(pd.read_parquet(out / "documents")) == 172, "the partial version's partitions are retired"


def test_the_manifest_keeps_the_partial_version_as_superseded(replaced, complete):
    out = replaced[0]
    data = DUMP.read_bytes()
    partial_id, complete_id = sha16(data[:PARTIAL_BYTES]), sha16(data)
    m = manifest(out).set_index("dump_id")
    assert sorted(m.index) == sorted([partial_id, complete_id])
    assert m.loc[partial_id, "status"] == "superseded" and m.loc[partial_id, "superseded_by"] == complete_id
    assert m.loc[partial_id, "size_bytes"] == PARTIAL_BYTES and m.loc[partial_id, "n_documents"] > 0
    assert m.loc[complete_id, "status"] == "ok" and pd.isna(m.loc[complete_id, "superseded_by"])
    assert m.loc[complete_id, "n_documents"] == 172
    assert Store(out).partition_dump_ids() == {complete_id}
    ok = manifest(complete)
    assert ok.dump_id.tolist() == [complete_id] and ok.status.tolist() == ["ok"]


def test_status_and_report_know_superseded(replaced, capsys):
    out = replaced[0]
    assert cli_main(["status", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    complete_id = sha16(DUMP.read_bytes())
    (old,) = [line for line in text.splitlines() if " superseded " in line]
    assert f"superseded by {complete_id}" in old
    assert "total: 2 dumps (1 ok, 0 rejected, 1 superseded) | documents: 172" in text
    overview = load_overview(out)
    assert overview.rejected == [] and [d.superseded_by for d in overview.superseded] == [complete_id]


def test_a_rerun_after_the_replacement_changes_nothing(replaced, tmp_path):
    out = replaced[0]
    out, raw = tmp_path / "out", replaced[2]
    shutil.copytree(replaced[0], out)
    before = manifest(out)
    summary = run_flow(raw, out)
    assert (summary["new_dumps"], summary["skipped_dumps"], summary["replaced"]) == (0, 1, 0)
    pd.testing.assert_frame_equal(manifest(out), before)


def test_forget_knows_superseded_rows(replaced, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(replaced[0], out)
    data = DUMP.read_bytes()
    partial_id, complete_id = sha16(data[:PARTIAL_BYTES]), sha16(data)
    assert cli_main(["forget", partial_id, "--out", str(out)]) == 0
    assert "superseded by" in capsys.readouterr().out
    assert manifest(out).dump_id.tolist() == [complete_id]
    assert len(pd.read_parquet(out / "documents")) == 172

    shutil.rmtree(out)
    shutil.copytree(replaced[0], out)
    assert cli_main(["forget", complete_id, "--out", str(out)]) == 0
    assert partial_id in capsys.readouterr().out, "its superseded history goes with it"
    assert manifest(out).empty and Store(out).partition_dump_ids() == set()


# ---- still being written ------------------------------------------------------------------------


def test_in_progress_names_and_moving_files_wait(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a.txt.part", "b.tmp", "c.txt.crdownload", ".d.txt.x1Yz", "~e.txt"):
        (raw / name).write_text("Some text.\n", encoding="utf-8")
    (raw / "growing.txt").write_text("First paragraph.\n", encoding="utf-8")
    (raw / "still.txt").write_text("A finished dump.\n", encoding="utf-8")
    looked = []

    def writer_meanwhile(seconds: float) -> None:  # another process appends while the run waits
        looked.append(seconds)
        with open(raw / "growing.txt", "a", encoding="utf-8") as fh:
            fh.write("Second paragraph.\n")

    plan = plan_run(raw, *_recorded(Store(tmp_path / "out")), settle_s=5.0, sleep=writer_meanwhile)
    assert looked == [5.0], "one look, settle_s apart, for all new files"
    waiting = {Path(w.path).name: w.reason for w in plan.waiting}
    assert set(waiting) == {"a.txt.part", "b.tmp", "c.txt.crdownload", ".d.txt.x1Yz", "~e.txt", "growing.txt"}
    assert "`.part`" in waiting["a.txt.part"] and "starts with `.`" in waiting[".d.txt.x1Yz"]
    assert waiting["growing.txt"].startswith("still being written: 17 -> 35 bytes within 5 s")
    assert [c.path.name for c in plan.todo] == ["still.txt"] and not plan.rejected
    assert plan.todo[0].dump_id is None, "new content of a size nothing has: its id comes from its one read"
    assert not plan.fingerprints, "a waiting file is looked at afresh next time; a new one once it is read"


def test_an_empty_file_being_created_is_rejected_only_once_it_settles(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "new.txt").write_bytes(b"")
    plan = plan_run(raw, *_recorded(Store(tmp_path / "out")), 1.0, lambda s: (raw / "new.txt").write_text("Text.\n"))
    assert [Path(w.path).name for w in plan.waiting] == ["new.txt"] and not plan.rejected
    plan = plan_run(raw, *_recorded(Store(tmp_path / "out")), 1.0, lambda s: None)
    assert [c.path.name for c in plan.todo] == ["new.txt"]


WRITER = """
import sys, time
src, dst, chunk, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
data = open(src, 'rb').read()
with open(dst, 'wb') as fh:
    for i in range(0, len(data), chunk):
        fh.write(data[i:i + chunk])
        fh.flush()
        time.sleep(pause)
"""


def test_a_file_written_slowly_by_another_process_is_never_processed_partially(
    complete, prefect_harness, tmp_path, monkeypatch
):
    monkeypatch.setenv("PIPELINE_SETTLE_S", "1.0")  # the writer never pauses that long
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    data = DUMP.read_bytes()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(DUMP), str(raw / NAME), "8192", "0.08"])
    summaries = []
    try:
        while True:  # a run every second while the writer writes, and one after it is done
            finished = writer.poll() is not None
            summaries.append(run_flow(raw, out))
            ids = set(manifest(out).dump_id) if (out / "dumps.parquet").exists() else set()
            assert ids <= {sha16(data)}, "a partial version was recorded"
            if finished:
                break
            time.sleep(1.0)
    finally:
        writer.kill() if writer.poll() is None else None
        writer.wait()
    assert writer.returncode == 0
    waited = [why for s in summaries for _, why in s["waiting"]]
    assert waited and all(why.startswith("still being written") for why in waited)
    assert sum(s["new_dumps"] for s in summaries) == 1 and summaries[-1]["waiting"] == []
    m = manifest(out)
    assert m.status.tolist() == ["ok"] and m.dump_id.tolist() == [sha16(data)]
    got, want = read_tables(out), read_tables(complete)
    assert_same_tables({k: got[k] for k in DATA}, {k: want[k] for k in DATA})


def test_status_says_what_the_last_run_left_for_later(prefect_harness, tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "head.txt").write_text(small_wmt_dump(2), encoding="utf-8")
    (raw / "next.txt.part").write_text(small_wmt_dump(3), encoding="utf-8")
    summary = run_flow(raw, out)
    assert [Path(p).name for p, _ in summary["waiting"]] == ["next.txt.part"]
    assert cli_main(["status", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "left for later by the last run (1):\n  next.txt.part: its name ends in `.part`" in text
    assert cli_main(["status", "--out", str(out), "--json"]) == 0
    assert '"file": "next.txt.part"' in capsys.readouterr().out


# ---- one content, two names ---------------------------------------------------------------------


def test_same_content_under_two_names_stays_one_dump_through_replacements(prefect_harness, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    x, y = small_wmt_dump(3), small_wmt_dump(4)
    (raw / "a.txt").write_text(x, encoding="utf-8")
    (raw / "b.txt").write_text(x, encoding="utf-8")
    assert run_flow(raw, out)["new_dumps"] == 1
    x_id, y_id = sha16(x.encode()), sha16(y.encode())
    assert manifest(out).dump_id.tolist() == [x_id]

    (raw / "a.txt").write_text(y, encoding="utf-8")  # b.txt still holds x: x stays current
    summary = run_flow(raw, out)
    assert (summary["new_dumps"], summary["replaced"]) == (1, 0)
    assert dict(zip(manifest(out).dump_id, manifest(out).status)) == {x_id: "ok", y_id: "ok"}

    (raw / "b.txt").write_text(y, encoding="utf-8")  # now x is nowhere: y, already processed, replaces it
    summary = run_flow(raw, out)
    assert (summary["new_dumps"], summary["replaced"]) == (0, 1)
    m = manifest(out).set_index("dump_id")
    assert m.loc[x_id, "status"] == "superseded" and m.loc[x_id, "superseded_by"] == y_id
    assert Store(out).partition_dump_ids() == {y_id}
    assert current_documents(out).doc_id.tolist() == pd.read_parquet(out / "documents").doc_id.tolist()


def test_the_settle_time_is_a_setting_of_a_few_seconds(monkeypatch):
    from pipeline.settings import Settings

    monkeypatch.delenv("PIPELINE_SETTLE_S", raising=False)
    assert Settings().settle_s == 3.0
    monkeypatch.setenv("PIPELINE_SETTLE_S", "0.5")
    assert Settings.from_env().settle_s == 0.5


def test_a_file_untouched_for_the_settle_time_needs_no_second_look(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "finished.txt").write_text("A finished dump.\n", encoding="utf-8")
    time.sleep(0.5)
    looked = []
    plan = plan_run(raw, *_recorded(Store(tmp_path / "out")), 0.4, looked.append)
    assert looked == [] and [c.path.name for c in plan.todo] == ["finished.txt"]
    (raw / "copied.txt").write_text("Copied with its old times (cp -p).\n", encoding="utf-8")
    os.utime(raw / "copied.txt", (1_000_000_000, 1_000_000_000))  # an old mtime, but the ctime is now
    plan = plan_run(raw, *_recorded(Store(tmp_path / "out")), 0.4, looked.append)
    assert looked == [0.4], "a file changed within the settle time is looked at again"
    assert sorted(c.path.name for c in plan.todo) == ["copied.txt", "finished.txt"]
