"""The data dictionary (docs/data_dictionary.md), generated from the Arrow schemas: the schemas are the source."""

from __future__ import annotations

import pyarrow as pa

from pipeline import schemas

HEADER = """# Data dictionary

Every table and column of the processed dataset. Generated from the Arrow schemas in
`pipeline/schemas.py` (column descriptions are field metadata there) by

```bash
python -m pipeline schema --markdown > docs/data_dictionary.md
```

Do not edit by hand: `tests/test_data_dictionary.py` fails when this file is not current.
"""


def type_name(t: pa.DataType) -> str:
    """A short, reader-friendly Arrow type name."""
    if pa.types.is_dictionary(t):
        return f"{type_name(t.value_type)} (dictionary-encoded)"
    if pa.types.is_fixed_size_list(t):
        return f"list<{type_name(t.value_type)}>[{t.list_size}]"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"list<{type_name(t.value_type)}>"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}{', ' + t.tz if t.tz else ''}]"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_float32(t):
        return "float32"
    if pa.types.is_float64(t):
        return "float64"
    return str(t)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_markdown(name: str) -> str:
    schema, path = schemas.TABLES[name]
    fields = list(schema)
    key = schemas.PARTITION_KEYS.get(name)
    if key is not None:
        fields.insert(1, key)
    doc = (schema.metadata or {}).get(b"doc", b"").decode()
    lines = [f"## {name}", "", f"`processed/{path}`: {doc}", ""]
    lines += ["| column | type | nullable | meaning |", "|---|---|---|---|"]
    for f in fields:
        kind = type_name(f.type) + (", partition key" if f is key else "")
        lines.append(f"| `{f.name}` | {kind} | {'yes' if f.nullable else 'no'} | {_cell(schemas.description_of(f))} |")
    return "\n".join(lines)


def data_dictionary_markdown() -> str:
    """The whole data dictionary as Markdown (deterministic: no dates, no versions but the schema's)."""
    parts = [
        HEADER,
        f"Schema version {schemas.SCHEMA_VERSION} (stored as `schema_version` in every file's metadata). "
        "All files are Parquet, zstd-compressed. Offsets are character offsets. "
        "In the partitioned tables `dump_id` is not stored in the files: readers add it from the "
        "folder name `dump_id=<id>` (pandas, DuckDB with `hive_partitioning = true`, Polars, pyarrow).",
        "",
        "Not a table: `processed/_state/pairing/` keeps the pairing state beside `embeddings` so that a run "
        "pairs only its new documents (`pipeline/pairing_index.py`): per language the document vectors and the "
        "lead's sentence vectors as raw float32 files read block by block, each document's k nearest neighbours, "
        "every candidate pair with its alignment, the IVF cells of a large corpus, and `state.json` (what it "
        "covers). Derived data, not for analysts: removed, it is rebuilt from the tables by the next run.",
        "",
    ]
    for name in schemas.TABLES:
        parts += [table_markdown(name), ""]
    return "\n".join(parts)
