"""`pipeline evaluate ner`: run the entity stage over gold documents and score it.

Scoring follows ../shared/eval/score_ner.py: English spans must match exactly; Russian spans may
match the gold full extent or its core (name) extent, and a wrong prediction equal to an ignored
gold mention is set aside (factRuEval task-1 rules). MISC is reported but left out of overall.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from pipeline.records import DocumentRecord, EntityRecord
from pipeline.schemas import TIME_REFERENCES
from pipeline.settings import Settings

SCORED = ("PER", "ORG", "LOC")
# The pipeline's labels (spaCy's OntoNotes set for English) onto the gold's PER/ORG/LOC/MISC.
GOLD_LABEL = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
EVAL_LABELS = frozenset(GOLD_LABEL)
NORM_ONLY_COMPONENTS = ("russian_name_normalizer",)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def predict(gold: list[dict], lang: str, settings: Settings | None = None) -> list[dict]:
    """The entity stage over each gold document; one `{id, entities}` per document, gold labels."""
    from pipeline.nlp.loaders import load_gazetteer, load_language_model
    from pipeline.stages.entities import entities_of_documents

    settings = settings or Settings.from_env()
    models_dir = settings.models_dir.resolve()
    documents = [
        DocumentRecord(str(g["id"]), i, None, g["text"], lang, 1.0, 1, 0, len(g["text"]))
        for i, g in enumerate(gold)
    ]
    model = load_language_model(models_dir, lang)
    # Norms are not scored: the components that only write them are left out of the run.
    skip = [name for name in NORM_ONLY_COMPONENTS if name in model.nlp.pipe_names]
    with model.nlp.select_pipes(disable=skip):
        entities = entities_of_documents(
            documents,
            lambda lg: model if lg == lang else None,
            load_gazetteer(models_dir),
            batch_size=settings.batch_size,
            keep_labels=EVAL_LABELS,
        )
    return predictions_from_entities(gold, entities)


def predictions_from_entities(gold: list[dict], entities: Iterable[EntityRecord]) -> list[dict]:
    by_doc: dict[str, list[dict]] = {str(g["id"]): [] for g in gold}
    for e in entities:
        label = GOLD_LABEL.get(e.label)
        if label is not None and e.doc_id in by_doc:
            by_doc[e.doc_id].append({"start": e.start, "end": e.end, "label": label})
    return [
        {"id": g["id"], "entities": sorted(by_doc[str(g["id"])], key=lambda x: (x["start"], x["end"], x["label"]))}
        for g in gold
    ]


def prf(tp: int, npred: int, ngold: int) -> dict:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def _gold_spans(entity: dict, lang: str) -> set[tuple[int, int]]:
    spans = {(entity["start"], entity["end"])}
    if lang == "ru" and entity.get("core_start") is not None:
        spans.add((entity["core_start"], entity["core_end"]))
    return spans


def score(gold: list[dict], predictions: list[dict], lang: str) -> dict:
    """P/R/F1 per label and overall (PER+ORG+LOC), by the rules of the reference scorer."""
    pred = {p["id"]: p for p in predictions}
    tp: Counter = Counter()
    npred: Counter = Counter()
    ngold: Counter = Counter()
    for g in gold:
        ents = g["entities"]
        for e in ents:
            ngold[e["label"]] += 1
        unused = list(range(len(ents)))
        for p in sorted(pred.get(g["id"], {}).get("entities", []), key=lambda e: (e["start"], e["end"])):
            label, span = p["label"], (p["start"], p["end"])
            hit = next((i for i in unused if ents[i]["label"] == label and span in _gold_spans(ents[i], lang)), None)
            if hit is not None:
                unused.remove(hit)
                tp[label] += 1
                npred[label] += 1
                continue
            if lang == "ru" and any(
                m.get("label") == label
                and span in {(m.get("start"), m.get("end")), (m.get("core_start"), m.get("core_end"))}
                for m in g.get("ignored", [])
            ):
                continue
            npred[label] += 1
    labels = SCORED + (("MISC",) if lang == "en" else ())
    result = {label: prf(tp[label], npred[label], ngold[label]) for label in labels}
    result["overall"] = prf(sum(tp[x] for x in SCORED), sum(npred[x] for x in SCORED), sum(ngold[x] for x in SCORED))
    return result


def write_predictions(predictions: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for p in predictions:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")


def main(args: argparse.Namespace) -> int:
    """Each gold set scored in turn: a line of counts and a JSON line each; with several sets, a
    last JSON line of all results by file name (`conllpp_dev`, `conll2003_dev`)."""
    paths = [Path(g) for g in args.gold]
    sets = {}
    for path in paths:
        try:
            sets[path] = read_jsonl(path)
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: cannot read gold file {path}: {exc}")
            return 2
    results = {}
    for path, gold in sets.items():
        predictions = predict(gold, args.lang)
        if args.predictions:
            out = Path(args.predictions)
            if len(paths) > 1:
                out.mkdir(parents=True, exist_ok=True)
                out = out / f"{path.stem}.jsonl"
            write_predictions(predictions, out)
        result = score(gold, predictions, args.lang)
        if args.halves:  # one half may be held back while rules are written on the other
            half = len(gold) // 2
            result["halves"] = [
                score(gold[part], predictions[part], args.lang)["overall"] | {"documents": len(gold[part])}
                for part in (slice(0, half), slice(half, None))
            ]
        results[path.stem] = result
        n_entities = sum(len(g["entities"]) for g in gold)
        print(f"{path.name}: {len(gold)} documents, {n_entities} gold entities, lang={args.lang}")
        print(json.dumps(result))
    if len(paths) > 1:
        print(json.dumps(results))
    return 0


def read_pairs(path: Path) -> list[tuple[str, str]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")[:2]) for line in lines[1:] if line.strip()]


def comparable_items(entities: Iterable[EntityRecord]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per document: (the PERSON and ORG keys and DATE values it names, every key and DATE value)."""
    counted: dict[str, set[str]] = defaultdict(set)
    present: dict[str, set[str]] = defaultdict(set)
    for e in entities:
        dated = e.label == "DATE" and e.norm and e.norm not in TIME_REFERENCES  # "now" names no date
        item = e.entity_key if e.entity_key else f"date:{e.norm}" if dated else None
        if item is None:
            continue
        present[e.doc_id].add(item)
        if e.label in ("PERSON", "ORG", "DATE"):
            counted[e.doc_id].add(item)
    return counted, present


