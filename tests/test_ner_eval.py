"""`pipeline evaluate ner` on the visible dev sets: thresholds, and the same numbers as the
reference scorer; cross-lingual key coverage on the true pairs of the WMT21 pairing set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline.evaluation.ner import key_coverage, read_jsonl
from tests.conftest import EVAL, REPO

NER = EVAL / "ner"
# The issue asks 0.82 of CoNLL++ ORG (0.8207 with models/en_news_ner, the rules and lower_words.txt).
ORG_CONLLPP_MIN = 0.82
SCORER = EVAL / "score_ner.py"
PAIRING = EVAL / "pairing"


def _last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def _evaluate(gold, lang: str, out) -> tuple[dict, dict]:
    """Run the project's command and the reference scorer on the predictions it wrote."""
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    cmd = [sys.executable, "-m", "pipeline", "evaluate", "ner", str(gold), "--lang", lang, "--predictions", str(out)]
    ours = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=True)
    ref = subprocess.run(
        [sys.executable, str(SCORER), str(gold), str(out), "--lang", lang],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return _last_json_line(ours.stdout), _last_json_line(ref.stdout)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    out = tmp_path_factory.mktemp("ner") / "en.jsonl"
    return (*_evaluate(NER / "conll2003_dev.jsonl", "en", out), out)


@pytest.fixture(scope="module")
def english_sets(tmp_path_factory):
    """CoNLL++ (Reuters 2020) beside CoNLL-2003 dev (Reuters 1996), in one command, with halves."""
    out = tmp_path_factory.mktemp("ner-sets")
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    gold = [NER / "conllpp_dev.jsonl", NER / "conll2003_dev.jsonl"]
    cmd = [sys.executable, "-m", "pipeline", "evaluate", "ner", *map(str, gold), "--lang", "en"]
    cmd += ["--predictions", str(out), "--halves"]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=True)
    references = {}
    for path in gold:
        ref = subprocess.run(
            [sys.executable, str(SCORER), str(path), str(out / f"{path.stem}.jsonl"), "--lang", "en"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        references[path.stem] = _last_json_line(ref.stdout)
    return _last_json_line(run.stdout), references


@pytest.fixture(scope="module")
def russian(tmp_path_factory):
    out = tmp_path_factory.mktemp("ner") / "ru.jsonl"
    return (*_evaluate(NER / "factru_dev.jsonl", "ru", out), out)


def test_english_conll_dev_f1(english):
    ours, reference, _ = english
    assert ours == reference
    assert set(ours) == {"PER", "ORG", "LOC", "MISC", "overall"}
    assert ours["overall"]["f1"] >= 0.87, ours  # 0.754 with en_core_web_sm and the rules
    assert ours["ORG"]["f1"] >= 0.77, ours  # 0.498 before


def test_english_on_todays_news_conllpp(english_sets):
    """CoNLL++ dev (66 Reuters articles of 2020): 0.794 overall, ORG 0.734 with en_core_web_sm and the
    rules before models/en_news_ner. Each half (the first was looked at while writing rules, the
    second held back) is scored on its own too."""
    results, references = english_sets
    pp = results["conllpp_dev"]
    assert {k: v for k, v in pp.items() if k != "halves"} == references["conllpp_dev"]
    assert pp["overall"]["f1"] >= 0.86, pp
    assert pp["ORG"]["f1"] >= ORG_CONLLPP_MIN, pp
    assert pp["PER"]["f1"] >= 0.90 and pp["LOC"]["f1"] >= 0.88, pp
    assert [h["documents"] for h in pp["halves"]] == [33, 33]
    assert min(h["f1"] for h in pp["halves"]) >= 0.84, pp["halves"]


def test_english_on_1996_news_not_lower_than_before(english_sets):
    results, references = english_sets
    c3 = results["conll2003_dev"]
    assert {k: v for k, v in c3.items() if k != "halves"} == references["conll2003_dev"]
    assert c3["overall"]["f1"] >= 0.87, c3  # 0.754 before models/en_news_ner


def test_russian_factru_dev_f1(russian):
    ours, reference, _ = russian
    assert ours == reference
    assert set(ours) == {"PER", "ORG", "LOC", "overall"}
    assert ours["overall"]["f1"] >= 0.91, ours


@pytest.mark.parametrize("which", ["english", "russian"])
def test_predictions_file_has_one_line_per_gold_document(which, request):
    _, _, out = request.getfixturevalue(which)
    gold = read_jsonl(NER / ("conll2003_dev.jsonl" if which == "english" else "factru_dev.jsonl"))
    predictions = read_jsonl(out)
    assert [p["id"] for p in predictions] == [g["id"] for g in gold]
    labels = {e["label"] for p in predictions for e in p["entities"]}
    assert labels <= {"PER", "ORG", "LOC", "MISC"} and {"PER", "ORG", "LOC"} <= labels
    for p, g in zip(predictions, gold):
        for e in p["entities"]:
            assert 0 <= e["start"] < e["end"] <= len(g["text"])


def test_unreadable_gold_is_a_clear_error(tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "pipeline", "evaluate", "ner", str(bad), "--lang", "en"]
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "cannot read gold file" in run.stdout


# Before the keys learned from the pairs (entity stage alone, sound keys), over all records of the
# set: PERSON/ORG keys with more than one distinct name in one language (82 of 507, 43 of 339), and
# with more than one full name (a surname alone, a given name alone or an acronym of another name of
# the key not counted: 35 of 507, 16 of 339).
SEVERAL_NAMES_BEFORE = {"wmt21": 82, "wmt23": 43}
# The share of (key, language) with more than one distinct name among all (key, language) with a name:
# at most the "today's" figures, before the keys learned from the pairs (wmt21 0.176, wmt23 60
# of 427, 0.1405). Most keys with several names were one person's full name beside the surname alone
# (61 of 426 on wmt23 by hand, none joining two entities); a surname alone now takes the full name's
# norm in its document (and in its batch, with the full name's key): wmt21 0.0526, wmt23 0.0352.
PER_LANGUAGE_SHARE_MAX = {"wmt21": 0.176, "wmt23": 0.1405}
FULL_NAMES_SHARE_BEFORE = {"wmt21": 0.069, "wmt23": 0.0472}
# With models/en_news_ner (issue 28), wmt21 en->ru fell from 0.8022 to 0.7812 (its second half 0.7435):
# the fine-tuned model reads capitalized common words of these translated items as one-word ORGs
# ("Again about Hagia Sophia", "the House of God", "IN FAVOR") that the Russian side does not name;
# ru->en rose 0.8116 -> 0.8209. wmt23: 0.8143 -> 0.8270 and 0.8578 -> 0.8528. Rules for what news
# writes capitalized but does not name (a country's people, "the Pole"; a rank before a person; a
# sentence's first common word; a post's portfolio, "Culture Secretary"; a town in the possessive before
# its club, "Tartu's Tammeka"; a river town, "Rostov-on-Don") brought wmt21 en->ru back to 0.8027
# (358/446; first half, read while writing them, 0.8396 -> 0.8876; second half, held back, 0.7435 ->
# 0.7463) and wmt23 en->ru to 0.8914; ru->en 0.8233 and 0.8270.
COVERAGE_MIN = {
    "wmt21": {"ru_in_en": 0.82, "en_in_ru": 0.80},
    "wmt23": {"ru_in_en": 0.82, "en_in_ru": 0.89},
}
HALF_MIN = {"wmt21": 0.74, "wmt23": 0.75}
N_PAIRS = {"wmt21": 65, "wmt23": 32}


@pytest.fixture(scope="module", params=["wmt21", "wmt23"])
def pair_coverage(request, tmp_path_factory):
    """`pipeline evaluate keys` on a pairing set (through the real flow: the pipeline's own pairs
    teach the key map): its JSON line, and the misses it wrote."""
    name = request.param
    misses = tmp_path_factory.mktemp("keys") / "misses.jsonl"
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    records, gold = PAIRING / f"{name}_ruen.jsonl", PAIRING / f"{name}_ruen.gold.tsv"
    cmd = [sys.executable, "-m", "pipeline", "evaluate", "keys", str(records), str(gold), "--misses", str(misses)]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, check=True)
    return name, _last_json_line(run.stdout), read_jsonl(misses)


def test_translation_pairs_share_keys_and_dates(pair_coverage):
    """Micro-averaged over the true pairs, in both directions: of the PERSON/ORG keys and DATE
    values of one side, the share the other side names (as any entity), keys read through the key
    map. Before the keys learned from the pairs: wmt21 ru->en 0.758 (320/422), en->ru 0.755
    (332/440); wmt23 (JSON Lines records) 0.675 (164/243), 0.721 (163/226). Precision may not pay
    for it: no more keys with several names per language than before, and a share of keys with
    several full names not higher."""
    name, coverage, _ = pair_coverage
    for direction in ("ru_in_en", "en_in_ru"):
        assert coverage[direction]["total"] > 150
        assert coverage[direction]["coverage"] >= COVERAGE_MIN[name][direction], (name, coverage)
    names = coverage["names_per_key"]
    assert names["keys_with_several_names"] <= SEVERAL_NAMES_BEFORE[name], (name, names)
    assert names["full_names_share"] <= FULL_NAMES_SHARE_BEFORE[name], (name, names)
    assert names["per_language_share"] <= PER_LANGUAGE_SHARE_MAX[name], (name, names)
    for half in coverage["halves"]:  # the first and the second half of the gold pairs, each on its own
        assert min(half[d]["coverage"] for d in ("ru_in_en", "en_in_ru")) >= HALF_MIN[name], (name, coverage["halves"])


def test_key_coverage_misses_add_up(pair_coverage):
    name, coverage, misses = pair_coverage
    assert len(misses) == N_PAIRS[name]
    for direction, side in (("ru_in_en", "ru_not_in_en"), ("en_in_ru", "en_not_in_ru")):
        missed = sum(len(row[side]) for row in misses)
        assert missed == coverage[direction]["total"] - coverage[direction]["shared"]


def test_key_coverage_of_one_pair_by_hand():
    counted = {"r": {"name:a", "date:2020"}, "e": {"name:a", "org:x"}}
    present = {"r": {"name:a", "date:2020", "org:x"}, "e": {"name:a", "name:b"}}
    result = key_coverage(counted, present, [("r", "e")])
    assert result["ru_in_en"] == {"shared": 1, "total": 2, "coverage": 0.5}
    assert result["en_in_ru"] == {"shared": 2, "total": 2, "coverage": 1.0}
