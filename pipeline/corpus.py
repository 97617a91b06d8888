"""Work over the whole processed corpus: RU/EN pairing, the key map and entities dimension, the run summary."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.bitext import sync_bitext
from pipeline.duplicates import excluded, params_tag
from pipeline.ids import current_version
from pipeline.ledger import ok_dump_ids
from pipeline.settings import Settings
from pipeline.stages.align import full_text
from pipeline.stages.name_links import pair_links, resolve_links, shared_keys
from pipeline.stages.pairing import DEFAULT_CONFIG, PairingSide, pair_documents
from pipeline.store import Store, corpus_key


@dataclass
class RunSummary:
    new_dumps: int = 0
    skipped_dumps: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    documents_by_lang: Counter = field(default_factory=Counter)
    entities_by_label: Counter = field(default_factory=Counter)
    n_pairs: int = 0
    replaced: int = 0  # older versions of a file superseded by this run's new dumps
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (path, why) left for a later run

    def line(self) -> str:
        docs = ", ".join(f"{k} {v}" for k, v in sorted(self.documents_by_lang.items())) or "none"
        ents = ", ".join(f"{k} {v}" for k, v in sorted(self.entities_by_label.items())) or "none"
        dumps = f"dumps: {self.new_dumps} new, {self.skipped_dumps} unchanged, {len(self.rejected)} rejected"
        dumps += f", {self.replaced} superseded" if self.replaced else ""
        dumps += f", {len(self.waiting)} left for later" if self.waiting else ""
        later = "".join(f" | left for later: {Path(p).name}: {why}" for p, why in self.waiting)
        return (
            f"{dumps}"
            f" | documents: {sum(self.documents_by_lang.values())} ({docs})"
            f" | entities: {sum(self.entities_by_label.values())} ({ents})"
            f" | pairs: {self.n_pairs}{later}"
        )


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


def pair_corpus(store: Store, settings: Settings) -> int:
    """Pair over every processed document from the stored features; replace the pairs table.

    A document that repeats an earlier one (the `duplicates` table) is left out: the article is
    paired once, through its earliest copy."""
    sides = pairing_sides(store, ok_dump_ids(store), excluded(store))
    config = replace(DEFAULT_CONFIG, min_score=settings.pair_min_score)
    pairs = pair_documents(sides["ru"], sides["en"], config)
    store.write_pairs(schemas.to_table(pairs, schemas.PAIRS))
    return len(pairs)


def refresh_pairs(
    store: Store,
    settings: Settings,
    pair: Callable[[Settings], int] | None = None,
    learn: Callable[[Settings], int] | None = None,
) -> int | None:
    """Pair over the whole corpus when its set of dumps, the pipeline version or the duplicate
    settings changed since the last pairing (the one rule, for runs and `forget`; repeats are left
    out of pairing, so their settings count), then align the pairs' sentences (the bitext table),
    learn the key map from them and rebuild the entities dimension; returns the number of pairs,
    or None when the pairs were up to date. `pair` and `learn` let the flow run these steps as tasks."""
    key = corpus_key(ok_dump_ids(store), current_version() + "|" + params_tag(settings))
    if store.pairs_key() == key:
        return None
    n_pairs = pair(settings) if pair is not None else pair_corpus(store, settings)
    if learn is not None:
        learn(settings)
    else:
        sync_bitext(store)  # the names of aligned sentences are the key map's evidence
        learn_keys(store)
        build_entity_keys(store)
    store.write_pairs_key(key)
    return n_pairs


_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
ENTITY_COLUMNS = ["doc_id", "label", "text", "start", "end", "norm", "entity_key", "lang"]
NAMED = pa.array(["PERSON", "ORG", "GPE", "LOC"])


def _named_entities(store: Store, dump_ids: list[str], doc_ids: set[str] | None = None) -> pa.Table:
    """The keyed name mentions of the given dumps (of the given documents only, when given)."""
    parts = []
    for dump_id in dump_ids:
        t = store.read_partition("entities", dump_id, ENTITY_COLUMNS)
        mask = pc.and_(pc.is_in(t.column("label").cast(pa.string()), NAMED), pc.is_valid(t.column("entity_key")))
        if doc_ids is not None:
            mask = pc.and_(mask, pc.is_in(t.column("doc_id"), pa.array(sorted(doc_ids), pa.string())))
        t = t.filter(pc.fill_null(mask, False))
        parts.append(
            t.set_column(1, "label", t.column("label").cast(pa.string())).set_column(
                7, "lang", t.column("lang").cast(pa.string())
            )
        )
    if not parts:
        return pa.table({c: pa.array([], pa.int32() if c in ("start", "end") else pa.string()) for c in ENTITY_COLUMNS})
    return pa.concat_tables(parts)


def learn_keys(store: Store) -> int:
    """Learn name equivalences from every pair of the pairs table; replace the key map.

    The documents and entities of paired documents are read dump by dump, a pair's aligned
    sentences from the bitext table (aligned by the same aligner when it has none); pairs are taken in
    sorted order, so the same corpus gives the same map."""
    pairs = store.read_pairs()
    ru_ids, en_ids = pairs.column("ru_doc_id").to_pylist(), pairs.column("en_doc_id").to_pylist()
    wanted = set(ru_ids) | set(en_ids)
    dump_ids = ok_dump_ids(store)
    texts: dict[str, str] = {}
    heads: dict[str, int] = {}  # where the text starts in the title-and-text string of the bitext
    for dump_id in dump_ids:
        docs = store.read_partition("documents", dump_id, ["doc_id", "title", "text"])
        for doc_id, title, text in zip(*(docs.column(c).to_pylist() for c in ("doc_id", "title", "text"))):
            if doc_id in wanted and doc_id not in texts:
                texts[doc_id] = text
                heads[doc_id] = len(full_text(title, "")) if title else 0
    units = _bitext_units(store, heads)
    by_doc: dict[str, list[dict]] = defaultdict(list)
    seen: set[tuple] = set()
    for e in _named_entities(store, dump_ids, wanted).to_pylist():
        if (e["doc_id"], e["start"], e["end"]) not in seen:  # a document seen in two dumps
            seen.add((e["doc_id"], e["start"], e["end"]))
            by_doc[e["doc_id"]].append(e)
    links, shared = [], Counter()
    for ru, en in sorted(zip(ru_ids, en_ids)):
        if ru in texts and en in texts:
            links.extend(pair_links(texts[ru], texts[en], by_doc[ru], by_doc[en], units.get((ru, en))))
            shared.update(shared_keys(by_doc[ru], by_doc[en]))
    russian_people = {
        e["entity_key"]
        for ru in ru_ids
        for e in by_doc[ru]
        if e["label"] == "PERSON" and e["lang"] == "ru" and _CYRILLIC.search(e["text"])
    }
    rows = resolve_links(links, shared, russian_people)
    store.write_key_map(schemas.to_table(rows, schemas.KEY_MAP))
    return len(rows)


def _bitext_units(store: Store, heads: dict[str, int]) -> dict[tuple[str, str], list]:
    """Each pair's aligned units as (Russian span, English span) in the documents' texts (None: no
    counterpart, or a sentence of the title, which has no entities)."""
    columns = ["ru_doc_id", "en_doc_id", "unit", "ru_start", "ru_end", "en_start", "en_end"]
    t = store.read_bitext(columns).sort_by([(c, "ascending") for c in columns[:3]])
    out: dict[tuple[str, str], list] = defaultdict(list)
    for ru, en, _, rs, re_, es, ee in zip(*(t.column(c).to_pylist() for c in columns)):
        if ru not in heads or en not in heads:
            continue
        r = (rs - heads[ru], re_ - heads[ru]) if rs is not None and rs >= heads[ru] else None
        e = (es - heads[en], ee - heads[en]) if es is not None and es >= heads[en] else None
        if r or e:
            out[(ru, en)].append((r, e))
    return out


def _most_frequent(counter: Counter) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def build_entity_keys(store: Store) -> int:
    """The entities dimension: one row per key after the key map, from every dump's entities."""
    mapping = store.read_key_map()
    labels: dict[str, Counter] = defaultdict(Counter)
    names: dict[tuple[str, str], Counter] = defaultdict(Counter)
    langs: dict[str, Counter] = defaultdict(Counter)
    docs: dict[str, set[str]] = defaultdict(set)
    raw: dict[str, set[str]] = defaultdict(set)
    seen: set[tuple] = set()
    t = _named_entities(store, ok_dump_ids(store))
    columns = (t.column(c).to_pylist() for c in ENTITY_COLUMNS)
    for doc_id, label, text, start, end, norm, entity_key, lang in zip(*columns):
        if (doc_id, start, end, label) in seen:
            continue
        seen.add((doc_id, start, end, label))
        key = mapping.get(entity_key, entity_key)
        labels[key][label] += 1
        names[(key, lang)][norm or text] += 1
        langs[key][lang] += 1
        docs[key].add(doc_id)
        raw[key].add(entity_key)
    rows = [
        {
            "key": key,
            "label": _most_frequent(labels[key]),
            "name_ru": _most_frequent(names[(key, "ru")]) if names.get((key, "ru")) else None,
            "name_en": _most_frequent(names[(key, "en")]) if names.get((key, "en")) else None,
            "mentions": sum(langs[key].values()),
            "mentions_ru": langs[key]["ru"],
            "mentions_en": langs[key]["en"],
            "documents": len(docs[key]),
            "n_keys": len(raw[key]),
        }
        for key in labels
    ]
    rows.sort(key=lambda r: (-r["mentions"], r["key"]))
    store.write_entity_keys(schemas.to_table(rows, schemas.ENTITY_KEYS))
    return len(rows)


def summarize(store: Store, summary: RunSummary) -> RunSummary:
    """Fill the dataset-wide counts of the summary from the tables."""
    ids = ok_dump_ids(store)
    docs = store.read_table("documents", ids, ["lang"])
    ents = store.read_table("entities", ids, ["label"])
    summary.documents_by_lang = _value_counts(docs.column("lang"))
    summary.entities_by_label = _value_counts(ents.column("label"))
    summary.n_pairs = store.read_pairs().num_rows
    return summary


def _value_counts(column: pa.ChunkedArray) -> Counter:
    """How often each value occurs, counted in Arrow (no Python object per row)."""
    counts = pc.value_counts(column.cast(pa.string()))
    return Counter(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))
