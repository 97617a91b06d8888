"""Whole news articles stay whole: the WMT23 article dump, the same articles with one blank line
between them (no layout, no language switch to help), article heads, datelines, `evaluate split`."""

from __future__ import annotations

import json
import re
from argparse import Namespace
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from pipeline.evaluation.split import evaluate, main, score_split
from pipeline.readers import open_dump
from pipeline.readers.text import documents_from_text, head_date
from pipeline.settings import Settings
from pipeline.stages.language import LanguageGuess
from pipeline.stages.split import ITEM_CHARS, LAYOUT_LOOKAHEAD, is_headline, split_lines
from tests.conftest import EVAL

PAIRING = EVAL / "pairing"
DUMP = PAIRING / "wmt23_ruen.dump.txt"
RECORDS = PAIRING / "wmt23_ruen.jsonl"
_CYR, _LAT = re.compile(r"[а-яёА-ЯЁ]"), re.compile(r"[A-Za-z]")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _records() -> list[dict]:
    return [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines()]


def _written_in(text: str) -> str:
    return "ru" if len(_CYR.findall(text)) > len(_LAT.findall(text)) else "en"


@pytest.fixture(scope="module")
def wmt23_docs():
    source = open_dump(DUMP, Settings())
    return list(source.documents), source


def test_wmt23_dump_splits_into_exactly_its_86_articles(wmt23_docs):
    """Real langdetect: the k-th document is the k-th record (title and body), with its language."""
    docs, source = wmt23_docs
    records = _records()
    assert source.problems == [] and len(docs) == len(records) == 86
    assert [_fold(f"{d.title or ''} {d.text}") for d in docs] == [_fold(r["text"]) for r in records]
    # One "en" record of the set is its Russian original verbatim (WMT23 kept it untranslated):
    # the detector says what it is written in; every other record is detected as labelled.
    mislabelled = [i for i, r in enumerate(records) if _written_in(r["text"]) != r["lang"]]
    assert len(mislabelled) == 1 and records[mislabelled[0]]["lang"] == "en"
    assert [d.lang for d in docs] == [_written_in(r["text"]) for r in records]
    assert sum(d.lang == r["lang"] for d, r in zip(docs, records)) == 85
    text = DUMP.read_text(encoding="utf-8")
    for d, r in zip(docs, records):
        first = r["text"].split("\n")[0]
        assert d.title == (first if is_headline(first) else None)  # the headline, never a rubric or byline
        span = text[d.start : d.end]
        assert span.startswith(d.title or d.text) and span.endswith(d.text)
    assert sum(d.title is not None for d in docs) >= 60


def test_published_comes_from_a_dateline_or_byline_date(wmt23_docs):
    docs, _ = wmt23_docs
    by_start = {d.text[:40]: d.published for d in docs}
    flood = [d for d in docs if "Елена Соколова" in d.text or "Elena Sokolova" in d.text]
    assert len(flood) == 2 and all(d.published == date(2023, 2, 11) for d in flood)
    stamped = [d for d in docs if d.title and d.title.endswith(("14:10", "00:12"))]  # "...: 11 Февраля 2023, 14:10"
    assert sorted(d.published for d in stamped) == [date(2023, 2, 11), date(2023, 2, 12)]
    # a date inside a sentence of the body is no dateline
    assert sum(p is not None for p in by_start.values()) == 4
    assert head_date(["11 февраля 2023, 15:12 Елена Соколова"]) == date(2023, 2, 11)
    assert head_date(["On 25 July 2024, staff of the CSTO Secretariat met graduates."]) is None
    assert head_date(["Опубликовано: 11.02.2023, 15:12"]) == head_date(["2023-02-11T15:12"]) == date(2023, 2, 11)
    assert head_date(["Published: Feb. 11, 2023 at 3:12 p.m."]) == date(2023, 2, 11)
    assert head_date(["31.02.2023 10:00", "A headline about 11 February 2023"]) is None  # no such day; not a dateline


