"""`pipeline report`: what it shows on the sample, that it loads nothing, that scraped text cannot inject
markup, and how it looks in headless Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import PIPELINE_VERSION, schemas
from pipeline.ledger import record_dumps
from pipeline.records import DocumentRecord, DumpRecord, EntityRecord, PairRecord
from pipeline.reporting.data import date_mentions, date_span, date_timeline, first_line
from pipeline.reporting.html import build_report
from pipeline.store import Store
from tests.conftest import REPO
from tests.png import read_png

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Tags the report may contain: text, tables and inline SVG; nothing that can load or run anything.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "section", "h1", "h2", "p", "div", "span", "b",
    "br", "code", "table", "thead", "tbody", "tr", "th", "td", "svg", "rect", "line", "text",
}  # fmt: skip
URL_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def assert_loads_nothing(page: str) -> None:
    parsed = parse(page)
    names = {tag for tag, _ in parsed.tags}
    assert names <= ALLOWED_TAGS, names - ALLOWED_TAGS
    assert "script" not in names and "link" not in names and "img" not in names
    for tag, attrs in parsed.tags:
        assert not (URL_ATTRIBUTES & set(attrs)), (tag, attrs)
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert not re.search(r"url\(|@import", attrs.get("style") or ""), (tag, attrs)
    assert not re.search(r"url\(|@import|https?://", parsed.style)
    csp = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


@pytest.fixture(scope="module")
def sample_report(sample_run, tmp_path_factory) -> Path:
    """The report of the sample's dataset, written by the real command."""
    target = tmp_path_factory.mktemp("report") / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "report", "--out", str(sample_run), "--html", str(target)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"report written to {target}" in done.stdout
    return target


def test_report_shows_the_sample(sample_report, sample_run):
    page = sample_report.read_text(encoding="utf-8")
    text = " ".join(parse(page).text)
    assert "Tasmagambetov" in text and "ОДКБ" in text
    assert "CSTO / ОДКБ" in text  # one organization, named in both languages
    for section in ("documents", "people", "organizations", "dates", "pairs", "bitext", "rejected", "dumps"):
        assert f'<section id="{section}">' in page
    charts = re.findall(r'<svg class="chart"', page)
    assert len(charts) == 4  # documents per dump, people, organizations, dates
    assert "csto_news_2024-07.txt" in text
    docs = pd.read_parquet(sample_run / "documents")
    ru = docs[docs.lang == "ru"].text.item()
    assert ru.splitlines()[0][:60] in text  # the pair's Russian side, its first line
    assert "2024-07-26" in text and "26 июля" in text
    assert "None: every dump could be read." in text
    units = pd.read_parquet(sample_run / "bitext")
    for sentence in units.ru_text.dropna().tolist() + units.en_text.dropna().tolist():  # side by side, all of it
        assert sentence in text
    lonely = units.ru_text.isna() | units.en_text.isna()
    assert page.count('class="u alone"') == lonely.sum() > 0  # the units without counterpart are marked
    ru_share = units.ru_text.str.len().where(units.en_text.notna()).sum() / units.ru_text.str.len().sum()
    assert f"Russian {ru_share:.0%} aligned · English 100% aligned" in text


def test_report_loads_nothing_from_the_network(sample_report):
    page = sample_report.read_text(encoding="utf-8")
    assert_loads_nothing(page)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page


def test_report_is_deterministic(sample_report, sample_run):
    assert build_report(sample_run) == sample_report.read_text(encoding="utf-8")


def test_report_without_a_dataset_is_a_clear_error(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["report", "--out", str(tmp_path / "none"), "--html", str(tmp_path / "r.html")]) == 1
    assert "no dataset at" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


HOSTILE = '<script>alert("x")</script><img src=https://evil.example/p.png onerror=alert(1)>'


