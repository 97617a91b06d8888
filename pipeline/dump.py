"""Processing one dump as a stream of batches, so memory does not grow with the dump:

1. `open_with_retries` (`readers.open_dump`) / `iter_batches`: read the dump once, hashing,
   decoding and splitting it in the same streaming pass, and cut it into batches.
2. The whole analysis of a batch, in two steps that run where the batches are analyzed (a worker):
   `analyze_batch`, the models (entities as they find them, sentence embeddings), and
   `finish_batch`, the rest of the entity stage (labels, dates, keys, `published`, the one sort).
3. `DumpWriter.write_batch`: one part file per table for each batch, in order, staged under
   `_tmp/`; `DumpWriter.finish` switches the staged partitions into place in one rename per table
   and returns the manifest row (written last).

Dump-wide context is a bounded running summary (`DumpContext`) in batch order, passed with each
batch to its second step: what `analyze_batch` found in the batches before it and in itself (the
label counts of multi-word names: a name takes its majority label so far, at most
`DumpContext.max_names` names remembered; the dump's year, for dates without a year in a document
without a dated context: the year most of its documents so far are of, one vote each). The context is
added and the batches are written in batch order, so the rows depend on the input and the batch
size only, not on the number of workers or batches in flight.

`process_dump` chains the steps, handing each batch step to an executor (`concurrent.futures`):
this process by default, the run's local pool, or the flow's Prefect adapter.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from threadpoolctl import threadpool_limits

from pipeline import schemas
from pipeline.ids import path_id
from pipeline.nlp.loaders import load_gazetteer, load_language_model, supported_languages
from pipeline.raw_folder import CHANGED_WHILE_READ, Waiting, unchanged_since
from pipeline.readers import DumpSource, Reread, open_dump, read_through
from pipeline.records import DocumentRecord, DumpRecord, EntityRecord, manifest_row
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from pipeline.stages.entities import (
    assign_published,
    extract_entities,
    harmonize_labels,
    label_votes,
    normalize_entities,
    year_votes,
)
from pipeline.stages.near_duplicates import signatures_table
from pipeline.stages.pairing import embed_documents, sentence_encoder
from pipeline.store import Store
from pipeline.workers import InlineExecutor


@dataclass
class BatchSummary:
    """What one batch adds to the dump context: the label counts of its multi-word names (in order
    of first mention) and its documents' years, from DATE mentions with a month and bare."""

    votes: dict
    dated_years: Counter
    bare_years: Counter

    @classmethod
    def of(cls, entities: list[EntityRecord], documents: list[DocumentRecord]) -> BatchSummary:
        """Years: one vote per document (births and foundings aside, `entities.year_votes`)."""
        texts = {d.doc_id: d.text for d in documents}
        return cls(label_votes(entities), year_votes(entities, True, texts), year_votes(entities, False, texts))


@dataclass
class BatchAnalysis:
    """What the models found in one batch: entities in document order (labels as found), the
    batch's summary for the dump context, one embedding per document."""

    entities: list[EntityRecord]
    embeddings: pa.Table
    summary: BatchSummary


@dataclass(frozen=True)
class BatchContext:
    """What the dump so far, this batch included, tells one batch: the label counts of the batch's
    multi-word names and the dump's year."""

    votes: dict
    year: int | None


@dataclass
class FinishedBatch:
    """One batch ready to write: its documents (with `published`) and its entities in table order."""

    documents: list[DocumentRecord]
    entities: list[EntityRecord]


@dataclass
class DumpContext:
    """A bounded running summary of a dump, in batch order: its years and the labels its
    multi-word names took."""

    dated_years: Counter = field(default_factory=Counter)
    bare_years: Counter = field(default_factory=Counter)
    votes: dict = field(default_factory=dict)
    max_names: int = 200_000

    def add(self, summary: BatchSummary) -> BatchContext:
        """Add the next batch; the context of that batch (copies: its step may run in a thread)."""
        for name, counts in summary.votes.items():
            if name in self.votes or len(self.votes) < self.max_names:
                self.votes.setdefault(name, Counter()).update(counts)
        self.dated_years.update(summary.dated_years)
        self.bare_years.update(summary.bare_years)
        votes = {name: Counter(self.votes[name]) for name in summary.votes if name in self.votes}
        return BatchContext(votes, self.year)

    @property
    def year(self) -> int | None:
        years = self.dated_years or self.bare_years
        return years.most_common(1)[0][0] if years else None


OPEN_RETRIES = 2  # a dump may sit on a network share: an I/O error is tried again, a rejection is not
OPEN_RETRY_DELAY_S = 2.0


def open_with_retries(
    path: Path, settings: Settings, dump_id: str | None = None, size_bytes: int | None = None,
    encoding: str | None = None, retries: int = OPEN_RETRIES, delay_s: float = OPEN_RETRY_DELAY_S,
) -> DumpSource:
    """`readers.open_dump` (one streaming pass that reads, decodes, splits and hashes the dump),
    tried again `retries` times, `delay_s` apart, when the file system fails (OSError)."""
    for attempt in range(retries + 1):
        try:
            return open_dump(Path(path), settings, dump_id, size_bytes, encoding)
        except OSError:
            if attempt == retries:
                raise
            time.sleep(delay_s)
    raise AssertionError("unreachable")


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


