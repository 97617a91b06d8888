"""Each dump file is read once to plan (its hash; cached by fingerprint for later runs) and once
to be processed: hash check, encoding decided on the whole stream, decode and split in one pass."""

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
from pipeline.settings import Settings
from pipeline.stages import readers
from pipeline.stages.decode import UTF8_REPLACED, dump_id_of_file
from pipeline.stages.readers import Reread, open_dump
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


def test_each_dump_is_read_once_to_plan_and_once_to_process(prefect_harness, tmp_path, monkeypatch):
    """Through the real flow: two opens per new dump whatever its layout and encoding (before:
    7 for a UTF-8 text dump plain or gzipped, 8 for JSON Lines, 9 for koi8-r, 4 for a saved page,
    5 for a WARC file), none on the idle re-run."""
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
    assert opened == dict.fromkeys(names, 2)
    dumps = pd.read_parquet(out / "dumps.parquet").set_index("path")
    assert dumps.loc[str(raw / "sample_koi8.txt"), "encoding"] == "koi8-r"
    opened.clear()
    assert process_raw_folder(raw_dir=str(raw), out_dir=str(out))["skipped_dumps"] == 6
    assert sum(opened.values()) == 0


def test_a_guess_the_whole_stream_overrules_is_read_again(tmp_path, monkeypatch):
    """UTF-8 in the first chunk, a bad byte later: the pass ends in Reread, and the dump is read
    again as damaged UTF-8, with the documents and report of a direct read."""
    monkeypatch.setattr(readers, "CHUNK_BYTES", 1024)
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
    direct = open_dump(path, Settings())
    direct_docs = [(d.doc_id, d.text, d.start, d.end) for d in direct.documents]
    out = tmp_path / "out"
    row = process_dump(path, Settings(out_dir=out), Store(out), dump_id, looked=None)
    assert (row.status, row.encoding, row.error) == ("ok", UTF8_REPLACED, direct.problems[0])
    table = pd.read_parquet(out / "documents" / f"dump_id={dump_id}").sort_values("ordinal")
    assert list(zip(table.doc_id, table.text, table.start, table.end)) == direct_docs
    assert not (out / "_tmp").exists() or not any((out / "_tmp").glob("stage-*"))
