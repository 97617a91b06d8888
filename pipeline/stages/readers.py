"""Opening a dump of any supported layout as a stream of documents.

Layouts (`formats.dump_format`, by name): plain text (`*.txt` and anything else), JSON Lines
(`*.jsonl`, `*.ndjson`), WARC and WET files (`*.warc`, `*.warc.wet`) and saved web pages (`*.html`,
`*.htm`; in `web_readers`), RSS and Atom feeds (`*.rss`, `*.atom`, `*.xml`; in `feed_readers`),
any of them gzip-compressed (recognized by its magic bytes; the name then ends in `.gz`). `open_dump`
reads a text or JSON Lines file once, in chunks, holding only the document being built: the same
pass hashes the bytes, decides the encoding on the whole stream (`decode.EncodingDetector`) and
decodes and splits them in the encoding the first chunk suggests, checked against that verdict at
the end (`Reread` in the rare case they differ). What cannot be read is rejected.

JSON Lines: one object per line with a string `text`; optional `id`, `title`, `url`, `date`
(ISO `YYYY-MM-DD...`) and `lang` are kept. `start`/`end` of such a document are the span of its
line (white space around it stripped) in the decoded file. A line that is not such an object is
skipped and reported in `problems` with its line number; a file with no valid line is rejected.
"""

from __future__ import annotations

import itertools
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.records import DocumentRecord
from pipeline.settings import Settings
from pipeline.stages.decode import (
    CHUNK_BYTES,
    UTF8_REPLACED,
    DumpRejected,
    EncodingDetector,
    guess_encoding,
    iter_file_bytes,
    iter_lines,
    normalize_text,
)
from pipeline.stages.documents import documents_from_lines, language_detector
from pipeline.stages.feed_readers import feed_documents
from pipeline.stages.formats import WEB_FORMATS, dump_format
from pipeline.stages.language import LanguageGuess
from pipeline.stages.read_pass import ReadPass
from pipeline.stages.split import content_id, rstrip_len
from pipeline.stages.web_readers import page_file_documents, read_page_file, warc_documents, wet_documents

GZIP_MAGIC = b"\x1f\x8b"
MAX_PROBLEMS = 20
_NONSPACE = re.compile(r"\S")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:$|[T ])")
_LANG_CODE = re.compile(r"[a-z]{2,3}")
_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")


@dataclass
class DumpSource:
    """An opened dump: its identity, how it was read, and its documents as a one-pass stream.

    `dump_id` is the id the run planned with, else the hash of the bytes read, known once
    `documents` has been consumed (the pass reached the end). `problems` (skipped JSON lines and
    the like, at most MAX_PROBLEMS messages and a count of the rest) is complete then too.
    """

    path: Path
    planned_id: str | None
    size_bytes: int
    encoding: str | None  # None until a web dump's pages are read
    format: str  # `formats.dump_format`: "text", "jsonl", "warc", "wet", "page" or "feed"
    compression: str | None  # "gzip" or None
    documents: Iterator[DocumentRecord]
    read: ReadPass
    problems: list[str] = field(default_factory=list)
    n_without_article: int | None = None  # web pages that gave no document (None: not a web dump)

    @property
    def read_id(self) -> str | None:
        """The id of the bytes read to the end (None before)."""
        return self.read.dump_id

    @property
    def dump_id(self) -> str | None:
        return self.planned_id or self.read_id

    def finish_read(self) -> str:
        """The id of the dump's bytes, reading what the stream left unread (a dump rejected midway)."""
        return self.planned_id or self.read.finish()


