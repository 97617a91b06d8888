"""JSON Lines dumps (`*.jsonl`, `*.ndjson`, `.gz` too): one document per line, decoded as a text dump is.

One object per line with a string `text`; optional `id`, `title`, `url`, `date` (ISO
`YYYY-MM-DD...`) and `lang` are kept. `start`/`end` of such a document are the span of its line
(white space around it stripped) in the decoded file. A line that is not such an object is skipped
and reported in `problems` with its line number; a file with no valid line is rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from pipeline.ids import content_id
from pipeline.readers.base import DumpSource
from pipeline.readers.text import TextReader
from pipeline.records import DocumentRecord
from pipeline.settings import Settings
from pipeline.stages.decode import normalize_text
from pipeline.stages.language import language_detector
from pipeline.stages.split import rstrip_len

_NONSPACE = re.compile(r"\S")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:$|[T ])")
_LANG_CODE = re.compile(r"[a-z]{2,3}")
_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")


class JsonLinesReader(TextReader):
    format = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def matches(self, name: str) -> bool:
        return str(name).lower().removesuffix(".gz").endswith(self.suffixes)

    def read(self, source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
        return _jsonl_documents(self.lines(source), source, settings)


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


def _jsonl_documents(lines: Iterable[str], source: DumpSource, settings: Settings) -> Iterator[DocumentRecord]:
    detect = language_detector(settings.lang_sample_chars, settings.lang_min_prob)
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
            source.problem(f"line {lineno}: {exc}, skipped")
            first_problem = first_problem or f"line {lineno}: {exc}"
            continue
        for note in rec.notes:
            source.problem(f"line {lineno}: {note}")
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
        raise source.rejected(f"no valid JSON Lines record (first problem: {first_problem})")
    source.count_unlisted_problems()


def count_paragraphs(text: str) -> int:
    """Paragraphs of a (stripped) JSON Lines text: runs separated by blank lines, or its lines when none is blank."""
    separators = len(_BLANK_LINES.findall(text))
    return separators + 1 if separators else text.count("\n") + 1