def key_coverage(counted: dict[str, set[str]], present: dict[str, set[str]], pairs: list[tuple[str, str]]) -> dict:
    """Of the PERSON/ORG keys and DATE values found in one side of a true pair, the share that the
    other side names too (as any entity). Micro-averaged over all pairs, in each direction."""
    found = {"ru_in_en": [0, 0], "en_in_ru": [0, 0]}
    for ru_id, en_id in pairs:
        for name, src, dst in (("ru_in_en", ru_id, en_id), ("en_in_ru", en_id, ru_id)):
            items = counted.get(src, set())
            found[name][0] += len(items & present.get(dst, set()))
            found[name][1] += len(items)
    return {k: {"shared": a, "total": b, "coverage": round(a / b, 4) if b else 0.0} for k, (a, b) in found.items()}


def run_entity_stage(records: list[dict], settings: Settings | None = None) -> list[EntityRecord]:
    """The entity stage over `{id, lang, text}` records (language given), as the pipeline runs it."""
    from pipeline.nlp.loaders import load_gazetteer, load_language_model
    from pipeline.stages.entities import entities_of_documents

    settings = settings or Settings.from_env()
    models_dir = settings.models_dir.resolve()
    documents = [
        DocumentRecord(str(r["id"]), i, None, r["text"], r["lang"], 1.0, 1, 0, len(r["text"]))
        for i, r in enumerate(records)
    ]
    return entities_of_documents(
        documents, lambda lg: load_language_model(models_dir, lg), load_gazetteer(models_dir), settings.batch_size
    )


def coverage_misses(
    counted: dict[str, set[str]], present: dict[str, set[str]], pairs: list[tuple[str, str]]
) -> list[dict]:
    """Per true pair, the counted items of each side the other side does not name."""
    return [
        {
            "ru_id": ru_id,
            "en_id": en_id,
            "ru_not_in_en": sorted(counted.get(ru_id, set()) - present.get(en_id, set())),
            "en_not_in_ru": sorted(counted.get(en_id, set()) - present.get(ru_id, set())),
        }
        for ru_id, en_id in pairs
    ]


def _part_of_another(name: str, names: set[str]) -> bool:
    """A name that is the first or last words of another name ("Трамп" of "Дональд Трамп"), or
    the acronym of another ("ес" of "европейский союз")."""
    from pipeline.nlp.keys import is_acronym_of

    words = name.split()
    if len(words) == 1 and any(is_acronym_of(name.upper(), o, strict=True) for o in names if o != name):
        return True
    return any(
        len(o.split()) > len(words) and (o.split()[: len(words)] == words or o.split()[-len(words) :] == words)
        for o in names
    )


