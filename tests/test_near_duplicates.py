"""Near-duplicates: the stage and the corpus step on a store (no NLP), incremental against full, forget."""

from __future__ import annotations

import random
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipeline.corpus.duplicates import find_duplicates
from pipeline.ledger import ok_dump_ids, record_dumps, remove_dump
from pipeline.records import manifest_row
from pipeline.settings import Settings
from pipeline.stages import near_duplicates as nd
from pipeline.store import Store

SETTINGS = Settings()
VOCAB = [f"w{i}" for i in range(3000)]


def article(rng: random.Random, n: int = 150) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def edited(text: str, rng: random.Random) -> str:
    """A re-scrape: a sentence of new words added, a few words changed."""
    words = text.split()
    for i in rng.sample(range(len(words)), 3):
        words[i] = rng.choice(VOCAB)
    return " ".join(words + [rng.choice(VOCAB) for _ in range(12)])


def add_dump(store: Store, dump_id: str, texts: list[str]) -> None:
    docs = [nd.SignedText(f"id-{t[:24]}-{len(t)}", i, None, t) for i, t in enumerate(texts)]
    store.write_partition("signatures", dump_id, nd.signatures_table(docs))
    record_dumps(store, [manifest_row(f"raw/{dump_id}.jsonl", dump_id, 1, "utf-8", len(docs), None)])
    time.sleep(0.002)  # processing order: processed_at


def table(store: Store) -> list[tuple]:
    t = store.read_duplicates().to_pylist()
    return sorted((r["doc_id"], r["dump_id"], r["duplicate_of"], r["duplicate_of_dump_id"], r["kind"]) for r in t)


def clusters(rows: list[tuple]) -> set[frozenset]:
    """The articles: each earliest copy with the copies that point to it, as sets of (doc_id, dump_id)."""
    out: dict[tuple, set] = {}
    for doc_id, dump_id, first, first_dump, _ in rows:
        out.setdefault((first, first_dump), {(first, first_dump)}).add((doc_id, dump_id))
    return {frozenset(c) for c in out.values()}


def run(store: Store) -> str:
    return find_duplicates(store, SETTINGS, ok_dump_ids(store))[1]


def test_shingles_ignore_case_punctuation_and_spacing():
    assert nd.shingles("Title", "One, two  three four five.") == nd.shingles("title", "one two three\nfour five")
    assert nd.shingles(None, "") == {b""}  # an empty text still has a signature (it repeats only itself)


def test_estimated_jaccard_follows_the_true_one():
    rng = random.Random(1)
    base = article(rng, 400)
    words = base.split()
    texts = [base, " ".join(words[:300]), " ".join(words[:200] + [rng.choice(VOCAB) for _ in range(200)])]
    sigs, _ = nd.signatures((None, t) for t in texts)
    sets = [nd.shingles(None, t) for t in texts]
    for j in (1, 2):
        true = len(sets[0] & sets[j]) / len(sets[0] | sets[j])
        est = nd.estimated_jaccard(sigs[0][None], sigs[j][None])[0]
        assert abs(est - true) < 0.12, (j, est, true)


def test_band_candidates_find_similar_and_skip_unrelated():
    rng = random.Random(2)
    a = article(rng)
    texts = [a, edited(a, rng), article(rng), article(rng)]
    sigs, _ = nd.signatures((None, t) for t in texts)
    keys = nd.band_keys(sigs, *nd.bands_for(0.25))
    cand = nd.pairs_within(keys)
    assert (0, 1) in set(zip(cand.left.tolist(), cand.right.tolist()))
    assert len(cand.left) == 1
    across = nd.pairs_across(keys[:1], keys[1:])
    assert list(zip(across.left.tolist(), across.right.tolist())) == [(0, 0)]


def _corpus(seed: int = 3):
    rng = random.Random(seed)
    a, b, c, d = (article(rng) for _ in range(4))
    return {
        "d1": [a, b, article(rng)],
        "d2": [edited(a, rng), c, b, article(rng)],  # a re-scraped with edits, b again exactly
        "d3": [edited(c, rng), d, d],  # c again; d twice in the same dump (one document)
    }


def test_incremental_runs_give_the_full_table_and_an_idle_run_changes_nothing(tmp_path):
    dumps = _corpus()
    inc = Store(tmp_path / "inc")
    modes = []
    for name, texts in dumps.items():
        add_dump(inc, name, texts)
        modes.append(run(inc))
    assert modes == ["full", "incremental", "incremental"]
    rows = table(inc)
    kinds = sorted(r[4] for r in rows)
    assert kinds == ["exact", "near", "near"], rows
    assert {r[1] for r in rows} == {"d2", "d3"}
    before = inc.duplicates_path.read_bytes()
    assert run(inc) == "unchanged" and inc.duplicates_path.read_bytes() == before
    full = Store(tmp_path / "full")
    for name, texts in dumps.items():
        add_dump(full, name, texts)
    assert run(full) == "full" and table(full) == rows


def test_arrival_order_changes_only_which_copy_counts(tmp_path):
    dumps = _corpus()
    results = []
    for k, names in enumerate((["d1", "d2", "d3"], ["d3", "d2", "d1"])):
        store = Store(tmp_path / str(k))
        for name in names:
            add_dump(store, name, dumps[name])
            run(store)
        t = store.read_duplicates().to_pylist()
        results.append(t)
    links = [{frozenset((r["doc_id"], r["duplicate_of"])) for r in t} for t in results]
    sims = [sorted(round(r["similarity"], 6) for r in t) for t in results]
    assert links[0] == links[1] and sims[0] == sims[1]
    assert {r["dump_id"] for r in results[0]} == {"d2", "d3"}
    assert {r["dump_id"] for r in results[1]} == {"d2", "d1"}


