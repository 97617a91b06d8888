"""The kept pairing state (pipeline/pairing_index.py): a run over new dumps gives the pairs of one
recompute over all of them, in any order of the dumps; the IVF index, crash leftovers, a forgotten
dump, a Dask cluster."""

from __future__ import annotations

import itertools
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline import schemas
from pipeline.corpus.duplicates import params_tag as duplicates_tag
from pipeline.corpus.pairs import pair_corpus, pairing_config
from pipeline.ids import current_version
from pipeline.ledger import record_dumps, remove_dump
from pipeline.pairing_index import open_state, rebuild
from pipeline.records import manifest_row
from pipeline.settings import Settings
from pipeline.stages.pairing import PairingSide, embeddings_table, pair_documents
from pipeline.store import Store

DIM = schemas.EMBEDDING_DIM


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _corpus(n_pairs: int, n_ru: int, n_en: int, seed: int = 1) -> list[tuple]:
    """(doc_id, lang, sentence vectors, numbers): planted translations and documents without one."""
    rng = np.random.default_rng(seed)
    en = [_unit(rng.standard_normal((k, DIM))) for k in rng.integers(1, 7, n_pairs + n_en)]
    docs = [(f"en{i:05d}", "en", s, [str(x) for x in rng.integers(0, 50, 3)]) for i, s in enumerate(en)]
    for i in range(n_pairs):
        docs.append((f"ru{i:05d}", "ru", _unit(en[i] + 0.7 * _unit(rng.standard_normal(en[i].shape))), docs[i][3]))
    for i in range(n_ru):
        docs.append((f"ru{n_pairs + i:05d}", "ru", _unit(rng.standard_normal((int(rng.integers(1, 7)), DIM))), []))
    return docs


def _write(store: Store, name: str, docs: list[tuple]) -> None:
    offsets = np.cumsum([0] + [len(d[2]) for d in docs])
    table = embeddings_table(
        [d[0] for d in docs], [d[1] for d in docs], [1000] * len(docs),
        np.concatenate([d[2] for d in docs]), offsets, [d[3] for d in docs],
    )
    store.write_partition("embeddings", name, table)
    record_dumps(store, [manifest_row(store.root / name, name, 1, "utf-8", len(docs), None)])


def _pairs(store: Store) -> list[dict]:
    return store.read_pairs().select(["ru_doc_id", "en_doc_id", "score", "alignment", "ru_dump_id"]).to_pylist()


def _reference(docs: list[tuple]) -> dict[tuple[str, str], float]:
    """Today's whole-corpus pairing in memory (`pair_documents`) of the same documents."""
    sides = {}
    for lang in ("ru", "en"):
        ds = sorted((d for d in docs if d[1] == lang), key=lambda d: d[0])
        sides[lang] = PairingSide(
            doc_ids=[d[0] for d in ds], dump_ids=["x"] * len(ds), n_chars=np.full(len(ds), 1000),
            vectors=_unit(np.stack([d[2].mean(axis=0) for d in ds])), sentences=np.concatenate([d[2] for d in ds]),
            offsets=np.cumsum([0] + [len(d[2]) for d in ds]), numbers=[set(d[3]) for d in ds],
        )
    return {(p.ru_doc_id, p.en_doc_id): p.score for p in pair_documents(sides["ru"], sides["en"])}


@pytest.fixture(scope="module")
def dumps() -> dict[str, list[tuple]]:
    docs = _corpus(120, 40, 40)
    which = np.random.default_rng(5).integers(0, 3, len(docs))
    return {f"d{k}": [d for d, w in zip(docs, which) if w == k] for k in range(3)}


@pytest.fixture(scope="module")
def one_run(dumps, tmp_path_factory) -> list[dict]:
    store = Store(tmp_path_factory.mktemp("one") / "processed")
    for name, docs in dumps.items():
        _write(store, name, docs)
    stats: dict = {}
    pair_corpus(store, Settings(), stats=stats)
    assert stats["mode"] == "full" and stats["index"] == "exact"
    return _pairs(store)


