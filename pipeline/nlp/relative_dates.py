"""Relative dates ("вчера", "в прошлый вторник", "last Tuesday", "two years ago", "в том же году"),
and durations, which are not dates ("два года", "three weeks").

A relative date is resolved against the document's date (`published`) when it has one, and is left
without a norm otherwise; a date relative to a year ("в прошлом году", "this year") needs only the
document's year, which a document without a date takes from its context as a yearless date does.
A date relative to an earlier date of the text ("в том же году", "the next day") takes that date.

Hand-written rather than dateparser 1.5.0: dateparser resolves against today unless RELATIVE_BASE is
set, has no reading of "в прошлый вторник" or "на следующий день", reads durations as dates ("два
года" and "three weeks" come back as dates two years and three weeks before the base), gives no
precision with a date, and reads "в 2018 году" as the year 1 (checked on 1.5.0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_NUMBERS = {
    "один": 1, "одну": 1, "одна": 1, "два": 2, "две": 2, "пару": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a couple of": 2,
}  # fmt: skip
_UNITS = {"д": "day", "ден": "day", "недел": "week", "месяц": "month", "год": "year", "лет": "year", "полгод": "half",
          "day": "day", "week": "week", "month": "month", "year": "year", "decade": "decade"}  # fmt: skip
_WEEKDAYS = {"понедельник": 0, "вторник": 1, "сред": 2, "четверг": 3, "пятниц": 4, "суббот": 5, "воскресень": 6,
             "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
             "sunday": 6}  # fmt: skip
_DEICTIC = {"позавчера": -2, "вчера": -1, "сегодня": 0, "завтра": 1, "послезавтра": 2,
            "yesterday": -1, "today": 0, "tomorrow": 1, "tonight": 0}  # fmt: skip

_NUM_WORD_RU = (
    r"(?:один|одну|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|[а-яё]+надцать|двадцать|тридцать|сорок|"
    r"[а-яё]+десят|девяносто|сто|пару|несколько)"
)
_NUM_RU = rf"(?:\d{{1,3}}|{_NUM_WORD_RU}(?:\s+{_NUM_WORD_RU})?)"
_UNIT_RU = r"(?:дн(?:ей|я|и)|день|недел[юиь]|месяц(?:а|ев)?|года?|лет)"
_WEEKDAY_RU = r"(?:понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)"
_WEEKDAY_GEN_RU = r"(?:понедельника|вторника|среды|четверга|пятницы|субботы|воскресенья)"
_WHEN_RU = r"(?:прошл|минувш|следующ|ближайш|будущ|эт|текущ|нынешн|позапрошл)[а-яё]*"
RU_RELATIVE_PATTERNS = [
    # "на следующий день", "в тот же день", "в том же году", "в этом же месяце"
    r"\b(?:на|в)\s+(?P<next>следующий|другой)\s+(?P<unit>день)\b(?!\s+после)",
    r"\b(?:в|во)\s+(?P<same>т[оа][тм]?|эт[оа][тм]?)\s+же\s+(?P<unit>день|году|месяце)\b",
    # "через два дня", "через неделю", "днём позже", "двумя днями ранее": from the text's date before
    rf"\bчерез\s+(?:(?P<later>{_NUM_RU})\s+)?(?P<unit>{_UNIT_RU}|неделю|месяц|год)\b",
    rf"(?<![\w-])(?:(?P<later>{_NUM_RU})\s+)?(?P<unit>днями|днём|днем|неделями|неделей|месяцами|месяцем|годами|годом)"
    r"\s+(?P<dir>ранее|раньше|позже|позднее|спустя)\b",
    # "в прошлом году", "в следующем месяце", "на этой неделе", "в текущем году"
    rf"\b(?:в|во|на)\s+(?P<when>{_WHEN_RU})\s+(?P<unit>году|месяце|неделе)\b",
    r"\bна\s+(?P<when>этот|следующий|будущий|текущий|нынешний)\s+(?P<unit>год|месяц)\b",
    # "в феврале этого года", "в конце прошлого года"
    rf"(?<![\w-])(?:(?:в|во)\s+)?(?:(?:начале|середине|конце)\s+)?(?P<month>{'{MONTH}'}|начале|середине|конце)"
    rf"\s+(?P<when>этого|прошлого|следующего|текущего|позапрошлого)\s+(?P<unit>года)\b",
    # "два года назад", "несколько дней назад", "полгода назад", "неделю назад", "три года тому назад"
    rf"(?<![\w-])(?:(?:ещё|еще|около|примерно)\s+)?(?:(?P<n>{_NUM_RU})\s+)?(?P<unit>{_UNIT_RU}|неделю|месяц|год|полгода)"
    r"\s+(?:тому\s+)?назад\b",
    # "в прошлый вторник", "в четверг" (not "в четверг, 27 июня": that is the date), "в среду" (not "в среду обитания")
    rf"\b(?:в|во)\s+(?:(?P<when>{_WHEN_RU})\s+)?(?P<weekday>{_WEEKDAY_RU})\b(?!\s*,?\s*\d)(?!\s+(?-i:[а-яё]+(?:ия|ий|ов|ей|ых))\b)",
    r"(?<![\w-])(?P<deictic>позавчера|вчера|сегодня|завтра|послезавтра)\b",
    # "с понедельника", "до пятницы" (the coming one), "на 17:00 понедельника", "вечером пятницы": the genitive
    rf"\b(?:с|со|до|после)\s+(?P<weekday>{_WEEKDAY_GEN_RU})\b(?!\s+(?-i:[а-яё]+(?:ия|ий|ов|ей|ых))\b)",
    rf"(?<=\d[:.]\d\d\s)(?P<weekday>{_WEEKDAY_GEN_RU})\b",
    # "вечером пятницы", "утром понедельника": a time of a day of the week
    rf"(?<![\w-])(?:утром|днём|днем|вечером|ночью)\s+(?P<weekday>{_WEEKDAY_GEN_RU})\b",
    # "в пятницу и субботу": the second day of the week of a pair
    rf"\b(?:в|во)\s+{_WEEKDAY_RU}\s+(?:и|или)\s+(?P<own>(?:(?:в|во)\s+)?(?P<weekday>{_WEEKDAY_RU}))\b",
    # "в выходные", "в минувшие выходные", "на выходных": a weekend, of week precision (no norm)
    rf"\b(?:в|на)\s+(?:(?P<when>{_WHEN_RU})\s+)?(?P<weekend>выходные|выходных)\b",
    # "на сегодняшний день", "с сегодняшнего дня", "до сегодняшнего дня": today
    r"\b(?:на|с|до|к)\s+(?P<today>сегодняшн(?:ий|его|ему)\s+д(?:ень|ня|ню))\b",
    # "премия этого года", "итоги прошлого года": a year relative to the document's (after "в феврале этого года")
    r"(?<![\w-])(?P<when>этого|прошлого|следующего|текущего|позапрошлого|минувшего)\s+(?P<unit>года)\b",
]
_EN_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_EN_NUM_WORD = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|a\s+couple\s+of|several|a\s+few|few)"
)
_EN_NUM = rf"(?:\d{{1,3}}|{_EN_NUM_WORD}(?:[\s-]+{_EN_NUM_WORD})?)"
EN_RELATIVE_PATTERNS = [
    r"^(?:the\s+)?(?P<next>next|following)\s+(?P<unit>day)$",
    r"^(?:the\s+)?(?P<prev>previous|preceding)\s+(?P<unit>year|month)$",
    # "the day before", "the previous day": the day before the document's date
    r"^(?:the\s+)?(?:(?P<before>previous|preceding)\s+day|day\s+(?P<before2>before))$",
    rf"^(?:(?P<later>{_EN_NUM})\s+)?(?P<unit>days?|weeks?|months?|years?)\s+(?P<dir>later|earlier)$",
    r"^(?:by\s+|since\s+|at\s+|until\s+)?(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+(?P<when>this|the|last|next)\s+(?P<unit>year)$",
    r"^(?:on\s+|in\s+)?(?:the\s+)?(?P<same>same)\s+(?P<unit>day|year|month)$",
    # "that same day", "later that year": the day or year of the text's date before
    r"^(?:(?:earlier|later)\s+)?(?P<same>that)(?:\s+same)?\s+(?P<unit>day|year|month)$",
    r"^(?:(?:earlier|later)\s+)?(?P<when>last|this|next|past)\s+(?P<unit>year|month|week)$",
    rf"^(?:(?P<n>{_EN_NUM})\s+)?(?P<unit>days?|weeks?|months?|years?|decades?)\s+ago$",
    rf"^(?:(?P<when>last|this\s+past|this|next|past)\s+|on\s+)?(?P<weekday>{_EN_WEEKDAY})(?:'s)?"
    r"(?:\s+(?:morning|afternoon|evening|night))?$",
    r"^(?P<deictic>yesterday|today|tomorrow|tonight)(?:'s)?(?:\s+(?:morning|afternoon|evening|night))?$",
]


def _compile_ru() -> list[re.Pattern]:
    from pipeline.nlp.dates import MONTH_RU

    return [re.compile(p.replace("{MONTH}", MONTH_RU), re.I) for p in RU_RELATIVE_PATTERNS]


_RU = _compile_ru()
# A day of the week read alone, as a mention found after another one ("в пятницу и субботу") reads.
_RU_BARE_WEEKDAY = re.compile(rf"(?P<weekday>{_WEEKDAY_RU}|{_WEEKDAY_GEN_RU})", re.I)
_EN = [re.compile(p, re.I) for p in EN_RELATIVE_PATTERNS]
_APPROXIMATELY_EN = re.compile(
    r"^(?:about|almost|nearly|some|roughly|around|more\s+than|less\s+than|over|just|only|early|late|earlier|later|"
    r"\d{1,2}(?::\d\d)?\s*[ap]\.m\.)\s+",
    re.I,
)

# A span of time without an anchor: a number or quantifier and a unit of time, with no "ago"
# ("three weeks", "the past two years", "24-year-old", "два года", "около 30 лет").
_QTY_EN = (
    r"(?:[\d.,]+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|hundred|thousand|half|several|few|many|couple|dozen|and|of|a\s+half)"
)
_DURATION_EN = re.compile(
    r"^(?:(?:about|around|nearly|almost|some|over|more\s+than|less\s+than|up\s+to|at\s+least|the|for|within|another|"
    r"past|last|next|first|coming|previous|recent|following|several|many|few|the\s+better\s+part\s+of)\s+)*"
    rf"(?:{_QTY_EN}(?:[\s-]+{_QTY_EN})*[\s-]+)?"
    r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|weekends?|months?|years?|decades?|centuries|century|"
    r"quarters?|seasons?)(?:[\s-]+old|[\s-]+long|[\s-]+running)?$",
    re.I,
)


@dataclass(frozen=True)
class RelativeDate:
    """A date written relative to the document's date, or to the date the text named before it."""

    unit: str  # day, week, month, year; "vague" for "a few days ago"
    offset: int = 0  # in units, from the anchor (negative: before)
    weekday: int | None = None  # a day of the week: the nearest one before the anchor (after, with "next")
    anaphoric: bool = False  # relative to the text's previous date, not the document's
    month: int | None = None  # a month of a relative year ("в феврале этого года")
    weekend: bool = False  # the weekend of a week ("в минувшие выходные"): TimeML's 2019-W12-WE

    def iso(self, published: date | None, year: int | None, previous: str | None = None) -> str | None:
        """The date's norm: day, month or year precision, or an ISO week (`1999-W02`); None when its
        anchor is unknown. `year` is the document's year when it has no date; `previous` the norm
        of the text's date before this one."""
        if self.unit == "vague":
            return None
        if self.anaphoric:
            return _from_previous(previous, self.unit, self.offset)
        if self.unit == "year":
            base = published.year if published else year
            if base is None:
                return None
            return f"{base + self.offset:04d}-{self.month:02d}" if self.month else f"{base + self.offset:04d}"
        if published is None or self.unit == "vague":
            return None
        if self.unit == "week":  # TimeML's ISO 8601 week: "last week" of 1999-01-22 is 1999-W02
            year, week, _ = (published + timedelta(weeks=self.offset)).isocalendar()
            return f"{year:04d}-W{week:02d}" + ("-WE" if self.weekend else "")
        if self.unit == "month":
            m = published.year * 12 + published.month - 1 + self.offset
            return f"{m // 12:04d}-{m % 12 + 1:02d}"
        if self.weekday is not None:
            delta = (published.weekday() - self.weekday) % 7
            if self.offset > 0:
                return (published + timedelta(days=(self.weekday - published.weekday()) % 7 or 7)).isoformat()
            return (published - timedelta(days=delta or (7 if self.offset < 0 else 0))).isoformat()
        return (published + timedelta(days=self.offset)).isoformat()


