"""English dates as TimeML reads them: the AQUAINT articles (TempEval-3) through the real flow, and the
rules that place a date without its year and give quarters, seasons, weeks and the present their values.

The first 37 AQUAINT articles were read while the rules were written; the last 36 were held back
(`pipeline evaluate dates --halves` scores both)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from argparse import Namespace
from datetime import date

import pytest

from pipeline.evaluation.ner import run_entity_stage
from pipeline.evaluation.timeml import main, read_gold
from pipeline.nlp.english_dates import find_dates, timeml_value
from pipeline.nlp.tense import clause_tense, year_by_tense
from tests.conftest import EVAL

GOLD = EVAL / "ner" / "aquaint_dates.jsonl"
SCORER = EVAL / "score_dates_en.py"


@pytest.fixture(scope="module")
def aquaint(prefect_harness, tmp_path_factory):
    """`pipeline evaluate dates --halves` on AQUAINT once: its printed lines, predictions and folder."""
    work = tmp_path_factory.mktemp("aquaint")
    predictions = work / "predictions.jsonl"
    buf = io.StringIO()
    args = Namespace(gold=str(GOLD), processed=None, out=str(work), predictions=str(predictions), halves=True)
    with contextlib.redirect_stdout(buf):
        assert main(args) == 0
    return buf.getvalue().strip().splitlines(), predictions, work / "processed"


def test_aquaint_dates_through_the_real_flow(aquaint):
    lines, _, _ = aquaint
    overall = json.loads(lines[-1])["overall"]
    assert overall["overlap"]["f1"] >= 0.92, overall  # 0.935 (0.865 before)
    assert overall["calendar_norm_recall"] >= 0.88, overall  # 0.898 (0.728 before)


def test_every_article_gives_its_document(aquaint):
    lines, _, _ = aquaint
    n = len(read_gold(GOLD))
    assert lines[0] == f"{n} articles, {n} with their document"


def test_the_command_prints_the_reference_scorers_numbers(aquaint):
    lines, predictions, _ = aquaint
    ref = subprocess.run(
        [sys.executable, str(SCORER), str(GOLD), str(predictions)], capture_output=True, text=True, check=True
    )
    assert json.loads(lines[-1]) == json.loads(ref.stdout.strip().splitlines()[-1])


def test_both_halves_are_scored(aquaint):
    lines, _, _ = aquaint
    halves = [line for line in lines if line.startswith(("first half", "second half"))]
    assert len(halves) == 2
    for line in halves:  # held-back half: overlap 0.913, calendar 0.860
        assert float(line.split("overlap P ")[1].split(" F1 ")[1].split()[0]) >= 0.90, line
        assert float(line.split("calendar recall ")[1]) >= 0.85, line


def test_a_text_repeated_in_a_dump_has_its_entities_once(aquaint):
    import pyarrow.dataset as ds

    _, _, processed = aquaint
    rows = ds.dataset(processed / "entities", format="parquet", partitioning="hive").to_table().to_pylist()
    keys = [(r["doc_id"], r["start"], r["end"], r["label"]) for r in rows]
    assert len(keys) == len(set(keys))  # two AQUAINT articles have the same text


@pytest.mark.parametrize(
    ("month", "day", "tense", "year"),
    [
        (10, None, "past", 1997),  # "October" in a report of 1998-01-08 on what happened
        (4, None, "future", 1999),  # "are expected to join in April", 1998-12-05
        (11, 25, None, 1999),  # "Nov. 25" in 2000-01-07: the nearest one
        (2, 10, "past", 2000),  # "Feb. 10" in 2000-01-07: a past one 331 days back is not meant
        (1, 14, "future", 1998),
    ],
)
def test_a_date_without_its_year_is_placed_by_the_tense(month, day, tense, year):
    published = {(10, None): date(1998, 1, 8), (4, None): date(1998, 12, 5), (1, 14): date(1998, 1, 6)}.get(
        (month, day), date(2000, 1, 7)
    )
    assert year_by_tense(month, day, published, tense) == year


def test_the_tense_is_read_from_the_marker_nearest_the_date():
    def tense(text: str, word: str) -> str | None:
        i = text.index(word)
        return clause_tense(text, i, i + len(word))

    assert tense("Since the decision was announced Wednesday, they have said they will appeal.", "Wednesday") == "past"
    assert tense("The three are expected to join in April.", "April") == "future"
    assert tense("The team planned to leave Nairobi on Thursday.", "Thursday") == "future"
    assert tense("Shares in the United States rise in April", "April") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("the third quarter", "1998-Q3"),
        ("third-quarter", "1998-Q3"),
        ("the latest quarter", "1998-Q2"),
        ("fiscal 1989", "FY1989"),
        ("the first half of next year", "1999-H1"),
        ("last fall", "1997-FA"),
        ("this summer", "1998-SU"),
        ("last October", "1997-10"),
        ("next April", "1999-04"),
        ("last weekend", "1998-W31-WE"),
        ("right now", "PRESENT_REF"),
        ("currently", "PRESENT_REF"),
        ("the future", "FUTURE_REF"),
        ("Thanksgiving Day", "1997-11-27"),
        ("10:35 a.m.", "1998-08-07"),
    ],
)
def test_timeml_values(text, value):
    assert timeml_value(text, date(1998, 8, 7), "past") == value


def test_now_is_a_date_as_a_point_of_time_not_as_an_adverb():
    text = "Right now my evidence is scant. Kopp is now the second suspect, between now and Feb. 10."
    assert [text[s:e] for s, e in find_dates(text)] == ["Right now", "between now", "Feb. 10"]


def test_the_pipeline_gives_weeks_quarters_and_the_present_their_values():
    text = (
        "Profit rose in the third quarter, the company said on Tuesday. Sales fell last week and "
        "are currently flat. The board will meet on Friday."
    )
    from pipeline.nlp.loaders import load_gazetteer
    from pipeline.records import DocumentRecord
    from pipeline.settings import Settings
    from pipeline.stages.entities import normalize_entities

    found = run_entity_stage([{"id": "q", "lang": "en", "text": text}])
    doc = DocumentRecord("q", 0, None, text, "en", 1.0, 1, 0, len(text), published=date(1989, 10, 25))
    dated = normalize_entities(
        [e for e in found if e.label == "DATE"], [doc], load_gazetteer(Settings.from_env().models_dir.resolve())
    )
    norms = {e.text: e.norm for e in dated}
    assert norms["third quarter"] == "1989-Q3"
    assert norms["last week"] == "1989-W42"
    assert norms["currently"] == "PRESENT_REF"
    assert norms["Tuesday"] == "1989-10-24"  # said: the last one
    assert norms["Friday"] == "1989-10-27"  # will meet: the coming one
