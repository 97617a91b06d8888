"""Dumps as crawlers write them: WARC files and saved web pages, one document per article page
(`WarcReader`, `PageReader`); Common Crawl's WET files, one document per page text (`WetReader`).

WARC (`.warc`, `.warc.gz`): every `response` record (HTTP status 2xx) or `resource` record whose
content is HTML is a page; other records (requests, metadata, revisits, images, scripts) are
passed over. A saved page (`.html`, `.htm`, either gzip-compressed) is one page. A page gives one
document (`pages.extract_article`): its article text, headline as `title`, URL (the
`WARC-Target-URI`; for a saved page its canonical link, else the browser's `saved from url`
mark), publication date from the page's markup, and `source_id` the `WARC-Record-ID`. A page with
no article (a listing, an empty page) gives none and is counted in `DumpSource.n_without_article`.

WET (`.warc.wet`, `.wet`, either gzip-compressed, as Common Crawl publishes them): every
`conversion` record is one document, the text the crawler extracted from a page (UTF-8): its first
line is the `title` when it is headline-shaped (Common Crawl writes the page's `<title>` there),
the other non-empty lines its paragraphs, `url` the `WARC-Target-URI`, `source_id` the
`WARC-Record-ID`; no `published` (the crawl date is not the article's). A record without text
gives none and is counted in `n_without_article`.

`start`/`end` of a page or WET document are byte offsets of its record in the file as stored (for
`.warc.gz` the record's gzip member, as a CDX index gives them: seek there and read `end - start`
bytes); a saved page spans the whole file. A damaged record is reported in `problems` with its
offset and the file goes on; the manifest's `encoding` lists the charsets the pages were read in.
"""

from __future__ import annotations

import io
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.ids import content_id
from pipeline.readers.base import GZIP_MAGIC, DumpSource, Reader, check_gz_name, read_whole
from pipeline.records import DocumentRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.language import language_detector
from pipeline.stages.pages import Article, decode_page, extract_article, saved_from_url
from pipeline.stages.split import is_headline
from pipeline.stages.warc_framing import MAX_RECORD_BYTES, RawRecord, warc_pieces_of

HTML_TYPES = ("text/html", "application/xhtml+xml")


class WarcReader(Reader):
    """WARC files: one document per HTML page (`response` 2xx or `resource` records)."""

    format = "warc"
    suffixes = (".warc",)

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        return warc_documents(source, settings)


class WetReader(Reader):
    """Common Crawl's WET files: one document per page text (`conversion` records)."""

    format = "wet"
    suffixes = (".warc.wet", ".wet")

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        return wet_documents(source, settings)


class PageReader(Reader):
    """A saved web page: its one article, when it has one."""

    format = "page"
    suffixes = (".html", ".htm", ".xhtml")

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        return page_file_documents(source, settings)


@dataclass
class Page:
    """One HTML page found in a dump: its bytes and what the crawler said of it."""

    offset: int
    length: int
    body: bytes
    content_type: str | None
    url: str | None
    record_id: str | None = None


class PageDocuments:
    """Turns pages into document records for one dump, counting what gave none."""

    def __init__(self, source: DumpSource, settings: Settings):
        self.source = source
        self.detect = language_detector(settings.lang_sample_chars, settings.lang_min_prob)
        self.encodings: Counter = Counter()
        self.ordinal = 0
        source.n_without_article = 0

    def document(self, page: Page, where: str) -> DocumentRecord | None:
        try:
            html, encoding = decode_page(page.body, page.content_type)
        except DumpRejected as exc:
            self.source.problem(f"{where}: {exc}, skipped")
            return None
        self.encodings[encoding] += 1
        try:
            article = extract_article(html, page.url or None)
        except (ValueError, TypeError, RecursionError) as exc:  # lxml / trafilatura on broken markup
            self.source.problem(f"{where}: the page could not be parsed ({type(exc).__name__}: {exc}), skipped")
            return None
        if article is None:
            self.source.n_without_article += 1
            return None
        if page.url is None and article.url is None:
            article = Article(article.title, article.paragraphs, saved_from_url(page.body), article.published)
        return self.record(article, page)

    def record(self, article: Article, page: Page) -> DocumentRecord:
        """The document of an article found in `page` (the next ordinal of the dump)."""
        text = article.text
        guess = self.detect(text)
        doc = DocumentRecord(
            doc_id=content_id(article.title, text),
            ordinal=self.ordinal,
            title=article.title,
            text=text,
            lang=guess.lang,
            lang_prob=guess.prob,
            n_paragraphs=len(article.paragraphs),
            start=page.offset,
            end=page.offset + page.length,
            published=article.published,
            source_id=page.record_id,
            url=page.url or article.url,
        )
        self.ordinal += 1
        return doc

    def finish(self) -> None:
        if self.encodings:
            self.source.encoding = ", ".join(name for name, _ in sorted(self.encodings.items(), key=lambda x: -x[1]))
        self.source.count_unlisted_problems()


