"""Corpus step `pairs`: RU/EN translation pairs, brought up to date from the pairing state kept
beside the embeddings (`pipeline.pairing_index`: the new dumps' documents against all, or a full
recompute), repeats of earlier documents left out."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Executor
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.corpus.duplicates import excluded, params_tag
from pipeline.corpus.step import CorpusStep, StepStats
from pipeline.ids import current_version
from pipeline.ledger import ok_dump_ids
from pipeline.pairing_index import Links, State, link, refresh_state
from pipeline.settings import Settings
from pipeline.stages.pairing import DEFAULT_CONFIG, PairingConfig
from pipeline.store import Store


def _entity_evidence(
    store: Store, dump_ids: list[str], wanted: set[tuple[str, str]] | None = None
) -> tuple[dict, dict]:
    """Entity keys (people, organizations) and dates (their norms, `TIME_REFERENCES` aside) named by
    each document, part by part: by doc_id, or by (dump_id, doc_id) for the `wanted` occurrences."""
    keys: dict = defaultdict(set)
    dates: dict = defaultdict(set)
    for dump_id in dump_ids:
        ids = pa.array(sorted(d for u, d in wanted if u == dump_id), pa.string()) if wanted is not None else None
        for path in store.part_files("entities", dump_id):
            t = pq.read_table(path, columns=["doc_id", "label", "norm", "entity_key"])
            if ids is not None:
                t = t.filter(pc.is_in(t.column("doc_id"), ids))
            label = t.column("label").cast(pa.string())
            is_date = pc.and_(pc.equal(label, "DATE"), pc.is_valid(t.column("norm")))
            is_date = pc.and_(is_date, pc.invert(pc.is_in(t.column("norm"), pa.array(schemas.TIME_REFERENCES))))
            is_name = pc.and_(pc.is_in(label, pa.array(["PERSON", "ORG"])), pc.is_valid(t.column("entity_key")))
            for target, mask, column in ((dates, is_date, "norm"), (keys, is_name, "entity_key")):
                kept = t.filter(pc.fill_null(mask, False))
                for doc_id, value in zip(kept.column("doc_id").to_pylist(), kept.column(column).to_pylist()):
                    if value:
                        target[doc_id if wanted is None else (dump_id, doc_id)].add(value)
    return keys, dates


def pairing_config(settings: Settings) -> PairingConfig:
    return replace(
        DEFAULT_CONFIG, min_score=settings.pair_min_score, index_min_docs=settings.pair_index_min_docs
    )


def pair_corpus(
    store: Store,
    settings: Settings,
    blocks: Executor | None = None,
    stats: dict | None = None,
) -> StepStats:
    """The pairs step: bring the kept pairing state up to the corpus (`pipeline.pairing_index`: the new dumps'
    documents against all, or a full recompute whose tasks go to `blocks`, an executor such as a
    Dask client), link one to one over all its candidate edges and replace the
    pairs table.

    A document that repeats an earlier one (the `duplicates` table) is left out: the article is
    paired once, through its earliest copy."""
    submit = blocks.submit if blocks is not None else None
    config = pairing_config(settings)
    tag = current_version() + "|" + params_tag(settings)
    dump_ids = ok_dump_ids(store)
    state = refresh_state(store, dump_ids, excluded(store), config, tag, submit, stats)
    links = link(state, config, config.min_score)
    table = pairs_table(store, state, links, None if state.rebuilt else store.read_pairs())
    store.write_pairs(table)
    documents = sum(len(state.sides[lang].chars) for lang in ("ru", "en"))
    return StepStats("pairs", documents=documents, rows=table.num_rows)


def pairs_table(store: Store, state: State, links: Links, previous: pa.Table | None) -> pa.Table:
    """The pairs table of the links, sorted by (ru_doc_id, en_doc_id), with their evidence: the
    shared numbers of the stored features and the shared keys and dates of both documents' entities
    (of the occurrence that is paired). Evidence depends on the two occurrences alone, so a pair
    already in `previous` keeps its own; only new pairs read entities (of their dumps). Column by
    column: a million pairs cost seconds."""
    ru = state.docs("ru", ["doc_id", "dump_id", "numbers"]).take(pa.array(links.ru, pa.int64()))
    en = state.docs("en", ["doc_id", "dump_id", "numbers"]).take(pa.array(links.en, pa.int64()))
    occurrence = pc.binary_join_element_wise(
        ru.column("doc_id"), en.column("doc_id"), ru.column("dump_id"), en.column("dump_id"), "\t"
    )
    evidence = ["shared_keys", "shared_numbers", "shared_dates"]
    n = len(links.ru)
    found = pa.nulls(n, pa.int64())
    if previous is not None and previous.num_rows:
        names = ["ru_doc_id", "en_doc_id", "ru_dump_id", "en_dump_id"]
        before = pc.binary_join_element_wise(*(previous.column(c) for c in names), "\t")
        found = pc.index_in(occurrence, value_set=before)
    kept = np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False), bool)
    columns: dict[str, list] = {c: [None] * n for c in evidence}
    if kept.any():
        rows = previous.select(evidence).take(found.filter(pc.is_valid(found)))
        where = np.flatnonzero(kept).tolist()
        for c in evidence:
            for i, v in zip(where, rows.column(c).to_pylist()):
                columns[c][i] = v
    missing = np.flatnonzero(~kept).tolist()
    if missing:
        take = pa.array(missing, pa.int64())
        ids = {lang: t.select(["dump_id", "doc_id"]).take(take).to_pylist() for lang, t in (("ru", ru), ("en", en))}
        r_occ = [(x["dump_id"], x["doc_id"]) for x in ids["ru"]]
        e_occ = [(x["dump_id"], x["doc_id"]) for x in ids["en"]]
        keys, dates = _entity_evidence(store, sorted({d for d, _ in r_occ + e_occ}), set(r_occ + e_occ))
        numbers = zip(ru.column("numbers").take(take).to_pylist(), en.column("numbers").take(take).to_pylist())
        for i, r, e, (rn, en_n) in zip(missing, r_occ, e_occ, numbers):
            columns["shared_keys"][i] = sorted(keys.get(r, set()) & keys.get(e, set()))
            columns["shared_numbers"][i] = sorted(set(rn or ()) & set(en_n or ()))
            columns["shared_dates"][i] = sorted(dates.get(r, set()) & dates.get(e, set()))
    ratio = state.length_ratios(links.ru, links.en)
    table = pa.table(
        {
            "ru_doc_id": ru.column("doc_id"),
            "en_doc_id": en.column("doc_id"),
            "score": pa.array(np.round(links.score, 4), pa.float32()),
            "similarity": pa.array(np.round(links.sim.astype(np.float64), 4), pa.float32()),
            "alignment": pa.array(np.round(links.align, 4), pa.float32()),
            "length_ratio": pa.array(np.round(ratio, 4), pa.float32()),
            **{c: pa.array(columns[c], pa.list_(pa.string())) for c in evidence},
            "ru_dump_id": ru.column("dump_id"),
            "en_dump_id": en.column("dump_id"),
        }
    )
    table = table.take(pc.sort_indices(table, [("ru_doc_id", "ascending"), ("en_doc_id", "ascending")]))
    return table.select(schemas.PAIRS.names).cast(schemas.PAIRS)


STEP = CorpusStep(
    name="pairs",
    reads=("embeddings", "entities", "duplicates"),
    writes=("pairs",),
    params=lambda settings: repr(pairing_config(settings)),
    run=pair_corpus,
    spreads=True,
)