def _one_blank_line_dump(tmp_path: Path, records: list[dict], lang: str) -> tuple[Path, Path]:
    """The articles of one language, paragraphs and articles alike separated by one blank line."""
    chosen = [r for r in records if r["lang"] == lang]
    dump, gold = tmp_path / f"wmt23_{lang}.one_blank.txt", tmp_path / f"wmt23_{lang}.jsonl"
    dump.write_text("\n\n".join("\n\n".join(r["text"].split("\n")) for r in chosen) + "\n", encoding="utf-8")
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    return dump, gold


def test_articles_with_one_blank_line_between_them_are_found_by_headline_and_topic(tmp_path):
    """No layout and (in the Russian dump) no language switch: boundary F1 >= 0.95 over both dumps."""
    records = _records()
    scores = [evaluate(*_one_blank_line_dump(tmp_path, records, lang)) for lang in ("ru", "en")]
    tp = sum(s.true_boundaries for s in scores)
    fp = sum(s.false_boundaries for s in scores)
    fn = sum(s.missed_boundaries for s in scores)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.95, (precision, recall, [(s.false_at, s.missed_at) for s in scores])
    assert min(precision, recall) >= 0.9
    assert sum(s.exact_documents for s in scores) >= 0.85 * 86


def _scores(tmp_path: Path, records: list[dict], paragraph_sep: str, wrap: int | None = None) -> tuple[float, int]:
    """(boundary F1 over both one-language dumps, exact documents) with one blank line between articles."""
    import textwrap

    tp = fp = fn = exact = 0
    for lang in ("ru", "en"):
        chosen = [r for r in records if r["lang"] == lang]
        paragraphs = [[textwrap.fill(p, wrap) if wrap else p for p in r["text"].split("\n")] for r in chosen]
        dump, gold = tmp_path / f"{lang}.txt", tmp_path / f"{lang}.jsonl"
        dump.write_text("\n\n".join(paragraph_sep.join(ps) for ps in paragraphs) + "\n", encoding="utf-8")
        gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
        s = evaluate(dump, gold)
        tp, fp, fn, exact = (
            tp + s.true_boundaries,
            fp + s.false_boundaries,
            fn + s.missed_boundaries,
            exact + s.exact_documents,
        )
    return 2 * tp / (2 * tp + fp + fn), exact


def test_one_paragraph_a_line_with_one_blank_line_between_articles(tmp_path):
    """A layout learned from the dump: runs of lines that end sentences are whole articles."""
    assert _scores(tmp_path, _records(), "\n") == (1.0, 86)


def test_hard_wrapped_paragraphs_with_one_blank_line_between_articles(tmp_path):
    """Paragraphs wrapped at 72 columns are no articles of one paragraph a line: topic decides,
    and a wrapped headline is still a headline."""
    f1, exact = _scores(tmp_path, _records(), "\n\n", wrap=72)
    assert f1 >= 0.95 and exact >= 0.85 * 86


def test_an_article_head_stays_with_its_article_without_layout(tmp_path):
    """Rubric, dateline and byline, photo caption and credit lines, subheadings and score lines
    after the headline or inside the body are no boundaries, in a dump without block layout."""
    records = _records()
    with_head_lines = {
        _fold(r["text"])
        for r in records
        if sum(is_headline(p) for p in r["text"].split("\n")[1:]) >= 2  # two head lines below the headline
    }
    assert len(with_head_lines) >= 5
    found = set()
    for lang in ("ru", "en"):
        dump, _ = _one_blank_line_dump(tmp_path, records, lang)
        found |= {_fold(f"{d.title or ''} {d.text}") for d in documents_from_text(dump.read_text("utf-8"), )}
    assert len(with_head_lines & found) >= len(with_head_lines) - 1


