"""Processing one dump in three steps that a task runner can spread over workers:

1. `open_source`: read, decode and split the dump into documents (one call; the reader).
2. `analyze_batch`: the heavy NLP of a few hundred documents (entities as the models find them,
   sentence embeddings); batches are independent, so one large dump spreads over the workers.
3. `write_dump`: dump-wide normalization (labels, dates, keys, `published`), then one part file
   per batch and table, staged under `_tmp/` and switched into place in one rename per table.

`process_dump` chains the three in one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline import schemas
from pipeline.manifest import manifest_row
from pipeline.nlp.loaders import load_gazetteer, load_language_model
from pipeline.records import DocumentRecord, DumpRecord, EntityRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.documents import assign_published
from pipeline.stages.entities import extract_entities, harmonize_labels, normalize_entities
from pipeline.stages.pairing import embed_documents
from pipeline.stages.readers import DumpSource, open_dump
from pipeline.store import Store


@dataclass
class ReadDump:
    """What the reading step hands on: the source's facts and its documents cut into batches."""

    dump_id: str
    path: str
    size_bytes: int
    encoding: str | None
    problems: list[str]
    batches: list[list[DocumentRecord]]


@dataclass
class BatchAnalysis:
    """The NLP output of one batch: entities as the models found them, one embedding per document."""

    entities: list[EntityRecord]
    embeddings: pa.Table


def open_source(path: Path, settings: Settings) -> DumpSource:
    """Read, decode and split one dump file (streaming); raises DumpRejected, or OSError for I/O."""
    return open_dump(Path(path), settings)


def read_dump(path: Path, settings: Settings, dump_id: str) -> ReadDump | DumpRecord:
    """Open a dump and cut its documents into batches, or return its `rejected` manifest row.

    `dump_id` is the id the run planned with (used when the content cannot be read at all).
    I/O errors propagate (a caller may retry them); content that cannot be read is a rejection.
    """
    try:
        source = open_source(path, settings)
        batches: list[list[DocumentRecord]] = []
        for doc in source.documents:
            if not batches or len(batches[-1]) >= settings.batch_size:
                batches.append([])
            batches[-1].append(doc)
    except DumpRejected as exc:
        # a reader that hashed the file names the dump itself (issue 3's open_dump does)
        rejected_id = getattr(exc, "dump_id", None) or dump_id
        return manifest_row(path, rejected_id, getattr(exc, "size_bytes", 0) or _size(path), None, 0, str(exc))
    return ReadDump(source.dump_id, str(path), source.size_bytes, source.encoding, source.problems, batches)


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def analyze_batch(documents: list[DocumentRecord], settings: Settings) -> BatchAnalysis:
    """Entities (per language, spaCy) and sentence embeddings of one batch of documents."""
    models_dir = settings.models_dir.resolve()
    entities = extract_entities(
        documents, lambda lang: load_language_model(models_dir, lang), settings.batch_size, settings.n_process
    )
    return BatchAnalysis(entities, embed_documents(documents))


def write_dump(read: ReadDump, analyses: list[BatchAnalysis], settings: Settings, store: Store) -> DumpRecord:
    """Normalize over the whole dump, write one part file per batch and table, switch them in."""
    documents = [d for batch in read.batches for d in batch]
    ordinal = {d.doc_id: d.ordinal for d in documents}
    entities = [e for a in analyses for e in a.entities]
    entities.sort(key=lambda e: (ordinal[e.doc_id], e.start, e.end, e.label))
    gazetteer = load_gazetteer(settings.models_dir.resolve())
    entities = normalize_entities(harmonize_labels(entities, gazetteer), documents, gazetteer)
    documents = assign_published(documents, entities)
    entities.sort(key=lambda e: (ordinal[e.doc_id], e.start, e.end, e.label))

    first_ordinals = [batch[0].ordinal for batch in read.batches] or [0]
    staging = store.stage(read.dump_id)
    position = 0
    for i, analysis in enumerate(analyses or [BatchAnalysis([], embed_documents([]))]):
        n = len(read.batches[i]) if read.batches else 0
        docs = documents[position : position + n]
        position += n
        lo = first_ordinals[i]
        hi = first_ordinals[i + 1] if i + 1 < len(first_ordinals) else None
        ents = [e for e in entities if ordinal[e.doc_id] >= lo and (hi is None or ordinal[e.doc_id] < hi)]
        staging.write_part("documents", schemas.to_table(docs, schemas.DOCUMENTS))
        staging.write_part("entities", schemas.to_table(ents, schemas.ENTITIES))
        staging.write_part("embeddings", analysis.embeddings)
    store.commit(staging)
    problems = "; ".join(read.problems) or None
    row = manifest_row(Path(read.path), read.dump_id, read.size_bytes, read.encoding, len(documents), None)
    row.error = problems
    return row


def process_dump(path: Path, settings: Settings, store: Store, dump_id: str | None = None) -> DumpRecord:
    """Read, analyze and write one dump in this process; returns its manifest row."""
    try:
        read = read_dump(Path(path), settings, dump_id or "path:" + Path(path).name)
    except OSError as exc:
        return manifest_row(path, dump_id or "path:" + Path(path).name, 0, None, 0, f"unreadable: {exc}")
    if isinstance(read, DumpRecord):
        return read
    return write_dump(read, [analyze_batch(b, settings) for b in read.batches], settings, store)
