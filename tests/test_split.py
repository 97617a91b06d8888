"""Splitting: the WMT dump into its records, layouts a reader sees, nothing lost (property test), streaming."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ids import content_id
from pipeline.readers import open_dump
from pipeline.readers.text import documents_from_spans, documents_from_text
from pipeline.settings import Settings
from pipeline.stages.language import UNDETERMINED, LanguageGuess, detect_language
from pipeline.stages.split import is_headline, split_dump, split_lines
from tests.conftest import EVAL

WMT_DUMP = EVAL / "pairing" / "wmt21_ruen.dump.txt"
WMT_RECORDS = EVAL / "pairing" / "wmt21_ruen.jsonl"
_CYR = re.compile(r"[а-яёА-ЯЁ]")
_LAT = re.compile(r"[a-zA-Z]")


def script_detect(text: str) -> LanguageGuess:
    """A cheap deterministic stand-in for langdetect in the property test: the majority script."""
    cyr, lat = len(_CYR.findall(text)), len(_LAT.findall(text))
    if cyr + lat < 12:
        return LanguageGuess(UNDETERMINED, 0.0)
    return LanguageGuess("ru" if cyr > lat else "en", 1.0)


def test_wmt_dump_splits_into_exactly_its_records():
    """Real langdetect: the k-th document is the k-th JSON Lines record, same text and language."""
    records = [json.loads(line) for line in WMT_RECORDS.read_text(encoding="utf-8").splitlines()]
    source = open_dump(WMT_DUMP, Settings())
    docs = list(source.documents)
    assert source.encoding == "utf-8" and source.problems == []
    assert len(docs) == len(records) == 172
    assert [d.text for d in docs] == [r["text"] for r in records]
    assert [d.lang for d in docs] == [r["lang"] for r in records]
    assert all(d.title is None and d.n_paragraphs == 1 for d in docs)
    text = WMT_DUMP.read_text(encoding="utf-8")
    assert all(text[d.start : d.end] == d.text for d in docs)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("UN General Assembly adopts Resolution on Strengthening UN-CSTO Cooperation", True),
        ("Генассамблея ООН приняла резолюцию о сотрудничестве с ОДКБ", True),
        ("«Мир без войны»", True),
        ("The meeting ended.", False),
        ("Moscow, 26 July:", False),
        ("Headline", False),
        ("12 345", False),
        ("x " * 150, False),
    ],
)
def test_headline(line, expected):
    assert is_headline(line) is expected


EN1 = "The CSTO Secretary General took part in the debate on regional organizations held in New York."
EN2 = "He said the organizations would deepen their cooperation on peacekeeping and counter-terrorism."
RU1 = "Генеральный секретарь ОДКБ принял участие в дебатах о региональных организациях в Нью-Йорке."
RU2 = "Он заявил, что организации углубят сотрудничество в области миротворчества и борьбы с терроризмом."


def _docs(text: str):
    spans = list(split_dump(text, script_detect))
    return [(s.title_text, s.body_text, s.lang, len(s.body)) for s in spans]


def test_layouts_a_reader_sees():
    dump = (
        f"\n{EN1}\n\n{EN2}\n\n\n"  # one document of two paragraphs
        f"CSTO chief speaks at the UN\n\n{RU1}\n\n{RU2}\n\n{EN1}\n\n{EN2}\n\n\n"  # titled RU, then its EN translation
        f"First headline line\n\nSecond headline line\n\n{EN1}\n\n\n"  # a second headline line stays in its article
        f"{EN2}\n\nUN adopts a resolution on the CSTO\n\n{RU1}\n\n\n"  # a headline, then a switch: it heads the new one
        f"A headline that heads nothing\n"  # a lone headline at the end of a block stays a body
    )
    assert _docs(dump) == [
        (None, f"{EN1}\n\n{EN2}", "en", 2),
        ("CSTO chief speaks at the UN", f"{RU1}\n\n{RU2}", "ru", 2),
        (None, f"{EN1}\n\n{EN2}", "en", 2),
        ("First headline line", f"Second headline line\n\n{EN1}", "en", 2),
        (None, EN2, "en", 1),
        ("UN adopts a resolution on the CSTO", RU1, "ru", 1),
        (None, "A headline that heads nothing", UNDETERMINED, 1),
    ]


def test_headline_glued_to_its_body_is_its_title():
    wrapped = "The CSTO Secretary General took part in the debate\nOn regional organizations held in New York."
    dump = (
        f"CSTO chief speaks at the UN\n{EN1}\n{EN2}\n\n\n"  # a title line on top of its body
        f"Генсек ОДКБ выступил в ООН  \n  «{RU1}»\n\n\n"  # the body opens with a quote
        f"{wrapped}\n\n\n"  # hard-wrapped lines of about the same length: no title
        f"Short line here\nbut a continuation in lower case, so no title at all.\n"
    )
    docs = [(s.title_text, s.body_text, s.start) for s in split_dump(dump, script_detect)]
    assert docs[0][:2] == ("CSTO chief speaks at the UN", f"{EN1}\n{EN2}")
    assert docs[1][:2] == ("Генсек ОДКБ выступил в ООН", f"«{RU1}»")
    assert docs[2][:2] == (None, wrapped)
    assert docs[3][0] is None and len(docs) == 4
    for title, body, start in docs:
        span = dump[start : start + len(title or body)]
        assert span == (title or body)


def test_body_keeps_the_dump_text_between_its_paragraphs():
    dump = f"  {EN1}  \n \t \n{EN2}\nsecond line of it \n"
    (span,) = split_dump(dump, script_detect)
    assert span.body_text == dump[span.start : span.end] == f"{EN1}  \n \t \n{EN2}\nsecond line of it"


def test_documents_stream_before_the_dump_ends():
    consumed = []

    def lines():
        for i in range(1000):
            consumed.append(i)
            yield f"{EN1} Paragraph {i}." if i % 4 == 0 else ""

    stream = split_lines(lines(), script_detect)
    first = next(stream)
    assert first.body_text.endswith("Paragraph 0.") and len(consumed) < 10


# --- property test: nothing lost, offsets slice back -------------------------------------------

_WORDS = {
    "en": "the organization security council cooperation treaty meeting region peace minister".split(),
    "ru": "организация безопасность совет сотрудничество договор встреча регион мир министр".split(),
}
_SPACE = st.sampled_from(["", " ", "  ", "\t", "\u00a0"])


@st.composite
def paragraphs(draw):
    lang = draw(st.sampled_from(["en", "ru"]))
    words = st.lists(st.sampled_from(_WORDS[lang]), min_size=1, max_size=14)
    headline = " ".join(draw(st.lists(st.sampled_from(_WORDS[lang]), min_size=2, max_size=6))).capitalize()
    kind = draw(st.sampled_from(["headline", "glued", "plain", "plain"]))
    if kind == "headline":
        return [headline]
    lines = [headline + draw(_SPACE)] if kind == "glued" else []
    for _ in range(draw(st.integers(1, 3))):
        end = draw(st.sampled_from(["", ".", ",", "!", "»", " 2024."]))
        line = " ".join(draw(words)) + end
        lines.append(draw(_SPACE) + (line.capitalize() if draw(st.booleans()) else line) + draw(_SPACE))
    return lines


@st.composite
def dumps(draw):
    out = [draw(st.sampled_from(["", "\n", "\n\n\n", " \n"]))]
    n_paragraphs = 0
    for b in range(draw(st.integers(1, 5))):
        if b:
            out.append("\n" + "".join(draw(_SPACE) + "\n" for _ in range(draw(st.integers(2, 4)))))
        for i in range(draw(st.integers(1, 5))):
            if i:
                out.append("\n" + draw(_SPACE) + "\n")
            out.append("\n".join(draw(paragraphs())))
            n_paragraphs += 1
    out.append(draw(st.sampled_from(["", "\n", "\n\n", "  \n\n\n"])))
    return "".join(out), n_paragraphs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dumps())
def test_every_non_blank_character_lands_in_exactly_one_title_or_body(generated):
    dump, n_paragraphs = generated
    docs = list(documents_from_spans(split_dump(dump, script_detect), script_detect))
    pieces = "".join((d.title or "") + d.text for d in docs)
    assert re.sub(r"\s", "", pieces) == re.sub(r"\s", "", dump)
    found = sum(d.n_paragraphs + (d.title is not None) for d in docs)
    assert n_paragraphs <= found <= n_paragraphs + dump.count("\n")  # glued titles are paragraphs of their own
    previous_end = 0
    for d in docs:
        assert previous_end <= d.start < d.end
        span = dump[d.start : d.end]
        assert span.endswith(d.text) and not d.text[:1].isspace() and not d.text[-1:].isspace()
        if d.title:
            assert span.startswith(d.title) and span[len(d.title) :].strip() == d.text
        else:
            assert span == d.text
        previous_end = d.end


def _old_content_id(title: str | None, body: str) -> str:
    norm = re.sub(r"\s+", " ", (title or "") + "\n" + body).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:24]


@settings(max_examples=200, deadline=None)
@given(st.none() | st.text(st.sampled_from("ab \n\tй"), max_size=12), st.text(st.sampled_from("ab \n\tй"), max_size=30))
def test_chunked_content_id_equals_the_whole_text_hash(title, body):
    assert content_id(title, body, chunk=3) == content_id(title, body) == _old_content_id(title, body)


def test_documents_from_text_matches_streaming_reader(tmp_path):
    text = f"Headline of the day here\n\n{RU1}\n\n{EN1}\n\n\n{EN2}\n"
    path = tmp_path / "d.txt"
    path.write_text(text, encoding="utf-8")
    streamed = [(d.title, d.text, d.lang, d.start, d.end) for d in open_dump(path, Settings()).documents]
    in_memory = [(d.title, d.text, d.lang, d.start, d.end) for d in documents_from_text(text, )]
    assert streamed == in_memory and len(streamed) == 3


def test_a_slip_of_langdetect_within_a_script_does_not_cut_a_document():
    """Real langdetect reads this Russian sentence as Bulgarian; its article stays one document."""
    slip = 'В той игре моя команда победила, а Джордан все равно набрал 44 очка", - добавил глава РФБ.'
    assert detect_language(slip).lang == "bg"
    docs = list(documents_from_text(f"{RU1}\n\n{slip}\n\n{RU2}\n\n{EN1}\n\n{EN2}\n", ))
    assert [(d.lang, d.n_paragraphs) for d in docs] == [("ru", 3), ("en", 2)]


def test_a_confident_switch_within_a_script_on_a_long_paragraph_cuts():
    german = "Die Außenminister der Mitgliedstaaten trafen sich am Donnerstag in Genf und sprachen lange. " * 3

    def detect(text: str) -> LanguageGuess:
        return LanguageGuess("de", 0.99) if "Außenminister" in text else script_detect(text)

    assert [s.lang for s in split_dump(f"{EN1}\n\n{german}\n\n{german[:95]}\n", detect)] == ["en", "de"]
    short_guess = [s.lang for s in split_dump(f"{EN1}\n\n{german[:95]}\n", detect)]
    assert short_guess == ["en"]  # under 200 letters: not trusted within one script


def test_a_block_is_not_cut_by_names_or_a_table_in_another_script():
    """Two blank lines between articles: album titles in Latin letters inside a Russian sentence,
    and a results table in English between Russian paragraphs, stay in their article; a Russian
    headline that langdetect reads as Bulgarian does not make the next long paragraph a switch."""
    albums = (
        "Среди альбомов The Prodigy, добравшихся до первого места британского чарта: Music For The Jilted"
        " Generation (1994), The Fat Of The Land (1997), Always Outnumbered, Never Outgunned (2004) и"
        " Invaders Must Die (2009)."
    )
    table = "Results: 1. Johannes Klaebo (Norway) 25:30.2, 2. Simen Krueger (Norway) +5.1, 3. Alexander Bolshunov +8.7"
    head = "Император Японии Акихито завершил отречение от престола"
    assert detect_language(head).lang == "bg"
    long_ru = f"Сегодня он завершил серию ритуалов, связанных с отречением. {RU2} {RU1}"
    dump = (
        f"{RU1}\n\n{albums}\n\n\n"
        f"Лыжные гонки\n\n{RU1}\n\n{table}\n\n{RU2}\n\n\n"
        f"{head}\n\n{long_ru}\n\n{RU2}\n\n\n"
        f"{RU1}\n\n{EN1}\n\n{EN2}\n"  # a Russian paragraph and the English translation: two documents
    )
    docs = [(d.title, d.lang, d.n_paragraphs) for d in documents_from_text(dump)]
    assert docs == [(None, "ru", 2), ("Лыжные гонки", "ru", 3), (head, "ru", 2), (None, "ru", 1), (None, "en", 2)]