def test_topic_split_streams_with_a_bounded_look_ahead():
    """Without layout the splitter holds a few paragraphs past a gap, not the dump."""
    records = [r for r in _records() if r["lang"] == "ru"]
    consumed = []

    def lines():
        for k, r in enumerate(records * 3):
            for paragraph in r["text"].split("\n"):
                consumed.append(k)
                yield paragraph
                yield ""

    detect = Settings()
    from pipeline.stages.language import language_detector

    stream = split_lines(lines(), language_detector(detect.lang_sample_chars, detect.lang_min_prob))
    first = next(stream)
    assert _fold(f"{first.title_text or ''} {first.body_text}") == _fold(records[0]["text"])
    assert len(consumed) <= LAYOUT_LOOKAHEAD + 8  # the layout look-ahead, then a TextTiling window


def test_evaluate_split_command_scores_boundaries_and_exact_documents(capsys, tmp_path):
    assert main(Namespace(dump=str(DUMP), gold=str(RECORDS))) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 1.0, 1.0)
    assert result["exact_documents"] == result["n_gold"] == 86 and result["language_matches"] == 85
    # a gold that is not the dump's text is refused with a clear message
    assert main(Namespace(dump=str(PAIRING / "wmt21_ruen.dump.txt"), gold=str(RECORDS))) == 2
    assert "not the text of the dump" in capsys.readouterr().out


def test_boundary_scores_count_each_error_once():
    """One missed and one false boundary: the documents after them still count as exact."""
    from pipeline.records import DocumentRecord

    texts = ["Aa bb.", "Cc dd.", "Ee ff.", "Gg hh."]
    dump = "\n\n".join(texts) + "\n"
    records = [{"text": t, "lang": "en"} for t in texts]

    def doc(start: int, end: int) -> DocumentRecord:
        return DocumentRecord("x", 0, None, dump[start:end], "en", 1.0, 1, start, end)

    starts = [dump.index(t) for t in texts]
    predicted = [doc(0, starts[1] + 6), doc(starts[2], starts[2] + 3), doc(starts[2] + 3, starts[2] + 6)]
    predicted.append(doc(starts[3], starts[3] + 6))
    s = score_split(dump, records, predicted)
    assert (s.true_boundaries, s.false_boundaries, s.missed_boundaries) == (2, 1, 1)
    assert s.exact_documents == 1 and s.missed_at == ["Ccdd.Eeff.Gghh."] and s.false_at == ["ff.Gghh."]


def _pooled(tmp_path: Path, name: str, which: str, layout: str, labels: tuple[str, ...]) -> tuple[float, int, int]:
    """(boundary F1, exact documents, documents) over the dumps of one part of a set (benchmarks/split_sets.py)."""
    from benchmarks.split_sets import dumps, write_dump

    tp = fp = fn = exact = n = 0
    for label, records in dumps(name, which):
        if label in labels:
            s = evaluate(*write_dump(records, layout, tmp_path, f"{name}_{which}_{label}_{layout}"))
            tp, fp, fn = tp + s.true_boundaries, fp + s.false_boundaries, fn + s.missed_boundaries
            exact, n = exact + s.exact_documents, n + s.n_gold
    return 2 * tp / (2 * tp + fp + fn), exact, n


def test_held_back_wmt23_articles_one_blank_line_apart(tmp_path):
    """The second half of wmt23_ruen (by position), which the rules were not written on: one blank
    line between articles and between paragraphs, F1 >= 0.96 over the two one-language dumps and on
    the mixed one (measured 0.988 and 0.988: one English article runs into the one before; 0.975
    and 0.976 before a restated one-sentence headline weighed as a headline)."""
    f1, exact, n = _pooled(tmp_path, "wmt23", "held", "one-blank", ("ru", "en"))
    assert f1 >= 0.96 and exact >= n - 4, (f1, exact, n)
    f1, exact, n = _pooled(tmp_path, "wmt23", "held", "one-blank", ("mixed",))
    assert f1 >= 0.96 and exact >= n - 4, (f1, exact, n)


@pytest.mark.parametrize("name", ["wmt23", "wmt21", "conllpp", "nerel", "conll2003", "factru", "aquaint", "aeb"])
def test_two_blank_lines_between_articles_are_exact_on_held_back_halves(tmp_path, name):
    """Names in another script, results tables and headlines langdetect misreads cut no block."""
    f1, exact, n = _pooled(tmp_path, name, "held", "two-blank", ("ru", "en", "mixed"))
    assert (f1, exact) == (1.0, n)


