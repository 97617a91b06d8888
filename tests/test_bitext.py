"""The bitext: sentence alignment of each pair (WMT23 gold through the real flow, a deleted paragraph),
kept in step with the pairs table, and its TMX export."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import schemas
from pipeline.corpus.bitext import sync_bitext
from pipeline.stages.align import DEFAULT_ALIGN, align_runs, embed_runs, full_text, split_sentences
from pipeline.stages.pairing import sentence_encoder
from pipeline.store import Store
from tests.conftest import EVAL, REPO

PAIRING = EVAL / "pairing"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _gold_pairs() -> list[tuple[str, str]]:
    """The (Russian, English) texts of WMT23's true pairs, paragraphs separated by a blank line."""
    records = {r["id"]: r for r in map(json.loads, (PAIRING / "wmt23_ruen.jsonl").open(encoding="utf-8"))}
    gold = [json.loads(line) for line in (PAIRING / "wmt23_ruen.segments.jsonl").open(encoding="utf-8")]
    return [tuple(records[g[k]]["text"].replace("\n", "\n\n") for k in ("ru_id", "en_id")) for g in gold]


def _align(ru: str, en: str):
    sr, se = split_sentences(ru), split_sentences(en)
    runs = embed_runs(
        sentence_encoder(),
        [[ru[s.start : s.end] for s in sr], [en[s.start : s.end] for s in se]],
        [[s.paragraph for s in sr], [s.paragraph for s in se]],
        DEFAULT_ALIGN.max_merge,
    )
    return sr, se, align_runs(*runs, len(sr), len(se))


def test_runs_embedded_from_token_sums_match_the_reencoded_concatenation():
    ru, en = _gold_pairs()[0]
    sentences = [ru[s.start : s.end] for s in split_sentences(ru)][:6]
    enc = sentence_encoder()
    sums, lens = enc.token_sums(sentences)
    cosines = []
    for k in (2, 3):
        runs = [" ".join(sentences[i : i + k]) for i in range(len(sentences) - k + 1)]
        approx = enc.from_token_sums(
            np.stack([sums[i : i + k].sum(axis=0) for i in range(len(runs))]),
            np.array([lens[i : i + k].sum() for i in range(len(runs))], np.float32),
        )
        exact = np.asarray(enc.encode(runs))
        cosines += list(np.einsum("ij,ij->i", approx, exact))
    assert np.mean(cosines) > 0.9 and min(cosines) > 0.8, cosines  # WMT23, all runs: mean 0.92, 5th pct 0.84
    assert np.allclose(enc.from_token_sums(sums, lens), enc.encode(sentences), atol=1e-5)


def test_sentences_are_razdel_sentences_inside_paragraphs():
    text = "Заголовок без точки\n\nПервое предложение. Второе, с г. Москва внутри.\n\nThird one! Fourth?"
    got = [(text[s.start : s.end], s.paragraph) for s in split_sentences(text)]
    assert got == [
        ("Заголовок без точки", 0),
        ("Первое предложение.", 1),
        ("Второе, с г. Москва внутри.", 1),
        ("Third one!", 2),
        ("Fourth?", 2),
    ]
    assert full_text("Title", "Body.") == "Title\n\nBody." and full_text(None, "Body.") == "Body."


@pytest.mark.parametrize("side", ["en", "ru"])
def test_a_deleted_paragraph_becomes_a_run_of_1_0_units_and_the_rest_stays_aligned(side):
    """From every WMT23 pair with four paragraphs or more, the middle paragraph of one side is deleted."""
    cases = 0
    for ru, en in _gold_pairs():
        paragraphs = (en if side == "en" else ru).split("\n\n")
        if len(paragraphs) < 4:
            continue
        cases += 1
        k = len(paragraphs) // 2
        cut = "\n\n".join(paragraphs[:k] + paragraphs[k + 1 :])
        sr, se, full = _align(ru, en)
        cr, ce, units = _align(ru, cut) if side == "en" else _align(cut, en)
        kept = sr if side == "en" else se  # the side that still has the paragraph

        def lonely(units):
            out = set()
            for u in units:
                lo, hi, other = (
                    (u.ru_lo, u.ru_hi, u.en_hi - u.en_lo) if side == "en" else (u.en_lo, u.en_hi, u.ru_hi - u.ru_lo)
                )
                out.update(range(lo, hi) if not other else ())
            return out

        deleted = {i for i, s in enumerate(kept) if s.paragraph == k}
        assert lonely(units) == lonely(full) | deleted, (side, paragraphs[k][:80])

        # every other unit is the unit of the intact pair, sentence for sentence
        def texts(units, r, e, rt, et):
            return {
                (rt[r[u.ru_lo].start : r[u.ru_hi - 1].end], et[e[u.en_lo].start : e[u.en_hi - 1].end])
                for u in units
                if u.ru_hi > u.ru_lo and u.en_hi > u.en_lo
            }

        untouched = [
            u for u in full if not deleted & set(range(*((u.ru_lo, u.ru_hi) if side == "en" else (u.en_lo, u.en_hi))))
        ]
        after = texts(units, cr, ce, ru if side == "en" else cut, cut if side == "en" else en)
        assert after == texts(untouched, sr, se, ru, en)
    assert cases >= 20


