"""Plain records passed between stages."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.ids import current_version


@dataclass
class DocumentRecord:
    """One document of a dump; `start`/`end` are offsets in the decoded dump text. Its dump is the
    partition it is written to (a dump's id, the hash of its bytes, is known once it has been read)."""

    doc_id: str
    ordinal: int
    title: str | None
    text: str
    lang: str
    lang_prob: float
    n_paragraphs: int
    start: int
    end: int
    published: date | None = None
    source_id: str | None = None
    url: str | None = None


@dataclass
class EntityRecord:
    """One entity mention; `start`/`end` are offsets in the document's `text`."""

    doc_id: str
    label: str
    text: str
    start: int
    end: int
    norm: str | None
    entity_key: str | None
    lang: str


@dataclass
class PairRecord:
    """A Russian document paired with its English translation, with the evidence.

    `score` is the ratio margin of `alignment` (mean best sentence cosine both ways) against both
    documents' nearest candidates; `similarity` is the document-vector cosine.
    """

    ru_doc_id: str
    en_doc_id: str
    score: float
    similarity: float
    alignment: float
    length_ratio: float
    shared_keys: list[str] = field(default_factory=list)
    shared_numbers: list[str] = field(default_factory=list)
    shared_dates: list[str] = field(default_factory=list)
    ru_dump_id: str = ""
    en_dump_id: str = ""


@dataclass
class DumpRecord:
    """One row of the manifest."""

    dump_id: str
    path: str
    size_bytes: int
    encoding: str | None
    n_documents: int
    status: str
    error: str | None
    pipeline_version: str
    processed_at: object
    n_without_article: int | None = None
    superseded_by: str | None = None


def manifest_row(
    name: str | Path, dump_id: str, size: int, encoding: str | None, n_docs: int, error: str | None
) -> DumpRecord:
    """A manifest row of the dump `name` (its path inside the raw folder): `ok`, or `rejected` with
    its `error`, by this pipeline version, now."""
    return DumpRecord(
        dump_id=dump_id,
        path=str(name),
        size_bytes=size,
        encoding=encoding,
        n_documents=n_docs,
        status="rejected" if error else "ok",
        error=error,
        pipeline_version=current_version(),
        processed_at=datetime.now(UTC),
    )


def superseded_row(row: dict, successor: str) -> DumpRecord:
    """A manifest row kept as history: `superseded` by the dump `successor` (same path, newer content)."""
    values = {f.name: row.get(f.name) for f in fields(DumpRecord)}
    return DumpRecord(**dict(values, status="superseded", superseded_by=successor))
