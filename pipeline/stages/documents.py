"""From decoded dump text to document records: split, detect language, identify, date."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from functools import partial

from pipeline.records import DocumentRecord, EntityRecord
from pipeline.stages.language import detect_language
from pipeline.stages.split import content_id, split_dump

# "ООН, 26 июля - РИА Новости." / "MOSCOW, July 26 (Reuters) -": a place, a date, a dash.
_DATELINE_MAX = 80


def documents_from_text(
    text: str,
    dump_id: str,
    lang_sample_chars: int = 2000,
    lang_min_prob: float = 0.70,
    headline_max_chars: int = 200,
) -> Iterator[DocumentRecord]:
    """Stream the dump's documents in order, each with its language."""
    detect = partial(detect_language, max_chars=lang_sample_chars, min_prob=lang_min_prob)
    for ordinal, span in enumerate(split_dump(text, detect, headline_max_chars)):
        title = text[span.title.start : span.title.end] if span.title else None
        body = text[span.body[0].start : span.body[-1].end]
        guess = detect(body)
        yield DocumentRecord(
            doc_id=content_id(title, body),
            dump_id=dump_id,
            ordinal=ordinal,
            title=title,
            text=body,
            lang=guess.lang,
            lang_prob=guess.prob,
            n_paragraphs=len(span.body),
            start=span.start,
            end=span.end,
        )


def assign_published(documents: list[DocumentRecord], entities: list[EntityRecord]) -> list[DocumentRecord]:
    """`published` from a dateline: a full DATE near the start, after a place and before a dash."""
    first_date: dict[str, EntityRecord] = {}
    for e in entities:
        if e.label == "DATE" and e.start < _DATELINE_MAX and e.doc_id not in first_date:
            first_date[e.doc_id] = e
    out = []
    for d in documents:
        if d.published is None and d.doc_id in first_date:
            e = first_date[d.doc_id]
            head, tail = d.text[: e.start], d.text[e.end : e.end + 40]
            if (
                e.norm
                and re.fullmatch(r"\d{4}-\d\d-\d\d", e.norm)
                and re.fullmatch(r"[^\n.!?]{2,60},\s*", head)
                and re.match(r"\s*(\([^)]{1,40}\)\s*)?[-–—]", tail)
            ):
                d = replace(d, published=date.fromisoformat(e.norm))
        out.append(d)
    return out