def rejected_row(path: Path, dump_id: str | None, exc: Exception, name: str | None = None) -> DumpRecord:
    """The `rejected` manifest row of the dump `name` (by default the file's name) whose content
    cannot be read (by its content's id when it was hashed, else by its name)."""
    name = name or Path(path).name
    if isinstance(exc, OSError):
        return manifest_row(name, dump_id or path_id(name), _size(path), None, 0, f"unreadable: {exc}")
    rejected_id = getattr(exc, "dump_id", None) or dump_id or path_id(name)
    return manifest_row(name, rejected_id, getattr(exc, "size_bytes", 0) or _size(path), None, 0, str(exc))


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def analyze_batch(documents: list[DocumentRecord], settings: Settings) -> BatchAnalysis:
    """The first step of a batch: entities (per language, spaCy), the batch's summary for the dump
    context, and sentence embeddings.

    One BLAS thread: batches run one process per core (and beside the reader), so more threads per
    process only contend (OpenBLAS's spinning threads made the embeddings 4 to 6 times slower)."""
    models_dir = settings.models_dir.resolve()
    use_one_blas_thread()
    entities = extract_entities(
        documents, lambda lang: load_language_model(models_dir, lang), settings.batch_size, settings.n_process
    )
    return BatchAnalysis(entities, embed_documents(documents), BatchSummary.of(entities, documents))


def finish_batch(
    documents: list[DocumentRecord], entities: list[EntityRecord], context: BatchContext, settings: Settings
) -> FinishedBatch:
    """The second step of a batch, the rest of the entity stage: one label per name (the dump's
    votes), ISO dates (a missing year from the document, then the dump's year) and keys, each
    document's `published` from its dateline, and the entities sorted once, in table order."""
    gazetteer = load_gazetteer(settings.models_dir.resolve())
    entities = harmonize_labels(entities, gazetteer, context.votes)
    entities = normalize_entities(entities, documents, gazetteer, dump_year=context.year)
    documents = assign_published(documents, entities)
    ordinal = {d.doc_id: d.ordinal for d in documents}
    entities.sort(key=lambda e: (ordinal[e.doc_id], e.start, e.end, e.label))
    return FinishedBatch(documents, entities)


def load_analysis_models(settings: Settings, warm_up: bool = False) -> None:
    """Load what `analyze_batch` needs (both spaCy pipelines, the gazetteer, the sentence encoder)
    ahead of the first batch: a worker can do it while the first batches are still being read.
    `warm_up`: also run each pipeline once on a short text, which pays for what its components
    load lazily (Russian: 0.56 s), for `pipeline run` while its Prefect server boots."""
    models_dir = settings.models_dir.resolve()
    use_one_blas_thread()
    load_gazetteer(models_dir)
    for lang in supported_languages(models_dir):
        model = load_language_model(models_dir, lang)
        if warm_up and model is not None and lang in WARM_UP_TEXTS:
            model.nlp(WARM_UP_TEXTS[lang])
    sentence_encoder()


WARM_UP_TEXTS = {
    "en": "The Secretary General met the press in Moscow on 3 July.",
    "ru": "Генеральный секретарь встретился с прессой в Москве 3 июля.",
}


@lru_cache(maxsize=1)
def use_one_blas_thread() -> None:
    """One BLAS thread for the rest of this process. Set once, not scoped: batches analyzed in
    concurrent threads would undo each other's scoped limit, and a product computed with another
    number of threads sums in another order (vectors would differ between runs)."""
    threadpool_limits(limits=1, user_api="blas")


