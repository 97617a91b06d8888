"""Each dump file is read once in a run: one pass hashes it (its id), decides its encoding on the
whole stream, decodes and splits it. A file whose fingerprint the run knows is not read; one whose
size is that of a known dump or of another file is hashed to plan (it may be a copy) and read again
only when its content is new."""

from __future__ import annotations

import builtins
import gzip
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd

from pipeline.dump import process_dump
from pipeline.ids import dump_id_of_file
from pipeline.readers import Reread, open_dump
from pipeline.readers import base as read_pass
from pipeline.settings import Settings
from pipeline.stages.decode import UTF8_REPLACED
from pipeline.store import Store
from tests.conftest import SAMPLE_DUMP
from tests.web_pages import russian_page, write_warc

SAMPLE = SAMPLE_DUMP.read_text(encoding="utf-8")


def count_opens(monkeypatch, folder: Path) -> Counter:
    """Opens of the files of `folder` from now on (every reader goes through `open` or `io.open`)."""
    opened: Counter = Counter()
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file).parent == folder:
            opened[Path(file).name] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    return opened


def test_each_dump_is_read_once(prefect_harness, tmp_path, monkeypatch):
    """Through the real flow: one open per new dump whatever its layout and encoding (before
    issue 14: 7 for a UTF-8 text dump plain or gzipped, 8 for JSON Lines, 9 for koi8-r, 4 for a
    saved page, 5 for a WARC file; then 2: a hash to plan, a pass to process), none on the idle
    re-run; the ids are the hashes of the files, and the fingerprints learned spare the re-run."""
    from pipeline.flows import process_raw_folder

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_DUMP, raw / "sample.txt")
    koi8 = SAMPLE.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'}))
    (raw / "sample_koi8.txt").write_bytes(koi8.encode("koi8-r"))
    (raw / "sample.txt.gz").write_bytes(gzip.compress(SAMPLE.replace("CSTO", "ODKB").encode(), mtime=0))
    records = [{"id": str(i), "text": block} for i, block in enumerate(SAMPLE.split("\n\n\n")) if block.strip()]
    (raw / "news.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    page = russian_page().encode("cp1251")
    (raw / "page.html.gz").write_bytes(gzip.compress(page, mtime=0))
    write_warc(raw / "crawl.warc.gz", [("https://odkb-csto.org/news/1/", page.replace(b"2024", b"2023"), "text/html")])
    names = ("sample.txt", "sample_koi8.txt", "sample.txt.gz", "news.jsonl", "page.html.gz", "crawl.warc.gz")
    opened = count_opens(monkeypatch, raw)
    out = tmp_path / "out"
    summary = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    assert summary["new_dumps"] == 6 and not summary["rejected"]
    assert opened == dict.fromkeys(names, 1)
    dumps = pd.read_parquet(out / "dumps.parquet").set_index("path")
    assert dumps.loc["sample_koi8.txt", "encoding"] == "koi8-r"
    assert {dumps.loc[n, "dump_id"] for n in names} == {dump_id_of_file(raw / n)[0] for n in names}
    assert set(pd.read_parquet(out / "documents").dump_id) == set(dumps.dump_id)
    opened.clear()
    assert process_raw_folder(raw_dir=str(raw), out_dir=str(out))["skipped_dumps"] == 6
    assert sum(opened.values()) == 0


def test_a_file_that_may_repeat_known_content_is_hashed_to_plan(prefect_harness, tmp_path, monkeypatch):
    """A copy of a processed dump, a renamed one and two equal new files are hashed to plan and
    not processed again (one open each); a new file of a known dump's size but other content is
    hashed, then read to be processed (two opens: the one case of a second read)."""
    from pipeline.flows import process_raw_folder

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(SAMPLE_DUMP, raw / "a.txt")
    shutil.copy(SAMPLE_DUMP, raw / "moved.txt")
    assert process_raw_folder(raw_dir=str(raw), out_dir=str(out))["new_dumps"] == 1
    shutil.copy(SAMPLE_DUMP, raw / "copy.txt")
    (raw / "moved.txt").rename(raw / "renamed.txt")
    twin = SAMPLE.replace("CSTO", "ODKB")
    (raw / "twin1.txt").write_text(twin, encoding="utf-8")
    (raw / "twin2.txt").write_text(twin, encoding="utf-8")
    same_size = SAMPLE.replace("CSTO", "ABCD")
    assert len(same_size.encode()) == SAMPLE_DUMP.stat().st_size
    (raw / "same_size.txt").write_text(same_size, encoding="utf-8")
    opened = count_opens(monkeypatch, raw)
    summary = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    assert (summary["new_dumps"], summary["skipped_dumps"]) == (2, 4)
    assert opened == {"copy.txt": 1, "renamed.txt": 1, "twin1.txt": 2, "twin2.txt": 1, "same_size.txt": 2}
    dumps = pd.read_parquet(out / "dumps.parquet")
    assert set(dumps.dump_id) == {dump_id_of_file(raw / n)[0] for n in ("a.txt", "twin1.txt", "same_size.txt")}


def test_a_guess_the_whole_stream_overrules_is_read_again(tmp_path, monkeypatch):
    """UTF-8 in the first chunk, a bad byte later: the pass ends in Reread, and the dump is read
    again as damaged UTF-8, with the documents and report of a read in that encoding, whether the
    run planned with its id or learns it from the pass."""
    monkeypatch.setattr(read_pass, "CHUNK_BYTES", 1024)
    good = SAMPLE.encode("utf-8")
    cut = good.rindex("Генеральная".encode())
    assert cut > 1024
    path = tmp_path / "late_damage.txt"
    path.write_bytes(good[:cut] + b"\xff" + good[cut + 1 :])
    dump_id, size = dump_id_of_file(path)
    source = open_dump(path, Settings(), dump_id, size)
    assert source.encoding == "utf-8"
    try:
        list(source.documents)
        raise AssertionError("no Reread")
    except Reread as again:
        assert again.encoding == UTF8_REPLACED
    direct = open_dump(path, Settings(), encoding=UTF8_REPLACED)
    direct_docs = [(d.doc_id, d.text, d.start, d.end) for d in direct.documents]
    assert direct.dump_id == dump_id and direct.read.size == size
    for planned in (dump_id, None):
        out = tmp_path / f"out-{planned}"
        row = process_dump(path, Settings(out_dir=out), Store(out), planned, looked=None)
        assert (row.dump_id, row.status, row.encoding, row.error) == (dump_id, "ok", UTF8_REPLACED, direct.problems[0])
        table = pd.read_parquet(out / "documents" / f"dump_id={dump_id}").sort_values("ordinal")
        assert list(zip(table.doc_id, table.text, table.start, table.end)) == direct_docs
        assert not (out / "_tmp").exists() or not any((out / "_tmp").glob("stage-*"))
