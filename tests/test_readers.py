"""Reading dumps of every layout: JSON Lines, gzip, and bad input, each with a clear outcome."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from pipeline.dump import process_dump
from pipeline.ids import dump_id_of
from pipeline.readers import open_dump
from pipeline.readers.jsonl import count_paragraphs
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.store import Store
from tests.conftest import REPO, SAMPLE_DUMP

EN = "The CSTO Secretary General took part in the debate on regional organizations held in New York."
RU = "Генеральный секретарь ОДКБ принял участие в дебатах о региональных организациях в Нью-Йорке."


def _read(path):
    source = open_dump(path, Settings())
    return source, list(source.documents)


def _records(docs):
    return [(d.title, d.text, d.lang, d.n_paragraphs, d.start, d.end) for d in docs]


JSONL_LINES = [
    json.dumps(
        {"id": "a1", "title": "CSTO at the UN", "url": "https://odkb-csto.org/1", "date": "2024-07-19", "text": EN}
    ),
    json.dumps({"id": 7, "lang": "ru", "text": RU + "\n\n" + RU, "date": "2024-07-26T10:00:00"}, ensure_ascii=False),
    '{"id": "broken", "text": "unterminated',
    "",
    "[1, 2]",
    json.dumps({"id": "no-text", "title": "x"}),
    json.dumps({"text": EN + "\r\n" + EN, "date": "26 July", "lang": "English!"}),
]


@pytest.fixture
def jsonl_dump(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(JSONL_LINES) + "\n", encoding="utf-8")
    return path


def test_jsonl_keeps_fields_and_reports_bad_lines(jsonl_dump):
    source, docs = _read(jsonl_dump)
    assert source.format == "jsonl" and source.encoding == "utf-8"
    assert [d.source_id for d in docs] == ["a1", "7", None]
    assert [d.title for d in docs] == ["CSTO at the UN", None, None]
    assert [d.url for d in docs] == ["https://odkb-csto.org/1", None, None]
    assert [d.published for d in docs] == [date(2024, 7, 19), date(2024, 7, 26), None]
    assert [(d.lang, d.lang_prob) for d in docs[:2]] == [("en", pytest.approx(1.0, abs=0.01)), ("ru", 1.0)]
    assert docs[2].lang == "en" and docs[2].text == EN + "\n" + EN  # CRLF inside the value normalized
    assert [d.n_paragraphs for d in docs] == [1, 2, 2]
    assert [d.ordinal for d in docs] == [0, 1, 2]
    assert source.problems == [
        "line 3: malformed JSON: Unterminated string starting at (column 26), skipped",
        "line 5: a JSON list, not an object, skipped",
        "line 6: no string `text` field, skipped",
        "line 7: date '26 July' is not ISO YYYY-MM-DD, left empty",
        "line 7: lang 'English!' is not a language code, detected instead",
    ]
    lines = jsonl_dump.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines)
    assert [text[d.start : d.end] for d in docs] == [lines[0], lines[1], lines[6]]  # offsets: the record's line


def test_jsonl_with_no_valid_record_is_rejected_and_empty_one_is_ok(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(
        DumpRejected, match=r"no valid JSON Lines record \(first problem: line 1: no string `text`"
    ) as exc:
        _read(bad)
    assert exc.value.dump_id == dump_id_of(bad.read_bytes()) and exc.value.size_bytes == bad.stat().st_size
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n \n", encoding="utf-8")
    source, docs = _read(empty)
    assert docs == [] and source.problems == []


def test_jsonl_problems_are_bounded(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text(json.dumps({"text": EN}) + "\n" + "{oops\n" * 100, encoding="utf-8")
    source, docs = _read(path)
    assert len(docs) == 1 and len(source.problems) == 21
    assert source.problems[-1] == "... and 80 more problems"


def test_count_paragraphs():
    assert count_paragraphs("a\nb\nc") == 3
    assert count_paragraphs("a\nb\n \n\nc") == 2
    assert count_paragraphs("a") == 1


def test_gzip_dumps_read_like_their_plain_twins(tmp_path, jsonl_dump):
    data = SAMPLE_DUMP.read_bytes()
    plain = tmp_path / "sample.txt"
    plain.write_bytes(data)
    packed = tmp_path / "sample.txt.gz"
    packed.write_bytes(gzip.compress(data, mtime=0))
    two_members = tmp_path / "two.txt.gz"
    two_members.write_bytes(gzip.compress(data[:1000], mtime=0) + gzip.compress(data[1000:], mtime=0))
    jsonl_gz = tmp_path / "news.jsonl.gz"
    jsonl_gz.write_bytes(gzip.compress(jsonl_dump.read_bytes(), mtime=0))
    source, docs = _read(plain)
    for path in (packed, two_members):
        packed_source, packed_docs = _read(path)
        assert packed_source.compression == "gzip" and packed_source.format == "text"
        assert packed_source.dump_id == dump_id_of(path.read_bytes()) != source.dump_id
        assert _records(packed_docs) == _records(docs) and len(docs) == 6
    jsonl_source, jsonl_docs = _read(jsonl_gz)
    assert jsonl_source.format == "jsonl" and len(jsonl_docs) == 3 and len(jsonl_source.problems) == 5
    assert _records(jsonl_docs) == _records(_read(jsonl_dump)[1])


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cut.txt.gz", lambda data: gzip.compress(data, mtime=0)[:-200], "truncated gzip"),
        ("crc.txt.gz", lambda data: gzip.compress(data, mtime=0)[:-8] + b"\0" * 8, "corrupt gzip"),
        ("fake.txt.gz", lambda data: data, "named .gz but not gzip-compressed"),
        ("binary.txt", lambda data: b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64, "binary content"),
    ],
)
def test_unreadable_dumps_are_rejected(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content(SAMPLE_DUMP.read_bytes()))
    with pytest.raises(DumpRejected, match=reason) as exc:
        _read(path)
    assert exc.value.dump_id == dump_id_of(path.read_bytes())


def test_empty_file_is_a_dump_without_documents(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    source, docs = _read(path)
    assert docs == [] and source.encoding == "utf-8" and source.size_bytes == 0


_READ_ONE_LINE = """
import resource, sys
from pathlib import Path
from pipeline.settings import Settings
from pipeline.stages.language import detect_language
from pipeline.readers import open_dump
detect_language("warm up the language profiles")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
(doc,) = open_dump(Path(sys.argv[1]), Settings()).documents
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(doc.start, doc.end, len(doc.text), doc.n_paragraphs, doc.title is None, doc.lang, grown)
"""


def test_a_single_50mb_line_is_read_holding_it_about_once(tmp_path):
    """A 50 MB line of mixed Cyrillic (a 100 MB str): peak memory grows by about twice the line, not more."""
    words = (EN + " " + RU + " ").split()
    block = " ".join(f"{words[i % len(words)]}{i % 97}" for i in range(10_000)) + " "
    line = (block * (50_000_000 // len(block) + 1))[:50_000_000]
    path = tmp_path / "one_line.txt"
    path.write_text(line, encoding="utf-8")
    del line
    run = subprocess.run([sys.executable, "-c", _READ_ONE_LINE, str(path)], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    start, end, n_chars, n_paragraphs, untitled, lang, grown = run.stdout.split()
    assert (start, end, n_chars, n_paragraphs, untitled) == ("0", "50000000", "50000000", "1", "True")
    assert lang in ("en", "ru")
    line_bytes = 2 * 50_000_000  # Cyrillic makes the str 2 bytes a character
    assert int(grown) < 2.6 * line_bytes, f"peak grew {int(grown) / 1e6:.0f} MB for a {line_bytes / 1e6:.0f} MB line"


def test_process_dump_outcomes_in_the_manifest(tmp_path, jsonl_dump):
    store = Store(tmp_path / "processed")
    settings = Settings(out_dir=tmp_path / "processed")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    rows = {p.name: process_dump(p, settings, store) for p in (empty, binary, jsonl_dump, tmp_path)}
    assert (rows["empty.txt"].status, rows["empty.txt"].n_documents, rows["empty.txt"].error) == ("ok", 0, None)
    assert rows["photo.txt"].status == "rejected" and rows["photo.txt"].error.startswith("binary content")
    assert rows["photo.txt"].dump_id == dump_id_of(binary.read_bytes())
    assert rows[tmp_path.name].status == "rejected" and "directory" in rows[tmp_path.name].error
    row = rows["news.jsonl"]
    assert (row.status, row.n_documents, row.encoding) == ("ok", 3, "utf-8")
    assert row.error.startswith("line 3: malformed JSON") and "line 6: no string `text` field, skipped" in row.error
    docs = pd.read_parquet(tmp_path / "processed" / "documents" / f"dump_id={row.dump_id}")
    assert docs.source_id.tolist()[:2] == ["a1", "7"] and pd.isna(docs.source_id.tolist()[2])
    assert docs.url.tolist()[0] == "https://odkb-csto.org/1"
    assert str(docs.published.tolist()[0])[:10] == "2024-07-19"
