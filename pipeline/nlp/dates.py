"""Date expressions in Russian and English: finding (Russian) and normalizing (both) to ISO 8601.

A normalized date is `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; a range is two of them joined by `/`.
A date written without a year is returned as a `PartialDate` and takes its year from the
document's context later, never from today's date; a day of the week written with it
("Saturday, July 25", "в субботу, 25 июля") picks the year near that context it falls on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

_MONTHS_RU = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
    # abbreviations, as news agencies' datelines write them ("МОСКВА, 1 авг — РИА Новости")
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
}  # fmt: skip
_MONTHS_EN = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

MONTH_RU = (
    r"(?:январ[ьяеюё]|феврал[ьяеюё]|март[ауе]?|апрел[ьяеюё]|ма[йяею]|июн[ьяеюё]|июл[ьяеюё]"
    r"|август[ауе]?|сентябр[ьяеюё]|октябр[ьяеюё]|ноябр[ьяеюё]|декабр[ьяеюё])"
)
MONTH_EN = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
# A month abbreviated, written after a day only ("1 авг", "15 сент."): never a word's beginning.
MONTH_RU_ABBR = r"(?:янв|февр?|мар|апр|июн|июл|авг|сент?|окт|нояб?|дек)(?![а-яё])\.?"
DAY = r"(?:3[01]|[12]\d|0?[1-9])"
YEAR = r"(?:1[5-9]\d\d|20\d\d|2100)"
DECADE = r"(?:1[5-9]\d0|20\d0)"
YEAR_WORD_RU = r"(?:\s*(?:годах|годами|годов|годы|годом|году|годе|года|год|гг?\.?))"

ORDINAL_RU = r"(?:-?(?:го|е|ое))?"
# A day of the month written as an ordinal word, in the genitive ("десятого февраля", "двадцать первого мая").
_DAY_WORDS_RU = (
    "первого", "второго", "третьего", "четвёртого", "пятого", "шестого", "седьмого", "восьмого", "девятого",
    "десятого", "одиннадцатого", "двенадцатого", "тринадцатого", "четырнадцатого", "пятнадцатого",
    "шестнадцатого", "семнадцатого", "восемнадцатого", "девятнадцатого", "двадцатого",
)  # fmt: skip
DAY_WORD_RU = rf"(?:(?:двадцать|тридцать)\s+)?(?:{'|'.join(_DAY_WORDS_RU)}|четвертого|тридцатого)"
# A decade in words ("в девяностые годы двадцатого века", "в восьмидесятых", "the nineties"): its tens,
# in the century the text names, else the twentieth (the decades news recalls by name).
_DECADE_WORDS = {
    "двадцат": 2, "тридцат": 3, "сороков": 4, "пятидесят": 5, "шестидесят": 6, "семидесят": 7, "восьмидесят": 8,
    "девяност": 9, "twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
    "eighties": 8, "nineties": 9,
}  # fmt: skip
DECADE_WORD_RU = r"(?P<decw>двадцат|тридцат|сороков|пятидесят|шестидесят|семидесят|восьмидесят|девяност)(?:ые|ых|ыми?)"
CENTURY_WORD_RU = (
    r"(?:\s+(?P<cw>XX|XIX|XXI|двадцатого|девятнадцатого|двадцать\s+первого|прошлого|позапрошлого)\s+(?:века|столетия))"
)
_CENTURY_WORDS = {"xix": 19, "xx": 20, "xxi": 21, "девятнадцатого": 19, "двадцатого": 20, "двадцать первого": 21,
                  "прошлого": 20, "позапрошлого": 19}  # fmt: skip
QUARTER_RU = r"(?P<q>IV|I{1,3}|[1-4])(?:-?(?:м|й|ом|го))?\s+квартал[а-я]*"
# English month names a Russian text quotes ("обновление Windows 10 May 2020 Update"), case kept.
MONTH_EN_NAME = r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December)"
# Russian date expressions, longest first; named groups d1, m1, d2, m2, y, y2, dm (numeric month), q.
RU_DATE_PATTERNS = [
    rf"\b{QUARTER_RU}\s+(?P<y>{YEAR}){YEAR_WORD_RU}?",
    rf"\b(?:с\s+)?(?<![\w.-])(?P<y>{YEAR})\s*(?:[-–—]|по)\s*(?P<y2>{YEAR}){YEAR_WORD_RU}",
    rf"\bс\s+(?P<d1>{DAY})(?:\s+(?P<m1>{MONTH_RU}))?\s+по\s+(?P<d2>{DAY})\s+(?P<m2>{MONTH_RU})(?:\s+(?P<y>{YEAR}){YEAR_WORD_RU}?)?",
    rf"\b(?P<d1>{DAY})(?:\s*[-–—]\s*|(?:\s*\([^()\n]{{0,30}}\))?\s+(?:и|или)\s+)(?P<d2>{DAY})\s+(?P<m2>{MONTH_RU})(?:\s+(?P<y>{YEAR}){YEAR_WORD_RU}?)?",
    rf"\b(?P<d1>{DAY}){ORDINAL_RU}\s+(?P<m1>{MONTH_RU})(?:\s+(?P<y>{YEAR}){YEAR_WORD_RU}?)?",
    rf"\b(?P<d1>{DAY})\s+(?P<m1>{MONTH_RU_ABBR})(?:\s+(?P<y>{YEAR}){YEAR_WORD_RU}?)?",
    rf"\b(?P<d1>{DAY})\.(?P<dm>0?[1-9]|1[0-2])\.(?P<y>{YEAR})(?:\s*(?:года|г\.))?",
    rf"(?<![\w-])(?P<dw>{DAY_WORD_RU})\s+(?P<m1>{MONTH_RU})(?:\s+(?P<y>{YEAR}){YEAR_WORD_RU}?)?",  # "десятого февраля"
    rf"(?<![\w-])(?P<m1>{MONTH_RU})\s+(?P<y>{YEAR}){YEAR_WORD_RU}?",
    rf"(?<![\w-])(?P<m1>{MONTH_EN_NAME})\s+(?P<y>{YEAR})\b",
    rf"(?<=\bв\s)(?:(?:начале|середине|конце)\s+)?(?P<m1>{MONTH_RU})\b",
    rf"\b(?:начала|середины|конца)\s+(?P<m1>{MONTH_RU})\b",
    rf"(?<![\w-])(?-i:(?P<m1>{MONTH_RU.replace('(?:', '(?:', 1)}))\b",  # a month in lower case: never a name
    rf"(?<![\w-])(?<!\d[.,])(?P<y>{YEAR}){YEAR_WORD_RU}",
    # a year range or a year without "год" where a preposition or parentheses make it one: "в 1985—1990
    # и 2006—2011 годах", "(1990—2000)", "В 1976 — поступил", "в 2014."
    rf"(?:(?<=\bв\s)|(?<=\bс\s)|(?<=\())(?P<y>{YEAR})\s*[-–—]\s*(?P<y2>{YEAR})\b(?![-.,]?\d)",
    rf"(?<![\w.-])(?P<y>{YEAR})\s*[-–—]\s*(?P<y2>{YEAR})(?=\s+и\s+{YEAR})",
    rf"(?:(?<=\bв\s)|(?<=\bс\s)|(?<=\bдо\s))(?P<y>{YEAR})(?=\s*(?:[—–.,;:)]|\s-\s|$))",
    rf"(?<=\()(?P<y>{YEAR})(?=\))",  # a year in parentheses: "Билл и Тед (1989)"
    rf"(?<![\w.-])(?P<dec>{DECADE})-(?:е|х|ые|ых|ми)\b(?:\s+(?:годы|годах|годов|годами|гг\.?))?",  # "1980-е"
    rf"(?<![\w-]){DECADE_WORD_RU}(?:\s+(?:годы|годах|годов|годами|гг\.?))?{CENTURY_WORD_RU}?(?![а-яё])(?!\s+числ)",
    r"(?<![\w.-])(?-i:(?P<cr>(?=[XVI])X{0,2}(?:IX|IV|V?I{0,3})))\s+(?:в\.|век(?:а|е|ом|у)?\b)",  # "XIX в.", "XVII века"
]
_RU_COMPILED = [re.compile(p, re.I) for p in RU_DATE_PATTERNS]
# A month alone, as a DATE entity's text reads after "в" was left out of it ("июле").
_RU_MONTH_ONLY = re.compile(rf"^(?:(?:начале|середине|конце)\s+)?(?P<m1>{MONTH_RU})$", re.I)
_RU_YEAR_ONLY = re.compile(rf"^\(?(?P<y>{YEAR})\)?$")  # a DATE entity's text that is a year alone
_RU_YEARS_ONLY = re.compile(rf"^(?P<y>{YEAR})\s*[-–—]\s*(?P<y2>{YEAR})$")  # "1985—1990", found before "и 2006—2011"
_WEEKDAYS_EN = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
_WEEKDAYS_RU = ("понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресень")
# A day of the week just before a date ("Saturday, July 25"; "в субботу, 25 июля"): group w.
_WEEKDAY_EN = re.compile(r"\b(?P<w>mon|tues|wednes|thurs|fri|satur|sun)day,?\s+(?:the\s+)?$", re.I)
_WEEKDAY_RU = re.compile(
    r"(?<![а-яё])(?P<w>понедельник|вторник|сред|четверг|пятниц|суббот|воскресень)[а-яё]*\s*,?\s*$", re.I
)
# How far from the context year a day of the week may move a date's year.
WEEKDAY_YEARS = 3

_EN_PATTERNS = [
    rf"^(?:from\s+)?(?P<d1>{DAY})\s*(?:-|–|to)\s*(?P<d2>{DAY})\s+(?P<m2>{MONTH_EN}),?(?:\s+(?P<y>{YEAR}))?$",
    rf"^(?:the\s+)?(?P<d1>{DAY})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{MONTH_EN}),?(?:\s+(?P<y>{YEAR}))?$",
    rf"^(?P<m1>{MONTH_EN})\s+(?P<d1>{DAY})\s*(?:-|–|to)\s*(?P<d2>{DAY}),?(?:\s+(?P<y>{YEAR}))?$",
    rf"^(?:from\s+)?(?P<m1>{MONTH_EN})\s+(?P<d1>{DAY})\s*(?:-|–|to|through|until)\s*(?P<m2>{MONTH_EN})\s+(?P<d2>{DAY}),?"
    rf"(?:\s+(?P<y>{YEAR}))?$",
    rf"^(?P<m1>{MONTH_EN})\s+(?P<d1>{DAY})(?:st|nd|rd|th)?(?:,?\s+(?P<y>{YEAR}))?$",
    rf"^(?P<m1>{MONTH_EN}),?\s+(?:of\s+)?(?P<y>{YEAR})$",
    rf"^(?P<m1>{MONTH_EN})$",
    rf"^(?:the\s+year\s+)?(?P<y>{YEAR})$",
    rf"^(?:Q(?P<q>[1-4])|(?P<qw>first|second|third|fourth)\s+quarter(?:\s+of)?)\s+(?P<y>{YEAR})$",
    rf"^(?:from\s+|between\s+)?(?P<y>{YEAR})\s*(?:-|–|—|to|and)\s*(?P<y2>{YEAR})$",
    rf"^(?P<y>{YEAR})-(?P<dm>0[1-9]|1[0-2])-(?P<d1>{DAY})$",
    rf"^(?P<d1>{DAY})[./](?P<dm>0?[1-9]|1[0-2])[./](?P<y>{YEAR})$",
    rf"^(?:(?:early|mid|late)[-\s]+)?(?P<dec>{DECADE})'?s$",  # "the 1990s"
    r"^(?:(?:early|mid|late)[-\s]+)?(?P<decw>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)$",
    r"^(?:(?:the\s+)?(?:beginning|start|end|middle|first\s+half|second\s+half)\s+of\s+)?(?:the\s+)?(?:early\s+|late\s+)?"
    r"(?P<c>1?\d|2[01])(?:st|nd|rd|th)[-\s]+century$",  # "the 19th century"
]
_EN_COMPILED = [re.compile(p, re.I) for p in _EN_PATTERNS]
_EN_LEADING = re.compile(
    r"^(?:(?:on|in|since|by|from|until|till|of|during|early|late|the|as of|today|yesterday|tomorrow|tonight"
    r"|(?:the\s+)?(?:beginning|start|end|middle|first half|second half)\s+of"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day),?\s+|(?:mid|early|late)-\s*)",
    re.I,
)


@dataclass(frozen=True)
class PartialDate:
    """A date as written: any part may be missing (a missing year comes from context)."""

    year: int | None
    month: int | None
    day: int | None
    end_month: int | None = None
    end_day: int | None = None
    end_year: int | None = None
    weekday: int | None = None  # Monday 0 .. Sunday 6, when written with the date
    quarter: int | None = None  # a quarter of the year ("Q3 2019", "III квартал 2019 года"): norm 2019-Q3

    def year_in(self, context_year: int | None) -> int | None:
        """The date's year: as written, else the context's, moved to the nearest year (at most
        WEEKDAY_YEARS away) in which the date falls on the day of the week written with it."""
        if self.year or context_year is None:
            return self.year or context_year
        if self.weekday is None or self.month is None or self.day is None:
            return context_year
        for delta in sorted(range(-WEEKDAY_YEARS, WEEKDAY_YEARS + 1), key=lambda d: (abs(d), -d)):
            try:
                if date(context_year + delta, self.month, self.day).weekday() == self.weekday:
                    return context_year + delta
            except ValueError:
                continue
        return context_year

    def iso(self, context_year: int | None = None) -> str | None:
        year = self.year_in(context_year)
        if year is None:
            return None
        if self.end_year is not None:
            return f"{year:04d}/{self.end_year:04d}" if self.end_year > year else f"{year:04d}"
        if self.quarter:
            return f"{year:04d}-Q{self.quarter}"
        start = _iso_one(year, self.month, self.day)
        if start is None:
            return None
        if self.end_day is None:
            if self.day is None and self.end_month and self.end_month != self.month:  # months: "March-May"
                return f"{start}/{_iso_one(year, self.end_month, None)}"
            return start
        end = _iso_one(year, self.end_month or self.month, self.end_day)
        return f"{start}/{end}" if end else start

    @property
    def needs_year(self) -> bool:
        return self.year is None


def _iso_one(year: int, month: int | None, day: int | None) -> str | None:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _month_ru(word: str | None) -> int | None:
    if not word:
        return None
    if re.match("[A-Za-z]", word):
        return month_en(word)
    w = word.lower()
    for stem in sorted(_MONTHS_RU, key=len, reverse=True):
        if w.startswith(stem):
            return _MONTHS_RU[stem]
    return None


def month_en(word: str | None) -> int | None:
    """The number of an English month name or abbreviation ("Dec", "Dec.", "December")."""
    return _MONTHS_EN.get(word.lower().rstrip(".")) if word else None


def _from_match(m: re.Match, month_of) -> PartialDate:
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") else None
    if g.get("dm"):
        month = int(g["dm"])
    else:
        month = month_of(g.get("m1")) or month_of(g.get("m2"))
    day = int(g["d1"]) if g.get("d1") else _day_word(g["dw"]) if g.get("dw") else None
    end_day = int(g["d2"]) if g.get("d2") else None
    end_month = month_of(g.get("m2")) if g.get("m2") else None
    if end_day is not None and g.get("m1") is None:
        month = end_month
    end_year = int(g["y2"]) if g.get("y2") else None
    if g.get("dec"):
        year, end_year = int(g["dec"]), int(g["dec"]) + 9
    if g.get("decw"):
        century = _CENTURY_WORDS.get(" ".join((g.get("cw") or "xx").lower().split()), 20)
        year = 100 * century - 100 + 10 * _DECADE_WORDS[g["decw"].lower()]
        year, end_year = year, year + 9
    century = int(g["c"]) if g.get("c") else _roman(g["cr"]) if g.get("cr") else None
    if century:
        year, end_year = 100 * century - 99, 100 * century
    quarter = _quarter(g.get("q"), g.get("qw"))
    if quarter:
        month, end_month = 3 * quarter - 2, 3 * quarter
    return PartialDate(year, month, day, end_month, end_day, end_year, quarter=quarter)


def _day_word(words: str) -> int | None:
    """The day of "десятого" (10), "двадцать первого" (21), "тридцатого" (30)."""
    *tens, unit = words.lower().replace("ё", "е").split()
    base = {"двадцать": 20, "тридцать": 30}.get(tens[0], 0) if tens else 0
    if unit == "тридцатого":
        return 30
    units = [w.replace("ё", "е") for w in _DAY_WORDS_RU]
    day = base + units.index(unit) + 1 if unit in units else None
    return day if day and day <= 31 else None


def _roman(numeral: str) -> int | None:
    """The value of a Roman numeral of a century ("XIX" -> 19)."""
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for a, b in zip(numeral, numeral[1:] + " "):
        total += -values[a] if values.get(b, 0) > values[a] else values[a]
    return total or None


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _quarter(number: str | None, word: str | None) -> int | None:
    """A quarter's number from "2", "II" or "second"."""
    if word:
        return _QUARTER_WORDS[word.lower()]
    if not number:
        return None
    return int(number) if number.isdigit() else _ROMAN[number.lower()]