def test_the_full_recompute_gives_todays_whole_corpus_pairs(dumps, one_run):
    reference = _reference([d for docs in dumps.values() for d in docs])
    assert len(reference) == 120
    got = {(p["ru_doc_id"], p["en_doc_id"]): p["score"] for p in one_run}
    assert got.keys() == reference.keys()
    assert max(abs(got[p] - reference[p]) for p in got) < 1e-4  # float32 in the table


@pytest.mark.parametrize("order", list(itertools.permutations(["d0", "d1", "d2"])))
def test_dump_by_dump_in_any_order_gives_the_pairs_of_one_run(dumps, one_run, order, tmp_path):
    store = Store(tmp_path / "processed")
    modes = []
    for name in order:
        _write(store, name, dumps[name])
        stats: dict = {}
        pair_corpus(store, Settings(), stats=stats)
        modes.append(stats["mode"])
    assert modes == ["full", "incremental", "incremental"]
    got, expected = _pairs(store), one_run
    assert [(p["ru_doc_id"], p["en_doc_id"], p["score"], p["alignment"]) for p in got] == [
        (p["ru_doc_id"], p["en_doc_id"], p["score"], p["alignment"]) for p in expected
    ]


def test_a_closer_translation_arriving_later_takes_the_partner_and_the_rest_is_relinked(tmp_path):
    rng = np.random.default_rng(3)
    docs = _corpus(30, 10, 10, seed=4)
    en0 = next(d for d in docs if d[0] == "en00000")
    closer = ("ru-later", "ru", _unit(en0[2] + 0.2 * _unit(rng.standard_normal(en0[2].shape))), en0[3])
    store = Store(tmp_path / "processed")
    _write(store, "a", docs)
    pair_corpus(store, Settings())
    assert ("ru00000", "en00000") in {(p["ru_doc_id"], p["en_doc_id"]) for p in _pairs(store)}
    _write(store, "b", [closer])
    stats: dict = {}
    pair_corpus(store, Settings(), stats=stats)
    assert stats["mode"] == "incremental" and stats["new"] == {"ru": 1, "en": 0}
    pairs = {(p["ru_doc_id"], p["en_doc_id"]) for p in _pairs(store)}
    assert ("ru-later", "en00000") in pairs and not any(p[0] == "ru00000" for p in pairs)
    incremental = _pairs(store)
    shutil.rmtree(store.pairing_dir)  # the same corpus from scratch
    stats = {}
    pair_corpus(store, Settings(), stats=stats)
    assert stats["mode"] == "full" and _pairs(store) == incremental


def test_the_ivf_index_dump_by_dump_gives_a_recompute_with_the_same_cells(dumps, tmp_path):
    settings = Settings(pair_index_min_docs=60)
    store = Store(tmp_path / "processed")
    for name in ("d2", "d0", "d1"):
        _write(store, name, dumps[name])
        stats: dict = {}
        pair_corpus(store, settings, stats=stats)
    assert stats["mode"] == "incremental"
    state = open_state(store)
    assert state.ivf and state.sides["ru"].probes.shape[1] == 16
    incremental = _pairs(store)
    lists = {lang: state.sides[lang].knn for lang in ("ru", "en")}
    keys = {lang: state.sides[lang].keys for lang in ("ru", "en")}
    config = pairing_config(settings)
    tag = current_version() + "|" + duplicates_tag(settings)
    from pipeline.pairing_index import params_tag

    again = rebuild(store, ["d0", "d1", "d2"], set(), config, params_tag(config, tag), centroids=state.centroids())
    for lang in ("ru", "en"):  # documents in another order: compare the lists by doc key
        other = "en" if lang == "ru" else "ru"
        before = {
            (int(k), tuple(keys[other][i] for i in row if i >= 0)) for k, row in zip(keys[lang], lists[lang][1])
        }
        after = {
            (int(k), tuple(again.sides[other].keys[i] for i in row if i >= 0))
            for k, row in zip(again.sides[lang].keys, again.sides[lang].knn[1])
        }
        assert before == after
    from pipeline.corpus.pairs import pairs_table
    from pipeline.pairing_index import link

    table = pairs_table(store, again, link(again, config, config.min_score), None)
    cols = ["ru_doc_id", "en_doc_id", "score", "alignment", "ru_dump_id"]
    assert table.select(cols).to_pylist() == incremental
    found = {(p["ru_doc_id"], p["en_doc_id"]) for p in incremental}
    assert len(found) >= 118 and all(r[2:] == e[2:] for r, e in found)  # the planted pairs, and only those


