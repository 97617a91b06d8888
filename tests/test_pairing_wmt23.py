"""Pairing through the real flow on the WMT23 article dump: whole articles, whole pairs."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.evaluation.pairs import evaluate, read_gold, read_records
from tests.conftest import EVAL

PAIRING = EVAL / "pairing"
DUMP = PAIRING / "wmt23_ruen.dump.txt"
RECORDS = PAIRING / "wmt23_ruen.jsonl"
GOLD = PAIRING / "wmt23_ruen.gold.tsv"
_CYR, _LAT = re.compile(r"[а-яёА-ЯЁ]"), re.compile(r"[A-Za-z]")


def _written_in(text: str) -> str:
    return "ru" if len(_CYR.findall(text)) > len(_LAT.findall(text)) else "en"


@pytest.fixture(scope="module")
def wmt23(prefect_harness, tmp_path_factory):
    work = tmp_path_factory.mktemp("wmt23")
    return evaluate(DUMP, RECORDS, GOLD, work), work / "processed"


def test_wmt23_pairs_through_the_real_flow(wmt23):
    """P >= 0.99 and R >= 0.98 over the true pairs whose English side is English.

    One gold pair's "English" record is its Russian original verbatim (WMT23 left it untranslated):
    both are the same Russian document (one doc_id), which no RU/EN pairing can pair; the
    scorer's figure over all 32 gold pairs is then at most 31/32."""
    scores, out = wmt23
    assert scores.mapping == "position" and scores.n_documents == 86
    records = read_records(RECORDS)
    by_id = {r["id"]: r for r in records}
    gold = read_gold(GOLD)
    untranslated = {(ru, en) for ru, en in gold if _written_in(by_id[en]["text"]) != "en"}
    assert len(untranslated) == 1 and all(by_id[ru]["text"] == by_id[en]["text"] for ru, en in untranslated)

    precision, recall = _precision_recall(out)
    assert (precision, recall) == (1.0, 1.0), scores
    assert scores.precision == 1.0 and scores.true_positives == len(gold) - 1  # the scorer agrees


def _precision_recall(out) -> tuple[float, float]:
    """Over the true pairs whose English side is English; documents mapped to records by their text
    (a run over several dumps has no single order of records)."""
    records = read_records(RECORDS)
    by_id = {r["id"]: r for r in records}
    gold = read_gold(GOLD)
    untranslated = {(ru, en) for ru, en in gold if _written_in(by_id[en]["text"]) != "en"}
    from pipeline.evaluation.pairs import _fold

    docs = pd.read_parquet(out / "documents")
    by_text: dict[str, set[str]] = {}
    for r in records:
        by_text.setdefault(_fold(r["text"]), set()).add(r["id"])
    full = [_fold(f"{t} {x}" if isinstance(t, str) and t else x) for t, x in zip(docs.title, docs.text)]
    ids_of = {d: by_text[text] for d, text in zip(docs.doc_id, full)}
    pairs = pd.read_parquet(out / "pairs")
    predicted = [(ids_of[a], ids_of[b]) for a, b in zip(pairs.ru_doc_id, pairs.en_doc_id)]
    correct = [any((x, y) in gold for x in ru for y in en) for ru, en in predicted]
    found = {(x, y) for ru, en in predicted for x in ru for y in en} & gold
    return sum(correct) / len(predicted), len(found - untranslated) / len(gold - untranslated)


@pytest.mark.parametrize("russian_first", [False, True], ids=["english-first", "russian-first"])
def test_wmt23_dump_by_dump_in_either_order_gives_the_pairs_of_one_run(wmt23, tmp_path, russian_first):
    from pipeline.flows import process_raw_folder

    _, one_run = wmt23
    docs = DUMP.read_text(encoding="utf-8").rstrip("\n").split("\n\n\n")
    first = "ru" if russian_first else "en"
    a = [d for d in docs if _written_in(d) == first]
    b = [d for d in docs if _written_in(d) != first]
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    for k, part in enumerate([a + b[: len(b) // 2], b[len(b) // 2 :]]):
        (raw / f"wmt23_part_{2 - k}.txt").write_text("\n\n\n".join(part) + "\n", encoding="utf-8")
        result = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
        assert result["new_dumps"] == 1
    columns = ["ru_doc_id", "en_doc_id", "score", "similarity", "alignment", "length_ratio"]

    def pairs(folder):
        return pd.read_parquet(folder / "pairs").sort_values(columns[:2]).reset_index(drop=True)[columns]

    pd.testing.assert_frame_equal(pairs(out), pairs(one_run))
    assert _precision_recall(out) == (1.0, 1.0)


def test_evaluate_pairs_takes_any_pairing_set_by_name(capsys):
    from argparse import Namespace

    from pipeline.evaluation.pairs import main, set_files

    for name in sorted(PAIRING.glob("*.dump.txt")):
        dump, records, gold = set_files(str(name).removesuffix(".dump.txt"))
        assert dump == name and records.is_file() and gold.is_file()
        assert set_files(str(name)) == (dump, records, gold)
    assert main(Namespace(dump=str(PAIRING / "wmt23_ruen"), records=str(RECORDS), gold=None)) == 2
    assert "or a pairing set's name alone" in capsys.readouterr().out
    assert main(Namespace(dump=str(PAIRING / "no_such_set"), records=None, gold=None)) == 2
    assert "not found" in capsys.readouterr().out
