"""Relative dates resolved against the document's date (never today's), durations that are no dates,
and ranges that become their two ends."""

from __future__ import annotations

from datetime import date

import pytest
import spacy

import pipeline.nlp.components  # noqa: F401  (registers the factories)
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.nlp.relative_dates import find_russian_relative_dates, is_duration, parse_relative
from pipeline.records import DocumentRecord, EntityRecord
from pipeline.stages.entities import normalize_entities

WEDNESDAY = date(2019, 3, 27)


@pytest.mark.parametrize(
    ("text", "lang", "iso"),
    [
        ("вчера", "ru", "2019-03-26"),
        ("сегодня", "ru", "2019-03-27"),
        ("в прошлый вторник", "ru", "2019-03-26"),
        ("в понедельник", "ru", "2019-03-25"),
        ("в следующую пятницу", "ru", "2019-03-29"),
        ("в прошлом году", "ru", "2018"),
        ("в феврале этого года", "ru", "2019-02"),
        ("два года назад", "ru", "2017"),
        ("в прошлом месяце", "ru", "2019-02"),
        ("last Tuesday", "en", "2019-03-26"),
        ("yesterday", "en", "2019-03-26"),
        ("Monday night", "en", "2019-03-25"),
        ("next Friday", "en", "2019-03-29"),
        ("last year", "en", "2018"),
        ("two years ago", "en", "2017"),
        ("this month", "en", "2019-03"),
    ],
)
def test_relative_dates_resolved_against_the_documents_date(text, lang, iso):
    assert parse_relative(text, lang).iso(WEDNESDAY, 2019) == iso


@pytest.mark.parametrize("text", ["вчера", "в четверг", "last Tuesday", "yesterday", "в прошлом месяце"])
def test_without_the_documents_date_a_relative_day_has_no_norm(text):
    lang = "en" if text.isascii() else "ru"
    assert parse_relative(text, lang).iso(None, 2019) is None


def test_a_week_is_an_iso_week_and_a_vague_date_has_no_norm():
    assert parse_relative("на этой неделе", "ru").iso(WEDNESDAY, 2019) == "2019-W13"
    assert parse_relative("last week", "en").iso(WEDNESDAY, 2019) == "2019-W12"
    assert parse_relative("несколько дней назад", "ru").iso(WEDNESDAY, 2019) is None


def test_a_relative_year_takes_the_documents_year_from_its_context():
    assert parse_relative("в прошлом году", "ru").iso(None, 2020) == "2019"
    assert parse_relative("this year", "en").iso(None, None) is None  # no context: no norm, never today


def test_russian_relative_dates_found_but_not_durations_or_dates_with_a_weekday():
    text = (
        "Трамп заявил в понедельник, что вчера; два года он ждал; в среду, 3 октября; в среду обитания; "
        "на следующий день; три недели; в том же году"
    )
    found = [text[s:e] for s, e, _ in find_russian_relative_dates(text)]
    assert found == ["в понедельник", "вчера", "на следующий день", "в том же году"]


@pytest.mark.parametrize(
    ("text", "duration"),
    [("three weeks", True), ("the past two years", True), ("24-year-old", True), ("decades", True),
     ("yesterday", False), ("Tuesday", False), ("July 2020", False), ("the summer", False)],
)  # fmt: skip
def test_english_durations(text, duration):
    assert is_duration(text) is duration


def _doc(doc_id, text, lang="ru", published=None):
    return DocumentRecord(doc_id, 0, None, text, lang, 1.0, 1, 0, len(text), published)


def _dates(doc, *texts):
    out = []
    for t in texts:
        s = doc.text.index(t)
        out.append(EntityRecord(doc.doc_id, "DATE", t, s, s + len(t), t, None, doc.lang))
    return out


def test_normalization_resolves_relative_and_anaphoric_dates_and_splits_ranges():
    doc = _doc(
        "a",
        "Встреча прошла вчера. 5 апреля 2019 года он приехал, на следующий день уехал; с 16 апреля по 19 мая;"
        " в том же году",
        published=date(2019, 3, 27),
    )
    ents = _dates(doc, "вчера", "5 апреля 2019 года", "на следующий день", "с 16 апреля по 19 мая", "в том же году")
    norms = [(e.text, e.norm) for e in normalize_entities(ents, [doc], Gazetteer())]
    assert norms == [
        ("вчера", "2019-03-26"),
        ("5 апреля 2019 года", "2019-04-05"),
        ("на следующий день", "2019-04-06"),
        ("16 апреля", "2019-04-16"),
        ("19 мая", "2019-05-19"),
        ("в том же году", "2019"),
    ]
    for e in normalize_entities(ents, [doc], Gazetteer()):
        assert doc.text[e.start : e.end] == e.text


