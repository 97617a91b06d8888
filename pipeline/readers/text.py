"""Plain text dumps (any name no other reader claims; `.gz` too): decoded and split as one stream.

The file is read once, in chunks, holding only the document being built: the same pass hashes the
bytes, decides the encoding on the whole stream (`decode.EncodingDetector`) and decodes and splits
them in the encoding the first chunk suggests, checked against that verdict at the end (`Reread` in
the rare case they differ: the dump is opened again in the verdict's encoding, `source.encoding`).
The lines are split into documents (`stages.split`), each with its language and, from a dateline
or byline among its head lines, its date.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from pipeline.ids import content_id, iter_file_bytes
from pipeline.nlp.dates import DAY, MONTH_EN, MONTH_RU, YEAR
from pipeline.readers.base import GZIP_MAGIC, DumpSource, Reader, Reread, check_gz_name, gunzip_chunks
from pipeline.records import DocumentRecord
from pipeline.settings import Settings, default
from pipeline.stages.decode import UTF8_REPLACED, EncodingDetector, guess_encoding, iter_lines
from pipeline.stages.language import LanguageGuess, language_detector
from pipeline.stages.split import DocumentSpan, split_lines

# A dateline or byline line of an article's head: a full date that opens a short line, or follows a
# colon (a headline's time stamp), with or without a time: "11 февраля 2023, 15:12 Елена Соколова",
# "February 11, 2023, 15:12", "...на МКС: 12 Февраля 2023, 00:12".
# Numeric forms too: "11.02.2023 15:12" (day first, as Russian sites write it) and ISO "2023-02-11".
_FULL_DATE = rf"(?:{DAY}\s+(?:{MONTH_RU}|{MONTH_EN})\s+{YEAR}|{MONTH_EN}\s+{DAY},?\s+{YEAR})"
_NUMERIC_DATE = (
    rf"(?P<d>{DAY})\.(?P<m>0?[1-9]|1[0-2])\.(?P<y>{YEAR})|(?P<iy>{YEAR})-(?P<im>0[1-9]|1[0-2])-(?P<id>{DAY})"
)
_HEAD_DATE = re.compile(
    rf"(?:^|:\s+)(?:(?P<date>{_FULL_DATE})|{_NUMERIC_DATE})(?:\s*г(?:ода|\.))?(?=$|[\s,.;|T])", re.I
)
HEAD_LINES = 4  # the title and the first body paragraphs
HEAD_LINE_MAX_CHARS = 120


class TextReader(Reader):
    format = "text"

    def matches(self, name: str) -> bool:
        return True  # any name no reader before it claims

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        return documents_from_lines(
            self.lines(source), settings.lang_sample_chars, settings.lang_min_prob, settings.headline_max_chars
        )

    def lines(self, source: DumpSource) -> Iterator[str]:
        """The decoded lines of the dump (without their `\\n`), read once. Its first chunk is read
        now (an unreadable file, or a `.gz` that is not gzip, fails the open); the rest as the
        lines are taken."""
        raw = source.read.chunks()
        first = next(raw, b"")
        compressed = first[:2].startswith(GZIP_MAGIC)
        if source.size_bytes:
            check_gz_name(source.path, compressed)
        source.compression = "gzip" if compressed else None
        chunks: Iterator[bytes] = itertools.chain([first] if first else [], raw)
        if compressed:
            chunks = gunzip_chunks(chunks)
        first_piece = next(chunks, None)
        pieces = itertools.chain([first_piece] if first_piece is not None else [], chunks)
        if source.encoding is None:  # the usual case: guessed from the first chunk, checked at the end
            source.encoding = guess_encoding(first_piece or b"")
            lines = _lines_read_once(pieces, source, _reopen(source))
        else:  # read again after Reread, in the encoding the whole stream decided
            lines = iter_lines(pieces, source.encoding)
        if source.encoding == UTF8_REPLACED:
            source.problems.append("bytes that are not valid UTF-8 were replaced by U+FFFD")
        return lines


def _reopen(source: DumpSource) -> Callable[[], Iterable[bytes]]:
    """A fresh pass over the (decompressed) bytes: only when charset-normalizer must check the
    encoding it proposes (a dump in none of the encodings the detector knows)."""

    def open_bytes() -> Iterable[bytes]:
        again = iter_file_bytes(source.path)
        return gunzip_chunks(again) if source.compression else again

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
    verdict = detector.verdict(open_bytes)  # DumpRejected: named by `readers.open_dump`
    if stopped[0] or verdict != guess:
        raise Reread(verdict)


def _until(chunks: Iterator[bytes], stop: Callable[[], bool], stopped: list[bool]) -> Iterator[bytes]:
    """The chunks until `stop()` says the rest need not be decoded (binary, or another encoding)."""
    for chunk in chunks:
        if stop():
            stopped[0] = True
            return
        yield chunk


def head_date(lines: Iterable[str]) -> date | None:
    """The date of the first dateline or byline among these head lines (None when there is none)."""
    for line in lines:
        m = _HEAD_DATE.search(line) if len(line) <= HEAD_LINE_MAX_CHARS else None
        if m and not m["date"]:
            try:
                return date(int(m["y"] or m["iy"]), int(m["m"] or m["im"]), int(m["d"] or m["id"]))
            except ValueError:
                continue
        if m:
            import dateparser  # loaded only for a dump with datelines

            parsed = dateparser.parse(
                m["date"], languages=["ru", "en"], settings={"REQUIRE_PARTS": ["day", "month", "year"]}
            )
            if parsed:
                return parsed.date()
    return None


def documents_from_spans(
    spans: Iterable[DocumentSpan], detect: Callable[[str], LanguageGuess]
) -> Iterator[DocumentRecord]:
    """Document records from split spans, each with the language of its body."""
    for ordinal, span in enumerate(spans):
        title, body = span.title_text, span.body_text
        guess = span.reliable_guess or detect(body)
        head = ([title] if title else []) + [p.text for p in span.body[: HEAD_LINES - bool(title)]]
        yield DocumentRecord(
            doc_id=content_id(title, body),
            ordinal=ordinal,
            title=title,
            text=body,
            lang=guess.lang,
            lang_prob=guess.prob,
            n_paragraphs=len(span.body),
            start=span.start,
            end=span.end,
            published=head_date(head),
        )


def documents_from_lines(
    lines: Iterable[str],
    lang_sample_chars: int = default("lang_sample_chars"),
    lang_min_prob: float = default("lang_min_prob"),
    headline_max_chars: int = default("headline_max_chars"),
) -> Iterator[DocumentRecord]:
    """Stream the documents of a dump given as decoded lines (without their `\\n`), in order."""
    detect = language_detector(lang_sample_chars, lang_min_prob)
    return documents_from_spans(split_lines(lines, detect, headline_max_chars), detect)


def documents_from_text(
    text: str,
    lang_sample_chars: int = default("lang_sample_chars"),
    lang_min_prob: float = default("lang_min_prob"),
    headline_max_chars: int = default("headline_max_chars"),
) -> Iterator[DocumentRecord]:
    """Stream the documents of a decoded dump held in memory, each with its language."""
    return documents_from_lines(text.split("\n"), lang_sample_chars, lang_min_prob, headline_max_chars)
