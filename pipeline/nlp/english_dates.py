"""English dates as TimeML reads them, beyond the written calendar date: where they are and their value.

The English NER finds written dates ("Nov. 25, 1999") but misses or labels TIME much of what TimeML
(TIMEX3 DATE/TIME) counts as a date: a day of the week and its part ("Wednesday night"), "today",
"last October", "last fall", "this week", "the third quarter", "fiscal 1989", "now", "the future",
holidays. `find_dates` finds them in a text; `timeml_value` gives the value of the ones
`parse_date` and `parse_relative` do not read, against the document's date:

  - a season of a year: `1998-FA` (SP, SU, FA, WI); a week: `1999-W03` (ISO 8601 weeks), its weekend
    `1999-W03-WE`;
  - a quarter or a half of a year: `1989-Q3`, `1989-H1`; a fiscal year: `FY1989`;
  - the present, past and future: `PRESENT_REF`, `PAST_REF`, `FUTURE_REF`;
  - a month named relative to the document's date ("last October"): `1998-10`; a holiday: its day;
  - a time of day ("10:35 a.m.", "midday"): the document's day (`1998-08-07`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pipeline.nlp.dates import month_en
from pipeline.nlp.tense import year_by_tense

_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART = r"(?:morning|afternoon|evening|night)"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_ORDINAL = r"(?:first|second|third|fourth)"
_SEASON = r"(?:spring|summer|fall|autumn|winter)"
_WHEN = (
    r"(?:last|this|next|this\s+past|this\s+coming|early\s+this|early\s+next|late\s+last|later\s+this|"
    r"earlier\s+this)"
)
_APPROX = r"(?:(?:about|almost|nearly|some|roughly|around|more\s+than|less\s+than|over|just|only)\s+)?"
_NUM = r"(?:\d{1,3}|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty)"
_PRESENT = r"(?:(?:right|just|until|by|from|for|between|up\s+to|as\s+of)\s+)?now|currently|nowadays|at\s+present"
# A time of day (TimeML's TIME): its value here is its day, the document's.
_CLOCK = r"\b(?:\d{1,2}(?::\d\d)?\s*(?i:a\.m\.|p\.m\.)|(?i:noon|midday|midnight))(?!\w)"
_HOLIDAY = (
    r"(?:Thanksgiving(?:\s+Day)?|Christmas(?:\s+(?:Day|Eve))?|New\s+Year's\s+(?:Day|Eve)|Halloween|"
    r"Independence\s+Day|Valentine's\s+Day)"
)

_WEEKDAY_WORDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_WORDS = ("jan", "feb", "march", "april", "may", "june", "july", "aug", "sep", "oct", "nov", "dec")
# One pattern a kind of date, run only on a text holding one of its words (a regular expression of many
# alternatives costs at every word; most texts hold no "ago", "quarter" or "fiscal"). Case matters for
# names (a capital month, weekday or holiday), not for words. Group "d", where a pattern has one, is the
# date (a month after a preposition: "in March", not "March for").
_PATTERNS: list[tuple[tuple[str, ...], str]] = [
    (_WEEKDAY_WORDS, rf"\b(?:(?:early|late)\s+)?(?:{_WHEN}\s+)?{_WEEKDAY}(?:\s+{_PART})?\b"),
    (("today", "tonight", "yesterday", "tomorrow"), rf"\b(?i:today|tonight|yesterday|tomorrow)(?:\s+(?i:{_PART}))?\b"),
    (_MONTH_WORDS, rf"\b{_MONTH}\s+{_DAY}(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?(?![\d:])"),
    (_MONTH_WORDS, rf"\b{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?\b"),
    (_MONTH_WORDS, rf"\b(?:(?i:early|mid|late)[-\s]+|(?i:{_WHEN})\s+){_MONTH}(?:\s+{_YEAR})?(?!\w)"),
    (_MONTH_WORDS, rf"\b(?i:in|since|by|until|during|through|from|of|on)\s+(?P<d>{_MONTH}(?:,?\s+{_YEAR})?)(?!\w)"),
    (
        ("week", "month", "year", "spring", "summer", "fall", "autumn", "winter", "quarter", "century", "decade"),
        rf"\b(?i:{_WHEN}\s+(?:week|weekend|month|year|{_SEASON}|quarter|century|decade))\b",
    ),
    (("ago",), rf"\b(?i:{_APPROX}{_NUM}[-\s](?:days?|weeks?|months?|years?|decades?)\s+ago)\b"),
    (("ago",), r"\b(?i:a\s+decade\s+ago|a\s+year\s+ago|a\s+week\s+ago|a\s+month\s+ago)\b"),
    (
        ("quarter",),
        rf"\b(?i:(?:the\s+)?(?:{_ORDINAL}|latest|last|current|previous|year-earlier|fourth-period)[-\s]+quarter)\b",
    ),
    (("half",), rf"\b(?i:(?:the\s+)?(?:first|second)\s+half\s+of\s+(?:{_YEAR}|(?:this|last|next|the)\s+year))\b"),
    (("fiscal",), rf"\b(?i:fiscal\s+(?:year\s+)?){_YEAR}\b"),
    (
        ("thanksgiving", "christmas", "new year", "halloween", "independence day", "valentine"),
        rf"\b(?:{_HOLIDAY})\b",
    ),
    (("that",), r"\b(?i:(?:(?:earlier|later)\s+)?that(?:\s+same)?\s+(?:day|year|month))\b"),
    (
        ("a.m.", "p.m.", "noon", "midday", "midnight"),
        rf"{_CLOCK}(?:\s+(?:{_WEEKDAY}|(?i:today|tonight|yesterday|tomorrow)))?",
    ),
    # "now" as a point of time ("right now", "between now and Feb. 10"), not the adverb of a new state
    # ("is now the second"), which TimeML mostly leaves unmarked
    (
        ("now", "currently", "present"),
        r"\b(?i:(?:right|just|until|by|from|for|between|up\s+to|as\s+of)\s+now|now(?=\s+that\b)|currently|nowadays|"
        r"at\s+present)\b",
    ),
    (("future",), r"\b(?i:the\s+future)\b"),
]
_FINDERS = [(words, re.compile(p)) for words, p in _PATTERNS]

_SEASON_CODES = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
_SEASON_MONTH = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def find_dates(text: str) -> list[tuple[int, int]]:
    """Non-overlapping date mentions in `text`, leftmost-longest."""
    low = text.lower()
    found = {
        m.span("d") if "d" in rx.groupindex else m.span()
        for words, rx in _FINDERS
        if not words or any(w in low for w in words)
        for m in rx.finditer(text)
    }
    spans = sorted(found, key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s < out[-1][1]:
            continue
        out.append((s, e))
    return out


def _when(words: str) -> int:
    w = words.lower()
    if "last" in w or "past" in w:
        return -1
    if "next" in w or "coming" in w:
        return 1
    return 0


def _holiday(name: str, year: int) -> date | None:
    n = " ".join(name.lower().split())
    if n.startswith("thanksgiving"):
        first = date(year, 11, 1)
        return first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    fixed = {
        "christmas": (12, 25),
        "christmas day": (12, 25),
        "christmas eve": (12, 24),
        "new year's day": (1, 1),
        "new year's eve": (12, 31),
        "halloween": (10, 31),
        "independence day": (7, 4),
        "valentine's day": (2, 14),
    }
    return date(year, *fixed[n]) if n in fixed else None


def timeml_value(text: str, published: date | None, tense: str | None = None) -> str | None:
    """The TimeML value of a date `parse_date` and `parse_relative` do not read, against the document's
    date `published` (None without one, but for the references to the present, past and future)."""
    t = " ".join(text.split()).rstrip(".,")
    low = t.lower()
    if re.fullmatch(_PRESENT, low):
        return "PRESENT_REF"
    if low in ("the future", "future"):
        return "FUTURE_REF"
    if low in ("the past", "past"):
        return "PAST_REF"
    if published is not None and re.fullmatch(_CLOCK, text.strip()):
        return published.isoformat()
    m = re.fullmatch(rf"(?i:fiscal\s+(?:year\s+)?)({_YEAR})", t)
    if m:
        return f"FY{m.group(1)}"
    if published is None:
        return None
    m = re.fullmatch(rf"(?i:(?P<when>{_WHEN})\s+)(?P<month>{_MONTH})", t)
    if m:
        month = month_en(m["month"].rstrip("."))
        if month is None:
            return None
        step = _when(m["when"])  # last: the one before this month; next: the one after; this: this year's
        year = published.year
        if step < 0 and month >= published.month:
            year -= 1
        elif step > 0 and month <= published.month:
            year += 1
        return f"{year:04d}-{month:02d}"
    m = re.fullmatch(rf"(?i:(?P<when>{_WHEN})\s+(?P<season>{_SEASON}))", t)
    if m:
        code = _SEASON_CODES[m["season"].lower()]
        step = _when(m["when"])
        start = _SEASON_MONTH[code]
        year = published.year
        if step < 0:
            year = published.year if (published.month, 0) > (start + 2, 0) else published.year - 1
        elif step > 0:
            year = published.year if published.month < start else published.year + 1
        return f"{year:04d}-{code}"
    m = re.fullmatch(rf"(?i:(?P<when>{_WHEN})\s+(?P<unit>week|weekend))", t)
    if m:
        year, week, _ = (published + timedelta(weeks=_when(m["when"]))).isocalendar()
        return f"{year:04d}-W{week:02d}" + ("-WE" if m["unit"].lower() == "weekend" else "")
    m = re.fullmatch(rf"(?i:(?P<when>{_WHEN})\s+quarter)", t)
    if m:
        q = (published.year * 4 + (published.month - 1) // 3) + _when(m["when"])
        return f"{q // 4:04d}-Q{q % 4 + 1}"
    which_quarter = r"(?i:(?:the\s+)?(?P<which>first|second|third|fourth|latest|last|previous|current)[-\s]+quarter)"
    m = re.fullmatch(which_quarter, t)
    if m:
        which = m["which"].lower()
        if which in _ORDINALS:
            quarter = _ORDINALS[which]
            year = year_by_tense(3 * quarter - 2, None, published, tense or "past")
            return f"{year:04d}-Q{quarter}"
        q = published.year * 4 + (published.month - 1) // 3 - (which != "current")
        return f"{q // 4:04d}-Q{q % 4 + 1}"
    half = (
        rf"(?i:(?:the\s+)?(?P<which>first|second)\s+half\s+of\s+(?:(?P<y>{_YEAR})|(?P<when>this|last|next|the)\s+year))"
    )
    m = re.fullmatch(half, t)
    if m:
        year = int(m["y"]) if m["y"] else published.year + _when(m["when"])
        return f"{year:04d}-H{1 if m['which'].lower() == 'first' else 2}"
    m = re.fullmatch(_HOLIDAY, t)
    if m:
        for year in (published.year, published.year - 1, published.year + 1):
            day = _holiday(t, year)
            if day is None:
                return None
            if (tense != "future" and day <= published) or (tense == "future" and day >= published):
                return day.isoformat()
    return None


def reads_date(text: str) -> bool:
    """Whether `timeml_value` reads `text` as a date of some kind (the document's date aside)."""
    return timeml_value(text, date(2000, 6, 15)) is not None