class DumpWriter:
    """Stages the finished batches of one dump in order, then switches them in."""

    def __init__(self, source: DumpSource, settings: Settings, store: Store, name: str):
        self.source = source
        self.name = name
        self.store = store
        self.staging = store.stage(source.planned_id)  # None: the id is the hash, known at the end
        self.n_documents = 0

    def write_batch(self, batch: FinishedBatch, embeddings: pa.Table) -> None:
        documents = batch.documents
        self.staging.write_part("documents", schemas.to_table(documents, schemas.DOCUMENTS))
        self.staging.write_part("entities", schemas.to_table(batch.entities, schemas.ENTITIES))
        self.staging.write_part("embeddings", embeddings)
        self.staging.write_part("signatures", signatures_table(documents))
        self.n_documents += len(documents)

    def finish(self) -> DumpRecord:
        """Switch the staged partitions in; the manifest row (the caller records it, last)."""
        if self.n_documents == 0:
            self.write_batch(FinishedBatch([], []), embed_documents([]))
        src = self.source
        self.store.commit(self.staging, src.dump_id)
        row = manifest_row(self.name, src.dump_id, src.size_bytes, src.encoding, self.n_documents, None)
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
    executor: Executor | None = None,
    looked: tuple | None = None,
    name: str | None = None,
) -> DumpRecord | Waiting:
    """One dump, the one path every run takes: open (read, hash, decode, split: one streaming
    pass), analyze its batches (both steps, at most `batches_in_flight` batches at once), write
    each finished batch in order, switch the partitions in; returns the manifest row (the caller
    records it, last).

    The batch steps (`analyze_batch`, `finish_batch`) go to `executor` (by default they run here,
    in this process); the open is tried again on I/O errors (`open_with_retries`). `dump_id` is
    the id the run planned with when it had to hash the file to plan (`raw_folder.plan_run`), else
    None: the pass gives it.
    With `looked` (the planned size, mtime, ctime, inode), a file that changed while it was read
    is not switched in: Waiting, for a later run. `name` is the dump's name in the raw folder (its
    path there; by default the file's name): the manifest row's `path`.

    In the rare case that a text dump's first chunk suggested another encoding than the whole
    stream decides, what was staged is dropped and the dump is read once more in that encoding."""
    name = name or Path(path).name
    executor = executor or InlineExecutor()
    planned = dump_id
    writers: list[DumpWriter] = []  # one per read (a second after `Reread`)

    def write(source: DumpSource) -> None:
        writers.append(DumpWriter(source, settings, store, name))
        _write_batches(source, settings, writers[-1], executor)

    try:
        source, _ = read_through(
            lambda encoding: open_with_retries(Path(path), settings, planned, looked[0] if looked else None, encoding),
            write,
            void=lambda: writers[-1].abort(),  # the whole stream decided another encoding: once more, in it
        )
    except (OSError, DumpRejected) as exc:
        if writers:
            writers[-1].abort()
        if looked is not None and not unchanged_since(Path(path), looked):
            return Waiting(name, CHANGED_WHILE_READ)
        return rejected_row(Path(path), planned, exc, name)  # a rejection names its dump (`readers._identified`)
    writer = writers[-1]
    if looked is not None and not _read_as_planned(source, planned, looked):
        writer.abort()
        return Waiting(name, CHANGED_WHILE_READ)
    return writer.finish()


def _read_as_planned(source: DumpSource, planned: str | None, looked: tuple) -> bool:
    """Whether the bytes read are the file the run planned: the planned id (when it hashed the
    file) or the planned size, and the file still as it was looked at."""
    if planned is not None and source.read_id not in (None, planned):
        return False
    if planned is None and source.read.size != looked[0]:
        return False
    return unchanged_since(Path(source.path), looked)


def _write_batches(source: DumpSource, settings: Settings, writer: DumpWriter, executor: Executor) -> None:
    """Take every batch of a dump through its two steps and write it: at most `batches_in_flight`
    batches between reading and writing; a batch goes on to its second step (with the dump context)
    and is written strictly in batch order, as soon as its turn comes and its step is done. When
    reading fails midway, the steps being run finish before the error goes on."""
    flight = _InFlight(writer, executor, settings)
    try:
        for batch in iter_batches(source, settings.batch_size):
            flight.start(batch)
            flight.advance(until=max(1, settings.batches_in_flight) - 1)
        flight.advance(until=0)
    except (OSError, DumpRejected, Reread):
        flight.wait_all()
        raise


class _InFlight:
    """The batches between reading and writing: analyzing (first step), then finishing (second)."""

    def __init__(self, writer: DumpWriter, executor: Executor, settings: Settings):
        self.writer, self.executor, self.settings = writer, executor, settings
        self.context = DumpContext()
        self.analyzing: deque[tuple[list[DocumentRecord], Future, threading.Event]] = deque()
        self.finishing: deque[tuple[pa.Table, Future, threading.Event]] = deque()
        self.wake = threading.Event()  # set whenever a step is done

    def _track(self, future: Future) -> threading.Event:
        done = threading.Event()

        def on_done(_future) -> None:
            done.set()
            self.wake.set()

        future.add_done_callback(on_done)
        return done

    def start(self, batch: list[DocumentRecord]) -> None:
        future = self.executor.submit(analyze_batch, batch, self.settings)
        self.analyzing.append((batch, future, self._track(future)))

    def advance(self, until: int) -> None:
        """Move batches on in order until at most `until` are in flight (waiting for steps to end)."""
        while len(self.analyzing) + len(self.finishing) > until:
            self.wake.clear()
            moved = False
            while self.analyzing and self.analyzing[0][2].is_set():
                batch, future, _ = self.analyzing.popleft()
                analysis = future.result()
                context = self.context.add(analysis.summary)
                step = self.executor.submit(finish_batch, batch, analysis.entities, context, self.settings)
                self.finishing.append((analysis.embeddings, step, self._track(step)))
                moved = True
            while self.finishing and self.finishing[0][2].is_set():
                embeddings, future, _ = self.finishing.popleft()
                self.writer.write_batch(future.result(), embeddings)
                moved = True
            if not moved and len(self.analyzing) + len(self.finishing) > until:
                self.wake.wait()

    def wait_all(self) -> None:
        for _, future, _ in (*self.analyzing, *self.finishing):
            with contextlib.suppress(Exception):
                future.result()
