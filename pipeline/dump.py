"""Processing one dump: read (decode, split, detect: stages.readers), extract, normalize, embed, write."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline import schemas
from pipeline.manifest import manifest_row
from pipeline.nlp.loaders import load_gazetteer, load_language_model
from pipeline.records import DocumentRecord, DumpRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.documents import assign_published
from pipeline.stages.entities import extract_entities, harmonize_labels, normalize_entities
from pipeline.stages.pairing import embed_texts
from pipeline.stages.readers import open_dump
from pipeline.store import Store


def process_dump(path: Path, settings: Settings, store: Store) -> DumpRecord:
    """Write one dump's partitions and return its manifest row (`rejected` with the reason)."""
    path = Path(path)
    try:
        source = open_dump(path, settings)
        documents = list(source.documents)
        dump_id = source.dump_id
    except DumpRejected as exc:
        return manifest_row(path, exc.dump_id or "path:" + path.name, exc.size_bytes, None, 0, str(exc))
    except OSError as exc:
        return manifest_row(path, "path:" + path.name, 0, None, 0, f"unreadable: {exc.strerror or exc}")
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
    store.write_partition("embeddings", dump_id, embeddings_table(documents, vectors))
    row = manifest_row(path, dump_id, source.size_bytes, source.encoding, len(documents), None)
    return replace(row, error="; ".join(source.problems) or None)  # an ok dump keeps its reading problems


def embeddings_table(documents: list[DocumentRecord], vectors: np.ndarray) -> pa.Table:
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
