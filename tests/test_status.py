"""`pipeline status` on the sample, and on a dataset with a rejected dump; the run's progress line."""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import progress
from pipeline.cli import main
from pipeline.reporting.data import load_overview
from tests.conftest import REPO, SAMPLE_DUMP

BAD_NAME = "scan<1>.txt"


def _status(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "status", "--out", str(out), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _read_pty(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def pty_stream():
    """A real terminal (pseudo-terminal): the writer end as a text stream, and a reader of what it shows."""
    master, slave = os.openpty()
    stream = open(slave, "w", encoding="utf-8", closefd=True)
    try:
        yield stream, lambda: _read_pty(master)
    finally:
        stream.close()
        os.close(master)


@pytest.fixture(scope="module")
def mixed_run(sample_run, prefect_harness, tmp_path_factory):
    """The sample's dataset plus one unreadable dump, added by a second real flow run under a console progress line.

    Returns (output folder, what the terminal showed).
    """
    from pipeline.flows import process_raw_folder

    base = tmp_path_factory.mktemp("mixed")
    out = base / "processed"
    shutil.copytree(sample_run, out, ignore=shutil.ignore_patterns(".lock", "_tmp"))
    raw = base / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_DUMP, raw / SAMPLE_DUMP.name)
    (raw / BAD_NAME).write_bytes(b"\x00\x01binary\x00" * 64)
    master, slave = os.openpty()
    try:
        with open(slave, "w", encoding="utf-8") as tty, progress.console(stream=tty) as shown:
            assert shown.enabled
            result = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
        screen = _read_pty(master)
    finally:
        os.close(master)
    assert result["skipped_dumps"] == 1 and len(result["rejected"]) == 1
    return out, screen


def test_status_lists_the_sample_dump(sample_run):
    done = _status(sample_run)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line.split() for line in lines if line.startswith("file "))
    assert header[:4] == ["file", "dump_id", "status", "documents"]
    (row,) = [line.split() for line in lines if line.startswith(SAMPLE_DUMP.name)]
    cells = dict(zip(header, row))
    manifest = pd.read_parquet(sample_run / "dumps.parquet")
    n_entities = pq.read_table(sample_run / "entities").num_rows
    assert cells["dump_id"] == manifest.dump_id.item()
    assert cells["status"] == "ok"
    assert (cells["documents"], cells["en"], cells["ru"]) == ("6", "5", "1")
    assert cells["entities"] == str(n_entities)
    n_keys = pq.read_table(sample_run / "entity_keys").num_rows
    n_joined = pq.read_table(sample_run / "key_map").num_rows
    assert (
        f"total: 1 dumps (1 ok, 0 rejected) | documents: 6 (en 5, ru 1) | entities: {n_entities} | pairs: 1"
        f" | entity keys: {n_keys} ({n_joined} joined by the pairs' evidence)"
    ) in lines
    last = manifest.processed_at.max().strftime("%Y-%m-%d %H:%M:%S UTC")
    assert lines[-1] == f"last run: {last}"


