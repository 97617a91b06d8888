"""Processing one dump as a stream of batches, so memory does not grow with the dump:

1. `open_source` / `iter_batches`: read, decode and split the dump (streaming), cut into batches.
2. `analyze_batch`: the heavy NLP of a few hundred documents (entities as the models find them,
   sentence embeddings); batches are independent, so they spread over the workers.
3. `DumpWriter.write_batch`: normalization (labels, dates, keys, `published`) and one part file per
   table for each batch, in order, staged under `_tmp/`; `DumpWriter.finish` switches the staged
   partitions into place in one rename per table and returns the manifest row (written last).

Dump-wide context comes from a bounded running summary (`DumpContext`) of the batches written so
far, not from the whole dump: the dump's year (for dates without a year in a document without a
dated context) is the most common year of the dump's dated DATE entities up to and including the
current batch, and a multi-word name takes the majority label of its mentions so far (at most
`DumpContext.max_names` names are remembered). Batches are written in order, so the output is
deterministic for a given batch size.

`process_dump` chains the steps: in this process by default, or as tasks when the flow passes
its own `opener` and `submit`.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from threadpoolctl import threadpool_limits

from pipeline import schemas
from pipeline.manifest import CHANGED_WHILE_READ, Waiting, manifest_row, unchanged_since
from pipeline.nlp.loaders import load_gazetteer, load_language_model
from pipeline.records import DocumentRecord, DumpRecord, EntityRecord
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.documents import assign_published
from pipeline.stages.entities import extract_entities, harmonize_labels, normalize_entities, year_votes
from pipeline.stages.near_duplicates import signatures_table
from pipeline.stages.pairing import embed_documents, sentence_encoder
from pipeline.stages.readers import DumpSource, Reread, open_dump
from pipeline.store import Store


@dataclass
class BatchAnalysis:
    """The NLP output of one batch: entities as the models found them, one embedding per document."""

    entities: list[EntityRecord]
    embeddings: pa.Table


@dataclass
class DumpContext:
    """A bounded running summary of a dump: its years and the labels its multi-word names took."""

    dated_years: Counter = field(default_factory=Counter)
    bare_years: Counter = field(default_factory=Counter)
    votes: dict = field(default_factory=dict)
    max_names: int = 200_000

    def add_years(self, entities: list[EntityRecord], texts: dict[str, str] | None = None) -> None:
        """Count the years of these documents (one vote each; births and foundings aside, given their texts)."""
        self.dated_years.update(year_votes(entities, True, texts))
        self.bare_years.update(year_votes(entities, False, texts))

    @property
    def year(self) -> int | None:
        years = self.dated_years or self.bare_years
        return years.most_common(1)[0][0] if years else None


def open_source(
    path: Path, settings: Settings, dump_id: str | None = None, size_bytes: int | None = None,
    encoding: str | None = None,
) -> DumpSource:
    """Read, decode and split one dump file (streaming; read once when the planned `dump_id` is
    given); raises DumpRejected, or OSError for I/O."""
    return open_dump(Path(path), settings, dump_id, size_bytes, encoding)


def iter_batches(source: DumpSource, batch_size: int) -> Iterator[list[DocumentRecord]]:
    """The documents of an opened dump in batches of `batch_size` (may raise DumpRejected midway)."""
    batch: list[DocumentRecord] = []
    for doc in source.documents:
        batch.append(doc)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def rejected_row(path: Path, dump_id: str, exc: Exception) -> DumpRecord:
    """The `rejected` manifest row of a dump whose content cannot be read."""
    if isinstance(exc, OSError):
        return manifest_row(path, dump_id, _size(path), None, 0, f"unreadable: {exc}")
    rejected_id = getattr(exc, "dump_id", None) or dump_id  # a reader that hashed the file names the dump
    return manifest_row(path, rejected_id, getattr(exc, "size_bytes", 0) or _size(path), None, 0, str(exc))


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def analyze_batch(documents: list[DocumentRecord], settings: Settings) -> BatchAnalysis:
    """Entities (per language, spaCy) and sentence embeddings of one batch of documents.

    One BLAS thread: batches run one process per core (and beside the reader), so more threads per
    process only contend (OpenBLAS's spinning threads made the embeddings 4 to 6 times slower)."""
    models_dir = settings.models_dir.resolve()
    use_one_blas_thread()
    entities = extract_entities(
        documents, lambda lang: load_language_model(models_dir, lang), settings.batch_size, settings.n_process
    )
    return BatchAnalysis(entities, embed_documents(documents))


def load_analysis_models(settings: Settings) -> None:
    """Load what `analyze_batch` needs (both spaCy pipelines, the gazetteer, the sentence encoder)
    ahead of the first batch: a worker can do it while the first batches are still being read."""
    models_dir = settings.models_dir.resolve()
    use_one_blas_thread()
    load_gazetteer(models_dir)
    for lang in ("en", "ru"):
        load_language_model(models_dir, lang)
    sentence_encoder()


@lru_cache(maxsize=1)
def use_one_blas_thread() -> None:
    """One BLAS thread for the rest of this process. Set once, not scoped: batches analyzed in
    concurrent threads would undo each other's scoped limit, and a product computed with another
    number of threads sums in another order (vectors would differ between runs)."""
    threadpool_limits(limits=1, user_api="blas")


class DumpWriter:
    """Normalizes and stages the batches of one dump in order, then switches them in."""

    def __init__(self, source: DumpSource, settings: Settings, store: Store):
        self.source = source
        self.store = store
        self.gazetteer = load_gazetteer(settings.models_dir.resolve())
        self.context = DumpContext()
        self.staging = store.stage(source.dump_id)
        self.n_documents = 0

    def write_batch(self, documents: list[DocumentRecord], analysis: BatchAnalysis) -> None:
        ordinal = {d.doc_id: d.ordinal for d in documents}
        entities = sorted(analysis.entities, key=lambda e: (ordinal[e.doc_id], e.start, e.end, e.label))
        entities = harmonize_labels(entities, self.gazetteer, self.context.votes, self.context.max_names)
        self.context.add_years(entities, {d.doc_id: d.text for d in documents})
        entities = normalize_entities(entities, documents, self.gazetteer, dump_year=self.context.year)
        documents = assign_published(documents, entities)
        entities.sort(key=lambda e: (ordinal[e.doc_id], e.start, e.end, e.label))
        self.staging.write_part("documents", schemas.to_table(documents, schemas.DOCUMENTS))
        self.staging.write_part("entities", schemas.to_table(entities, schemas.ENTITIES))
        self.staging.write_part("embeddings", analysis.embeddings)
        self.staging.write_part("signatures", signatures_table(documents))
        self.n_documents += len(documents)

    def finish(self) -> DumpRecord:
        """Switch the staged partitions in; the manifest row (the caller records it, last)."""
        if self.n_documents == 0:
            self.write_batch([], BatchAnalysis([], embed_documents([])))
        self.store.commit(self.staging)
        src = self.source
        row = manifest_row(Path(src.path), src.dump_id, src.size_bytes, src.encoding, self.n_documents, None)
        row.error = "; ".join(src.problems) or None
        row.n_without_article = src.n_without_article
        return row

    def abort(self) -> None:
        """Drop what was staged (the dump is rejected midway)."""
        import shutil

        shutil.rmtree(self.staging.dir, ignore_errors=True)


def process_dump(
    path: Path,
    settings: Settings,
    store: Store,
    dump_id: str | None = None,
    opener: Callable[[Path, Settings], DumpSource] | None = None,
    submit: Callable[[list[DocumentRecord]], Future] | None = None,
    looked: tuple | None = None,
) -> DumpRecord | Waiting:
    """One dump, the one path every run takes: open (read, decode, split: streaming), analyze its
    batches (at most `batches_in_flight` submitted at once), write each analyzed batch in order,
    switch the partitions in; returns the manifest row (the caller records it, last).

    `opener` and `submit` let the orchestrator run the steps as tasks (pipeline/flows.py); by
    default they run here, in this process. With `looked` (the planned size, mtime, ctime, inode),
    a file that changed while it was read is not switched in: Waiting, for a later run.

    Given the planned `dump_id`, a text dump is read once (see `readers.open_dump`); in the rare
    case that its first chunk suggested another encoding than the whole stream decides, what was
    staged is dropped and the dump is read once more in that encoding."""
    opener = opener or open_source
    submit = submit or (lambda batch: _completed(analyze_batch(batch, settings)))
    planned, encoding = dump_id, None
    dump_id = dump_id or "path:" + Path(path).name
    while True:
        try:
            source = opener(Path(path), settings, planned, looked[0] if looked else None, encoding)
        except (OSError, DumpRejected) as exc:
            return rejected_row(Path(path), dump_id, exc)
        writer = DumpWriter(source, settings, store)
        try:
            _write_batches(source, settings, writer, submit)
        except Reread as again:  # the whole stream decided another encoding: once more, in it
            writer.abort()
            encoding = again.encoding
            continue
        except (OSError, DumpRejected) as exc:
            writer.abort()
            if not unchanged_since(Path(path), looked):
                return Waiting(str(path), CHANGED_WHILE_READ)
            return rejected_row(Path(path), source.dump_id, exc)
        break
    changed = source.read_id not in (None, source.dump_id)  # the bytes read are not the ones planned
    if looked is not None and (changed or source.dump_id != dump_id or not unchanged_since(Path(path), looked)):
        writer.abort()
        return Waiting(str(path), CHANGED_WHILE_READ)
    return writer.finish()


def _write_batches(
    source: DumpSource, settings: Settings, writer: DumpWriter, submit: Callable[[list[DocumentRecord]], Future]
) -> None:
    """Submit the batches of a dump (at most `batches_in_flight` at once) and write them in order;
    when reading fails midway, the batches being analyzed finish before the error goes on."""
    in_flight: deque[tuple[list[DocumentRecord], Future]] = deque()
    try:
        for batch in iter_batches(source, settings.batch_size):
            in_flight.append((batch, submit(batch)))
            while len(in_flight) >= max(1, settings.batches_in_flight):
                done, future = in_flight.popleft()
                writer.write_batch(done, future.result())
        while in_flight:
            done, future = in_flight.popleft()
            writer.write_batch(done, future.result())
    except (OSError, DumpRejected, Reread):
        for _, future in in_flight:
            with contextlib.suppress(Exception):
                future.result()
        raise


def _completed(value: BatchAnalysis) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future
