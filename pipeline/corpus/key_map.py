"""Corpus step `key_map`: name equivalences learned from the pairs' aligned sentences (which
Russian and English entity keys name the same person or organization)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import schemas
from pipeline.corpus.step import CorpusStep, StepStats
from pipeline.ledger import ok_dump_ids
from pipeline.settings import Settings
from pipeline.stages.align import full_text
from pipeline.stages.name_links import pair_links, resolve_links, shared_keys
from pipeline.store import Store

_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
ENTITY_COLUMNS = ["doc_id", "label", "text", "start", "end", "norm", "entity_key", "lang"]
NAMED = pa.array(["PERSON", "ORG", "GPE", "LOC"])


def named_entities(store: Store, dump_ids: list[str], doc_ids: set[str] | None = None) -> pa.Table:
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


def learn_keys(store: Store, settings: Settings | None = None) -> StepStats:
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
    for e in named_entities(store, dump_ids, wanted).to_pylist():
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
    return StepStats("key_map", documents=len(texts), rows=len(rows))


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


STEP = CorpusStep(
    name="key_map",
    reads=("pairs", "bitext", "documents", "entities"),
    writes=("key_map",),
    run=learn_keys,
)