def find_russian_dates(text: str) -> list[tuple[int, int, PartialDate]]:
    """Non-overlapping Russian date expressions in `text`, leftmost-longest."""
    found: list[tuple[int, int, PartialDate]] = []
    taken: list[tuple[int, int]] = []
    for rx in _RU_COMPILED:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            found.append((s, e, _from_match(m, _month_ru)))
    return sorted(found, key=lambda x: x[0])


def parse_date(text: str, lang: str, before: str = "") -> PartialDate | None:
    """Parse one date expression (a DATE entity's text) into its parts; None if not a date.

    `before` is the document's text just before the expression, read for a day of the week.
    An English expression that runs on after a comma or "and" ("July 19, the day after", "November 10
    and December 8") is read up to it: its first date.
    """
    parsed = _parse(" ".join(text.split()), lang)
    if parsed is None or parsed.day is None or parsed.year is not None:
        return parsed
    rx, names = (_WEEKDAY_RU, _WEEKDAYS_RU) if lang == "ru" else (_WEEKDAY_EN, _WEEKDAYS_EN)
    m = rx.search(before[-30:]) or rx.search(_leading_weekday(text))
    return replace(parsed, weekday=names.index(m.group("w").lower())) if m else parsed


def _leading_weekday(text: str) -> str:
    """The text up to its first digit ("Saturday, July 25" -> "Saturday, July "), weekday included."""
    m = re.match(r"^\D*?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)", text, re.I)
    return m.group(0) if m else ""


