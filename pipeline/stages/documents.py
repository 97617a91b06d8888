"""From decoded dump text to document records: split, detect language, identify, date."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from functools import partial

from pipeline.nlp.dates import DAY, MONTH_EN, MONTH_RU, YEAR
from pipeline.records import DocumentRecord, EntityRecord
from pipeline.settings import default
from pipeline.stages.language import LanguageGuess, bounded_sample, detect_language, rules_out_other_language
from pipeline.stages.split import DocumentSpan, content_id, split_lines

# "ООН, 26 июля - РИА Новости." / "MOSCOW, July 26 (Reuters) -": a place, a date, a dash.
_DATELINE_MAX = 80
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


class LanguageDetector:
    """langdetect with these settings, remembering its last answers by the sample it read: a
    document's body starts with its first paragraph, so when that paragraph fills the sample the
    body is not detected again."""

    def __init__(
        self, lang_sample_chars: int = default("lang_sample_chars"), lang_min_prob: float = default("lang_min_prob")
    ) -> None:
        self.sample_chars = lang_sample_chars
        self.detect = partial(detect_language, max_chars=lang_sample_chars, min_prob=lang_min_prob)
        self.recent: dict[str, LanguageGuess] = {}

    def __call__(self, text: str) -> LanguageGuess:
        sample = bounded_sample(text, self.sample_chars)
        guess = self.recent.get(sample)
        if guess is None:
            guess = self.recent[sample] = self.detect(sample)
            if len(self.recent) > 8:
                del self.recent[next(iter(self.recent))]
        return guess

    def rules_out_other_language(self, text: str, lang: str, min_prob: float) -> bool:
        """Whether detecting this text could not name another language than `lang` with
        `min_prob` (see `language.rules_out_other_language`)."""
        return rules_out_other_language(text, lang, min_prob, self.sample_chars)


def language_detector(
    lang_sample_chars: int = default("lang_sample_chars"), lang_min_prob: float = default("lang_min_prob")
) -> LanguageDetector:
    return LanguageDetector(lang_sample_chars, lang_min_prob)


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


def dateline_date(text: str, entities: list[EntityRecord]) -> date | None:
    """The date of a dateline: a full DATE near the start, after a place and before a dash."""
    first = next((e for e in sorted(entities, key=lambda x: x.start) if e.label == "DATE"), None)
    if first is None or first.start >= _DATELINE_MAX:
        return None
    head, tail = text[: first.start], text[first.end : first.end + 40]
    if (
        first.norm
        and re.fullmatch(r"\d{4}-\d\d-\d\d", first.norm)
        and re.fullmatch(r"[^\n.!?]{2,60},\s*", head)
        and re.match(r"\s*(\([^)]{1,40}\)\s*)?[-–—]", tail)
    ):
        return date.fromisoformat(first.norm)
    return None


def assign_published(documents: list[DocumentRecord], entities: list[EntityRecord]) -> list[DocumentRecord]:
    """`published` from a dateline: a full DATE near the start, after a place and before a dash."""
    by_doc: dict[str, list[EntityRecord]] = {}
    for e in entities:
        if e.label == "DATE" and e.start < _DATELINE_MAX:
            by_doc.setdefault(e.doc_id, []).append(e)
    out = []
    for d in documents:
        if d.published is None and d.doc_id in by_doc:
            found = dateline_date(d.text, by_doc[d.doc_id])
            d = replace(d, published=found) if found else d
        out.append(d)
    return out
