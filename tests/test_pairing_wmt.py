"""Pairing through the real flow on the visible WMT21 ru-en set: thresholds, abstention, order independence."""

from __future__ import annotations

import json
import shutil
from argparse import Namespace
from pathlib import Path

import pandas as pd
import pytest

from pipeline.evaluation.pairs import evaluate, main, read_gold, read_records, score_output
from tests.conftest import EVAL

PAIRING = EVAL / "pairing"
DUMP = PAIRING / "wmt21_ruen.dump.txt"
RECORDS = PAIRING / "wmt21_ruen.jsonl"
GOLD = PAIRING / "wmt21_ruen.gold.tsv"


@pytest.fixture(scope="module")
def wmt(prefect_harness, tmp_path_factory):
    """The `evaluate pairs` path, run once: the real flow on the whole dump, scored on the gold."""
    work = tmp_path_factory.mktemp("wmt")
    scores = evaluate(DUMP, RECORDS, GOLD, work)
    return scores, work / "processed"


def _pairs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "pairs").sort_values(["ru_doc_id", "en_doc_id"]).reset_index(drop=True)


def test_precision_and_recall_thresholds_on_the_visible_set(wmt):
    scores, _ = wmt
    assert scores.mapping == "position" and scores.n_documents == scores.n_records == 172
    assert scores.precision >= 0.99, scores
    assert scores.recall >= 0.98, scores


def test_documents_without_translation_stay_unpaired_and_pairs_are_one_to_one(wmt):
    _, out = wmt
    pairs = _pairs(out)
    assert pairs.ru_doc_id.is_unique and pairs.en_doc_id.is_unique
    docs = pd.read_parquet(out / "documents").sort_values("ordinal")
    records = read_records(RECORDS)
    gold_ids = {i for pair in read_gold(GOLD) for i in pair}
    id_of = dict(zip(docs.doc_id, (r["id"] for r in records)))
    paired = {id_of[d] for d in pd.concat([pairs.ru_doc_id, pairs.en_doc_id])}
    distractors = {r["id"] for r in records} - gold_ids
    assert len(distractors) == 42
    assert not paired & distractors


def test_pairs_carry_their_evidence(wmt):
    _, out = wmt
    pairs = _pairs(out)
    assert (pairs.score >= 1.25).all() and (pairs.alignment > 0.4).all()
    assert (pairs.length_ratio > 0.5).all()
    assert pairs.shared_numbers.map(len).sum() > len(pairs)
    assert pairs.shared_keys.map(len).gt(0).mean() > 0.5


def _documents(text: str) -> list[str]:
    return text.rstrip("\n").split("\n\n\n")


def test_one_run_finds_every_true_pair_and_nothing_else(wmt):
    scores, _ = wmt
    assert (scores.precision, scores.recall) == (1.0, 1.0), scores


def _table(out: Path, name: str, keys: list[str]) -> pd.DataFrame:
    return pd.read_parquet(out / name).sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("originals_first", [False, True], ids=["translations-first", "originals-first"])