# ---- through the real flow ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def wmt23(prefect_harness, tmp_path_factory) -> Path:
    from pipeline.flows import process_raw_folder

    base = tmp_path_factory.mktemp("wmt23")
    (base / "raw").mkdir()
    shutil.copy(PAIRING / "wmt23_ruen.dump.txt", base / "raw")
    process_raw_folder(raw_dir=str(base / "raw"), out_dir=str(base / "processed"))
    return base / "processed"


def _score(out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(EVAL / "score_bitext.py"), str(PAIRING / "wmt23_ruen"), str(out)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_wmt23_sentence_alignment_reaches_the_thresholds(wmt23):
    scores = _score(wmt23)
    assert scores["pairs_with_units"] >= 25, scores
    assert scores["precision"] >= 0.95 and scores["recall"] >= 0.95, scores
    assert scores["one_to_one"] >= 0.9, scores


def test_units_cover_both_documents_in_order_and_offsets_point_back(wmt23):
    units = pd.read_parquet(wmt23 / "bitext")
    docs = pd.read_parquet(wmt23 / "documents").drop_duplicates("doc_id").set_index("doc_id")
    pairs = pd.read_parquet(wmt23 / "pairs")
    assert set(zip(units.ru_doc_id, units.en_doc_id)) == set(zip(pairs.ru_doc_id, pairs.en_doc_id))
    assert set(zip(units.ru_doc_id, units.dump_id)) == set(zip(pairs.ru_doc_id, pairs.ru_dump_id))
    for (r, e), g in units.sort_values("unit").groupby(["ru_doc_id", "en_doc_id"]):
        assert list(g.unit) == list(range(len(g)))
        for side, doc in (("ru", r), ("en", e)):
            title = docs.title[doc]
            whole = full_text(title if isinstance(title, str) else None, docs.text[doc])
            present = g[g[f"{side}_text"].notna()]
            starts, ends = present[f"{side}_start"].astype(int), present[f"{side}_end"].astype(int)
            assert [whole[a:b] for a, b in zip(starts, ends)] == list(present[f"{side}_text"])
            assert (starts.values[1:] >= ends.values[:-1]).all()  # monotone, no overlap
            assert len(whole[: starts.iloc[0]].strip()) == 0 and len(whole[ends.iloc[-1] :].strip()) == 0
            gaps = [whole[b:a] for a, b in zip(starts.values[1:], ends.values[:-1])]
            assert all(not gap.strip() for gap in gaps)  # every sentence is in a unit
    one_sided = units.ru_text.isna() | units.en_text.isna()
    assert units.score[one_sided].isna().all() and (units.score[~one_sided] > 0).all()


def test_bitext_stays_in_step_with_the_pairs(wmt23, tmp_path):
    out = tmp_path / "processed"
    shutil.copytree(wmt23, out)
    store = Store(out)
    (part,) = (out / "bitext").glob("dump_id=*/part-*.parquet")
    stamp = part.stat().st_mtime_ns, part.stat().st_ino
    original = pd.read_parquet(out / "bitext")
    assert sync_bitext(store).partitions_written == 0  # nothing changed: nothing rewritten
    assert (part.stat().st_mtime_ns, part.stat().st_ino) == stamp

    pairs = pq.read_table(out / "pairs" / "part-0.parquet")
    gone = pairs.slice(0, 1).to_pylist()[0]
    store.write_pairs(pairs.slice(1))  # a pair goes away: its units go, the others stay as they were
    summary = sync_bitext(store)
    assert (summary.partitions_written, summary.pairs_aligned) == (1, 0)
    after = pd.read_parquet(out / "bitext")
    key = ["ru_doc_id", "en_doc_id", "unit"]
    assert gone["ru_doc_id"] not in set(after.ru_doc_id)
    kept = original[original.ru_doc_id != gone["ru_doc_id"]]
    pd.testing.assert_frame_equal(
        after.sort_values(key).reset_index(drop=True), kept.sort_values(key).reset_index(drop=True)
    )

    store.write_pairs(pairs)  # ... and comes back: only it is aligned again, to the same units
    assert sync_bitext(store).pairs_aligned == 1
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "bitext").sort_values(key).reset_index(drop=True),
        original.sort_values(key).reset_index(drop=True),
    )
    changed = replace(DEFAULT_ALIGN, skip=DEFAULT_ALIGN.skip + 0.01)  # another aligner: every pair again
    assert sync_bitext(store, changed).pairs_aligned == pairs.num_rows

    store.write_pairs(schemas.PAIRS.empty_table())  # no pairs at all: the partition goes
    assert sync_bitext(store).partitions_removed == 1
    assert not list((out / "bitext").glob("dump_id=*"))


