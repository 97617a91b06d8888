"""Corpus step `pairs`: RU/EN translation pairs over every processed document, from the stored
pairing features (the `embeddings` table), repeats of earlier documents left out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.corpus.duplicates import excluded
from pipeline.corpus.step import CorpusStep, StepStats
from pipeline.ledger import ok_dump_ids
from pipeline.settings import Settings
from pipeline.stages.pairing import DEFAULT_CONFIG, PairingSide, pair_documents
from pipeline.store import Store


def pairing_sides(
    store: Store, dump_ids: list[str], exclude: set[tuple[str, str]] = frozenset()
) -> dict[str, PairingSide]:
    """The stored pairing features of every distinct Russian and English document, by doc_id,
    leaving out the `(dump_id, doc_id)` occurrences in `exclude` (repeats of earlier documents).

    Memory stays about the size of the vectors themselves: a first pass reads the small columns
    (and how many sentence vectors each document has), a second pass copies the vectors part file
    by part file into arrays allocated once."""
    parts = [(dump_id, f) for dump_id in dump_ids for f in store.part_files("embeddings", dump_id)]
    rows: list[tuple] = []  # (doc_id, dump_id, lang, n_chars, numbers, n_sentences, part, row)
    for part, (dump_id, path) in enumerate(parts):
        t = pq.read_table(path, columns=["doc_id", "lang", "n_chars", "numbers", "sentence_vectors"])
        n_sentences = pc.list_value_length(t.column("sentence_vectors")).to_pylist()
        columns = (t.column(c).to_pylist() for c in ("doc_id", "lang", "n_chars", "numbers"))
        for r, (doc_id, lang, n_chars, numbers) in enumerate(zip(*columns)):
            if (dump_id, doc_id) in exclude:
                continue
            rows.append((doc_id, dump_id, str(lang), n_chars, numbers, n_sentences[r], part, r))
        del t
    rows.sort(key=lambda x: (x[0], x[1]))
    rows = [x for i, x in enumerate(rows) if i == 0 or x[0] != rows[i - 1][0]]  # a document seen in two dumps
    keys, dates = _entity_evidence(store, dump_ids)
    sides: dict[str, PairingSide] = {}
    destination: dict[tuple[int, int], tuple[PairingSide, int]] = {}  # (part, row) -> where its vectors go
    for lang in ("ru", "en"):
        selected = [x for x in rows if x[2] == lang]
        sides[lang] = _empty_side(selected, keys, dates)
        destination.update({(x[6], x[7]): (sides[lang], i) for i, x in enumerate(selected)})
    for part, (_, path) in enumerate(parts):
        t = pq.read_table(path, columns=["vector", "sentence_vectors"])
        vectors = _fixed_size_rows(t.column("vector").combine_chunks())
        sentences = t.column("sentence_vectors").combine_chunks()
        offsets = sentences.offsets.to_numpy()
        flat = _fixed_size_rows(sentences.values)
        for r in range(t.num_rows):
            if (part, r) in destination:
                side, i = destination[(part, r)]
                side.vectors[i] = vectors[r]
                side.sentences[side.offsets[i] : side.offsets[i + 1]] = flat[offsets[r] : offsets[r + 1]]
        del t, vectors, sentences, flat
    return sides


def _fixed_size_rows(array: pa.FixedSizeListArray) -> np.ndarray:
    """A fixed-size list array of float32 as a 2-d numpy array (rows x list size)."""
    values = array.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(-1, array.type.list_size)


def _entity_evidence(store: Store, dump_ids: list[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Entity keys (people, organizations) and dates (their norms, `TIME_REFERENCES` aside) named by
    each document, part by part."""
    keys: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, set[str]] = defaultdict(set)
    for dump_id in dump_ids:
        for path in store.part_files("entities", dump_id):
            t = pq.read_table(path, columns=["doc_id", "label", "norm", "entity_key"])
            label = t.column("label").cast(pa.string())
            is_date = pc.and_(pc.equal(label, "DATE"), pc.is_valid(t.column("norm")))
            is_date = pc.and_(is_date, pc.invert(pc.is_in(t.column("norm"), pa.array(schemas.TIME_REFERENCES))))
            is_name = pc.and_(pc.is_in(label, pa.array(["PERSON", "ORG"])), pc.is_valid(t.column("entity_key")))
            for target, mask, column in ((dates, is_date, "norm"), (keys, is_name, "entity_key")):
                kept = t.filter(pc.fill_null(mask, False))
                for doc_id, value in zip(kept.column("doc_id").to_pylist(), kept.column(column).to_pylist()):
                    if value:
                        target[doc_id].add(value)
    return keys, dates


def _empty_side(rows: list[tuple], keys: dict[str, set[str]], dates: dict[str, set[str]]) -> PairingSide:
    """A side with its small columns filled and its vector arrays allocated (filled by the caller)."""
    dim = schemas.EMBEDDING_DIM
    doc_ids = [x[0] for x in rows]
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([x[5] for x in rows], out=offsets[1:])
    return PairingSide(
        doc_ids=doc_ids,
        dump_ids=[x[1] for x in rows],
        n_chars=np.array([x[3] for x in rows], dtype=np.int64),
        vectors=np.zeros((len(rows), dim), np.float32),
        sentences=np.zeros((int(offsets[-1]), dim), np.float32),
        offsets=offsets,
        numbers=[set(x[4] or ()) for x in rows],
        keys=[keys.get(d, set()) for d in doc_ids],
        dates=[dates.get(d, set()) for d in doc_ids],
    )


def pair_corpus(store: Store, settings: Settings) -> StepStats:
    """Pair over every processed document from the stored features; replace the pairs table.

    A document that repeats an earlier one (the `duplicates` table) is left out: the article is
    paired once, through its earliest copy."""
    sides = pairing_sides(store, ok_dump_ids(store), excluded(store))
    pairs = pair_documents(sides["ru"], sides["en"], pairing_config(settings))
    store.write_pairs(schemas.to_table(pairs, schemas.PAIRS))
    return StepStats("pairs", documents=len(sides["ru"]) + len(sides["en"]), rows=len(pairs))


def pairing_config(settings: Settings):
    return replace(DEFAULT_CONFIG, min_score=settings.pair_min_score)


STEP = CorpusStep(
    name="pairs",
    reads=("embeddings", "entities", "duplicates"),
    writes=("pairs",),
    params=lambda settings: repr(pairing_config(settings)),
    run=pair_corpus,
)
