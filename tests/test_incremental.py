"""Re-runs driven by the manifest: unchanged folders change nothing, new dumps add only their rows,
a new pipeline version reprocesses, removed dumps keep their rows, `forget` removes one on purpose."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import pipeline.ids as ids_mod
import pipeline.raw_folder as raw_folder_mod
from pipeline.cli import main as cli_main
from pipeline.ids import hash_file
from pipeline.store import Store
from tests.runs import assert_same_tables, make_raw, read_tables, run_flow, small_wmt_dump


def snapshot(out: Path) -> dict[str, str]:
    """Every data file of a dataset with the hash of its bytes (the lock file and caches aside)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".lock" and "_state" not in p.parts
    }


@pytest.fixture(scope="module")
def a_run(prefect_harness, tmp_path_factory) -> tuple[Path, Path]:
    """A clean run on the sample dump only: (raw, out)."""
    base = tmp_path_factory.mktemp("inc_a")
    raw = make_raw(base)
    run_flow(raw, base / "out")
    return raw, base / "out"


@pytest.fixture(scope="module")
def ab_run(prefect_harness, tmp_path_factory) -> tuple[Path, Path]:
    """A clean run on the sample dump and a small WMT21 dump: (raw, out)."""
    base = tmp_path_factory.mktemp("inc_ab")
    raw = make_raw(base, wmt=True)
    run_flow(raw, base / "out")
    return raw, base / "out"


def wmt_id() -> str:
    return hashlib.sha256(small_wmt_dump().encode("utf-8")).hexdigest()[:16]


def test_second_run_on_an_unchanged_folder_adds_and_changes_nothing(a_run, tmp_path, monkeypatch):
    raw, clean = a_run
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    before = snapshot(out)
    hashed = []
    monkeypatch.setattr(raw_folder_mod, "hash_file", lambda p: hashed.append(p) or hash_file(p))

    summary = run_flow(raw, out)
    assert (summary["new_dumps"], summary["skipped_dumps"], summary["rejected"]) == (0, 1, [])
    assert snapshot(out) == before
    assert hashed == [], "an unchanged file (same size, mtime, inode) is not read again"

    dump = next(raw.iterdir())
    os.utime(dump, ns=(dump.stat().st_atime_ns, dump.stat().st_mtime_ns + 10**9))
    summary = run_flow(raw, out)
    assert summary["skipped_dumps"] == 1 and summary["new_dumps"] == 0
    assert hashed == [dump], "a touched file is hashed again, and its unchanged content is recognized"
    assert snapshot(out) == before


def test_new_dump_adds_only_its_rows(a_run, ab_run, tmp_path):
    raw_a, clean_a = a_run
    out = tmp_path / "out"
    shutil.copytree(clean_a, out)
    raw = tmp_path / "raw"
    shutil.copytree(raw_a, raw)
    (raw / "wmt21_head.txt").write_text(small_wmt_dump(), encoding="utf-8")
    before = snapshot(out)

    summary = run_flow(raw, out)
    assert (summary["new_dumps"], summary["skipped_dumps"]) == (1, 1)
    after = snapshot(out)
    sample_files = {k: v for k, v in before.items() if k.split("/")[0] in ("documents", "entities", "embeddings")}
    assert sample_files and all(after[k] == v for k, v in sample_files.items()), "the sample's partitions untouched"
    added = {k.split("/")[1] for k in after.keys() - before.keys() if "=" in k}
    assert added == {f"dump_id={wmt_id()}"}
    assert_same_tables(read_tables(out), read_tables(ab_run[1]))


def test_version_bump_reprocesses_and_a_removed_dump_keeps_its_rows(ab_run, tmp_path, monkeypatch):
    raw_ab, clean = ab_run
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    raw = tmp_path / "raw"
    shutil.copytree(raw_ab, raw)
    (raw / "wmt21_head.txt").unlink()
    old_version = ids_mod.current_version()
    monkeypatch.setattr(ids_mod, "PIPELINE_VERSION", "99.0.0")
    assert ids_mod.current_version().startswith("99.0.0+models.")

    summary = run_flow(raw, out)
    assert (summary["new_dumps"], summary["skipped_dumps"]) == (1, 0)
    m = pd.read_parquet(out / "dumps.parquet").set_index("path")
    versions = {Path(p).name: v for p, v in m["pipeline_version"].items()}
    assert versions == {"csto_news_2024-07.txt": ids_mod.current_version(), "wmt21_head.txt": old_version}
    before, after = read_tables(clean), read_tables(out)
    for name in ("documents", "entities", "embeddings", "pairs"):
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    assert len(list((out / "documents").glob("dump_id=*"))) == 2

    again = run_flow(raw, out)
    assert (again["new_dumps"], again["skipped_dumps"]) == (0, 1)


def test_a_model_asset_change_reprocesses(a_run, tmp_path, monkeypatch):
    """The version key holds a digest of models/: an edited gazetteer line sends the dump back."""
    raw, clean = a_run
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    models = tmp_path / "models"
    shutil.copytree(ids_mod.MODELS_DIR, models)
    before = ids_mod.current_version(models)
    orgs = models / "gazetteer" / "organizations.tsv"
    orgs.write_text(orgs.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert ids_mod.current_version(models) != before
    assert run_flow(raw, out)["new_dumps"] == 0
    monkeypatch.setattr(ids_mod, "MODELS_DIR", models)
    assert run_flow(raw, out)["new_dumps"] == 1


def test_forget_removes_exactly_one_dump(a_run, ab_run, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(ab_run[1], out)
    assert cli_main(["forget", wmt_id(), "--out", str(out)]) == 0
    assert "pairs recomputed" in capsys.readouterr().out
    assert not any(wmt_id() in str(p) for p in out.rglob("*"))
    assert_same_tables(read_tables(out), read_tables(a_run[1]))
    assert cli_main(["forget", wmt_id(), "--out", str(out)]) == 1
    assert f"no dump {wmt_id()}" in capsys.readouterr().err


def test_partitions_without_a_manifest_row_are_dropped(a_run, tmp_path):
    """What a crash leaves between switching partitions in and writing the row is not kept."""
    raw, clean = a_run
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    orphan = out / "documents" / "dump_id=0123456789abcdef"
    shutil.copytree(next((out / "documents").glob("dump_id=*")), orphan)
    run_flow(raw, out)
    assert not orphan.exists()
    assert Store(out).partition_dump_ids() == set(pd.read_parquet(out / "dumps.parquet").dump_id)