def _parse(t: str, lang: str) -> PartialDate | None:
    found = _match(t, lang)
    return _from_match(found[0], _month_ru if lang == "ru" else month_en) if found else None


def _match(t: str, lang: str) -> tuple[re.Match, int] | None:
    """The pattern that reads `t`, and where in `t` the text it matched starts."""
    if lang == "ru":
        for rx in (*_RU_COMPILED, _RU_MONTH_ONLY, _RU_YEAR_ONLY, _RU_YEARS_ONLY):
            m = rx.search(t)
            if m:
                return m, 0
        return None
    full, prev = t, None
    while prev != t:
        prev, t = t, _EN_LEADING.sub("", t)
    t = t.rstrip(".,")
    for candidate in dict.fromkeys((t, t.split(",")[0], t.split(" and ")[0])):  # read up to a comma or "and"
        for rx in _EN_COMPILED:
            m = rx.match(candidate.strip())
            if m:
                return m, full.find(candidate.strip())
    return None


def date_pieces(text: str, lang: str) -> list[tuple[int, int, PartialDate]]:
    """The dates a DATE mention names, with their offsets in `text`: one, or the two ends of a
    range of days or years ("27-28 сентября 2014 года" -> "27" and "28 сентября 2014 года"; "1979–1980
    годы" -> "1979" and "1980 годы"), each a date of day, month or year precision. Empty if no date."""
    found = _match(text, lang)
    if found is None:
        parsed = _parse(" ".join(text.split()), lang)
        return [(0, len(text), parsed)] if parsed else []
    m, offset = found
    parsed = _from_match(m, _month_ru if lang == "ru" else month_en)
    g = m.groupdict()
    second = "d2" if g.get("d2") else "y2" if g.get("y2") else None
    if second is None:
        return [(0, len(text), parsed)]
    first_end = max(m.end(k) for k in ("d1", "m1", "y") if g.get(k) and m.start(k) < m.start(second))
    first_start = min(m.start(k) for k in ("d1", "m1", "y") if g.get(k) and m.start(k) < m.start(second))
    if second == "y2":
        start, end = PartialDate(parsed.year, None, None), PartialDate(parsed.end_year, None, None)
    else:
        start = PartialDate(parsed.year, parsed.month, parsed.day, weekday=parsed.weekday)
        end = PartialDate(parsed.year, parsed.end_month or parsed.month, parsed.end_day)
    second_start = min(m.start(k) for k in ("d2", "m2", "y2") if g.get(k) and m.start(k) >= first_end)
    return [(offset + first_start, offset + first_end, start), (offset + second_start, offset + m.end(), end)]