def gunzip_chunks(chunks: Iterable[bytes], out_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Decompress a gzip stream (several members allowed) in bounded pieces; DumpRejected when cut or corrupt."""
    d = zlib.decompressobj(wbits=31)
    in_member = False
    try:
        for chunk in chunks:
            data = chunk
            while data:
                in_member = True
                out = d.decompress(data, out_bytes)
                if out:
                    yield out
                if d.eof:
                    data, in_member = d.unused_data, False
                    d = zlib.decompressobj(wbits=31)
                    continue
                data = d.unconsumed_tail
                while not data and len(out) == out_bytes:  # output still pending inside zlib
                    out = d.decompress(b"", out_bytes)
                    if out:
                        yield out
    except zlib.error as exc:
        raise DumpRejected(f"corrupt gzip data: {exc}") from None
    if in_member:
        raise DumpRejected("truncated gzip: the compressed stream ends before its end marker")


def _layout(path: Path, head: bytes, size: int) -> tuple[str, str | None]:
    name = path.name.lower()
    compression = "gzip" if head.startswith(GZIP_MAGIC) else None
    if name.endswith(".gz"):
        if compression is None and size:
            raise DumpRejected("named .gz but not gzip-compressed")
        name = name[:-3]
    return dump_format(name), compression


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(2)


class Reread(Exception):  # noqa: N818 - a request, not an error
    """The whole stream decided another encoding than the first guess: read the dump again in it.

    Raised by `DumpSource.documents` at the end of the pass (documents already given are void);
    `dump.process_dump` drops what it staged and opens the dump again with `encoding`."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"read again as {encoding}")
        self.encoding = encoding


def open_dump(
    path: Path, settings: Settings, dump_id: str | None = None, size_bytes: int | None = None,
    encoding: str | None = None,
) -> DumpSource:
    """Open a dump for streaming, read once; DumpRejected (with its dump id and size) when its
    content cannot be read.

    One pass over the bytes (`read_pass.ReadPass`) hashes them (the dump id, when the run did not
    know it already: `DumpSource.dump_id` once `documents` is consumed), and for a text or JSON
    Lines dump decides their encoding on the whole stream while decoding and splitting them in the
    encoding the first chunk suggests; when the whole stream decides otherwise, `documents` ends
    in `Reread` (open again with that `encoding`: decoded in it, still checked) or in DumpRejected."""
    path = Path(path)
    if path.is_dir():
        raise DumpRejected("a directory, not a dump file")
    size = path.stat().st_size if size_bytes is None else size_bytes
    read = ReadPass(path)
    try:
        if dump_format(path.name) in WEB_FORMATS:
            source = open_web_dump(path, dump_id, size, settings, read)
            source.documents = _identified(source.documents, source)
            return source
        raw = read.chunks()
        first = next(raw, b"")
        fmt, compression = _layout(path, first[:2], size)
        chunks: Iterator[bytes] = itertools.chain([first] if first else [], raw)
        if compression:
            chunks = gunzip_chunks(chunks)
        source = DumpSource(path, dump_id, size, encoding, fmt, compression, iter(()), read)
        first_piece = next(chunks, None)
        pieces = itertools.chain([first_piece] if first_piece is not None else [], chunks)
        if encoding is None:  # the usual case: guessed from the first chunk, checked at the end
            source.encoding = guess_encoding(first_piece or b"")
            lines = _lines_read_once(pieces, source, _reopen(path, compression))
        else:  # read again after Reread, in the encoding the whole stream decided
            lines = iter_lines(pieces, encoding)
        if source.encoding == UTF8_REPLACED:
            source.problems.append("bytes that are not valid UTF-8 were replaced by U+FFFD")
        if fmt == "jsonl":
            source.documents = _jsonl_documents(lines, source, settings)
        else:
            source.documents = documents_from_lines(
                lines,
                settings.lang_sample_chars,
                settings.lang_min_prob,
                settings.headline_max_chars,
            )
    except DumpRejected as exc:
        raise DumpRejected(str(exc), dump_id or read.finish(), size) from None
    source.documents = _identified(source.documents, source)
    return source


def _identified(documents: Iterator[DocumentRecord], source: DumpSource) -> Iterator[DocumentRecord]:
    """The documents; a rejection midway names the dump (its hash: the rest of the pass is read)."""
    try:
        yield from documents
    except DumpRejected as exc:
        if exc.dump_id:
            raise
        raise DumpRejected(str(exc), source.finish_read(), source.size_bytes) from None


def _reopen(path: Path, compression: str | None) -> Callable[[], Iterable[bytes]]:
    """A fresh pass over the (decompressed) bytes: only when charset-normalizer must check the
    encoding it proposes (a dump in none of the encodings the detector knows)."""

    def open_bytes() -> Iterable[bytes]:
        again = iter_file_bytes(path)
        return gunzip_chunks(again) if compression else again

    return open_bytes


def _lines_read_once(
    chunks: Iterator[bytes], source: DumpSource, open_bytes: Callable[[], Iterable[bytes]]
) -> Iterator[str]:
    """Decoded lines of the stream in the encoding its first chunk suggests, while `EncodingDetector`
    sees every byte; at the end the guess must be the whole stream's verdict (else Reread)."""
    detector = EncodingDetector()
    guess = source.encoding

    def seen() -> Iterator[bytes]:
        for chunk in chunks:
            detector.feed(chunk)
            yield chunk

    fed = seen()
    stopped = [False]
    try:
        yield from iter_lines(_until(fed, lambda: detector.looks_binary(guess), stopped), guess)
    except UnicodeDecodeError:
        stopped[0] = True
    for _ in fed:  # the rest of the stream, for the verdict only
        stopped[0] = True
    detector.finish()
    try:
        verdict = detector.verdict(open_bytes)
    except DumpRejected as exc:
        raise DumpRejected(str(exc), source.finish_read(), source.size_bytes) from None
    if stopped[0] or verdict != guess:
        raise Reread(verdict)


def _until(chunks: Iterator[bytes], stop: Callable[[], bool], stopped: list[bool]) -> Iterator[bytes]:
    """The chunks until `stop()` says the rest need not be decoded (binary, or another encoding)."""
    for chunk in chunks:
        if stop():
            stopped[0] = True
            return
        yield chunk


WEB_READERS = {"warc": warc_documents, "wet": wet_documents, "feed": feed_documents}


def open_web_dump(path: Path, dump_id: str | None, size: int, settings: Settings, read: ReadPass) -> DumpSource:
    """A WARC or WET file, a saved page or a feed, opened once; its encoding is known once it is read."""
    fmt = dump_format(path.name)
    source = DumpSource(path, dump_id, size, None, fmt, None, iter(()), read)
    if fmt in WEB_READERS:
        source.documents = WEB_READERS[fmt](path, source, settings)
    else:
        source.documents = page_file_documents(read_page_file(path, source), source, settings)
    return source


@dataclass
class JsonRecord:
    text: str
    title: str | None = None
    source_id: str | None = None
    url: str | None = None
    published: date | None = None
    lang: str | None = None
    notes: list[str] = field(default_factory=list)


def _optional_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, (dict, list)):
        return None
    value = normalize_text(str(value)).strip()
    return value or None


