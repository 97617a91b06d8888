"""Processing one dump: read, decode, split, detect, extract, normalize, embed, write."""

from __future__ import annotations

from pathlib import Path

from pipeline import schemas
from pipeline.manifest import manifest_row
from pipeline.nlp.loaders import load_gazetteer, load_language_model
from pipeline.records import DumpRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected, decode_bytes, dump_id_of
from pipeline.stages.documents import assign_published, documents_from_text
from pipeline.stages.entities import extract_entities, harmonize_labels, normalize_entities
from pipeline.stages.pairing import embed_documents
from pipeline.store import Store


def process_dump(path: Path, settings: Settings, store: Store) -> DumpRecord:
    """Write one dump's partitions and return its manifest row (`rejected` with the reason)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise DumpRejected("a directory, not a dump file")
        data = path.read_bytes()
    except DumpRejected as exc:
        return manifest_row(path, "path:" + path.name, 0, None, 0, str(exc))
    except OSError as exc:
        return manifest_row(path, "path:" + path.name, 0, None, 0, f"unreadable: {exc.strerror or exc}")
    dump_id = dump_id_of(data)
    try:
        decoded = decode_bytes(data)
    except DumpRejected as exc:
        return manifest_row(path, dump_id, len(data), None, 0, str(exc))
    documents = list(
        documents_from_text(
            decoded.text, dump_id, settings.lang_sample_chars, settings.lang_min_prob, settings.headline_max_chars
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
    store.write_partition("documents", dump_id, schemas.to_table(documents, schemas.DOCUMENTS))
    store.write_partition("entities", dump_id, schemas.to_table(entities, schemas.ENTITIES))
    store.write_partition("embeddings", dump_id, embed_documents(documents))
    return manifest_row(path, dump_id, len(data), decoded.encoding, len(documents), None)
