"""Opening a dump of any supported format as a stream of documents: one small class per format
behind one interface (`base.Reader`: `format`, `suffixes`, `matches(name)`, `read(source,
settings)`), listed once, in the order they are tried, in `READERS`.

| format | reader | names (each also `.gz`, recognized by its magic bytes) |
|---|---|---|
| `wet` | `web.WetReader` | `*.warc.wet`, `*.wet` (Common Crawl's extracted text) |
| `warc` | `web.WarcReader` | `*.warc` |
| `page` | `web.PageReader` | `*.html`, `*.htm`, `*.xhtml` (a saved web page) |
| `feed` | `feed.FeedReader` | `*.rss`, `*.atom`, `*.xml` (an `.xml` file without a feed root is rejected) |
| `jsonl` | `jsonl.JsonLinesReader` | `*.jsonl`, `*.ndjson` |
| `text` | `text.TextReader` | any other name |

`open_dump` picks the reader by the file's name and gives the `DumpSource` whose `documents` are
read once, in one pass that also hashes the bytes (the dump id). What cannot be read is rejected
(DumpRejected, naming the dump by its hash). A text or JSON Lines dump whose whole stream decides
another encoding than its first chunk ends in `Reread`: `read_through` is the one place that opens
it again in that encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from pipeline.readers.base import DumpSource, Reader, ReadPass, Reread
from pipeline.readers.feed import FeedReader
from pipeline.readers.jsonl import JsonLinesReader
from pipeline.readers.text import TextReader
from pipeline.readers.web import PageReader, WarcReader, WetReader
from pipeline.records import DocumentRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected

READERS: tuple[Reader, ...] = (WetReader(), WarcReader(), PageReader(), FeedReader(), JsonLinesReader(), TextReader())

__all__ = ["READERS", "DumpRejected", "DumpSource", "Reader", "Reread", "open_dump", "read_through", "reader_for"]


def reader_for(name: str | Path) -> Reader:
    """The reader of a file of this name: the first of `READERS` that matches it."""
    return next(r for r in READERS if r.matches(Path(name).name))


def dump_format(name: str | Path) -> str:
    """The format of a dump file from its name: `wet`, `warc`, `page`, `feed`, `jsonl` or `text`."""
    return reader_for(name).format


def accumulates(name: str | Path) -> bool:
    """Whether a new version of this file adds to the earlier ones instead of replacing them."""
    return reader_for(name).accumulates


def open_dump(
    path: Path, settings: Settings, dump_id: str | None = None, size_bytes: int | None = None,
    encoding: str | None = None,
) -> DumpSource:
    """Open a dump for streaming, read once; DumpRejected (with its dump id and size) when its
    content cannot be read.

    `dump_id` is the id the run planned with (else the pass gives it: `DumpSource.dump_id` once
    `documents` is consumed); `encoding` the one to decode a text dump in (after `Reread`)."""
    path = Path(path)
    if path.is_dir():
        raise DumpRejected("a directory, not a dump file")
    size = path.stat().st_size if size_bytes is None else size_bytes
    reader = reader_for(path)
    source = DumpSource(path, dump_id, size, encoding, reader.format, None, iter(()), ReadPass(path))
    try:
        documents = reader.read(source, settings)
    except DumpRejected as exc:
        raise DumpRejected(str(exc), dump_id or source.read.finish(), size) from None
    source.documents = _identified(documents, source)
    return source


def _identified(documents: Iterator[DocumentRecord], source: DumpSource) -> Iterator[DocumentRecord]:
    """The documents; a rejection midway names the dump (its hash: the rest of the pass is read)."""
    try:
        yield from documents
    except DumpRejected as exc:
        if exc.dump_id:
            raise
        raise DumpRejected(str(exc), source.finish_read(), source.size_bytes) from None


T = TypeVar("T")


def read_through(
    open_source: Callable[[str | None], DumpSource],
    consume: Callable[[DumpSource], T],
    void: Callable[[], None] = lambda: None,
) -> tuple[DumpSource, T]:
    """Open a dump (`open_source(encoding)`, None: the reader's guess) and consume its documents; when
    the pass ends in `Reread`, `void()` drops what the consumer kept of it, and the dump is opened
    and consumed once more in the encoding the whole stream decided."""
    encoding = None
    while True:
        source = open_source(encoding)
        try:
            return source, consume(source)
        except Reread as again:
            void()
            encoding = again.encoding