def test_a_dateline_dates_the_relative_dates_of_its_document():
    doc = _doc("b", "MOSCOW, July 26, 2024 - The talks ended yesterday.", lang="en")
    ents = _dates(doc, "July 26, 2024", "yesterday")
    assert [e.norm for e in normalize_entities(ents, [doc], Gazetteer())] == ["2024-07-26", "2024-07-25"]


def test_no_documents_date_no_norm_for_a_relative_day():
    doc = _doc("c", "Он приехал вчера, 12 мая 2021 года был там")
    ents = _dates(doc, "вчера", "12 мая 2021 года")
    assert [e.norm for e in normalize_entities(ents, [doc], Gazetteer())] == [None, "2021-05-12"]


def test_calendar_dates_keeps_dates_and_drops_durations():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [{"label": "DATE", "pattern": p} for p in ("three weeks", "last Tuesday", "July 26", "recent years")]
    )
    nlp.add_pipe("calendar_dates")
    doc = nlp("For three weeks since last Tuesday and July 26 in recent years")
    assert [e.text for e in doc.ents] == ["last Tuesday", "July 26"]


def test_a_day_of_the_week_apposed_to_a_written_date_takes_it_when_the_calendar_agrees():
    doc = _doc("e", "Он прилетит 25 июля 2019 года, в четверг, а уедет 27 июля 2019 года, в среду.")
    ents = _dates(doc, "25 июля 2019 года", "в четверг", "27 июля 2019 года", "в среду")
    norms = [e.norm for e in normalize_entities(ents, [doc], Gazetteer())]
    assert norms == ["2019-07-25", "2019-07-25", "2019-07-27", None]  # 27 July 2019 was a Saturday


def test_today_and_a_relative_year_without_a_preposition():
    assert parse_relative("На сегодняшний день", "ru").iso(WEDNESDAY, 2019) == "2019-03-27"
    assert parse_relative("с сегодняшнего дня", "ru").iso(None, 2019) is None
    text = "лауреат премии этого года, итоги прошлого года"
    found = [(text[s:e], r.iso(None, 2019)) for s, e, r in find_russian_relative_dates(text)]
    assert found == [("этого года", "2019"), ("прошлого года", "2018")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("показаны в пятницу и субботу на канале", [("в пятницу", "2019-03-22"), ("субботу", "2019-03-23")]),
        ("На 17:00 понедельника в Британии", [("понедельника", "2019-03-25")]),
        ("уехал вечером пятницы", [("вечером пятницы", "2019-03-22")]),
        ("работает с понедельника, сдать до пятницы", [("с понедельника", "2019-03-25"), ("до пятницы", "2019-03-29")]),
        ("в минувшие выходные он уехал", [("в минувшие выходные", "2019-W12-WE")]),  # TimeML's weekend
        ("сохранить природу и среду, со среды обитания", []),  # "среда" the environment
    ],
)
def test_weekdays_in_pairs_in_the_genitive_and_weekends(text, found):
    assert [(text[s:e], r.iso(WEDNESDAY, 2019)) for s, e, r in find_russian_relative_dates(text)] == found
    for s, e, _ in find_russian_relative_dates(text):
        assert parse_relative(text[s:e], "ru") is not None


def test_a_relative_day_apposed_to_a_written_day_states_the_documents_date():
    """ "умер вчера, 9 мая 2019 года, в возрасте": yesterday was 9 May, so the article is of 10 May, and its
    other relative days resolve against that; not when the written day starts a clause of its own."""
    text = "Дату объявят сегодня. Он умер вчера, 9 мая 2019 года, в возрасте 59 лет. Вечером в четверг он ехал."
    other = "Он прилетел вчера, 12 мая 2019 года состоится встреча, сегодня отдых."

    def mentions(doc_id, text, spans):
        return [
            EntityRecord(doc_id, "DATE", t, text.index(t), text.index(t) + len(t), t, None, "ru") for t in spans
        ]

    ents = mentions("a", text, ["сегодня", "вчера", "9 мая 2019 года", "в четверг"])
    ents += mentions("b", other, ["вчера", "12 мая 2019 года", "сегодня"])
    docs = [DocumentRecord(i, 0, None, t, "ru", 1.0, 1, 0, len(t)) for i, t in (("a", text), ("b", other))]
    norms = {(e.doc_id, e.text): e.norm for e in normalize_entities(ents, docs, Gazetteer())}
    assert norms[("a", "сегодня")] == "2019-05-10"
    assert norms[("a", "вчера")] == "2019-05-09"
    assert norms[("a", "в четверг")] == "2019-05-09"
    assert norms[("b", "вчера")] is None and norms[("b", "сегодня")] is None