def page_file_documents(source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
    """The one document of a saved page (none when it has no article)."""
    data = read_whole(source, MAX_RECORD_BYTES, "a page")
    docs = PageDocuments(source, settings)
    doc = docs.document(Page(0, source.size_bytes, data, None, None), "page")
    docs.finish()
    if doc is not None:
        yield doc


def _html_payload(rec) -> tuple[bool, str | None]:
    """Whether a WARC record is an HTML page worth reading, and its content type."""
    if rec.rec_type == "response":
        if rec.http_headers is None:
            return False, None
        status = rec.http_headers.get_statuscode() or ""
        content_type = rec.http_headers.get_header("Content-Type")
        if not status.startswith("2"):
            return False, content_type
    elif rec.rec_type == "resource":
        content_type = rec.rec_headers.get_header("Content-Type")
    else:
        return False, None
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind in HTML_TYPES or not kind, content_type  # no type: sniffed from the body


def looks_like_html(body: bytes) -> bool:
    """A body without a content type that starts like an HTML document."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<!--")) or b"<html" in head


def warc_documents(source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
    """The article documents of a WARC file, record by record, in one pass over the file."""
    docs = PageDocuments(source, settings)
    for where, pages in warc_records(source, _pages_of):
        for page in pages:
            doc = docs.document(page, where)
            if doc is not None:
                yield doc
    docs.finish()


def wet_documents(source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
    """The page texts of a WET file (`conversion` records), one document each, in one pass."""
    docs = PageDocuments(source, settings)
    for _, texts in warc_records(source, _texts_of):
        for page in texts:
            article = wet_article(page.body.decode("utf-8", errors="replace"), page.url)
            if article is None:
                source.n_without_article += 1
                continue
            docs.encodings["utf-8"] += 1
            yield docs.record(article, page)
    docs.finish()


def wet_article(text: str, url: str | None) -> Article | None:
    """A WET record's text as an article: its non-empty lines, the first one the title when it is
    headline-shaped and more lines follow (None for a record without text)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return None
    title = lines[0] if len(lines) > 1 and is_headline(lines[0]) else None
    return Article(title, lines[1:] if title else lines, url, None)


def warc_records(
    source: DumpSource, read: Callable[[RawRecord], Iterator[Page]], max_tries: int = 10
) -> Iterator[tuple[str, list[Page]]]:
    """What `read` finds in each framed record of a WARC or WET file, with where it is, in one pass
    (hashed as read); a damaged record is named in the dump's problems and passed over. A file in
    which none of the first `max_tries` pieces is a WARC record (a misnamed file) is rejected before
    any document; a damaged first record alone does not reject it."""
    with source.read.open() as f:  # hashed as it is read (the dump id)
        compressed = f.read(2) == GZIP_MAGIC
        check_gz_name(source.path, compressed)
        source.compression = "gzip" if compressed else None
        f.seek(0)
        first_problem, confirmed = None, False
        for n, piece in enumerate(warc_pieces_of(f, compressed), 1):
            if not confirmed:
                confirmed, first_problem = _is_warc_record(piece, first_problem)
                if not confirmed and n >= max_tries:
                    break
            where = f"record {n} at byte {piece.offset}"
            if piece.error:
                source.problem(f"{where}: {piece.error}")
                continue
            try:
                found = list(read(piece))
            except (ArchiveLoadFailed, ValueError, OSError, EOFError, zlib.error) as exc:
                source.problem(f"{where}: unreadable WARC record ({type(exc).__name__}: {exc}), skipped")
                continue
            yield where, found
    if not confirmed:
        raise DumpRejected(first_problem or "not a WARC file: no record")


def _is_warc_record(piece: RawRecord, first_problem: str | None) -> tuple[bool, str | None]:
    """Whether a framed piece starts with a readable WARC record; else the file's first problem so far."""
    if piece.data is not None:
        try:
            next(iter(ArchiveIterator(io.BytesIO(piece.data))))
            return True, first_problem
        except (ArchiveLoadFailed, StopIteration, ValueError) as exc:
            piece = RawRecord(piece.offset, piece.length, error=str(exc) or "no record")
    return False, first_problem or f"not a WARC file: the record at byte {piece.offset} is unreadable ({piece.error})"


def _texts_of(piece: RawRecord) -> Iterator[Page]:
    """The page texts in one framed piece of a WET file (`conversion` records; the body is the text)."""
    for rec in ArchiveIterator(io.BytesIO(piece.data)):
        if rec.rec_type != "conversion":
            rec.raw_stream.read()
            continue
        headers = rec.rec_headers
        body = rec.content_stream().read()
        yield Page(piece.offset, piece.length, body, None, headers.get_header("WARC-Target-URI"),
                   headers.get_header("WARC-Record-ID"))


def _pages_of(piece: RawRecord) -> Iterator[Page]:
    """The HTML pages in one framed piece (one record; several when a writer put them in one member)."""
    for rec in ArchiveIterator(io.BytesIO(piece.data)):
        is_html, content_type = _html_payload(rec)
        if not is_html:
            rec.raw_stream.read()
            continue
        body = rec.content_stream().read()
        if not (content_type or "").strip() and not looks_like_html(body):
            continue
        yield Page(
            piece.offset,
            piece.length,
            body,
            content_type,
            rec.rec_headers.get_header("WARC-Target-URI"),
            rec.rec_headers.get_header("WARC-Record-ID"),
        )
