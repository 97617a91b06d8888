"""Every kind of bad entry in the raw folder is a `rejected` manifest row with a readable reason;
the good dump beside them is complete, and the exit status says something was rejected."""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.cli import main as cli_main
from tests.conftest import REPO, SAMPLE_DUMP
from tests.runs import read_tables

# file name -> words the `error` must contain
EXPECTED = {
    "empty.txt": "empty file",
    "binary.txt": "binary content",
    "truncated.txt.gz": "truncated gzip",
    "malformed.jsonl": "no valid JSON Lines record",
    "undecodable.txt": "undecodable text",
    "outside_link.txt": "leads outside the raw folder",
    "loop.txt": "symlink loop",
    "broken_link.txt": "broken symlink",
    "pipe.txt": "not a regular file (a FIFO)",
}


def make_bad_raw(raw) -> None:
    rng = random.Random(7)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(4000))
    whole = gzip.compress(SAMPLE_DUMP.read_bytes())
    (raw / "truncated.txt.gz").write_bytes(whole[: len(whole) // 2])
    (raw / "undecodable.txt").write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(5000)))
    (raw.parent / "private.txt").write_text("a file outside the raw folder is never read\n")
    os.symlink(raw.parent / "private.txt", raw / "outside_link.txt")
    os.symlink("loop.txt", raw / "loop.txt")
    os.symlink("missing_dump.txt", raw / "broken_link.txt")
    (raw / "malformed.jsonl").write_text('{"text": "unterminated\n{not json at all}\n[1, 2, 3]\n', encoding="utf-8")
    os.mkfifo(raw / "pipe.txt")  # opening it would block: must be rejected without reading


@pytest.fixture(scope="module")
def bad_run(prefect_harness, tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    raw = base / "raw"
    raw.mkdir()
    (raw / SAMPLE_DUMP.name).write_bytes(SAMPLE_DUMP.read_bytes())
    make_bad_raw(raw)
    out = base / "out"
    code = cli_main(["run", "--raw", str(raw), "--out", str(out)])
    return raw, out, code


def test_every_bad_input_is_a_rejected_row_with_its_reason(bad_run):
    raw, out, code = bad_run
    assert code == 2
    m = pd.read_parquet(out / "dumps.parquet")
    m["name"] = m.path  # its path inside the raw folder
    rejected = m[m.status == "rejected"].set_index("name")
    assert sorted(rejected.index) == sorted(EXPECTED)
    for name, words in EXPECTED.items():
        assert words in rejected.loc[name, "error"], (name, rejected.loc[name, "error"])
    assert rejected.n_documents.eq(0).all()


def test_the_good_dump_is_complete(bad_run, sample_run):
    _, out, _ = bad_run
    m = pd.read_parquet(out / "dumps.parquet")
    ok = m[m.status == "ok"]
    assert ok.path.tolist() == [SAMPLE_DUMP.name]
    mine, clean = read_tables(out), read_tables(sample_run)
    for name in ("documents", "entities", "embeddings", "pairs"):
        pd.testing.assert_frame_equal(mine[name], clean[name], obj=name)


def test_a_second_run_rejects_them_again_and_changes_nothing(bad_run, capsys):
    raw, out, _ = bad_run
    before = pd.read_parquet(out / "dumps.parquet")
    assert cli_main(["run", "--raw", str(raw), "--out", str(out)]) == 2
    assert f"0 new, 1 unchanged, {len(EXPECTED)} rejected" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(out / "dumps.parquet"), before)


def test_an_unreadable_file_is_rejected_as_such(tmp_path):
    """chmod 000 does not stop root: the check runs without the capabilities that bypass it."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SAMPLE_DUMP.read_bytes())
    secret.chmod(0)
    code = (
        "import sys; from pathlib import Path; from pipeline.raw_folder import inspect;"
        "print(inspect(Path(sys.argv[1]), {})[0].error)"
    )
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    proc = subprocess.run(
        [*drop, sys.executable, "-c", code, str(secret)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "unreadable: Permission denied"


def test_a_missing_raw_folder_is_a_clear_error(tmp_path, capsys):
    assert cli_main(["run", "--raw", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
    assert "raw folder not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