def test_three_dumps_in_three_runs_give_the_pairs_key_map_and_bitext_of_one_run(wmt, tmp_path, originals_first):
    """English (the translations) arrive before their Russian originals over three runs, or the
    other way round: the later runs pair only their new documents against the kept state, and
    the pairs, the bitext and the key map learned from them are those of one run over all."""
    from pipeline.flows import process_raw_folder

    _, one_run = wmt
    docs = _documents(DUMP.read_text(encoding="utf-8"))
    langs = [r["lang"] for r in read_records(RECORDS)]
    first, second = ("ru", "en") if originals_first else ("en", "ru")
    a = [d for d, lang in zip(docs, langs) if lang == first]
    b = [d for d, lang in zip(docs, langs) if lang == second]
    parts = [a[: len(a) // 2], a[len(a) // 2 :] + b[: len(b) // 2], b[len(b) // 2 :]]
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    counts = []
    for k, part in enumerate(parts):
        # names sort in the opposite order of arrival, so name order does not explain the result
        (raw / f"wmt_part_{3 - k}.txt").write_text("\n\n\n".join(part) + "\n", encoding="utf-8")
        result = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
        assert result["new_dumps"] == 1 and result["skipped_dumps"] == k
        counts.append(result["n_pairs"])
        if k == 0:
            (first_embeddings,) = (out / "embeddings").glob("dump_id=*/part-*.parquet")
            kept = first_embeddings.stat().st_mtime_ns
    assert counts[0] == 0 and counts[1] > 0
    assert first_embeddings.stat().st_mtime_ns == kept  # embeddings are computed once, not per run
    state = json.loads((out / "_state" / "pairing" / "state.json").read_text())
    assert state["generation"] == 2 and state["mode"] == "exact"  # built once, then two incremental runs
    columns = ["ru_doc_id", "en_doc_id", "score", "similarity", "alignment", "length_ratio"]
    pd.testing.assert_frame_equal(_pairs(out)[columns], _pairs(one_run)[columns])
    bitext = ["ru_doc_id", "en_doc_id", "unit", "ru_text", "en_text", "score"]
    pd.testing.assert_frame_equal(_table(out, "bitext", ["ru_doc_id", "unit"])[bitext],
                                  _table(one_run, "bitext", ["ru_doc_id", "unit"])[bitext])
    scores = score_output(out, read_records(RECORDS), read_gold(GOLD))
    assert scores.mapping == "text" and not scores.unmapped_records
    assert (scores.precision, scores.recall) == (1.0, 1.0), scores

    # the key map and entities dimension learned from the incremental pairs are those a full
    # recompute over the same dumps learns (their entities carry each dump's context, so they are
    # compared with the same folder paired from scratch, not with the one-dump run)
    tables = {"pairs": ["ru_doc_id"], "key_map": ["entity_key"], "entity_keys": ["key"]}
    incremental = {name: _table(out, name, keys) for name, keys in tables.items()}
    assert len(incremental["key_map"]) > 50
    shutil.rmtree(out / "_state" / "pairing")
    (out / "_state" / "steps.json").unlink()  # every corpus step reruns
    result = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    assert result["new_dumps"] == 0
    assert json.loads((out / "_state" / "pairing" / "state.json").read_text())["generation"] == 0  # recomputed
    for name, keys in tables.items():
        pd.testing.assert_frame_equal(_table(out, name, keys), incremental[name])


def test_evaluate_command_prints_scores_as_json_on_its_last_line(prefect_harness, tmp_path, capsys):
    """The command itself, on a small dump cut from the set: two true pairs and one distractor."""
    records, all_gold = read_records(RECORDS), read_gold(GOLD)
    gold = sorted(all_gold)[:2]
    by_id = {r["id"]: r for r in records}
    gold_ids = {i for pair in all_gold for i in pair}
    chosen = [by_id[gold[0][0]], by_id[gold[1][1]], next(r for r in records if r["id"] not in gold_ids)]
    chosen += [by_id[gold[1][0]], by_id[gold[0][1]]]
    dump = tmp_path / "small.dump.txt"
    dump.write_text("\n\n\n".join(r["text"] for r in chosen) + "\n", encoding="utf-8")
    recs = tmp_path / "small.jsonl"
    recs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    gold_path = tmp_path / "small.gold.tsv"
    gold_path.write_text("ru_id\ten_id\n" + "".join(f"{a}\t{b}\n" for a, b in gold), encoding="utf-8")
    assert main(Namespace(dump=str(dump), records=str(recs), gold=str(gold_path))) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 1.0, 1.0)
    assert result["mapping"] == "position" and result["n_records"] == 5


def test_evaluate_command_refuses_a_missing_file(capsys, tmp_path):
    code = main(Namespace(dump=str(tmp_path / "missing.txt"), records=str(RECORDS), gold=str(GOLD)))
    assert code == 2 and "not found" in capsys.readouterr().out
