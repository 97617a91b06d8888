"""The raw folder as crawlers leave it (issue 30): subfolders at any depth, hidden and in-progress
names, symbolic links (in: read; out: rejected, never opened), RSS feeds downloaded again and again,
Common Crawl WET files; through the real flow, and the readers on their own."""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main as cli_main
from pipeline.raw_folder import LINK_OUTSIDE, raw_entries
from pipeline.readers import accumulates, dump_format, open_dump
from pipeline.readers.feed import entry_date, html_paragraphs
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.split import is_headline
from tests.crawler_files import MSK, eval_pages, rss_feed, wmt23_articles, write_wet

ARTICLES = wmt23_articles()
NESTED = {  # name in the raw folder -> the WMT23 articles it holds
    "agency_a/2023/02/part1.jsonl": range(0, 10),
    "agency_b/2023/02/part2.jsonl": range(10, 20),
}
FEED = "agency_b/feeds/news.rss"
FIRST_FEED, SECOND_FEED = range(20, 40), range(25, 45)  # downloaded again: 5 new, 15 again, 5 dropped out
WET = "crawl/CC-MAIN-2024-30/pages.warc.wet.gz"
LINKED = range(60, 65)


def jsonl(indices: range) -> str:
    rows = [{"id": ARTICLES[i]["id"], "title": ARTICLES[i]["title"], "text": "\n\n".join(ARTICLES[i]["paragraphs"])}
            for i in indices]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def feed_of(indices: range) -> bytes:
    return rss_feed([ARTICLES[i] for i in reversed(indices)])  # newest first


