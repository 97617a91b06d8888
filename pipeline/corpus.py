"""Work over the whole processed corpus: RU/EN pairing and the run summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from pipeline import schemas
from pipeline.manifest import ok_dump_ids
from pipeline.settings import Settings
from pipeline.stages.pairing import DEFAULT_CONFIG, PairingSide, pair_documents
from pipeline.store import Store


@dataclass
class RunSummary:
    new_dumps: int = 0
    skipped_dumps: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    documents_by_lang: Counter = field(default_factory=Counter)
    entities_by_label: Counter = field(default_factory=Counter)
    n_pairs: int = 0

    def line(self) -> str:
        docs = ", ".join(f"{k} {v}" for k, v in sorted(self.documents_by_lang.items())) or "none"
        ents = ", ".join(f"{k} {v}" for k, v in sorted(self.entities_by_label.items())) or "none"
        return (
            f"dumps: {self.new_dumps} new, {self.skipped_dumps} unchanged, {len(self.rejected)} rejected"
            f" | documents: {sum(self.documents_by_lang.values())} ({docs})"
            f" | entities: {sum(self.entities_by_label.values())} ({ents})"
            f" | pairs: {self.n_pairs}"
        )


def pairing_sides(store: Store, dump_ids: list[str]) -> dict[str, PairingSide]:
    """The stored pairing features of every distinct Russian and English document, by doc_id."""
    emb = store.read_table(
        "embeddings", dump_ids, ["doc_id", "lang", "n_chars", "vector", "sentence_vectors", "numbers"]
    )
    emb = emb.sort_by([("doc_id", "ascending"), ("dump_id", "ascending")])
    doc_ids = emb.column("doc_id").to_pylist()
    first = [i for i, d in enumerate(doc_ids) if i == 0 or d != doc_ids[i - 1]]  # a document seen in two dumps
    emb = emb.take(pa.array(first, pa.int64()))
    keys, dates = _entity_evidence(store, dump_ids)
    langs = [str(x) for x in emb.column("lang").to_pylist()]
    sides = {}
    for lang in ("ru", "en"):
        t = emb.filter(pa.array([x == lang for x in langs], pa.bool_()))
        sides[lang] = _side(t, keys, dates)
    return sides


def _entity_evidence(store: Store, dump_ids: list[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Entity keys (people, organizations) and ISO dates named by each document."""
    ents = store.read_table("entities", dump_ids, ["doc_id", "label", "norm", "entity_key"])
    keys: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, set[str]] = defaultdict(set)
    columns = (ents.column(c).to_pylist() for c in ("doc_id", "label", "norm", "entity_key"))
    for doc_id, label, norm, key in zip(*columns):
        if label == "DATE" and norm:
            dates[doc_id].add(norm)
        elif key and label in ("PERSON", "ORG"):
            keys[doc_id].add(key)
    return keys, dates


def _side(t: pa.Table, keys: dict[str, set[str]], dates: dict[str, set[str]]) -> PairingSide:
    dim = schemas.EMBEDDING_DIM
    doc_ids = t.column("doc_id").to_pylist()
    sentences = t.column("sentence_vectors").combine_chunks()
    if not doc_ids:
        offsets, flat = np.zeros(1, np.int64), np.zeros((0, dim), np.float32)
    else:
        offsets = sentences.offsets.to_numpy().astype(np.int64)
        flat = sentences.values.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
    return PairingSide(
        doc_ids=doc_ids,
        dump_ids=t.column("dump_id").to_pylist(),
        n_chars=t.column("n_chars").to_numpy(),
        vectors=t.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False).reshape(-1, dim),
        sentences=flat[offsets[0] :],
        offsets=offsets - offsets[0],
        numbers=[set(x) for x in t.column("numbers").to_pylist()],
        keys=[keys.get(d, set()) for d in doc_ids],
        dates=[dates.get(d, set()) for d in doc_ids],
    )


def pair_corpus(store: Store, settings: Settings) -> int:
    """Pair over every processed document from the stored features; replace the pairs table."""
    sides = pairing_sides(store, ok_dump_ids(store))
    config = replace(DEFAULT_CONFIG, min_score=settings.pair_min_score)
    pairs = pair_documents(sides["ru"], sides["en"], config)
    store.write_pairs(schemas.to_table(pairs, schemas.PAIRS))
    return len(pairs)


def summarize(store: Store, summary: RunSummary) -> RunSummary:
    """Fill the dataset-wide counts of the summary from the tables."""
    ids = ok_dump_ids(store)
    docs = store.read_table("documents", ids, ["lang"])
    ents = store.read_table("entities", ids, ["label"])
    summary.documents_by_lang = Counter(map(str, docs.column("lang").to_pylist()))
    summary.entities_by_label = Counter(map(str, ents.column("label").to_pylist()))
    summary.n_pairs = store.read_pairs().num_rows
    return summary