def test_agency_datelines_and_sign_offs():
    """Datelines open an article, sign-offs end one; a sentence citing an agency is no dateline."""
    from pipeline.stages.split import is_dateline, is_sign_off

    for text in (
        "PARIS , Dec 7 ( Reuters ) - France , Britain and Germany said",
        "( Reuters ) - A U.S. agency said",
        "WASHINGTON — The Senate voted",
        "NEW YORK -- Stocks fell",
        "LONDON 1996-08-30",
        "МОСКВА, 26 июля. /ТАСС/. Президент подписал",
        "Москва, 26 июл — РИА Новости. Президент",
        "(Adds detail, analyst comment)",
    ):
        assert is_dateline(text), text
    for text in ("Как сообщает РИА Новости, президент", "The Reuters report said on Monday", "U.S. - China talks"):
        assert not is_dateline(text), text
    assert is_sign_off("( $ 1 = 1.3461 Australian dollars ) ( Reporting by Paulina Duran ; Editing by Jan Harvey )")
    assert is_sign_off("-- Field Level Media") and not is_sign_off("(Reporting by the agency was wrong.) He said")


def test_held_back_conllpp_wire_copy_one_blank_line_apart(tmp_path):
    """Reuters copy, a sentence a paragraph, one blank line between articles: datelines and
    sign-offs find most starts (measured held-back F1 0.551, recall 0.844; 0.309 before), topic
    cuts inside articles remain the errors."""
    f1, exact, n = _pooled(tmp_path, "conllpp", "held", "one-blank", ("en",))
    assert f1 >= 0.5, (f1, exact, n)


@pytest.mark.parametrize("which", ["tune", "held"])
def test_article_bodies_without_headlines_one_blank_line_apart(tmp_path, which):
    """The web pages' article bodies (no headlines; subheadings and list items inside): a short
    line is no article head in a dump whose articles open without one (measured F1 0.611 and 0.660
    on the two halves; 0.492 and 0.500 when every headline-shaped line was read as a head)."""
    f1, exact, n = _pooled(tmp_path, "aeb", which, "one-blank", ("en",))
    assert f1 >= 0.6, (f1, exact, n)


def test_a_subheading_weighs_as_a_head_only_where_articles_open_with_one():
    """Across a gap whose sides are somewhat alike (cosine 0.25: between the paragraph threshold and
    the headline one), a short line cuts when the dump's articles open with a headline, and is a
    subheading when they open with text."""
    sentence = "The council met on Tuesday and agreed to the plan after a long debate. "
    body = [f"Item0 part {k}. " + sentence * 2 for k in range(3)]
    rest = ["Item1 A subheading on the vote", *(f"Item1 part {k}. " + sentence * 2 for k in range(3))]
    for head, documents in (([], 1), (["Item0 Council backs the plan"], 2)):
        dump = "\n\n".join([*head, *body, *rest]) + "\n"
        assert len(list(split_lines(dump.split("\n"), _en, embed=_shared_embed(0.25)))) == documents, head


def test_a_one_sentence_headline_restated_by_its_lead_weighs_as_a_headline():
    """Across a gap of cosine 0.25 (under the headline threshold, over the sentence one), a
    one-sentence line cuts when the paragraph after it restates it (a news lead restates its
    headline) and stays inside the article when it does not."""
    from pipeline.stages.split import restated

    line = "Item1 Guberniev spoke out about the midfielder's decision to retire."
    lead = "Item1 The commentator Dmitry Guberniev spoke out about the midfielder's decision to retire. " * 2
    assert restated(line, lead) and not restated(line, "Item1 The club did not extend his contract. " * 3)
    sentence = "The council met on Tuesday and agreed to the plan after a long debate. "
    head = ["Item0 Council backs the plan", *(f"Item0 part {k}. " + sentence * 2 for k in range(3))]
    rest = [f"Item1 part {k}. " + sentence * 2 for k in range(2)]
    for after, documents in ((lead, 2), ("Item1 The club did not extend his contract. " * 3, 1)):
        dump = "\n\n".join([*head, line, after, *rest]) + "\n"
        assert len(list(split_lines(dump.split("\n"), _en, embed=_shared_embed(0.25)))) == documents, after


