"""Russian date finding and ISO normalization of dates in both languages; years from context."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.nlp.dates import find_russian_dates, parse_date
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.records import DocumentRecord, EntityRecord
from pipeline.stages.entities import is_background_date, normalize_entities, year_votes


@pytest.mark.parametrize(
    ("text", "found", "iso"),
    [
        ("Встреча прошла 26 июля.", "26 июля", "2024-07-26"),
        ("Он заявил 19 июля 2024 года, что", "19 июля 2024 года", "2024-07-19"),
        ("Это было в 2020 году.", "2020 году", "2020"),
        ("Учения пройдут с 1 по 3 марта.", "с 1 по 3 марта", "2024-03-01/2024-03-03"),
        ("Документ от 01.07.2024 подписан.", "01.07.2024", "2024-07-01"),
        ("Саммит состоится в июле.", "июле", "2024-07"),
        ("Работа начнется в начале сентября.", "начале сентября", "2024-09"),
        ("Форум прошел 5-7 мая 2023 г. в Минске.", "5-7 мая 2023 г.", "2023-05-05/2023-05-07"),
    ],
)
def test_russian_dates_found_and_normalized(text, found, iso):
    (start, end, parsed), *_ = find_russian_dates(text)
    assert text[start:end] == found
    assert parsed.iso(context_year=2024) == iso
    assert parse_date(found, "ru").iso(2024) == iso


def test_a_month_word_alone_is_not_a_date_without_its_preposition():
    assert find_russian_dates("Мая Плисецкая танцевала") == []


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("25 July 2024", "2024-07-25"),
        ("July 19, 2024", "2024-07-19"),
        ("Sunday, July 26", "2020-07-26"),
        ("1996-08-30", "1996-08-30"),
        ("the beginning of August 2019", "2019-08"),
        ("March 1-3, 2024", "2024-03-01/2024-03-03"),
        ("mid-July", "2020-07"),
        ("2021", "2021"),
    ],
)
def test_english_dates_normalized(text, iso):
    assert parse_date(text, "en").iso(context_year=2020) == iso


def test_relative_or_vague_dates_have_no_norm():
    assert parse_date("Friday", "en") is None
    assert parse_date("last year", "en") is None


def _doc(doc_id: str, text: str, lang: str = "ru", published: date | None = None) -> DocumentRecord:
    return DocumentRecord(doc_id, 0, None, text, lang, 1.0, 1, 0, len(text), published)


def _date(doc_id: str, text: str, start: int, lang: str = "ru") -> EntityRecord:
    return EntityRecord(doc_id, "DATE", text, start, start + len(text), text, None, lang)


def _norms(entities, documents) -> dict[tuple[str, str], str | None]:
    from pipeline.nlp.gazetteer import Gazetteer

    out = normalize_entities(entities, documents, Gazetteer())
    return {(e.doc_id, e.text): e.norm for e in out}


def test_missing_year_from_dateline_then_other_dates_then_dump_never_today():
    docs = [
        _doc("a", "МОСКВА, 3 марта 2019 года. ... 26 июля ... 10 мая 2021 года ... 11 мая 2021 года"),
        _doc("b", "В 1964 году ... 26 июля ... 12 мая 2022 года"),
        _doc("c", "В 1964 году ... 27 июля"),
        _doc("d", "Встреча 28 июля", published=date(2018, 1, 5)),
    ]
    ents = [
        _date("a", "3 марта 2019 года", 8),
        _date("a", "26 июля", 30),
        _date("a", "10 мая 2021 года", 42),
        _date("a", "11 мая 2021 года", 62),
        _date("b", "1964 году", 2),
        _date("b", "26 июля", 16),
        _date("b", "12 мая 2022 года", 30),
        _date("c", "1964 году", 2),
        _date("c", "27 июля", 16),
        _date("d", "28 июля", 8),
    ]
    norms = _norms(ents, docs)
    assert norms[("a", "26 июля")] == "2019-07-26"  # the dateline wins over the document's other dates
    assert norms[("b", "26 июля")] == "2022-07-26"  # a dated mention wins over a bare historical year
    assert norms[("c", "27 июля")] == "2021-07-27"  # the dump's year (its dated mentions: 2021 most often)
    assert norms[("d", "28 июля")] == "2018-07-28"  # the published date
    assert norms[("a", "10 мая 2021 года")] == "2021-05-10"


def test_no_context_no_year_rather_than_today():
    docs = [_doc("x", "Встреча 26 июля")]
    assert _norms([_date("x", "26 июля", 8)], docs)[("x", "26 июля")] is None


@pytest.mark.parametrize(
    ("text", "lang", "before", "iso"),
    [
        ("Saturday, July 25", "en", "", "2020-07-25"),  # July 25 is a Saturday in 2020, not in 2019
        ("July 27", "en", "on Monday, ", "2020-07-27"),
        ("25 июля", "ru", "в ночь на субботу, ", "2020-07-25"),
        ("25 июля", "ru", "", "2019-07-25"),  # no day of the week: the context year stands
        ("July 25, 2019", "en", "Saturday, ", "2019-07-25"),  # a written year is never moved
    ],
)
def test_a_day_of_the_week_picks_the_year_near_the_context(text, lang, before, iso):
    assert parse_date(text, lang, before).iso(context_year=2019) == iso


@pytest.mark.parametrize(
    ("text", "lang", "iso"),
    [
        ("2021-2022", "en", "2021/2022"),
        ("2015–2017", "en", "2015/2017"),
        ("2021 - 2022 годах", "ru", "2021/2022"),
        ("с 2015 по 2017 год", "ru", "2015/2017"),
        ("25-го июля", "ru", "2019-07-25"),
        ("конца января", "ru", "2019-01"),
        ("July 19, the day after the fire", "en", "2019-07-19"),  # read up to the comma
        ("November 10 and December 8", "en", "2019-11-10"),  # two dates in one span: the first
    ],
)
def test_year_ranges_ordinals_and_run_on_extents(text, lang, iso):
    assert parse_date(text, lang).iso(context_year=2019) == iso


def test_russian_year_ranges_and_ordinal_days_are_found():
    text = "в 2021 - 2022 годах; ДТП 25-го июля; меры с конца января"
    found = [text[s:e] for s, e, _ in find_russian_dates(text)]
    assert found == ["2021 - 2022 годах", "25-го июля", "конца января"]


def test_weekday_dates_set_the_document_year():
    text = "Погода 27 июля. В субботу, 25 июля, было холодно; в понедельник, 27 июля, тепло. Август."
    doc = _doc("w", text)
    ents = [_date("w", "27 июля", 7), _date("w", "25 июля", 26), _date("w", "27 июля", 63)]
    other = [_doc("o", "12 мая 2019 года")], [_date("o", "12 мая 2019 года", 0)]
    norms = normalize_entities(ents + other[1], [doc] + other[0], Gazetteer())
    assert {e.norm for e in norms if e.doc_id == "w"} == {"2020-07-25", "2020-07-27"}


@pytest.mark.parametrize(
    ("text", "lang", "iso"),
    [
        ("Q2 2020", "en", "2020-Q2"),
        ("the second quarter of 2020", "en", "2020-Q2"),
        ("II квартале 2020 года", "ru", "2020-Q2"),
        ("May 2020", "ru", "2020-05"),  # an English date a Russian text quotes
    ],
)
def test_quarters_and_quoted_english_months(text, lang, iso):
    assert parse_date(text, lang).iso(context_year=2019) == iso


def test_a_month_in_lower_case_is_a_date_a_capitalized_one_may_be_a_name():
    text = "Самая холодная ночь июля; первые дни августа. Август Раш и Мая Плисецкая."
    assert [text[s:e] for s, e, _ in find_russian_dates(text)] == ["июля", "августа"]


def test_a_year_in_parentheses_is_a_russian_date():
    text = "из «Невероятных приключений Билла и Теда» (1989), а в томе (т. 5)"
    assert [(text[s:e], p.iso(2019)) for s, e, p in find_russian_dates(text)] == [("1989", "1989")]
    assert parse_date("1989", "ru").iso(2019) == "1989"


def test_quoted_english_months_are_found_in_russian_text_but_not_russian_names():
    text = "обновление Windows 10 May 2020 Update; во II квартале 2020 года; Мая Плисецкая в 2019"
    found = [text[s:e] for s, e, _ in find_russian_dates(text)]
    assert found[:2] == ["May 2020", "II квартале 2020 года"]
    assert not any("Мая" in f for f in found)


def test_abbreviated_months_of_datelines_and_no_empty_century():
    text = "МОСКВА, 1 авг — РИА Новости. 15 сент. 2019 г. прошли выборы середины прошлого века.\n\nВ. Иванов"
    assert [(text[s:e], d.iso(2018)) for s, e, d in find_russian_dates(text)] == [
        ("1 авг", "2018-08-01"),
        ("15 сент. 2019 г.", "2019-09-15"),
    ]
    assert find_russian_dates("один авгур, 3 декабриста") == []


def test_days_joined_by_and_share_their_month():
    doc = DocumentRecord("j", 0, None, "Лекции 17 и 21 апреля 2019 года.", "ru", 1.0, 1, 0, 30, None)
    t = "17 и 21 апреля 2019 года"
    s = doc.text.index(t)
    ents = [EntityRecord("j", "DATE", t, s, s + len(t), t, None, "ru")]
    assert [(e.text, e.norm) for e in normalize_entities(ents, [doc], Gazetteer())] == [
        ("17", "2019-04-17"),
        ("21 апреля 2019 года", "2019-04-21"),
    ]


def test_a_birth_or_a_founding_gives_no_year_to_the_other_dates():
    """ "born in September 1961" is a life's background: the year-less dates of the news around it take
    the dump's year, not 1961; a death is kept (news reports deaths as they happen)."""
    text = "Реформа коснётся родившихся в сентябре 1961 года. Протесты 7 февраля."
    died = "Артист умер 5 марта 2020 года. Прощание 9 марта."
    docs = [_doc("p", text), _doc("q", "Встреча 12 мая 2023 года"), _doc("r", died)]
    ents = [
        _date("p", "сентябре 1961 года", text.index("сентябре")),
        _date("p", "7 февраля", text.index("7 февраля")),
        _date("q", "12 мая 2023 года", 8),
        _date("r", "5 марта 2020 года", died.index("5 марта")),
        _date("r", "9 марта", died.index("9 марта")),
    ]
    norms = _norms(ents, docs)
    assert norms[("p", "7 февраля")] == "2023-02-07"
    assert norms[("p", "сентябре 1961 года")] == "1961-09"
    assert norms[("r", "9 марта")] == "2020-03-09"
    en = "The new system applies to people born in September 1961. Protests on February 7."
    ents_en = [
        _date("e", "September 1961", en.index("September"), "en"),
        _date("e", "February 7", en.index("February"), "en"),
    ]
    assert _norms(ents_en, [_doc("e", en, "en")])[("e", "February 7")] is None  # no other year: none
    for cue in ("Родился", "Компания, основанная в", "founded in", "established on"):
        assert is_background_date(
            EntityRecord("x", "DATE", "мае 1991", len(cue) + 1, 99, None, None, "ru"), f"{cue} мае 1991"
        )
    assert not is_background_date(
        EntityRecord("x", "DATE", "5 мая", 25, 30, None, None, "ru"), "На основании решения от 5 мая"
    )


