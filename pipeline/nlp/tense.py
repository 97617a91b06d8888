"""Which side of the document's date an English clause speaks of, read from its words (no tagger).

HeidelTime places a date written without its year ("October", "Nov. 25", "Tuesday") by the tense of
its sentence; the English pipeline loads no tagger, so the tense is read from the words that mark it
in news copy: a modal or a phrase of intention for the future ("will", "is expected to", "plans to"),
an auxiliary or a past form for the past ("was", "had", "said", "-ed").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

Tense = Literal["future", "past"]

# The future in news copy: modals, "be to", intentions and schedules.
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|'ll|going\s+to|(?:is|are|was|were)\s+(?:to|due\s+to|set\s+to|scheduled\s+to|expected\s+to)|"
    r"expects?\s+to|plans?\s+to|planning\s+to|intends?\s+to|hopes?\s+to|aims?\s+to|scheduled|upcoming|next|"
    r"must\s+be|should\s+be|planned\s+to|as\s+soon\s+as|by\s+the\s+end|deadline)\b",
    re.I,
)
# The past: auxiliaries, reporting verbs and the regular past form (a word of 4+ letters in -ed).
_PAST = re.compile(
    r"\b(?:was|were|had|did|ago|last|earlier|said|told|came|went|took|left|began|fell|rose|met|found|made|"
    r"gave|saw|became|held|led|won|lost|killed|shot|sent|got|struck|broke|fled|flew|ran|spoke|wrote)\b",
    re.I,
)
# The regular past form: a lower-case word in -ed ("Bedford", "United", "need", "hundred" are not).
_PAST_ED = re.compile(
    r"\b(?!(?:hundred|indeed|kindred|sacred|naked|wicked|rugged|ragged|beloved)\b)[a-z]{2,}[^e\W]ed\b"
)
# Where a clause ends: a sentence's end, a semicolon, a paragraph, a quotation's edge.
_CLAUSE_END = re.compile(r"[.!?;]\s|\n|``|''|[“”\"]")
CLAUSE_CHARS = 160


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The words of the clause before and after a span, within CLAUSE_CHARS each side."""
    left = text[max(0, start - CLAUSE_CHARS) : start]
    cut = [m.end() for m in _CLAUSE_END.finditer(left)]
    left = left[cut[-1] :] if cut else left
    right = text[end : end + CLAUSE_CHARS]
    m = _CLAUSE_END.search(right)
    return left, right[: m.start()] if m else right


def clause_tense(text: str, start: int, end: int) -> Tense | None:
    """ "future" when the clause of the span text[start:end] speaks of what is to come, "past" when
    of what happened, None when it says neither (present: "says", headlines)."""
    left, right = _clause(text, start, end)
    best: tuple[int, Tense] | None = None  # the marker nearest the span decides
    for tense, finders in (("future", (_FUTURE,)), ("past", (_PAST, _PAST_ED))):
        for rx in finders:
            for m in rx.finditer(left):
                best = min(best or (len(left) - m.end(), tense), (len(left) - m.end(), tense))
            for m in rx.finditer(right):
                best = min(best or (m.start(), tense), (m.start(), tense))
    return best[1] if best else None


def year_by_tense(month: int, day: int | None, published: date, tense: str | None) -> int:
    """The year of a month (or a day of it) written without one, in a document of `published`: the
    last one not after it when the clause speaks of the past, the first one not before it when of the
    future, else the nearest ("October" in a report of January 1998 on what happened: 1997)."""

    def position(y: int) -> tuple[int, int]:
        return (y * 12 + month - 1, day or 0)

    now = (published.year * 12 + published.month - 1, published.day if day else 0)
    years = (published.year - 1, published.year, published.year + 1)
    today = _days(published.year, published.month, published.day)
    nearest = min(years, key=lambda y: (abs(_days(y, month, day) - today), y != published.year))
    if tense == "past":
        chosen = max(y for y in years if position(y) <= now)
    elif tense == "future":
        chosen = min(y for y in years if position(y) >= now)
    else:
        return nearest
    # the tense places a date within TENSE_DAYS of the document's; farther, the nearest one is meant
    # ("by Jan. 14" in a report of Jan. 6 on what was decided)
    far = abs(_days(chosen, month, day) - today) > TENSE_DAYS
    return nearest if far else chosen


TENSE_DAYS = 270


def _days(year: int, month: int, day: int | None) -> int:
    return year * 372 + (month - 1) * 31 + (day or 15)