def test_a_new_document_that_links_two_earlier_articles_merges_them(tmp_path):
    rng = random.Random(4)
    a = article(rng, 200)
    words = a.split()
    left, right = " ".join(words[:120]), " ".join(words[80:])  # each shares 40 words with the other
    store = Store(tmp_path / "s")
    add_dump(store, "d1", [left])
    add_dump(store, "d2", [right])
    run(store)
    assert table(store) == []  # too different from each other
    add_dump(store, "d3", [a])
    assert run(store) == "incremental"
    rows = table(store)
    assert sorted((r[1], r[3]) for r in rows) == [("d2", "d1"), ("d3", "d1")]  # d2's article is d1's now
    full = Store(tmp_path / "f")
    for name, text in (("d1", left), ("d2", right), ("d3", a)):
        add_dump(full, name, [text])
    run(full)
    assert table(full) == rows


def test_forget_points_repeats_to_the_earliest_remaining_copy(tmp_path):
    rng = random.Random(5)
    a, b = article(rng), article(rng)
    store = Store(tmp_path / "s")
    add_dump(store, "d1", [a, b])
    add_dump(store, "d2", [edited(a, rng), b])
    add_dump(store, "d3", [edited(a, rng), article(rng)])
    run(store)
    assert {(r[1], r[3]) for r in table(store)} == {("d2", "d1"), ("d3", "d1")}
    remove_dump(store, "d1")
    assert run(store) == "full"
    rows = table(store)
    assert [(r[1], r[3], r[4]) for r in rows] == [("d3", "d2", "near")]  # b has no other copy left
    remove_dump(store, "d2")
    run(store)
    assert table(store) == []


def test_a_dump_without_stored_signatures_gets_them_from_its_documents(tmp_path):
    from pipeline import schemas

    store = Store(tmp_path / "s")
    rng = random.Random(6)
    text = article(rng)
    docs = [
        {"doc_id": "x", "ordinal": 0, "title": "T", "text": text, "lang": "en", "lang_prob": 1.0,
         "n_paragraphs": 1, "start": 0, "end": 1, "published": None, "source_id": None, "url": None}
    ]
    store.write_partition("documents", "d1", schemas.to_table(docs, schemas.DOCUMENTS))
    record_dumps(store, [manifest_row("raw/d1.jsonl", "d1", 1, "utf-8", 1, None)])
    run(store)
    sig = pq.read_table(store.part_files("signatures", "d1")[0])
    assert sig.column("doc_id").to_pylist() == ["x"]
    expected, _ = nd.signatures([("T", text)])
    assert np.array_equal(nd.minhash_matrix(sig.column("minhash")), expected)


def test_the_minhash_is_datasketchs_affine32_bit_for_bit():
    from datasketch import MinHash

    rng = random.Random(5)
    texts = [("", ""), ("T", "one two"), (None, article(rng, 40)), ("Заголовок", "Текст новости " * 30)]
    texts += [(None, article(rng, rng.randint(5, 400))) for _ in range(20)]
    ours, _ = nd.signatures(texts)
    for row, (title, text) in zip(ours, texts):
        theirs = MinHash(num_perm=nd.NUM_PERM, seed=nd.SEED, scheme="affine32")
        theirs.update_batch(nd.shingles(title, text))
        assert theirs.hashvalues.dtype == row.dtype and np.array_equal(theirs.hashvalues, row)
    assert not np.array_equal(ours[1], ours[2])


@pytest.mark.parametrize("num_perm", [64, 128, 256])
def test_the_band_optimizer_is_datasketchs(num_perm):
    from datasketch.lsh import _optimal_param

    for threshold in (0.05, 0.1, 0.2, 0.25, 0.3, 0.45, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95):
        for weights in ((0.1, 0.9), (0.5, 0.5), (0.9, 0.1)):
            expected = _optimal_param(threshold, num_perm, *weights)
            assert nd.optimal_bands(threshold, num_perm, *weights) == expected, (threshold, weights)
    assert nd.bands_for(0.25) == _optimal_param(0.25, nd.NUM_PERM, 0.1, 0.9)


@pytest.mark.parametrize("threshold", [0.25, 0.5, 0.8])
def test_lsh_bands_fit_in_the_signature(threshold):
    bands, rows = nd.bands_for(threshold)
    assert bands * rows <= nd.NUM_PERM and bands >= 2


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_corpora_incremental_equals_full_and_order_only_flips_links(tmp_path, seed):
    rng = random.Random(seed)
    pool: list[str] = []
    dumps = {}
    for k in range(4):
        texts = [article(rng, rng.randint(20, 200)) for _ in range(6)]
        texts += [edited(rng.choice(pool), rng) for _ in range(3)] if pool else []
        texts += [rng.choice(pool) for _ in range(2)] if pool else []  # exact repeats
        pool += texts
        dumps[f"d{k}"] = texts
    stores = {}
    for label, names in (("inc", list(dumps)), ("rev", list(reversed(dumps)))):
        stores[label] = Store(tmp_path / label)
        for name in names:
            add_dump(stores[label], name, dumps[name])
            run(stores[label])
    full = Store(tmp_path / "full")
    for name in dumps:
        add_dump(full, name, dumps[name])
    run(full)
    assert table(stores["inc"]) == table(full) and len(table(full)) >= 9
    assert clusters(table(full)) == clusters(table(stores["rev"]))
    assert len(table(full)) == len(table(stores["rev"]))
