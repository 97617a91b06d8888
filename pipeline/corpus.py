"""Work over the whole processed corpus: RU/EN pairing and the run summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pipeline import schemas
from pipeline.manifest import ok_dump_ids
from pipeline.settings import Settings
from pipeline.stages.pairing import PairingCandidate, numbers_in, pair_documents
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


def pairing_candidates(store: Store, dump_ids: list[str]) -> dict[str, list[PairingCandidate]]:
    """One candidate per distinct Russian or English document of the corpus, with its evidence."""
    emb = store.read_table("embeddings", dump_ids)
    docs = store.read_table("documents", dump_ids, ["doc_id", "text"])
    ents = store.read_table("entities", dump_ids, ["doc_id", "label", "norm", "entity_key"])
    texts = dict(zip(docs.column("doc_id").to_pylist(), docs.column("text").to_pylist()))
    keys: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, set[str]] = defaultdict(set)
    columns = (ents.column(c).to_pylist() for c in ("doc_id", "label", "norm", "entity_key"))
    for doc_id, label, norm, key in zip(*columns):
        if label == "DATE" and norm:
            dates[doc_id].add(norm)
        elif key and label in ("PERSON", "ORG"):
            keys[doc_id].add(key)
    vectors = emb.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, schemas.EMBEDDING_DIM)
    out: dict[str, list[PairingCandidate]] = {"ru": [], "en": []}
    seen: set[str] = set()
    rows = zip(*(emb.column(c).to_pylist() for c in ("doc_id", "lang", "n_chars", "dump_id")))
    for i, (doc_id, lang, n_chars, dump_id) in enumerate(rows):
        if lang not in out or doc_id in seen:
            continue
        seen.add(doc_id)
        numbers = numbers_in(texts.get(doc_id, ""))
        out[lang].append(
            PairingCandidate(doc_id, dump_id, lang, n_chars, vectors[i], keys[doc_id], numbers, dates[doc_id])
        )
    return out


def pair_corpus(store: Store, settings: Settings) -> int:
    """Pair over every processed document and replace the pairs table; returns the pair count."""
    candidates = pairing_candidates(store, ok_dump_ids(store))
    pairs = pair_documents(candidates["ru"], candidates["en"], settings.pair_min_score)
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
