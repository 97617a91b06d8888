"""Explicit Arrow schemas: the table contract with analysts.

Partitioned tables (documents, entities, embeddings) do not store `dump_id` in their files:
readers get it from the hive partition directory `dump_id=<id>` (pandas, DuckDB, Polars and
pyarrow all do), which avoids a type clash between the file column and the partition key.
"""

from __future__ import annotations

import pyarrow as pa

from pipeline import PIPELINE_VERSION

SCHEMA_VERSION = "1"
EMBEDDING_DIM = 512
_dict = pa.dictionary(pa.int32(), pa.string())


def _schema(fields: list[pa.Field], doc: str) -> pa.Schema:
    return pa.schema(fields).with_metadata(
        {"schema_version": SCHEMA_VERSION, "pipeline_version": PIPELINE_VERSION, "doc": doc}
    )


DOCUMENTS = _schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("ordinal", pa.int32(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("lang", _dict, nullable=False),
        pa.field("lang_prob", pa.float32(), nullable=False),
        pa.field("n_paragraphs", pa.int32(), nullable=False),
        pa.field("start", pa.int64(), nullable=False),
        pa.field("end", pa.int64(), nullable=False),
        pa.field("published", pa.date32()),
        pa.field("source_id", pa.string()),
        pa.field("url", pa.string()),
    ],
    "One row per document of a dump, in dump order.",
)

ENTITIES = _schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("label", _dict, nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        pa.field("norm", pa.string()),
        pa.field("entity_key", pa.string()),
        pa.field("lang", _dict, nullable=False),
    ],
    "One row per entity mention; offsets into the document's text.",
)

EMBEDDINGS = _schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("lang", _dict, nullable=False),
        pa.field("n_chars", pa.int32(), nullable=False),
        pa.field("vector", pa.list_(pa.float32(), EMBEDDING_DIM), nullable=False),
        # pairing features (pipeline/stages/pairing.py): per-sentence vectors and the numbers written
        pa.field("sentence_vectors", pa.list_(pa.list_(pa.float32(), EMBEDDING_DIM)), nullable=False),
        pa.field("numbers", pa.list_(pa.string()), nullable=False),
    ],
    "Per-document pairing features: multilingual embedding (mean of sentences), sentence embeddings, numbers.",
)

PAIRS = _schema(
    [
        pa.field("ru_doc_id", pa.string(), nullable=False),
        pa.field("en_doc_id", pa.string(), nullable=False),
        pa.field("score", pa.float32(), nullable=False),
        pa.field("similarity", pa.float32(), nullable=False),
        pa.field("alignment", pa.float32(), nullable=False),
        pa.field("length_ratio", pa.float32(), nullable=False),
        pa.field("shared_keys", pa.list_(pa.string()), nullable=False),
        pa.field("shared_numbers", pa.list_(pa.string()), nullable=False),
        pa.field("shared_dates", pa.list_(pa.string()), nullable=False),
        pa.field("ru_dump_id", pa.string(), nullable=False),
        pa.field("en_dump_id", pa.string(), nullable=False),
    ],
    "Russian documents paired with their English translations, with the evidence.",
)

DUMPS = _schema(
    [
        pa.field("dump_id", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("encoding", pa.string()),
        pa.field("n_documents", pa.int32(), nullable=False),
        pa.field("status", _dict, nullable=False),
        pa.field("error", pa.string()),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("processed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ],
    "The manifest: one row per dump seen, ok or rejected.",
)

PARTITIONED = {"documents": DOCUMENTS, "entities": ENTITIES, "embeddings": EMBEDDINGS}


def to_table(rows: list, schema: pa.Schema) -> pa.Table:
    """Build a table from dataclass records (or dicts) in bulk, column by column."""
    names = schema.names
    if rows and not isinstance(rows[0], dict):
        columns = {n: [getattr(r, n) for r in rows] for n in names}
    else:
        columns = {n: [r.get(n) for r in rows] for n in names}
    arrays = []
    for f in schema:
        if pa.types.is_dictionary(f.type):
            arrays.append(pa.array(columns[f.name], pa.string()).dictionary_encode())
        else:
            arrays.append(pa.array(columns[f.name], f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