@pytest.fixture
def hostile_dataset(tmp_path) -> Path:
    """A real dataset (written by the Store) whose scraped text, names, file names and errors carry markup."""
    store = Store(tmp_path / "processed")
    dump_id = "abcdef0123456789"
    ru_text = f"ОДКБ {HOSTILE} 26 июля"
    en_text = "<b>CSTO</b> said</td></tr></table><style>body{background:url(https://evil.example)}</style>"
    docs = [
        DocumentRecord("d_ru", 0, '"><svg onload=alert(1)>', ru_text, "ru", 0.99, 1, 0, 10),
        DocumentRecord("d_en", 1, None, en_text, "en", 0.99, 1, 11, 20, date(2024, 7, 26)),
    ]
    ents = [
        EntityRecord("d_ru", "ORG", "<i>ОДКБ</i>", 0, 4, "<i>ОДКБ</i>", "org:<csto>", "ru"),
        EntityRecord("d_en", "ORG", "<b>CSTO</b>", 0, 4, "<b>CSTO</b>", "org:<csto>", "en"),
        EntityRecord("d_en", "PERSON", HOSTILE, 5, 9, HOSTILE, "person:<x>", "en"),
        EntityRecord("d_ru", "DATE", "<u>26 июля</u>", 10, 17, "2024-07-26", None, "ru"),
        EntityRecord("d_ru", "DATE", "<u>потом</u>", 20, 25, "<not a date>", None, "ru"),
    ]
    store.write_partition("documents", dump_id, schemas.to_table(docs, schemas.DOCUMENTS))
    store.write_partition("entities", dump_id, schemas.to_table(ents, schemas.ENTITIES))
    store.write_pairs(schemas.to_table([PairRecord("d_ru", "d_en", 0.9, 0.8, 0.9, 1.0, ["org:<csto>"])], schemas.PAIRS))
    unit = {"ru_doc_id": "d_ru", "en_doc_id": "d_en", "unit": 0, "kind": "1-1", "score": 0.9, "ru_start": 0,
            "ru_end": 9, "en_start": 0, "en_end": 9, "ru_paragraph": 0, "en_paragraph": 0}  # fmt: skip
    units = [
        {**unit, "ru_text": ru_text, "en_text": en_text},
        {**unit, "unit": 1, "kind": "1-0", "score": None, "ru_text": f"<u>{HOSTILE}</u>", "en_text": None,
         "en_start": None, "en_end": None, "en_paragraph": None},
    ]  # fmt: skip
    store.write_corpus_partition("bitext", dump_id, schemas.to_table(units, schemas.BITEXT))
    at = datetime(2024, 8, 1, 12, 0, tzinfo=UTC)
    rows = [
        DumpRecord(dump_id, "/raw/<ok>.txt", 100, "utf-8", 2, "ok", None, PIPELINE_VERSION, at),
        DumpRecord(
            "path:x", f"/raw/{HOSTILE}.txt", 0, None, 0, "rejected", f"unreadable: {HOSTILE}", PIPELINE_VERSION, at
        ),
    ]
    record_dumps(store, rows)
    return store.root


def test_scraped_markup_is_escaped_everywhere(hostile_dataset):
    page = build_report(hostile_dataset)
    assert_loads_nothing(page)
    assert "evil.example" in page  # the text is shown ...
    for raw in ("<script", "<img", "<i>", "<b>CSTO", "<u>", "<svg onload", "</table><style>", "<not a date>"):
        assert raw not in page  # ... but never as markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    text = " ".join(parse(page).text)
    assert "<b>CSTO</b> / <i>ОДКБ</i>" in text  # the chart label, decoded back to the scraped text
    assert f"unreadable: {HOSTILE}" in text  # the rejected dump and its reason
    assert "1 mention(s) without an ISO date are left out" in text
    assert f"<u>{HOSTILE}</u>" in text and page.count('class="u alone"') == 1  # the bitext, as text


def test_date_helpers():
    assert date_span("2024-07-26") == (date(2024, 7, 26), date(2024, 7, 26))
    assert date_span("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert date_span("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert date_span("2024-07-01/2024-08") == (date(2024, 7, 1), date(2024, 8, 31))
    assert date_span("2024-13-01") is None and date_span("июль") is None
    ents = schemas.to_table(
        [
            EntityRecord("a", "DATE", t, 0, 1, n, None, "en")
            for t, n in [("x", "2024-07-26"), ("y", "2024-07-26"), ("z", "2024-07"), ("w", "2024-07-28"), ("v", None)]
        ],
        schemas.ENTITIES,
    )
    dates, unparsed = date_mentions(ents)
    assert [(d.norm, d.mentions) for d in dates] == [("2024-07", 1), ("2024-07-26", 2), ("2024-07-28", 1)]
    assert unparsed == 1
    timeline = date_timeline(dates)
    assert timeline.granularity == "day" and timeline.dense and timeline.wider == 1
    assert timeline.buckets[0] == ("2024-07-01", 0) and ("2024-07-26", 2) in timeline.buckets
    assert first_line("\n\n  Первая строка  \nвторая") == "Первая строка"


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        done = subprocess.run([str(REPO / ".ci" / "ensure_chromium.sh")], capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
    assert CHROMIUM.exists()
    return CHROMIUM


def test_report_renders_in_headless_chromium(chromium, sample_report, tmp_path):
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            str(chromium),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            sample_report.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.exists() and shot.stat().st_size > 20_000
    pixels = read_png(shot)
    assert pixels.shape[:2] == (2000, 1280)
    colors, counts = np.unique(pixels[..., :3].reshape(-1, 3), axis=0, return_counts=True)
    assert len(colors) > 100  # text, charts, tables: far from a blank page
    assert counts.max() / counts.sum() < 0.9
    # The chart bars are drawn: English and Russian series colors fill many pixels.
    for rgb in ((0x2B, 0x6C, 0xB0), (0xC5, 0x30, 0x30)):
        assert (pixels[..., :3] == rgb).all(axis=2).sum() > 2_000, rgb