def test_what_an_interrupted_run_appended_is_cut_and_a_forgotten_dump_recomputes(dumps, one_run, tmp_path):
    store = Store(tmp_path / "processed")
    for name in ("d0", "d1"):
        _write(store, name, dumps[name])
        pair_corpus(store, Settings())
    folder = store.pairing_dir
    with open(folder / "ru.vectors.f32", "ab") as fh:  # a run killed after appending, before its commit
        fh.write(b"\x01" * 4 * DIM * 3)
    shutil.copy(next((folder / "ru.docs").glob("part-*.parquet")), folder / "ru.docs" / "part-9999999999.parquet")
    _write(store, "d2", dumps["d2"])
    stats: dict = {}
    pair_corpus(store, Settings(), stats=stats)
    assert stats["mode"] == "incremental"
    assert _pairs(store) == one_run
    vectors = open_state(store).sides["ru"].vectors  # read block by block where used, never whole
    assert vectors.shape == (open_state(store).sides["ru"].n, DIM)
    assert np.array_equal(vectors.block(2, 4), vectors.take(np.array([2, 3])))

    remove_dump(store, "d1")
    stats = {}
    pair_corpus(store, Settings(), stats=stats)
    assert stats["mode"] == "full"
    fresh = Store(tmp_path / "fresh")
    for name in ("d0", "d2"):
        _write(fresh, name, dumps[name])
    pair_corpus(fresh, Settings())
    assert _pairs(store) == _pairs(fresh) and len(_pairs(fresh)) < len(one_run)


def test_a_two_worker_dask_cluster_recomputes_the_same_pairs(dumps, one_run, tmp_path, monkeypatch):
    import pipeline.corpus.pairs
    from pipeline.workers import dask_client

    small = replace(pipeline.corpus.pairs.DEFAULT_CONFIG, task_docs=40)  # several neighbour tasks
    monkeypatch.setattr(pipeline.corpus.pairs, "DEFAULT_CONFIG", small)
    store = Store(tmp_path / "processed")
    for name, docs in dumps.items():
        _write(store, name, docs)
    stats: dict = {}
    with dask_client(2, None) as client:
        pair_corpus(store, Settings(), client, stats=stats)
    assert stats["mode"] == "full"
    assert _pairs(store) == one_run
    edges = open_state(store).edges
    shutil.rmtree(store.pairing_dir)
    pair_corpus(store, Settings())
    assert np.array_equal(open_state(store).edges, edges)


def test_forget_recomputes_the_pairs_on_a_dask_cluster(dumps, tmp_path, capsys):
    from argparse import Namespace

    from pipeline.commands.forget import forget

    out = tmp_path / "processed"
    store = Store(out)
    for name, docs in dumps.items():
        _write(store, name, docs)
    pair_corpus(store, Settings())
    args = Namespace(
        dump_id="d1", out=str(out), raw=str(tmp_path / "raw"), lock_timeout=5, workers=2, dask_address=None
    )
    assert forget(args) == 0
    assert "pairs recomputed" in capsys.readouterr().out
    fresh = Store(tmp_path / "fresh")
    for name in ("d0", "d2"):
        _write(fresh, name, dumps[name])
    pair_corpus(fresh, Settings())
    assert _pairs(store) == _pairs(fresh)


def test_pairs_evidence_is_kept_for_pairs_that_stay(dumps, tmp_path):
    store = Store(tmp_path / "processed")
    _write(store, "d0", dumps["d0"])
    pair_corpus(store, Settings())
    first = {(p["ru_doc_id"], p["en_doc_id"]): p for p in store.read_pairs().to_pylist()}
    assert any(p["shared_numbers"] for p in first.values())
    _write(store, "d1", dumps["d1"])
    pair_corpus(store, Settings())
    later = {(p["ru_doc_id"], p["en_doc_id"]): p for p in store.read_pairs().to_pylist()}
    for key in first.keys() & later.keys():
        assert later[key]["shared_numbers"] == first[key]["shared_numbers"]
    assert Path(store.pairing_dir / "state.json").exists()
