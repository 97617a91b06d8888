"""Composing the stages for one dump and for the corpus; Prefect-free, called by the flow."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import PIPELINE_VERSION, schemas
from pipeline.nlp.loaders import load_gazetteer, load_language_model
from pipeline.records import DumpRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected, decode_bytes, dump_id_of
from pipeline.stages.documents import assign_published, documents_from_text
from pipeline.stages.entities import extract_entities, harmonize_labels, normalize_entities
from pipeline.stages.pairing import PairingCandidate, embed_texts, numbers_in, pair_documents
from pipeline.store import Store

DUMP_SUFFIXES = (".txt",)


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


def discover_dumps(raw_dir: Path) -> list[Path]:
    """Every entry of the raw folder that is not hidden, in name order (bad ones are rejected later)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    return sorted(p for p in raw_dir.iterdir() if not p.name.startswith("."))


def dumps_to_process(paths: list[Path], manifest: pa.Table) -> tuple[list[Path], list[Path]]:
    """Split paths into (to process, unchanged) using the manifest's dump ids and versions."""
    done = {
        (d, v) for d, v in zip(manifest.column("dump_id").to_pylist(), manifest.column("pipeline_version").to_pylist())
    }
    todo, unchanged = [], []
    for p in paths:
        try:
            dump_id = dump_id_of(p.read_bytes())
        except OSError:
            todo.append(p)
            continue
        (unchanged if (dump_id, PIPELINE_VERSION) in done else todo).append(p)
    return todo, unchanged


def _manifest_row(
    path: Path, dump_id: str, size: int, encoding: str | None, n_docs: int, error: str | None
) -> DumpRecord:
    return DumpRecord(
        dump_id=dump_id,
        path=str(path),
        size_bytes=size,
        encoding=encoding,
        n_documents=n_docs,
        status="rejected" if error else "ok",
        error=error,
        pipeline_version=PIPELINE_VERSION,
        processed_at=datetime.now(UTC),
    )


def process_dump(path: Path, settings: Settings, store: Store) -> DumpRecord:
    """Read, split, detect, extract and write one dump's partitions; return its manifest row."""
    path = Path(path)
    try:
        if path.is_dir():
            raise DumpRejected("a directory, not a dump file")
        data = path.read_bytes()
    except DumpRejected as exc:
        return _manifest_row(path, "path:" + path.name, 0, None, 0, str(exc))
    except OSError as exc:
        return _manifest_row(path, "path:" + path.name, 0, None, 0, f"unreadable: {exc.strerror or exc}")
    dump_id = dump_id_of(data)
    try:
        decoded = decode_bytes(data)
    except DumpRejected as exc:
        return _manifest_row(path, dump_id, len(data), None, 0, str(exc))
    documents = list(
        documents_from_text(
            decoded.text,
            dump_id,
            settings.lang_sample_chars,
            settings.lang_min_prob,
            settings.headline_max_chars,
        )
    )
    models_dir = settings.models_dir.resolve()
    entities = extract_entities(
        documents, lambda lang: load_language_model(models_dir, lang), settings.batch_size, settings.n_process
    )
    gazetteer = load_gazetteer(models_dir)
    entities = normalize_entities(harmonize_labels(entities, gazetteer), documents, gazetteer)
    documents = assign_published(documents, entities)
    ordinal = {d.doc_id: d.ordinal for d in documents}
    entities.sort(key=lambda e: (ordinal[e.doc_id], e.start, e.end))
    vectors = embed_texts([d.text for d in documents])
    store.write_partition("documents", dump_id, schemas.to_table(documents, schemas.DOCUMENTS))
    store.write_partition("entities", dump_id, schemas.to_table(entities, schemas.ENTITIES))
    store.write_partition("embeddings", dump_id, _embeddings_table(documents, vectors))
    return _manifest_row(path, dump_id, len(data), decoded.encoding, len(documents), None)


def _embeddings_table(documents, vectors: np.ndarray) -> pa.Table:
    flat = pa.array(vectors.reshape(-1), pa.float32())
    return pa.Table.from_arrays(
        [
            pa.array([d.doc_id for d in documents], pa.string()),
            pa.array([d.lang for d in documents], pa.string()).dictionary_encode(),
            pa.array([len(d.text) for d in documents], pa.int32()),
            pa.FixedSizeListArray.from_arrays(flat, schemas.EMBEDDING_DIM),
        ],
        schema=schemas.EMBEDDINGS,
    )


def record_dumps(store: Store, rows: list[DumpRecord]) -> None:
    """Add or replace manifest rows (by dump id, or by path for a dump that could not be read)."""
    manifest = store.read_manifest()
    new_ids = {r.dump_id for r in rows}
    if manifest.num_rows:
        manifest = manifest.filter(pc.invert(pc.is_in(manifest.column("dump_id"), pa.array(sorted(new_ids)))))
    table = pa.concat_tables([manifest.cast(schemas.DUMPS), schemas.to_table(rows, schemas.DUMPS)])
    order = pc.sort_indices(table, sort_keys=[("path", "ascending"), ("dump_id", "ascending")])
    store.write_manifest(table.take(order))


def ok_dump_ids(store: Store) -> list[str]:
    m = store.read_manifest()
    return sorted(d for d, s in zip(m.column("dump_id").to_pylist(), m.column("status").to_pylist()) if s == "ok")


def pairing_candidates(store: Store, dump_ids: list[str]) -> dict[str, list[PairingCandidate]]:
    """One candidate per distinct Russian or English document of the corpus, with its evidence."""
    emb = store.read_table("embeddings", dump_ids)
    docs = store.read_table("documents", dump_ids, ["doc_id", "text"])
    ents = store.read_table("entities", dump_ids, ["doc_id", "label", "norm", "entity_key"])
    texts = dict(zip(docs.column("doc_id").to_pylist(), docs.column("text").to_pylist()))
    keys: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, set[str]] = defaultdict(set)
    for doc_id, label, norm, key in zip(
        *(ents.column(c).to_pylist() for c in ("doc_id", "label", "norm", "entity_key"))
    ):
        if label == "DATE" and norm:
            dates[doc_id].add(norm)
        elif key and label in ("PERSON", "ORG"):
            keys[doc_id].add(key)
    vectors = emb.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, schemas.EMBEDDING_DIM)
    out: dict[str, list[PairingCandidate]] = {"ru": [], "en": []}
    seen: set[str] = set()
    for i, (doc_id, lang, n_chars, dump_id) in enumerate(
        zip(*(emb.column(c).to_pylist() for c in ("doc_id", "lang", "n_chars", "dump_id")))
    ):
        if lang not in out or doc_id in seen:
            continue
        seen.add(doc_id)
        out[lang].append(
            PairingCandidate(
                doc_id,
                dump_id,
                lang,
                n_chars,
                vectors[i],
                keys[doc_id],
                numbers_in(texts.get(doc_id, "")),
                dates[doc_id],
            )
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