def _items_dump(n: int, chars: int) -> str:
    """`n` paragraphs one blank line apart, each of several sentences and about `chars` long."""
    sentence = "The council met on Tuesday and agreed to the plan after a long debate. "
    return "\n\n".join(f"Item{k} opens here. " + sentence * (chars // len(sentence)) for k in range(n)) + "\n"


def _shared_embed(common: float) -> Callable[[list[str]], np.ndarray]:
    """Unit vectors whose one-against-one cosine between different items is `common` (a shared
    direction plus one of each item's own): means of three are then alike far more than one to one."""

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            k = int(re.match(r"Item(\d+)", text).group(1))
            out[i, 0], out[i, 1 + k] = common**0.5, (1 - common) ** 0.5
        return out

    return embed


def _en(text: str) -> LanguageGuess:
    return LanguageGuess("en", 1.0)


def test_a_run_of_one_paragraph_items_is_cut_between_items():
    """Long paragraphs whose neighbours are unlike one to one (cosine 0.15) are items: each is a
    document, though three against three (0.35) looks like one topic; the same paragraphs short,
    or alike one to one (0.35: the long paragraphs of one article), stay one document."""
    dump = _items_dump(8, ITEM_CHARS + 50)
    assert len(list(split_lines(dump.split("\n"), _en, embed=_shared_embed(0.15)))) == 8
    assert len(list(split_lines(dump.split("\n"), _en, embed=_shared_embed(0.35)))) == 1
    short = _items_dump(8, ITEM_CHARS - 120)
    assert len(list(split_lines(short.split("\n"), _en, embed=_shared_embed(0.15)))) == 1


def test_a_headline_run_into_its_lead_opens_an_item_however_close_its_story():
    """Items alike one to one (0.35, as two car crashes are) stay one document, unless each opens
    with a headline run into its lead without a stop and restated by it ("... four hurt The crash
    ..."); a capitalized name after a small letter, or a headline its lead does not restate, is none."""
    from pipeline.stages.split import run_in_headline

    sentence = "Witnesses said the road was wet and the driver lost control near the bridge. "
    head = "bus crash on the coast road leaves four hurt The crash of a bus on the coast road "
    heads = [f"Item{k} {head}" for k in range(6)]
    dump = "\n\n".join(h + "left four people hurt. " + sentence * 4 for h in heads) + "\n"
    assert len(list(split_lines(dump.split("\n"), _en, embed=_shared_embed(0.35)))) == 6
    assert run_in_headline(heads[0] + "left four people hurt.")
    for text in (
        "Police said on Monday that the driver of the bus Martin Holt was not hurt in the crash.",
        "Bus crash on the coast road leaves four hurt The weather was fine and nobody saw it.",
        "Bus crash on the coast road. The crash of a bus on the coast road left four hurt.",
        "Bus crash on the coast road leaves four hurt, The Guardian said of the coast road crash.",
    ):
        assert not run_in_headline(text), text


def test_held_back_wmt21_one_paragraph_items_one_blank_line_apart(tmp_path):
    """The second half of wmt21_ruen (by position; one paragraph a record, the headline run into
    it), one blank line apart: F1 >= 0.96 over the two one-language dumps and on the mixed one
    (measured 0.988: ru 1.000, en 0.975; mixed 1.000; before a headline run into its lead opened an
    item, 0.976 with en 0.949, and mixed 0.994; 0.000 / 0.682 before the items rule)."""
    f1, exact, n = _pooled(tmp_path, "wmt21", "held", "one-blank", ("ru", "en"))
    assert f1 >= 0.96 and exact >= n - 4, (f1, exact, n)
    f1, exact, n = _pooled(tmp_path, "wmt21", "held", "one-blank", ("mixed",))
    assert f1 >= 0.96 and exact >= n - 4, (f1, exact, n)