def test_status_json_matches_the_tables(sample_run):
    done = _status(sample_run, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    (dump,) = data["dumps"]
    assert dump["file"] == SAMPLE_DUMP.name and dump["status"] == "ok" and dump["error"] is None
    assert dump["documents_by_lang"] == {"en": 5, "ru": 1}
    assert data["totals"]["entities"] == pq.read_table(sample_run / "entities").num_rows
    assert data["totals"]["entity_keys"] == pq.read_table(sample_run / "entity_keys").num_rows > 0
    assert data["totals"]["keys_joined"] == pq.read_table(sample_run / "key_map").num_rows
    assert data["last_run"] == pd.read_parquet(sample_run / "dumps.parquet").processed_at.max().isoformat()


def test_status_shows_rejected_dumps_with_their_error(mixed_run, capsys):
    out, _ = mixed_run
    assert main(["status", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    (bad,) = [line for line in text.splitlines() if line.startswith(BAD_NAME)]
    assert " rejected " in bad and "binary content: NUL bytes" in bad
    assert "total: 2 dumps (1 ok, 1 rejected) | documents: 6 (en 5, ru 1)" in text
    overview = load_overview(out)
    assert overview.last_run == max(d.processed_at for d in overview.dumps)
    assert [d.file_name for d in overview.rejected] == [BAD_NAME]


def test_status_without_a_dataset_is_a_clear_error(tmp_path, capsys):
    assert main(["status", "--out", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert "no dataset at" in err and "pipeline run" in err


def test_the_flow_reports_progress_to_the_console(mixed_run):
    _, screen = mixed_run
    assert "0/1 dumps" in screen
    assert "1/1 dumps | 0 docs" in screen and "docs/s" in screen and BAD_NAME in screen
    assert screen.rstrip().endswith(BAD_NAME)


def test_progress_draws_on_a_terminal(pty_stream):
    stream, shown = pty_stream
    now = [0.0]
    bar = progress.Progress(stream=stream, min_interval_s=0.5, clock=lambda: now[0])
    assert bar.enabled
    bar.start(total_dumps=2)
    now[0] = 2.0
    bar.advance(300, dumps=1, label="a.txt")
    now[0] = 2.1
    bar.advance(50, label="b.txt")  # too soon after the last drawing: not drawn
    now[0] = 4.0
    bar.advance(50, dumps=1, label="b.txt")
    bar.finish()
    screen = shown()
    assert "0/2 dumps" in screen
    assert "1/2 dumps | 300 docs | 150.0 docs/s | 00:02 | a.txt" in screen
    assert "350 docs" not in screen
    assert "[########################] 2/2 dumps | 400 docs | 100.0 docs/s | 00:04 | b.txt" in screen
    assert screen.endswith("\n")


def test_progress_stays_out_of_pipes_and_logs():
    log = io.StringIO()
    with progress.console(stream=log) as bar:
        assert not bar.enabled
        assert progress.current() is bar
        bar.start(3)
        bar.advance(10, dumps=1, label="x.txt")
    assert log.getvalue() == ""
    assert not progress.current().enabled


def test_run_command_prints_no_progress_when_not_a_terminal(prefect_harness, tmp_path, capsys):
    """The real run command with its stderr captured (not a terminal): only the summary, no progress line."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "bad.txt").write_bytes(b"\x00" * 100)
    assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "1 rejected" in captured.out
    for text in (captured.out, captured.err):
        assert "docs/s" not in text and "\x1b[K" not in text


def test_status_and_report_count_every_part_file(prefect_harness, tmp_path, monkeypatch):
    """Batches of 2 documents: the sample's dump gets several part files, and status counts them all."""
    from pipeline.flows import process_raw_folder
    from pipeline.reporting.html import build_report
    from pipeline.store import Store

    monkeypatch.setenv("PIPELINE_BATCH_SIZE", "2")
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_DUMP, raw / SAMPLE_DUMP.name)
    out = tmp_path / "processed"
    process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    (dump_id,) = pd.read_parquet(out / "dumps.parquet").dump_id
    assert len(Store(out).part_files("entities", dump_id)) == 3
    n_entities = pq.read_table(out / "entities").num_rows
    (dump,) = load_overview(out).dumps
    assert dump.n_entities == n_entities > 0
    done = _status(out, "--json")
    assert json.loads(done.stdout)["totals"]["entities"] == n_entities
    assert f"<b>{n_entities}</b><span>entity mentions</span>" in build_report(out)


def test_status_says_why_unique_documents_are_fewer():
    """Repeats of earlier documents and the same text twice in one dump are both named."""
    from collections import Counter
    from datetime import datetime

    from pipeline.reporting.data import DumpStatus, Overview
    from pipeline.reporting.status import format_status

    when = datetime(2026, 1, 1, tzinfo=UTC)
    dumps = [
        DumpStatus("a", "raw/a.txt", "ok", None, "utf-8", 10, 5, "v", when, docs_by_lang=Counter(en=5)),
        DumpStatus("b", "raw/b.txt", "ok", None, "utf-8", 10, 4, "v", when, docs_by_lang=Counter(ru=4), n_duplicates=2),
    ]
    overview = Overview(Path("out"), dumps, 0, n_unique_documents=6, n_unique_entities=0)
    text = format_status(overview)
    assert "2 documents repeat an earlier one" in text
    assert "1 more are the same text again within one dump" in text
    overview.n_unique_documents = 7
    assert "within one dump" not in format_status(overview)
