"""RSS and Atom feeds as news monitors download them: one document per item.

A feed file (`.rss`, `.atom`, `.xml`, either gzip-compressed) is parsed by `feedparser` (from
its bytes: nothing is fetched; its HTML sanitized). An `.xml` or feed-named file whose root element
is not `<rss>`, `<feed>` (Atom) or `<rdf:RDF>` (RSS 1.0) is rejected: it is markup, not text.

Each item gives one document: its full text when the item carries it (`content:encoded`, Atom
`content`: the longest), else its summary (`description`, Atom `summary`), as paragraphs (HTML
block elements and blank lines break them); `title`, `url` (the item's link), `source_id` (its
`guid` / Atom `id`, else its link), `published` (the item's date as the feed writes it, in its own
time zone: "Fri, 26 Jul 2024 00:30:00 +0300" is 2024-07-26). An item without text gives none and
is counted in `n_without_article`. `start`/`end` are the byte offsets of the item's element in the
(decompressed) file. A feed is downloaded again and again: an item of an earlier download has the
same `doc_id` (the hash of its title and text) and is listed in `duplicates` as an `exact` repeat,
and a new download under the same name does not supersede the earlier ones
(`FeedReader.accumulates`): items that dropped out of the feed stay in the tables.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import feedparser
import lxml.html

from pipeline.readers.base import DumpSource, Reader, read_whole
from pipeline.readers.web import Page, PageDocuments
from pipeline.records import DocumentRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.pages import Article
from pipeline.stages.warc_framing import MAX_RECORD_BYTES

MAX_FEED_BYTES = 8 * MAX_RECORD_BYTES
FEED_ROOTS = ("rss", "feed", "RDF")
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>\s*)*\s*", re.S | re.I)
_FIRST_TAG = re.compile(rb"<(?:[\w.-]+:)?([\w.-]+)")
_ITEM = re.compile(rb"<((?:[\w.-]+:)?(?:item|entry))[\s>].*?</\1\s*>", re.S)
_BLANK = re.compile(r"\n\s*\n")
BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 blockquote pre table tr section article header footer figure "
    "figcaption dl dt dd address aside hr".split()
)


class FeedReader(Reader):
    format = "feed"
    suffixes = (".rss", ".atom", ".xml")
    accumulates = True  # a feed downloaded again holds the stream's latest items, not a new edition

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        return feed_documents(source, settings)


def feed_documents(source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
    """The items of a feed file as documents (DumpRejected when it is not a readable feed)."""
    data = read_whole(source, MAX_FEED_BYTES, "a feed")
    root = feed_root(data)
    if root not in FEED_ROOTS:
        what = f"its root element is <{root}>" if root else "it has no root element"
        raise DumpRejected(f"not an RSS or Atom feed: {what}")
    parsed = feedparser.parse(io.BytesIO(data))
    docs = PageDocuments(source, settings)
    if parsed.get("bozo") and not parsed.entries:
        raise DumpRejected(f"unreadable feed: {parsed.get('bozo_exception')}")
    if parsed.get("bozo"):
        source.problem(f"the feed is not well-formed ({parsed.get('bozo_exception')}); read leniently")
    spans = item_spans(data, len(parsed.entries))
    for entry, (start, end) in zip(parsed.entries, spans, strict=True):
        article = entry_article(entry)
        if article is None:
            source.n_without_article += 1
            continue
        record_id = entry.get("id") or entry.get("link")
        yield docs.record(article, Page(start, end - start, b"", None, article.url, record_id))
    docs.encodings[parsed.get("encoding") or "utf-8"] += 1
    docs.finish()


def feed_root(data: bytes) -> str | None:
    """The local name of the file's first element (None when there is none)."""
    head = data[:65536]
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[2:].decode(codec, errors="ignore").encode("utf-8")
    head = head.removeprefix(b"\xef\xbb\xbf")
    prolog = _PROLOG.match(head)
    m = _FIRST_TAG.match(head, prolog.end() if prolog else 0)
    return m.group(1).decode("ascii", errors="replace") if m else None


def item_spans(data: bytes, n_items: int) -> list[tuple[int, int]]:
    """Byte spans of the feed's `n_items` item (or entry) elements, in order; the whole file for each
    when the elements found are not as many as the items parsed (a feed in a multi-byte encoding)."""
    spans = [m.span() for m in _ITEM.finditer(data)]
    return spans if len(spans) == n_items else [(0, len(data))] * n_items


def entry_article(entry: dict) -> Article | None:
    """An item as an article: title, paragraphs of its fullest text, link, date (None without text)."""
    bodies = [c for c in entry.get("content") or [] if c.get("value")]
    body = max(bodies, key=lambda c: len(c["value"]), default=None) or entry.get("summary_detail")
    paragraphs = html_paragraphs(body.get("value", ""), body.get("type", "")) if body else []
    title_detail = entry.get("title_detail") or {}
    title = " ".join(html_paragraphs(entry.get("title", ""), title_detail.get("type", ""))) or None
    if not paragraphs:
        return None
    return Article(title, paragraphs, entry.get("link") or None, entry_date(entry))


def html_paragraphs(value: str, content_type: str = "text/html") -> list[str]:
    """The paragraphs of a feed's text: HTML block elements and blank lines end one, `<br>` is a
    space (two in a row end one); plain text splits at blank lines."""
    if "html" in content_type and "<" in value:
        try:
            root = lxml.html.fragment_fromstring(value, create_parent="div")
        except (ValueError, lxml.etree.ParserError):
            root = None
        if root is not None:
            for el in root.iter():
                if el.tag == "br":
                    el.tail = "\n" + (el.tail or "")
                elif el.tag in BLOCK_TAGS:
                    el.text = "\n\n" + (el.text or "")
                    el.tail = "\n\n" + (el.tail or "")
            value = re.sub(r"\n[^\S\n]*\n(?:\s*\n)*", "\n\n", root.text_content())
            value = re.sub(r"(?<!\n)\n(?!\n)", " ", value)
    return [" ".join(p.split()) for p in _BLANK.split(value) if p.strip()]


def entry_date(entry: dict) -> date | None:
    """The item's publication (else update) date as the feed writes it, in its own time zone."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        for parse in (parsedate_to_datetime, datetime.fromisoformat):
            try:
                return parse(raw.strip()).date()
            except (TypeError, ValueError, IndexError):
                continue
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None
