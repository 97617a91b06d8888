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
from pipeline.manifest import current_version, ok_dump_ids
from pipeline.pairing_index import Links, State, Submit, link, refresh_state
from pipeline.settings import Settings
from pipeline.stages.align import full_text
from pipeline.stages.name_links import pair_links, resolve_links, shared_keys
from pipeline.stages.pairing import DEFAULT_CONFIG, PairingConfig
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


def pair_corpus(store: Store, settings: Settings, submit: Submit | None = None, stats: dict | None = None) -> int:
    """Bring the kept pairing state up to the corpus (`pipeline.pairing_index`: the new dumps'
    documents against all, or a full recompute whose tasks `submit` may send to a Dask cluster),
    link one to one over all its candidate edges and replace the pairs table.

    A document that repeats an earlier one (the `duplicates` table) is left out: the article is
    paired once, through its earliest copy."""
    config = pairing_config(settings)
    tag = current_version() + "|" + params_tag(settings)
    state = refresh_state(store, ok_dump_ids(store), excluded(store), config, tag, submit, stats)
    links = link(state, config, config.min_score)
    table = pairs_table(store, state, links, None if state.rebuilt else store.read_pairs())
    store.write_pairs(table)
    return table.num_rows


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
    a = state.sides["ru"].chars[links.ru].astype(np.float64)
    b = state.sides["en"].chars[links.en].astype(np.float64)
    ratio = np.where((a > 0) & (b > 0), np.minimum(a, b) / np.maximum(np.maximum(a, b), 1), 0.0)
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
    key = corpus_key(ok_dump_ids(store), f"{current_version()}|{params_tag(settings)}|{pairing_config(settings)}")
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