def test_the_dumps_year_is_the_year_most_of_its_documents_are_of():
    """One history article with many dates of 2022 does not outvote two documents of 2023."""
    history = "1 мая 2022 года, 2 мая 2022 года, 3 мая 2022 года"
    docs = [_doc("h", history), _doc("a", "Встреча 12 мая 2023 года"), _doc("b", "Визит 3 июня 2023 года"),
            _doc("u", "Протесты 7 февраля")]  # fmt: skip
    ents = [_date("h", t, history.index(t)) for t in ("1 мая 2022 года", "2 мая 2022 года", "3 мая 2022 года")]
    ents += [_date("a", "12 мая 2023 года", 8), _date("b", "3 июня 2023 года", 6), _date("u", "7 февраля", 9)]
    assert _norms(ents, docs)[("u", "7 февраля")] == "2023-02-07"
    assert year_votes(ents, True) == {2022: 1, 2023: 2}


@pytest.mark.parametrize(
    ("text", "found", "iso"),
    [
        ("В девяностые годы двадцатого века он", "девяностые годы двадцатого века", "1990/1999"),
        ("в восьмидесятых он уехал", "восьмидесятых", "1980/1989"),
        ("в шестидесятых годах прошлого века", "шестидесятых годах прошлого века", "1960/1969"),
        ("В двадцатые годы XXI века", "двадцатые годы XXI века", "2020/2029"),
        ("лекции — 17 () и 21 апреля", "17 () и 21 апреля", "2019-04-17/2019-04-21"),
        ("энергии. В.1928г. изобретатель", "1928г.", "1928"),
    ],
)
def test_decades_in_words_listed_days_with_a_parenthesis_and_an_attached_year_word(text, found, iso):
    (start, end, parsed), *_ = find_russian_dates(text)
    assert (text[start:end], parsed.iso(2019)) == (found, iso)


def test_not_a_decade_or_a_year():
    text = "в двадцатых числах мая, до 3.2019 года"
    assert [text[s:e] for s, e, _ in find_russian_dates(text)] == ["мая"]
    assert parse_date("the nineties", "en").iso() == "1990/1999"
    assert parse_date("the early eighties", "en").iso() == "1980/1989"