def _from_previous(previous: str | None, unit: str, offset: int) -> str | None:
    """`previous` (an ISO norm) moved by `offset` units, at the precision of `unit` (None if it has less)."""
    if not previous or "/" in previous:
        return None
    parts = previous.split("-")
    need = {"year": 1, "month": 2, "day": 3}[unit]
    if len(parts) < need:
        return None
    if unit == "year":
        return f"{int(parts[0]) + offset:04d}"
    if unit == "month":
        m = int(parts[0]) * 12 + int(parts[1]) - 1 + offset
        return f"{m // 12:04d}-{m % 12 + 1:02d}"
    return (date.fromisoformat(previous) + timedelta(days=offset)).isoformat()


def _number(words: str | None) -> int | None:
    """1 for no number, the value of "14", "четырнадцать", "twenty-five"; None when unknown ("несколько")."""
    if words is None:
        return 1
    words = " ".join(words.lower().replace("-", " ").split())
    if words.isdigit():
        return int(words)
    if words in _NUMBERS:
        return _NUMBERS[words]
    values = [_NUMBERS.get(w) for w in words.split()]
    return sum(values) if values and None not in values else None


def _unit(word: str) -> str:
    w = word.lower()
    for stem in sorted(_UNITS, key=len, reverse=True):
        if w.startswith(stem):
            return _UNITS[stem]
    raise ValueError(word)