def never_open(monkeypatch, forbidden: Path) -> list[str]:
    """Make every way of opening `forbidden` fail the test (and record the attempt)."""
    attempts: list[str] = []
    real = {"open": builtins.open, "io": io.open, "os": os.open}

    def guard(kind):
        def opener(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(file) == str(forbidden):
                attempts.append(f"{kind}({file})")
                raise AssertionError(f"{forbidden} was opened")
            return real[kind](file, *args, **kwargs)

        return opener

    monkeypatch.setattr(builtins, "open", guard("open"))
    monkeypatch.setattr(io, "open", guard("io"))
    monkeypatch.setattr(os, "open", guard("os"))
    return attempts


@pytest.fixture(scope="module")
def crawler_run(prefect_harness, tmp_path_factory):
    """Two runs of the real flow over a crawler's folder; the second after a move and a new feed download."""
    from pipeline.flows import process_raw_folder

    base = tmp_path_factory.mktemp("crawler")
    raw, out = base / "raw", base / "out"
    for name, indices in NESTED.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_text(jsonl(indices), encoding="utf-8")
    (raw / FEED).parent.mkdir(parents=True)
    (raw / FEED).write_bytes(feed_of(FIRST_FEED))
    (raw / WET).parent.mkdir(parents=True)
    wet_ids = write_wet(raw / WET, eval_pages())
    (raw / ".hidden.jsonl").write_text(jsonl(range(70, 72)), encoding="utf-8")
    (raw / "agency_a" / ".cache").mkdir()
    (raw / "agency_a" / ".cache" / "old.jsonl").write_text(jsonl(range(72, 74)), encoding="utf-8")
    (raw / "agency_b/2023/02/next.jsonl.part").write_text(jsonl(range(74, 76)), encoding="utf-8")
    (raw / ".staging").mkdir()  # a scraper's atomic `current` link into its staging folder
    (raw / ".staging" / "batch-0001.jsonl").write_text(jsonl(LINKED), encoding="utf-8")
    os.symlink(".staging/batch-0001.jsonl", raw / "current.jsonl")
    private = base / "private.jsonl"
    private.write_text('{"text": "A private note outside the raw folder."}\n', encoding="utf-8")
    os.symlink(private, raw / "leak.jsonl")
    os.symlink(base, raw / "agency_a" / "up")  # a folder link out of the raw folder

    with pytest.MonkeyPatch.context() as mp:
        attempts = never_open(mp, private.resolve())
        first = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
        manifest_1 = pd.read_parquet(out / "dumps.parquet")
        moved = raw / "agency_b/2023/03/part1.jsonl"
        moved.parent.mkdir(parents=True)
        shutil.move(raw / "agency_a/2023/02/part1.jsonl", moved)
        (raw / FEED).write_bytes(feed_of(SECOND_FEED))  # the feed downloaded again, same name
        second = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    return {"raw": raw, "out": out, "first": first, "second": second, "manifest_1": manifest_1,
            "attempts": attempts, "wet_ids": wet_ids}


def test_every_file_at_any_depth_is_a_dump_named_by_its_path(crawler_run):
    m = crawler_run["manifest_1"]
    ok = m[m.status == "ok"]
    assert sorted(ok.path) == sorted([*NESTED, FEED, WET, "current.jsonl"])
    assert crawler_run["first"]["new_dumps"] == 5
    docs = pd.read_parquet(crawler_run["out"] / "documents")
    per_dump = docs.groupby("dump_id").size()
    for name, indices in NESTED.items():
        assert per_dump[ok.set_index("path").loc[name, "dump_id"]] == len(indices)


def test_hidden_and_in_progress_names_are_passed_over_at_any_depth(crawler_run):
    waiting = {w["path"]: w["reason"] for w in json.loads((crawler_run["out"] / "_state" / "waiting.json").read_text())}
    assert set(waiting) == {".hidden.jsonl", ".staging", "agency_a/.cache", "agency_b/2023/02/next.jsonl.part"}
    assert "hidden or temporary folder" in waiting["agency_a/.cache"]
    assert "still being written" in waiting["agency_b/2023/02/next.jsonl.part"]
    docs = pd.read_parquet(crawler_run["out"] / "documents")
    hidden_titles = {ARTICLES[i]["title"] for i in range(70, 76)}
    assert not hidden_titles & set(docs.title)


def test_a_link_inside_the_folder_is_read_and_a_link_out_is_rejected_unread(crawler_run):
    m = crawler_run["manifest_1"].set_index("path")
    assert m.loc["current.jsonl", "status"] == "ok" and m.loc["current.jsonl", "n_documents"] == len(LINKED)
    for name in ("leak.jsonl", "agency_a/up"):
        assert m.loc[name, "status"] == "rejected" and m.loc[name, "error"] == LINK_OUTSIDE
    assert crawler_run["attempts"] == [], "the target of a link out of the raw folder was opened"
    docs = pd.read_parquet(crawler_run["out"] / "documents")
    assert not docs.text.str.contains("private note").any()


def test_a_move_between_subfolders_is_recognized_by_content(crawler_run):
    second = crawler_run["second"]
    assert second["new_dumps"] == 1  # the feed downloaded again; the moved file is not read again
    assert second["skipped_dumps"] == 4
    before = crawler_run["manifest_1"].set_index("path").loc["agency_a/2023/02/part1.jsonl", "dump_id"]
    m = pd.read_parquet(crawler_run["out"] / "dumps.parquet")
    assert m[m.dump_id == before].status.tolist() == ["ok"]
    docs = pd.read_parquet(crawler_run["out"] / "documents")
    assert (docs.dump_id == before).sum() == 10


def feed_documents_of(crawler_run) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = pd.read_parquet(crawler_run["out"] / "dumps.parquet")
    feeds = m[m.path == FEED]
    docs = pd.read_parquet(crawler_run["out"] / "documents")
    return feeds, docs[docs.dump_id.isin(feeds.dump_id)]


def test_a_feed_gives_one_document_per_item_with_its_fields(crawler_run):
    feeds, docs = feed_documents_of(crawler_run)
    first = feeds.sort_values("processed_at").iloc[0]
    items = docs[docs.dump_id == first.dump_id].set_index("source_id")
    assert len(items) == len(FIRST_FEED)
    for i in FIRST_FEED:
        a, doc = ARTICLES[i], items.loc[ARTICLES[i]["id"]]
        assert (doc.title, doc.url) == (a["title"], a["link"]) and doc.lang in ("en", "ru")
        assert doc.text == "\n\n".join(a["paragraphs"]) and doc.n_paragraphs == len(a["paragraphs"])
        assert doc.published == a["date"].astimezone(MSK).date()  # the feed's own day, not UTC's
    data = rss_feed([ARTICLES[i] for i in reversed(FIRST_FEED)])
    first_id = ARTICLES[FIRST_FEED[0]]["id"]
    element = data[items.loc[first_id, "start"] : items.loc[first_id, "end"]]
    assert element.startswith(b"<item>") and element.endswith(b"</item>") and first_id.encode() in element


def test_a_feed_downloaded_again_adds_its_new_items_once_and_loses_none(crawler_run):
    feeds, docs = feed_documents_of(crawler_run)
    assert len(feeds) == 2 and set(feeds.status) == {"ok"}, "the earlier download is not superseded"
    dups = pd.read_parquet(crawler_run["out"] / "duplicates")
    repeats = dups[dups.dump_id.isin(feeds.dump_id)]
    assert set(repeats.kind) == {"exact"} and len(repeats) == len(set(FIRST_FEED) & set(SECOND_FEED))
    once = docs.merge(repeats[["dump_id", "doc_id"]], how="left", indicator=True)
    once = once[once._merge == "left_only"]
    assert once.doc_id.is_unique
    assert sorted(once.source_id) == sorted(ARTICLES[i]["id"] for i in range(20, 45)), "5 new items, none lost"
    second = feeds.sort_values("processed_at").iloc[1]
    new = once[once.dump_id == second.dump_id]
    assert sorted(new.source_id) == sorted(ARTICLES[i]["id"] for i in range(40, 45))


def test_a_wet_file_gives_one_document_per_page_text(crawler_run):
    m = pd.read_parquet(crawler_run["out"] / "dumps.parquet").set_index("path")
    row = m.loc[WET]
    pages = eval_pages()
    assert (row.status, row.n_documents, row.n_without_article) == ("ok", len(pages), 0)
    docs = pd.read_parquet(crawler_run["out"] / "documents")
    docs = docs[docs.dump_id == row.dump_id].set_index("url")
    assert list(docs.source_id) == crawler_run["wet_ids"]
    for page in pages:
        doc = docs.loc[page["url"]]
        paragraphs = [" ".join(p.split()) for p in page["body"].split("\n") if p.strip()]
        if is_headline(page["title"]):
            assert doc.title == page["title"] and doc.text == "\n\n".join(paragraphs)
        else:
            assert doc.text.split("\n\n")[-len(paragraphs):] == paragraphs
        assert pd.isna(doc.published), "the crawl date is not the article's date"


def test_status_shows_the_path_inside_the_raw_folder(crawler_run, capsys):
    assert cli_main(["status", "--out", str(crawler_run["out"])]) == 0
    shown = capsys.readouterr().out
    assert FEED in shown and WET in shown and "agency_b/2023/02/part2.jsonl" in shown


# ---- the readers and the folder walk on their own -----------------------------------------------

def test_raw_entries_walk_links_and_loops(tmp_path):
    raw = tmp_path / "raw"
    (raw / "a" / "b").mkdir(parents=True)
    (raw / "a" / "b" / "x.txt").write_text("x\n")
    (raw / "z.txt").write_text("z\n")
    os.symlink("a", raw / "again")  # a folder link inside: read once, under its own name
    os.symlink("..", raw / "a" / "b" / "loop")  # back up to a/: read once already
    os.symlink(tmp_path, raw / "out")  # out of the folder
    entries = raw_entries(raw)
    assert [(e.name, e.problem) for e in entries] == [("a/b/x.txt", None), ("out", LINK_OUTSIDE), ("z.txt", None)]


def test_dump_formats_by_name():
    names = {
        "crawl.warc.wet.gz": "wet", "x.warc.gz": "warc", "x.WARC": "warc", "page.htm.gz": "page",
        "news.rss": "feed", "feed.atom": "feed", "sitemap.xml": "feed", "a.ndjson.gz": "jsonl", "notes": "text",
    }
    assert {n: dump_format(n) for n in names} == names
    assert accumulates("tass/news.rss") and not accumulates("tass/news.txt")


def test_an_xml_file_that_is_not_a_feed_is_rejected(tmp_path):
    path = tmp_path / "sitemap.xml"
    path.write_text('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>')
    with pytest.raises(DumpRejected, match="not an RSS or Atom feed: its root element is <urlset>"):
        list(open_dump(path, Settings()).documents)


def test_an_atom_feed_takes_the_full_content_else_the_summary(tmp_path):
    path = tmp_path / "site.atom"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        '<entry><title>Full story</title><id>urn:1</id><link href="https://a.example/1"/>'
        "<updated>2024-07-25T23:10:00-04:00</updated><summary>Short.</summary>"
        '<content type="html">&lt;p&gt;First paragraph of the story.&lt;br&gt;Same one.&lt;/p&gt;'
        "&lt;p&gt;Second paragraph.&lt;/p&gt;</content></entry>"
        '<entry><title>Only a summary</title><id>urn:2</id><link href="https://a.example/2"/>'
        "<summary>The summary is all this item says about the event.</summary></entry>"
        "<entry><title>Nothing but a title</title><id>urn:3</id></entry></feed>",
        encoding="utf-8",
    )
    source = open_dump(path, Settings())
    docs = list(source.documents)
    assert [(d.title, d.text, d.source_id, d.url) for d in docs] == [
        ("Full story", "First paragraph of the story. Same one.\n\nSecond paragraph.", "urn:1", "https://a.example/1"),
        ("Only a summary", "The summary is all this item says about the event.", "urn:2", "https://a.example/2"),
    ]
    assert str(docs[0].published) == "2024-07-25" and source.n_without_article == 1