# ---- TMX ----------------------------------------------------------------------------------------


def _export(out: Path, target: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "export", "tmx", "--data", str(out), "--out", str(target), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def test_tmx_of_the_sample_pair_parses_and_holds_its_sentences(sample_run, tmp_path):
    target = tmp_path / "sample.tmx"
    done = _export(sample_run, target)
    assert done.returncode == 0, done.stderr
    root = ET.parse(target).getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    assert root.find("header").get("segtype") == "sentence"
    units = pd.read_parquet(sample_run / "bitext").sort_values("unit")
    both = units[units.ru_text.notna() & units.en_text.notna()]
    tus = root.findall("./body/tu")
    assert len(tus) == len(both) >= 4 and f"{len(tus)} translation units" in done.stdout
    for tu, (_, u) in zip(tus, both.iterrows()):
        variants = {tuv.get(XML_LANG): tuv.find("seg").text for tuv in tu.findall("tuv")}
        assert variants == {"ru": u.ru_text, "en": u.en_text}
        props = {p.get("type"): p.text for p in tu.findall("prop")}
        assert props["x-ru-doc-id"] == u.ru_doc_id and props["x-kind"] == u.kind
    assert any("ОДКБ" in tu.find("./tuv/seg").text for tu in tus)

    high, cut = tmp_path / "high.tmx", float(both.score.median())
    assert _export(sample_run, high, "--min-score", repr(cut)).returncode == 0
    assert len(ET.parse(high).getroot().findall("./body/tu")) == (both.score >= cut).sum() < len(both)


def test_tmx_escapes_markup_and_drops_characters_xml_cannot_hold(tmp_path):
    store = Store(tmp_path / "processed")
    row = {
        "ru_doc_id": "r", "en_doc_id": "e", "unit": 0, "kind": "1-1", "score": 0.9,
        "ru_text": 'ОДКБ <script>alert("x")</script> & \x01\x0bконец', "en_text": "CSTO ]]> <b>end</b>\ufffe",
        "ru_start": 0, "ru_end": 10, "en_start": 0, "en_end": 10, "ru_paragraph": 0, "en_paragraph": 0,
    }  # fmt: skip
    store.write_corpus_partition("bitext", "d1", schemas.to_table([row], schemas.BITEXT))
    store.write_file(schemas.DUMPS.empty_table(), store.manifest_path)
    target = tmp_path / "x.tmx"
    assert _export(store.root, target).returncode == 0
    (tu,) = ET.parse(target).getroot().findall("./body/tu")
    segs = [tuv.find("seg").text for tuv in tu.findall("tuv")]
    assert segs == ['ОДКБ <script>alert("x")</script> & конец', "CSTO ]]> <b>end</b>"]
    assert "<script>" not in target.read_text(encoding="utf-8")


def test_export_without_a_dataset_is_a_clear_error(tmp_path):
    done = _export(tmp_path / "none", tmp_path / "x.tmx")
    assert done.returncode == 1 and "no dataset at" in done.stderr
    assert not (tmp_path / "x.tmx").exists()
