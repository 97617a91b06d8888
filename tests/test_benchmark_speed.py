"""benchmarks/speed.py's pieces that need no timing: the earlier tree it runs beside this one."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.speed import REPO, export_tree, split_by_script


def test_export_tree_gives_the_commits_pipeline_and_models(tmp_path: Path) -> None:
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=REPO, text=True).strip()
    tree = export_tree(head, tmp_path / "before")
    assert (tree / "pipeline" / "__main__.py").read_bytes() == subprocess.check_output(
        ["git", "show", f"{head}:pipeline/__main__.py"], cwd=REPO
    )
    assert (tree / "models" / "pipelines.toml").is_file()
    assert not (tree / ".git").exists()


def test_split_by_script_keeps_each_document_once() -> None:
    en = "The CSTO Secretary General met the press in Moscow. " * 3
    ru = "Генеральный секретарь ОДКБ встретился с журналистами в Москве. " * 3
    assert split_by_script([en, ru, en]) == ([en, en], [ru])