def _when(word: str | None) -> int:
    """-1 for "last", +1 for "next", 0 for "this"."""
    w = (word or "").lower()
    if w.startswith(("прошл", "минувш", "last", "past")) or w.endswith("past"):
        return -1
    if w.startswith("позапрошл"):
        return -2
    if w.startswith(("следующ", "будущ", "next")):
        return 1
    return 0


def _from_match(m: re.Match) -> RelativeDate | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    if "today" in g:
        return RelativeDate("day", 0)
    if "deictic" in g:
        return RelativeDate("day", _DEICTIC[g["deictic"].lower()])
    if "weekend" in g:
        return RelativeDate("week", _when(g.get("when")), weekend=True)
    if "weekday" in g:
        w = g["weekday"].lower()
        day = next(v for k, v in _WEEKDAYS.items() if w.startswith(k))
        coming = 1 if m.group(0).lower().startswith("до") else 0
        return RelativeDate("day", _when(g.get("when")) if g.get("when") else coming, weekday=day)
    if "before" in g or "before2" in g:
        return RelativeDate("day", -1)
    unit = _unit(g["unit"])
    if "next" in g:
        return RelativeDate(unit, 1, anaphoric=True)
    if "prev" in g:
        return RelativeDate(unit, -1, anaphoric=True)
    if "dir" in g or m.re.pattern.startswith(r"\bчерез"):
        n = _number(g.get("later"))
        if n is None or unit == "half":
            return RelativeDate("vague")
        n = -n if g.get("dir", "").lower() in ("earlier", "ранее", "раньше") else n
        return RelativeDate("day", 7 * n, anaphoric=True) if unit == "week" else RelativeDate(unit, n, anaphoric=True)
    if "same" in g:
        return RelativeDate(unit, 0, anaphoric=True)
    if m.re.pattern.endswith(r"назад\b") or m.re.pattern.endswith("ago$"):
        if "n" not in g and not re.fullmatch(r"(?i)неделю|месяц|год|день|полгода|week|month|year|day", g["unit"]):
            return None  # "лет назад" is the end of a number this pattern did not read
        n = _number(g.get("n"))
        if n is None or g.get("n", "").lower() in ("несколько", "several", "a few", "few"):
            return RelativeDate("vague")  # "несколько лет назад": a date, but not one day, month or year
        if unit == "half":
            return RelativeDate("month", -6)
        if unit == "decade":
            return RelativeDate("year", -10 * n)
        return RelativeDate(unit, -n)
    if "month" in g:
        from pipeline.nlp.dates import _month_ru

        month = _month_ru(g["month"])
        return RelativeDate("year", _when(g["when"]), month=month)
    return RelativeDate(unit, _when(g.get("when")))