def names_per_key(entities: Iterable[EntityRecord]) -> dict:
    """Precision of the keys: how many PERSON/ORG keys carry more than one distinct name (folded
    `norm`) in one language, of all keys, and the share (`per_language_share`: of the keys of each
    language apart, which a cross-lingual join leaves unchanged); `full_names`: the same when a name that
    is the first or last words of another name of the key (a surname, a given name alone) or its
    acronym is not counted as another name."""
    from pipeline.nlp.spelling import fold_name

    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in entities:
        if e.entity_key and e.label in ("PERSON", "ORG"):
            names[(e.entity_key, e.lang)].add(fold_name(e.norm or e.text))
    keys = {k for k, _ in names}
    several = {k for (k, _), v in names.items() if len(v) > 1}
    full = {k for (k, _), v in names.items() if len({n for n in v if not _part_of_another(n, v)}) > 1}
    several_here = sum(len(v) > 1 for v in names.values())
    return {
        "key_languages": len(names),  # (key, language) with a name: a key the pairs join is one per language
        "key_languages_with_several_names": several_here,
        "per_language_share": round(several_here / len(names), 4) if names else 0.0,
        "keys": len(keys),
        "keys_with_several_names": len(several),
        "share": round(len(several) / len(keys), 4) if keys else 0.0,
        "keys_with_several_full_names": len(full),
        "full_names_share": round(len(full) / len(keys), 4) if keys else 0.0,
    }


def flow_entities(records: list[dict], workdir: Path) -> list[EntityRecord]:
    """The real flow over `{id, lang, text}` records written as one JSON Lines dump; its entities
    with `doc_id` read as the record id and `entity_key` through the learned key map."""
    import pyarrow.dataset as ds

    from pipeline.evaluation.pairs import run_flow_on_dump
    from pipeline.store import Store

    dump = Path(workdir) / "records.jsonl"
    with open(dump, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({"id": r["id"], "lang": r["lang"], "text": r["text"]}, ensure_ascii=False) + "\n")
    out = run_flow_on_dump(dump, Path(workdir) / "run")
    docs = ds.dataset(out / "documents", format="parquet", partitioning="hive")
    docs = docs.to_table(columns=["doc_id", "source_id"])
    source = dict(zip(docs.column("doc_id").to_pylist(), docs.column("source_id").to_pylist()))
    mapping = Store(out).read_key_map()
    table = ds.dataset(out / "entities", format="parquet", partitioning="hive").to_table()
    return [
        EntityRecord(
            doc_id=source[r["doc_id"]],
            label=r["label"],
            text=r["text"],
            start=r["start"],
            end=r["end"],
            norm=r["norm"],
            entity_key=mapping.get(r["entity_key"], r["entity_key"]),
            lang=r["lang"],
        )
        for r in table.to_pylist()
    ]


def keys_main(args: argparse.Namespace) -> int:
    """`pipeline evaluate keys RECORDS GOLD`: the records through the real flow (pairing, the key
    map learned from its pairs); key coverage over the true pairs, JSON on the last line."""
    import tempfile

    try:
        pairs = read_pairs(Path(args.gold))
        records = read_jsonl(Path(args.records))
        known = {r["id"] for r in records}
        if any(i not in known for pair in pairs for i in pair):
            raise ValueError("gold ids missing from the records")
    except (OSError, json.JSONDecodeError, ValueError, KeyError) as exc:
        print(f"error: cannot read {args.records} or {args.gold}: {exc}")
        return 2
    with tempfile.TemporaryDirectory(prefix="evaluate-keys-") as tmp:
        entities = flow_entities(records, Path(tmp))
    counted, present = comparable_items(entities)
    if args.misses:
        with open(args.misses, "w", encoding="utf-8") as f:
            for row in coverage_misses(counted, present, pairs):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    result = key_coverage(counted, present, pairs)
    half = len(pairs) // 2  # each half of the gold pairs apart: one may be held back while tuning
    result["halves"] = [key_coverage(counted, present, part) for part in (pairs[:half], pairs[half:])]
    result["names_per_key"] = names_per_key(entities)
    print(f"{len(pairs)} true pairs, {len(records)} documents")
    print(json.dumps(result))
    return 0
