"""Corpus step `entity_keys`: the entities dimension, one row per key after the key map, from
every dump's entities."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline import schemas
from pipeline.corpus.key_map import ENTITY_COLUMNS, named_entities
from pipeline.corpus.step import CorpusStep, StepStats
from pipeline.ledger import ok_dump_ids
from pipeline.settings import Settings
from pipeline.store import Store


def _most_frequent(counter: Counter) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def build_entity_keys(store: Store, settings: Settings | None = None) -> StepStats:
    """The entities dimension: one row per key after the key map, from every dump's entities."""
    mapping = store.read_key_map()
    labels: dict[str, Counter] = defaultdict(Counter)
    names: dict[tuple[str, str], Counter] = defaultdict(Counter)
    langs: dict[str, Counter] = defaultdict(Counter)
    docs: dict[str, set[str]] = defaultdict(set)
    raw: dict[str, set[str]] = defaultdict(set)
    seen: set[tuple] = set()
    t = named_entities(store, ok_dump_ids(store))
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
    return StepStats("entity_keys", documents=len(set().union(*docs.values())), rows=len(rows))


STEP = CorpusStep(
    name="entity_keys",
    reads=("key_map", "entities"),
    writes=("entity_keys",),
    run=build_entity_keys,
)