def find_russian_relative_dates(text: str) -> list[tuple[int, int, RelativeDate]]:
    """Non-overlapping Russian relative date expressions in `text`, leftmost-longest."""
    found: list[tuple[int, int, RelativeDate]] = []
    for rx in _RU:
        for m in rx.finditer(text):
            s, e = m.span("own") if "own" in rx.groupindex else m.span()  # "own": the part that is the date
            if any(s < fe and fs < e for fs, fe, _ in found):
                continue
            rel = _from_match(m)
            if rel is not None:
                found.append((s, e, rel))
    return sorted(found, key=lambda x: x[0])


def parse_relative(text: str, lang: str) -> RelativeDate | None:
    """A relative date expression (a DATE entity's text) read whole; None if it is not one."""
    t = " ".join(text.split()).rstrip(".,")
    if lang == "ru":
        for rx in _RU:
            m = rx.fullmatch(t)
            if m:
                return _from_match(m)
        m = _RU_BARE_WEEKDAY.fullmatch(t)
        return _from_match(m) if m else None
    t = _APPROXIMATELY_EN.sub("", t)  # "almost four years ago", "early Friday"
    for rx in _EN:
        m = rx.match(t)
        if m:
            return _from_match(m)
    return None


def is_duration(text: str) -> bool:
    """An English span of time with no anchor ("three weeks", "the past two years", "24-year-old")."""
    return bool(_DURATION_EN.match(" ".join(text.split())))