def test_feed_text_and_dates():
    assert html_paragraphs("<div>One<br>two<br><br>three</div><ul><li>four</li></ul>") == ["One two", "three", "four"]
    assert html_paragraphs("plain\n\ntext", "text/plain") == ["plain", "text"]
    assert str(entry_date({"published": "Fri, 26 Jul 2024 00:30:00 +0300"})) == "2024-07-26"


def test_a_row_recorded_under_the_whole_path_is_still_superseded_by_its_file(tmp_path):
    """Manifests written before names were paths inside the raw folder hold the file's whole path."""
    from pipeline.ledger import record_dumps, rows
    from pipeline.raw_folder import plan_run
    from pipeline.records import manifest_row
    from pipeline.store import Store

    raw = tmp_path / "raw"
    (raw / "tass").mkdir(parents=True)
    (raw / "tass" / "news.txt").write_text("A new version of the news.\n", encoding="utf-8")
    store = Store(tmp_path / "out")
    record_dumps(store, [manifest_row(str(raw / "tass" / "news.txt"), "0" * 16, 9, "utf-8", 1, None)])
    plan = plan_run(raw, rows(store), store.read_fingerprints())
    assert [(c.name, c.replaces) for c in plan.todo] == [("tass/news.txt", ("0" * 16,))]