def parse_record(line: str) -> JsonRecord:
    """One JSON Lines record; ValueError says why the line is not one."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ValueError("malformed JSON (nested too deep)") from None
    if not isinstance(obj, dict):
        raise ValueError(f"a JSON {type(obj).__name__}, not an object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError("no string `text` field")
    text = normalize_text(text).strip()
    if not text:
        raise ValueError("empty `text`")
    rec = JsonRecord(text, _optional_str(obj, "title"), _optional_str(obj, "id"), _optional_str(obj, "url"))
    raw_date = _optional_str(obj, "date")
    if raw_date:
        m = _ISO_DATE.match(raw_date)
        try:
            rec.published = date(int(m[1]), int(m[2]), int(m[3])) if m else None
        except ValueError:
            rec.published = None
        if rec.published is None:
            rec.notes.append(f"date {raw_date[:40]!r} is not ISO YYYY-MM-DD, left empty")
    raw_lang = _optional_str(obj, "lang")
    if raw_lang:
        code = re.split(r"[-_]", raw_lang.lower())[0]
        if _LANG_CODE.fullmatch(code):
            rec.lang = code
        else:
            rec.notes.append(f"lang {raw_lang[:20]!r} is not a language code, detected instead")
    return rec


def _report(problems: list[str], counter: list[int], message: str) -> None:
    counter[0] += 1
    if len(problems) < MAX_PROBLEMS:
        problems.append(message)


def _jsonl_documents(lines: Iterable[str], source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
    detect: Callable[[str], LanguageGuess] = language_detector(settings.lang_sample_chars, settings.lang_min_prob)
    counter = [0]
    pos = ordinal = 0
    first_problem = None
    for lineno, line in enumerate(lines, 1):
        line_start, pos = pos, pos + len(line) + 1
        first = _NONSPACE.search(line)
        if first is None:
            continue
        try:
            rec = parse_record(line)
        except ValueError as exc:
            _report(source.problems, counter, f"line {lineno}: {exc}, skipped")
            first_problem = first_problem or f"line {lineno}: {exc}"
            continue
        for note in rec.notes:
            _report(source.problems, counter, f"line {lineno}: {note}")
        if rec.lang:
            lang, prob = rec.lang, 1.0
        else:
            guess = detect(rec.text)
            lang, prob = guess.lang, guess.prob
        yield DocumentRecord(
            doc_id=content_id(rec.title, rec.text),
            ordinal=ordinal,
            title=rec.title,
            text=rec.text,
            lang=lang,
            lang_prob=prob,
            n_paragraphs=count_paragraphs(rec.text),
            start=line_start + first.start(),
            end=line_start + rstrip_len(line),
            published=rec.published,
            source_id=rec.source_id,
            url=rec.url,
        )
        ordinal += 1
    if ordinal == 0 and first_problem:
        message = f"no valid JSON Lines record (first problem: {first_problem})"
        raise DumpRejected(message, source.finish_read(), source.size_bytes)
    if counter[0] > len(source.problems):
        source.problems.append(f"... and {counter[0] - len(source.problems)} more problems")


def count_paragraphs(text: str) -> int:
    """Paragraphs of a (stripped) JSON Lines text: runs separated by blank lines, or its lines when none is blank."""
    separators = len(_BLANK_LINES.findall(text))
    return separators + 1 if separators else text.count("\n") + 1
