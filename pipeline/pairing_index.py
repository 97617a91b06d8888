"""The pairing state kept beside the `embeddings` table, so that a run pairs only what is new.

Pairing (`pipeline/stages/pairing.py`) takes as candidates the union of each document's k nearest
neighbours in the other language, scores each candidate by its sentence alignment over the mean
alignment of both documents' k best candidates (the ratio margin), and links one to one. All of
it but the linking is kept here, so that a new dump costs what it adds:

- each document's k nearest neighbours (similarity and index), and every candidate edge with its
  alignment, vector similarity and whether the vetoes (alignment floor, length ratio, numbers) let
  it through;
- a run compares its new documents with the whole corpus (new with each other included): one pass
  over the kept vectors of each language, block by block (`block_docs` rows of a file, read by
  positioned reads, at a time: never the corpus at once), gives both the new documents' lists and the old
  documents that a new one comes closer to than their k-th neighbour. Only edges that involve a new
  document are aligned; the margins are then recomputed from the kept alignments and the (cheap)
  competitive linking runs again over all edges, so a new document can take the partner of an old
  pair and whatever that cascades into is re-linked exactly as a full recompute would;
- candidates come from exact search below `index_min_docs` documents a language, and from an IVF
  index above it: faiss k-means cells over both languages (trained once, at a full recompute),
  each document keeping its `nprobe` nearest cells; a document's neighbours are then its k best
  among the documents whose cell it probes, searched with faiss (`IndexIVFFlat`, one block of kept
  vectors at a time). Both are deterministic functions of the corpus (ties by a key of the doc_id),
  so a run over new dumps gives the lists a recompute over all of them gives (for the IVF index: a
  recompute with the same cells).

Anything else (a forgotten, superseded or reprocessed dump, another version or setting, documents
that became repeats of others, a corpus grown past the exact search or four times past the one the
cells were trained on) recomputes the state from the stored tables, in tasks over blocks of
Russian documents that a Dask cluster can run (`submit`).

Folder `processed/_state/pairing/` (derived data: removed, it is rebuilt):

- per language, appended run by run in arrival order (bytes past the committed counts of
  `state.json` are cut before the next append): `<lang>.vectors.f32` (n x 512), `<lang>.sentences.f32`
  (the lead's sentence vectors), `<lang>.ends.i64` (where each document's sentences end),
  `<lang>.keys.i64`, `<lang>.chars.i32`, `<lang>.probes.i32` (IVF: the cells a document probes, its
  own first), `<lang>.docs/part-<first row>.parquet` (doc_id, dump_id, numbers);
- replaced by each run (one generation each): `<lang>.knn_sim.<g>.npy` and `<lang>.knn_idx.<g>.npy`
  (k-NN similarity and index), `edges.<g>.npy` (ru, en, alignment, similarity, ok), `quantizer.npy`
  (IVF: the cells' centroids);
- `state.json`, written last: what the state covers (dumps, settings, counts, generation).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.stages.pairing import (
    PairingConfig,
    aligned,
    canonical_lists,
    doc_keys,
    empty_lists,
    merge_lists,
    neighbourhood_means,
    numbers_conflict,
    tile_top_k,
)
from pipeline.store import Store

FORMAT = 1
LANGS = ("ru", "en")
DIM = schemas.EMBEDDING_DIM
EDGE = np.dtype([("ru", "<i4"), ("en", "<i4"), ("align", "<f8"), ("sim", "<f4"), ("ok", "?")])
TRAIN_PER_CELL = 32  # k-means sample: this many documents per cell (the docs with the smallest keys)
ALIGN_CHUNK = 32_768  # candidate pairs aligned by one task (their documents' sentences read for it)
REGROW = 4  # the IVF cells are trained again (a full recompute) when the corpus grows this many times

Submit = Callable[..., Any]  # submit(fn, *args) -> an object with .result() (a future)
DOCS_SCHEMA = pa.schema([("doc_id", pa.string()), ("dump_id", pa.string()), ("numbers", pa.list_(pa.string()))])


# ---- the kept state, read -----------------------------------------------------------------------
class Rows:
    """Rows of a raw little-endian array file, read by positioned reads into fresh buffers (not
    memory-mapped: a pass over a large file holds one block, and the pages it read stay the page
    cache's, not the process's)."""

    def __init__(self, path: Path, dtype: str, n: int, width: int | None = None):
        self.path, self.dtype, self.n, self.width = path, np.dtype(dtype), n, width
        self.row_bytes = self.dtype.itemsize * (width or 1)

    def __len__(self) -> int:
        return self.n

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.n,) if self.width is None else (self.n, self.width)

    def _shaped(self, flat: np.ndarray) -> np.ndarray:
        return flat if self.width is None else flat.reshape(-1, self.width)

    def block(self, a: int, b: int | None = None) -> np.ndarray:
        """Rows a:b (b: the end when None)."""
        b = self.n if b is None else min(b, self.n)
        if b <= a:
            return self._shaped(np.zeros(0, self.dtype))
        count = (b - a) * (self.width or 1)
        return self._shaped(np.fromfile(self.path, self.dtype, count=count, offset=a * self.row_bytes))

    def runs(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The rows of the ranges starts[i]:ends[i] (sorted, not overlapping), concatenated; ranges
        that touch are read in one read."""
        total = int((ends - starts).sum())
        out = np.empty(total * (self.width or 1), self.dtype)
        if not total:
            return self._shaped(out)
        cut = np.flatnonzero(starts[1:] != ends[:-1]) + 1
        run_starts = starts[np.concatenate([[0], cut])]
        run_ends = ends[np.concatenate([cut - 1, [len(ends) - 1]])]
        view = memoryview(out).cast("B")
        at = 0
        with open(self.path, "rb") as fh:
            fd = fh.fileno()
            for a, b in zip(run_starts.tolist(), run_ends.tolist()):
                size = (b - a) * self.row_bytes
                done = 0
                while done < size:
                    done += os.preadv(fd, [view[at + done : at + size]], a * self.row_bytes + done)
                at += size
        return self._shaped(out)

    def take(self, index: np.ndarray) -> np.ndarray:
        """The rows of a sorted array of distinct indices."""
        index = np.asarray(index, np.int64)
        return self.runs(index, index + 1)


@dataclass
class Side:
    """One language's committed state; the big arrays are read where used, block by block."""

    n: int
    vectors: Rows  # (n, d) float32
    sentences: Rows  # (s, d) float32
    offsets: np.ndarray  # (n + 1,) sentence rows of document i: offsets[i]:offsets[i+1]
    keys: np.ndarray  # (n,) int64 tie-break keys of the doc_ids
    chars: np.ndarray  # (n,) int32
    probes: Rows | None  # (n, nprobe) int32 IVF cells (the first its own), None for exact search
    knn: tuple[np.ndarray, np.ndarray] | None  # (n, k) similarities and indices into the other language

    def sentences_of(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sentence vectors of some documents (sorted, distinct) and their offsets in them."""
        starts, ends = self.offsets[docs], self.offsets[docs + 1]
        return self.sentences.runs(starts, ends), np.concatenate([[0], np.cumsum(ends - starts)])


@dataclass
class State:
    folder: Path
    meta: dict
    sides: dict[str, Side]
    edges: np.ndarray | None  # EDGE records, sorted by (ru, en)
    rebuilt: bool = False  # computed from scratch by this run (nothing of an earlier pairs table holds)

    @property
    def ivf(self) -> bool:
        return self.meta["mode"] == "ivf"

    def centroids(self) -> np.ndarray | None:
        return np.load(self.folder / "quantizer.npy") if self.ivf else None

    def docs(self, lang: str, columns: list[str]) -> pa.Table:
        """The doc_id, dump_id, numbers of one language's documents, in state order."""
        return read_docs(self.folder, lang, self.sides[lang].n, columns)

    def length_ratios(self, ru: np.ndarray, en: np.ndarray) -> np.ndarray:
        """Shorter over longer length in characters of each pair (`stages.pairing.length_ratio`, 0
        when one is empty)."""
        a = self.sides["ru"].chars[ru].astype(np.float64)
        b = self.sides["en"].chars[en].astype(np.float64)
        return np.where((a > 0) & (b > 0), np.minimum(a, b) / np.maximum(np.maximum(a, b), 1), 0.0)


def _small(path: Path, dtype: str, n: int) -> np.ndarray:
    """A small per-document array (keys, lengths, sentence ends), read whole."""
    return Rows(path, dtype, n).block(0)


def read_docs(folder: Path, lang: str, n: int, columns: list[str]) -> pa.Table:
    parts = sorted((folder / f"{lang}.docs").glob("part-*.parquet"))
    tables = [pq.read_table(p, columns=columns) for p in parts if int(p.stem.split("-")[1]) < n]
    if not tables:
        return pa.table({c: pa.array([], DOCS_SCHEMA.field(c).type) for c in columns})
    t = pa.concat_tables(tables)
    return t.slice(0, n)



def open_folder(folder: Path, meta: dict, with_lists: bool = True) -> State:
    """The state a `state.json` describes (its counts; bytes past them are ignored)."""
    sides = {}
    nprobe = meta.get("nprobe") if meta["mode"] == "ivf" else None
    for lang in LANGS:
        n, s = meta["n"][lang], meta["sentences"][lang]
        ends = _small(folder / f"{lang}.ends.i64", "<i8", n)
        knn = None
        if with_lists and meta.get("generation") is not None:
            g = meta["generation"]
            sim, idx = np.load(folder / f"{lang}.knn_sim.{g}.npy"), np.load(folder / f"{lang}.knn_idx.{g}.npy")
            knn = (sim, idx.astype(np.int64))
        sides[lang] = Side(
            n=n,
            vectors=Rows(folder / f"{lang}.vectors.f32", "<f4", n, DIM),
            sentences=Rows(folder / f"{lang}.sentences.f32", "<f4", s, DIM),
            offsets=np.concatenate([[0], ends]).astype(np.int64),
            keys=_small(folder / f"{lang}.keys.i64", "<i8", n),
            chars=_small(folder / f"{lang}.chars.i32", "<i4", n),
            probes=Rows(folder / f"{lang}.probes.i32", "<i4", n, nprobe) if nprobe else None,
            knn=knn,
        )
    edges = None
    if with_lists and meta.get("generation") is not None:
        edges = np.load(folder / f"edges.{meta['generation']}.npy")
    return State(folder, meta, sides, edges)


def open_state(store: Store) -> State | None:
    """The committed state, or None when there is none (or it cannot be read: it is rebuilt)."""
    try:
        meta = json.loads((store.pairing_dir / "state.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("generation") is None:
            return None
        return open_folder(store.pairing_dir, meta)
    except (OSError, ValueError, KeyError):
        return None


# ---- what the state covers ---------------------------------------------------------------------------
def params_tag(config: PairingConfig, corpus_tag: str) -> str:
    """Everything the kept lists and edges depend on besides the dumps (min_score is not: only the
    linking reads it)."""
    kept = {k: v for k, v in asdict(config).items() if k not in ("min_score", "block_cells", "block_docs", "task_docs")}
    return json.dumps([FORMAT, corpus_tag, kept], sort_keys=True)


def excluded_digest(exclude: set[tuple[str, str]], dump_ids: Iterable[str]) -> str:
    """The repeats left out of pairing among the given dumps (a change there recomputes)."""
    within = set(dump_ids)
    rows = sorted(x for x in exclude if x[0] in within)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def refresh_state(
    store: Store,
    dump_ids: list[str],
    exclude: set[tuple[str, str]],
    config: PairingConfig,
    corpus_tag: str,
    submit: Submit | None = None,
    stats: dict | None = None,
) -> State:
    """The state brought up to the given dumps: as it is, updated with the new dumps' documents, or
    recomputed from the tables (see the module's docstring for when)."""
    stats = stats if stats is not None else {}
    tag = params_tag(config, corpus_tag)
    state = open_state(store)
    if state is not None and state.meta["params"] == tag and set(state.meta["dumps"]) <= set(dump_ids):
        if excluded_digest(exclude, state.meta["dumps"]) == state.meta["excluded"]:
            new = sorted(set(dump_ids) - set(state.meta["dumps"]))
            if not new:
                stats["mode"] = "current"
                return state
            updated = update(store, state, new, exclude, config, stats)
            if updated is not None:
                stats["mode"] = "incremental"
                return updated
    stats["mode"] = "full"
    return rebuild(store, dump_ids, exclude, config, tag, submit, stats)


# ---- reading the new documents' features from the embeddings table ----------------------------------------
@dataclass
class NewDocs:
    """Documents of one language to add to the state."""

    doc_ids: list[str]
    dump_ids: list[str]
    chars: np.ndarray
    vectors: np.ndarray
    sentences: np.ndarray
    counts: np.ndarray  # sentence vectors of each document
    numbers: list[list[str]]

    def __len__(self) -> int:
        return len(self.doc_ids)


def _occurrences(
    store: Store, dump_ids: list[str], exclude: set[tuple[str, str]]
) -> tuple[list[Path], dict[str, list[tuple]]]:
    """The embeddings part files of the dumps, and per language the rows to take: one per doc_id
    (its occurrence in the smallest dump_id, repeats of earlier documents left out), sorted by
    doc_id, as (doc_id, dump_id, part, row)."""
    parts = [(d, f) for d in sorted(dump_ids) for f in store.part_files("embeddings", d)]
    rows: list[tuple] = []
    for p, (dump_id, path) in enumerate(parts):
        t = pq.read_table(path, columns=["doc_id", "lang"])
        for r, (doc_id, lang) in enumerate(zip(t.column("doc_id").to_pylist(), t.column("lang").to_pylist())):
            if (dump_id, doc_id) not in exclude and lang in LANGS:
                rows.append((doc_id, dump_id, str(lang), p, r))
    rows.sort(key=lambda x: (x[0], x[1]))
    rows = [x for i, x in enumerate(rows) if i == 0 or x[0] != rows[i - 1][0]]
    by_lang = {lang: [(x[0], x[1], x[3], x[4]) for x in rows if x[2] == lang] for lang in LANGS}
    return [f for _, f in parts], by_lang


def _read_part(path: Path, wanted: dict[int, int]) -> tuple[np.ndarray, np.ndarray, list, list, list]:
    """Rows of one embeddings part file, in the order of `wanted` (row -> position)."""
    t = pq.read_table(path, columns=["n_chars", "vector", "sentence_vectors", "numbers"])
    rows = sorted(wanted, key=wanted.get)
    t = t.take(pa.array(rows, pa.int64()))
    vectors = _fixed_rows(t.column("vector").combine_chunks())
    sentences = t.column("sentence_vectors").combine_chunks()
    offsets = sentences.offsets.to_numpy()
    flat = _fixed_rows(sentences.values)[offsets[0] : offsets[-1]]
    counts = np.diff(offsets)
    return vectors, flat, counts.tolist(), t.column("n_chars").to_pylist(), t.column("numbers").to_pylist()


def _fixed_rows(array: pa.FixedSizeListArray) -> np.ndarray:
    values = array.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(-1, array.type.list_size).astype(np.float32, copy=False)


def read_new_documents(store: Store, parts: list[Path], rows: list[tuple]) -> Iterable[NewDocs]:
    """The features of the chosen rows, part file by part file (memory: one part file)."""
    by_part: dict[int, list[tuple]] = {}
    for x in rows:
        by_part.setdefault(x[2], []).append(x)
    for p in sorted(by_part):
        chosen = by_part[p]
        vectors, flat, counts, chars, numbers = _read_part(parts[p], {x[3]: i for i, x in enumerate(chosen)})
        yield NewDocs(
            [x[0] for x in chosen], [x[1] for x in chosen], np.asarray(chars, np.int32), vectors, flat,
            np.asarray(counts, np.int64), [list(n or ()) for n in numbers],
        )


# ---- writing the state ------------------------------------------------------------------------------
class Appender:
    """Appends documents to one folder's per-language files, counting what it wrote."""

    def __init__(self, store: Store, folder: Path, meta: dict):
        self.store, self.folder, self.meta = store, folder, meta
        self.buffer: dict[str, list[pa.Table]] = {lang: [] for lang in LANGS}
        self.buffered: dict[str, int] = dict.fromkeys(LANGS, 0)

    def add(self, lang: str, docs: NewDocs, probes: np.ndarray | None = None) -> None:
        if not len(docs):
            return
        n, s = self.meta["n"][lang], self.meta["sentences"][lang]
        f = self.folder
        a = self.store.append_array
        a(f / f"{lang}.vectors.f32", docs.vectors.astype("<f4"), n * DIM * 4)
        a(f / f"{lang}.sentences.f32", docs.sentences.astype("<f4"), s * DIM * 4)
        a(f / f"{lang}.ends.i64", (s + np.cumsum(docs.counts)).astype("<i8"), n * 8)
        a(f / f"{lang}.keys.i64", doc_keys(docs.doc_ids).astype("<i8"), n * 8)
        a(f / f"{lang}.chars.i32", docs.chars.astype("<i4"), n * 4)
        if probes is not None:
            a(f / f"{lang}.probes.i32", probes.astype("<i4"), n * self.meta["nprobe"] * 4)
        table = pa.table(
            [pa.array(docs.doc_ids, pa.string()), pa.array(docs.dump_ids, pa.string()),
             pa.array(docs.numbers, pa.list_(pa.string()))],
            schema=DOCS_SCHEMA,
        )
        self.buffer[lang].append(table)
        self.buffered[lang] += len(docs)
        self.meta["n"][lang] = n + len(docs)
        self.meta["sentences"][lang] = s + int(docs.counts.sum())
        if self.buffered[lang] >= 100_000:
            self.flush(lang)

    def flush(self, lang: str | None = None) -> None:
        """Write the buffered doc_ids (one part file named after its first row)."""
        for one in (lang,) if lang else LANGS:
            if self.buffered[one]:
                first = self.meta["n"][one] - self.buffered[one]
                path = self.folder / f"{one}.docs" / f"part-{first:010d}.parquet"
                self.store.write_file(pa.concat_tables(self.buffer[one]), path)
                self.buffer[one], self.buffered[one] = [], 0


def _cut_uncommitted(folder: Path, meta: dict) -> None:
    """Remove doc part files a run wrote past the committed counts (a crash before `state.json`)."""
    for lang in LANGS:
        for p in (folder / f"{lang}.docs").glob("part-*.parquet"):
            if int(p.stem.split("-")[1]) >= meta["n"][lang]:
                p.unlink()


def _commit(store: Store, state: State, meta: dict, lists: dict[str, tuple], edges: np.ndarray) -> State:
    """Write a new generation of the lists and edges, then `state.json` (the commit), then drop the
    previous generation."""
    old = meta.get("generation")
    meta = {**meta, "generation": (old if old is not None else -1) + 1}
    g = meta["generation"]
    for lang in LANGS:
        sim, idx = lists[lang]
        store.write_array(sim.astype(np.float32), state.folder / f"{lang}.knn_sim.{g}.npy")
        store.write_array(idx.astype(np.int32), state.folder / f"{lang}.knn_idx.{g}.npy")
    store.write_array(edges, state.folder / f"edges.{g}.npy")
    store.write_json(meta, state.folder / "state.json")
    if old is not None:
        for lang in LANGS:
            for name in ("knn_sim", "knn_idx"):
                (state.folder / f"{lang}.{name}.{old}.npy").unlink(missing_ok=True)
        (state.folder / f"edges.{old}.npy").unlink(missing_ok=True)
    return open_folder(state.folder, meta)


# ---- IVF cells (faiss) ---------------------------------------------------------------------------------
def n_cells(n: int) -> int:
    """Cells of the IVF index for a corpus of n documents a language: a power of two near 2 sqrt(n)."""
    return int(min(2048, max(64, 2 ** round(np.log2(2 * np.sqrt(max(n, 1)))))))


def train_cells(sample: np.ndarray, nlist: int, seed: int = 1234) -> np.ndarray:
    """Spherical k-means centroids of the sample (faiss, deterministic for a sample and seed)."""
    import faiss

    kmeans = faiss.Kmeans(
        DIM, nlist, niter=10, seed=seed, spherical=True, verbose=False, max_points_per_centroid=TRAIN_PER_CELL
    )
    kmeans.train(np.ascontiguousarray(sample, dtype=np.float32))
    return np.asarray(kmeans.centroids, np.float32)


def _quantizer(centroids: np.ndarray):
    import faiss

    quantizer = faiss.IndexFlatIP(DIM)
    quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
    return quantizer


def assign_probes(vectors: np.ndarray, centroids: np.ndarray, nprobe: int, block: int = 65_536) -> np.ndarray:
    """Each vector's `nprobe` nearest cells, its own first."""
    quantizer = _quantizer(centroids)
    out = np.zeros((len(vectors), nprobe), np.int32)
    for b0 in range(0, len(vectors), block):
        _, cells = quantizer.search(np.ascontiguousarray(vectors[b0 : b0 + block], dtype=np.float32), nprobe)
        out[b0 : b0 + len(cells)] = cells
    return out


def _ivf(quantizer, vectors: np.ndarray, cells: np.ndarray, first_id: int, nprobe: int):
    """An in-memory IndexIVFFlat over a block of vectors, their cells given (ids first_id, ...)."""
    import faiss
    from faiss.contrib.ivf_tools import add_preassigned

    index = faiss.IndexIVFFlat(quantizer, DIM, quantizer.ntotal, faiss.METRIC_INNER_PRODUCT)
    index.nprobe = nprobe
    ids = np.arange(first_id, first_id + len(vectors), dtype=np.int64)
    add_preassigned(index, np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(cells, np.int64), ids)
    return index


# ---- neighbour passes ------------------------------------------------------------------------------------
@dataclass
class Query:
    """Rows lo:hi of one language, searched against the other."""

    vectors: np.ndarray
    offset: int
    keys: np.ndarray  # the keys of the whole query language (indices are global)
    probes: np.ndarray | None


def neighbour_pass(
    q: Query, base: Side, col_limit: int, config: PairingConfig, centroids: np.ndarray | None,
    col_floor: np.ndarray | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The query rows' k-NN lists over every base document, and each base document below
    `col_limit`'s k best among the query rows (only those at or above its `col_floor`, the k-th
    similarity it has: the rest could not enter its list); base vectors read `block_docs` rows at
    a time."""
    k, nq = config.neighbours, len(q.vectors)
    rows, cols = empty_lists(nq, k), empty_lists(col_limit, k)
    if not nq or not base.n:
        return rows, cols
    if centroids is None:
        return _exact_pass(q, base, col_limit, config, col_floor)
    quantizer = _quantizer(centroids)
    nprobe = q.probes.shape[1]
    q_index = _ivf(quantizer, q.vectors, q.probes[:, 0], q.offset, nprobe) if col_limit else None
    for b0 in range(0, base.n, config.block_docs):
        b1 = min(base.n, b0 + config.block_docs)
        block = base.vectors.block(b0, b1)
        b_probes = base.probes.block(b0, b1)
        index = _ivf(quantizer, block, b_probes[:, 0], b0, nprobe)
        sim, idx = index.search_preassigned(q.vectors, k + 2, np.ascontiguousarray(q.probes, np.int64), None)
        rows = merge_lists(rows, canonical_lists(sim, idx, base.keys, k), base.keys, k)
        c1 = min(b1, col_limit)
        if c1 > b0:
            sim, idx = q_index.search_preassigned(block[: c1 - b0], k + 2, b_probes[: c1 - b0].astype(np.int64), None)
            if col_floor is not None:
                idx[sim < col_floor[b0:c1, None]] = -1
            some = np.flatnonzero((idx >= 0).any(axis=1))
            found = canonical_lists(sim[some], idx[some], q.keys, k)
            cols[0][b0 + some], cols[1][b0 + some] = found
        del block, index
    return rows, cols


def _exact_pass(q: Query, base: Side, col_limit: int, config: PairingConfig, col_floor: np.ndarray | None):
    """`neighbour_pass` by exact search: square tiles of about `block_cells` similarities (of a
    base document with a `col_floor`, only the tile's columns where a query row reaches it)."""
    k, nq = config.neighbours, len(q.vectors)
    rows, cols = empty_lists(nq, k), empty_lists(col_limit, k)
    tile = max(1, int(config.block_cells**0.5))
    for b0 in range(0, base.n, config.block_docs):
        b1 = min(base.n, b0 + config.block_docs)
        block = base.vectors.block(b0, b1)
        for r0 in range(0, nq, tile):
            r1 = min(nq, r0 + tile)
            for c0 in range(0, b1 - b0, tile):
                c1 = min(b1 - b0, c0 + tile)
                sims = q.vectors[r0:r1] @ block[c0:c1].T
                found = tile_top_k(sims, k, base.keys[b0 + c0 : b0 + c1], b0 + c0)
                rows[0][r0:r1], rows[1][r0:r1] = merge_lists(
                    (rows[0][r0:r1], rows[1][r0:r1]), found, base.keys, k
                )
                g0, g1 = b0 + c0, min(b0 + c1, col_limit)
                if g1 > g0:
                    part = sims[:, : g1 - g0]
                    some = np.arange(g1 - g0)
                    if col_floor is not None:
                        some = np.flatnonzero(part.max(axis=0) >= col_floor[g0:g1])
                    if not len(some):
                        continue
                    keys = q.keys[q.offset + r0 : q.offset + r1]
                    found = tile_top_k(np.ascontiguousarray(part[:, some].T), k, keys, q.offset + r0)
                    at = g0 + some
                    cols[0][at], cols[1][at] = merge_lists((cols[0][at], cols[1][at]), found, q.keys, k)
    return rows, cols


def neighbour_task(folder: str, meta: dict, lo: int, hi: int, config: PairingConfig):
    """One task of a full recompute: Russian rows lo:hi against all English documents (their lists,
    and every English document's k best among them). Reads the state folder (a Dask worker needs
    it at the same path)."""
    state = open_folder(Path(folder), meta, with_lists=False)
    ru, en = state.sides["ru"], state.sides["en"]
    probes = None if ru.probes is None else ru.probes.block(lo, hi)
    q = Query(ru.vectors.block(lo, hi), lo, ru.keys, probes)
    return neighbour_pass(q, en, en.n, config, state.centroids())


def alignment_task(folder: str, meta: dict, ru: np.ndarray, en: np.ndarray) -> np.ndarray:
    """One task of a full recompute: the sentence alignment of candidate pairs (sorted by ru)."""
    state = open_folder(Path(folder), meta, with_lists=False)
    ru_docs, ru_at = np.unique(ru, return_inverse=True)
    en_docs, en_at = np.unique(en, return_inverse=True)
    ru_sentences, ru_offsets = state.sides["ru"].sentences_of(ru_docs)
    en_sentences, en_offsets = state.sides["en"].sentences_of(en_docs)
    return aligned(ru_sentences, ru_offsets, en_sentences, en_offsets, ru_at, en_at)


def _results(submit: Submit | None, fn: Callable, tasks: list[tuple]) -> Iterable[Any]:
    """fn over the tasks' arguments, in order: here one after the other (each result used before the
    next is computed), or all submitted at once (to a Dask cluster) and collected in order."""
    if submit is None:
        for args in tasks:
            yield fn(*args)
        return
    futures = [submit(fn, *args) for args in tasks]
    for future in futures:
        yield future.result()


# ---- candidate edges -------------------------------------------------------------------------------------
def edges_from_lists(ru_knn: tuple, en_knn: tuple, n_en: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate pairs: the union of every Russian document's k-NN list and every English
    one's, sorted by (ru, en), with their vector similarity."""
    rs, ri = ru_knn
    es, ei = en_knn
    k = ri.shape[1] if ri.ndim == 2 else 0
    rm, em = ri.reshape(-1) >= 0, ei.reshape(-1) >= 0
    r_rows = np.repeat(np.arange(len(ri), dtype=np.int64), k)[rm]
    e_cols = np.repeat(np.arange(len(ei), dtype=np.int64), k)[em]
    codes = np.concatenate([r_rows * n_en + ri.reshape(-1)[rm], ei.reshape(-1)[em] * n_en + e_cols])
    sims = np.concatenate([rs.reshape(-1)[rm], es.reshape(-1)[em]])
    codes, first = np.unique(codes, return_index=True)
    return codes // max(n_en, 1), codes % max(n_en, 1), sims[first]


def _edges(
    state: State, ru_knn: tuple, en_knn: tuple, config: PairingConfig, submit: Submit | None,
    old: np.ndarray | None, stats: dict,
) -> np.ndarray:
    """The edge records of the lists: alignment and vetoes kept from `old` where an edge was there,
    computed for the others."""
    n_en = state.sides["en"].n
    ru, en, sim = edges_from_lists(ru_knn, en_knn, n_en)
    edges = np.zeros(len(ru), EDGE)
    edges["ru"], edges["en"], edges["sim"] = ru, en, sim
    todo = np.ones(len(ru), bool)
    if old is not None and len(old):
        old_codes = old["ru"].astype(np.int64) * n_en + old["en"]
        codes = ru * n_en + en
        pos = np.minimum(np.searchsorted(old_codes, codes), len(old_codes) - 1)
        hit = old_codes[pos] == codes
        edges["align"][hit], edges["ok"][hit] = old["align"][pos[hit]], old["ok"][pos[hit]]
        todo = ~hit
    which = np.flatnonzero(todo)
    stats["edges"], stats["aligned"] = len(edges), len(which)
    if len(which):
        folder, meta = str(state.folder), state.meta
        chunks = _chunks_by_row(ru[which], ALIGN_CHUNK)
        tasks = [(folder, meta, ru[which[a:b]], en[which[a:b]]) for a, b in chunks]
        edges["align"][which] = np.concatenate(list(_results(submit, alignment_task, tasks)))
        edges["ok"][which] = _vetoes(state, ru[which], en[which], edges["align"][which], config)
    return edges


def _chunks_by_row(rows: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Ranges of about `size` entries of a sorted array, cut only where the row changes."""
    out, start = [], 0
    while start < len(rows):
        end = min(len(rows), start + size)
        if end < len(rows):
            end = int(np.searchsorted(rows, rows[end - 1], side="right"))
        out.append((start, end))
        start = end
    return out


def _vetoes(state: State, ru: np.ndarray, en: np.ndarray, align: np.ndarray, config: PairingConfig) -> np.ndarray:
    """Whether the floor and evidence vetoes let each pair through (`pair_documents`' rules)."""
    ok = (align >= config.min_alignment) & (state.length_ratios(ru, en) >= config.min_length_ratio)
    m = config.min_numbers_for_veto
    numbers = {lang: state.docs(lang, ["numbers"]).column("numbers") for lang in LANGS}
    counts = {lang: pc.list_value_length(numbers[lang]).to_numpy(zero_copy_only=False) for lang in LANGS}
    check = np.flatnonzero(ok & (counts["ru"][ru] >= m) & (counts["en"][en] >= m)) if len(ru) else []
    if len(check):
        ru_numbers = numbers["ru"].take(pa.array(ru[check])).to_pylist()
        en_numbers = numbers["en"].take(pa.array(en[check])).to_pylist()
        for c, x, y in zip(check, ru_numbers, en_numbers):
            ok[c] = not numbers_conflict(set(x), set(y), m)
    return ok


# ---- the two ways of bringing the state up to date -------------------------------------------------------
def _empty_meta(tag: str, dump_ids: list[str], exclude: set, config: PairingConfig) -> dict:
    return {
        "format": FORMAT, "params": tag, "dumps": sorted(dump_ids), "excluded": excluded_digest(exclude, dump_ids),
        "mode": "exact", "n": dict.fromkeys(LANGS, 0), "sentences": dict.fromkeys(LANGS, 0), "generation": None,
    }


def update(
    store: Store, state: State, new_dumps: list[str], exclude: set, config: PairingConfig, stats: dict
) -> State | None:
    """Add the new dumps' documents: their lists over the whole corpus, the old documents' lists
    where a new one comes closer, the edges that changed. None: a full recompute is needed (a new
    copy of a kept document in an earlier dump, or a corpus grown past what the mode serves)."""
    parts, chosen = _occurrences(store, new_dumps, exclude)
    meta = json.loads(json.dumps(state.meta))
    fresh: dict[str, list[tuple]] = {}
    for lang in LANGS:
        kept = state.docs(lang, ["doc_id", "dump_id"])
        ids = pa.array([x[0] for x in chosen[lang]], pa.string())
        where = pc.index_in(ids, value_set=kept.column("doc_id"))
        known = np.asarray(pc.is_valid(where).to_numpy(zero_copy_only=False), bool)
        if known.any():
            stored = kept.column("dump_id").take(where.filter(pc.is_valid(where))).to_pylist()
            if any(x[1] < d for x, d in zip((x for x, h in zip(chosen[lang], known) if h), stored)):
                return None  # a copy in an earlier dump: the recompute would take it
        fresh[lang] = [x for x, h in zip(chosen[lang], known) if not h]
    after = {lang: state.sides[lang].n + len(fresh[lang]) for lang in LANGS}
    if state.ivf:
        if max(after.values()) > REGROW * meta["trained_on"]:
            return None
    elif max(after.values()) >= config.index_min_docs:
        return None
    meta["dumps"] = sorted(set(meta["dumps"]) | set(new_dumps))
    meta["excluded"] = excluded_digest(exclude, meta["dumps"])
    stats["new"] = {lang: len(fresh[lang]) for lang in LANGS}
    if not any(fresh.values()):
        store.write_json(meta, state.folder / "state.json")
        return open_folder(state.folder, meta)
    _cut_uncommitted(state.folder, state.meta)
    centroids = state.centroids()
    appender = Appender(store, state.folder, meta)
    for lang in LANGS:
        for docs in read_new_documents(store, parts, fresh[lang]):
            probes = assign_probes(docs.vectors, centroids, meta["nprobe"]) if centroids is not None else None
            appender.add(lang, docs, probes)
    appender.flush()
    grown = open_folder(state.folder, {**meta, "generation": None}, with_lists=False)
    old_n = {lang: state.sides[lang].n for lang in LANGS}
    lists = {}
    gains = {}
    for lang, other in (("ru", "en"), ("en", "ru")):
        side = grown.sides[lang]
        lo = old_n[lang]
        q = Query(
            side.vectors.block(lo), lo, side.keys, None if side.probes is None else side.probes.block(lo),
        )
        kept = state.sides[other].knn
        rows, cols = neighbour_pass(q, grown.sides[other], old_n[other], config, centroids, kept[0][:, -1])
        lists[lang] = rows  # the new documents' lists
        gains[other] = cols  # old documents of the other language: their best among the new ones
    k = config.neighbours
    for lang, other in (("ru", "en"), ("en", "ru")):
        kept = state.sides[lang].knn
        gain = gains[lang]
        some = np.flatnonzero(gain[1][:, 0] >= 0)  # a new document at or above the k-th similarity
        merged = (kept[0].copy(), kept[1].copy())
        merged[0][some], merged[1][some] = merge_lists(
            (kept[0][some], kept[1][some]), (gain[0][some], gain[1][some]), grown.sides[other].keys, k
        )
        stats.setdefault("changed_lists", {})[lang] = int((merged[1][some] != kept[1][some]).any(axis=1).sum())
        lists[lang] = (np.vstack([merged[0], lists[lang][0]]), np.vstack([merged[1], lists[lang][1]]))
    grown.meta = meta
    edges = _edges(grown, lists["ru"], lists["en"], config, None, state.edges, stats)  # indices stay: appended
    return _commit(store, grown, meta, lists, edges)


def rebuild(
    store: Store, dump_ids: list[str], exclude: set, config: PairingConfig, tag: str,
    submit: Submit | None = None, stats: dict | None = None, centroids: np.ndarray | None = None,
) -> State:
    """The state from scratch, from the stored tables: features copied part file by part file, IVF
    cells trained when the corpus is large (or the `centroids` given), the lists in tasks over
    blocks of Russian documents, the edges aligned in tasks; built under `_tmp/` and put in place
    whole."""
    stats = stats if stats is not None else {}
    folder = store.tmp_dir / f"pairing-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    meta = _empty_meta(tag, dump_ids, exclude, config)
    parts, chosen = _occurrences(store, dump_ids, exclude)
    appender = Appender(store, folder, meta)
    for lang in LANGS:
        for docs in read_new_documents(store, parts, chosen[lang]):
            appender.add(lang, docs)
    appender.flush()
    return build_lists(store, folder, meta, config, submit, stats, centroids)


def build_lists(
    store: Store, folder: Path, meta: dict, config: PairingConfig, submit: Submit | None, stats: dict,
    centroids: np.ndarray | None = None,
) -> State:
    """Given a folder of appended features (`meta` counts them): cells (when large), lists, edges,
    the first generation; then the folder replaces the kept state."""
    state = open_folder(folder, meta, with_lists=False)
    n = {lang: state.sides[lang].n for lang in LANGS}
    if centroids is not None or max(n.values()) >= config.index_min_docs:
        nlist = n_cells(max(n.values())) if centroids is None else len(centroids)
        keys = np.concatenate([state.sides[lang].keys for lang in LANGS])
        rows = np.concatenate([np.arange(n[lang]) for lang in LANGS])
        which = np.concatenate([np.full(n[lang], i) for i, lang in enumerate(LANGS)])
        pick = np.sort(np.argsort(keys, kind="stable")[: nlist * TRAIN_PER_CELL])
        sample = np.concatenate(
            [state.sides[lang].vectors.take(rows[pick][which[pick] == i]) for i, lang in enumerate(LANGS)]
        )
        centroids = train_cells(sample, nlist) if centroids is None else centroids
        store.write_array(centroids, folder / "quantizer.npy")
        meta.update(mode="ivf", nlist=nlist, nprobe=config.nprobe, trained_on=max(n.values()))
        for lang in LANGS:
            side = state.sides[lang]
            for b0 in range(0, side.n, config.block_docs):
                block = side.vectors.block(b0, b0 + config.block_docs)
                store.append_array(
                    folder / f"{lang}.probes.i32", assign_probes(block, centroids, config.nprobe).astype("<i4"),
                    b0 * config.nprobe * 4,
                )
        state = open_folder(folder, meta, with_lists=False)
    stats["index"] = meta["mode"]
    k = config.neighbours
    step = config.task_docs
    tasks = [(str(folder), meta, lo, min(n["ru"], lo + step), config) for lo in range(0, n["ru"], step)]
    ru_parts, en_knn = [], empty_lists(n["en"], k)
    for rows, cols in _results(submit, neighbour_task, tasks):
        ru_parts.append(rows)
        some = np.flatnonzero((cols[1][:, 0] >= 0) & (cols[0][:, 0] >= en_knn[0][:, -1]))  # could enter the list
        keys = state.sides["ru"].keys
        merged = merge_lists((en_knn[0][some], en_knn[1][some]), (cols[0][some], cols[1][some]), keys, k)
        en_knn[0][some], en_knn[1][some] = merged
    ru_knn = (
        (np.vstack([r[0] for r in ru_parts]), np.vstack([r[1] for r in ru_parts])) if ru_parts else empty_lists(0, k)
    )
    state.meta = meta
    edges = _edges(state, ru_knn, en_knn, config, submit, None, stats)
    staged = _commit(store, state, meta, {"ru": ru_knn, "en": en_knn}, edges)
    store.replace_dir(folder, store.pairing_dir)
    built = open_folder(store.pairing_dir, staged.meta)
    built.rebuilt = True
    return built


# ---- linking ---------------------------------------------------------------------------------------------------
@dataclass
class Links:
    """The one-to-one pairs: state indices, score, alignment, vector similarity."""

    ru: np.ndarray
    en: np.ndarray
    score: np.ndarray
    align: np.ndarray
    sim: np.ndarray


def link(state: State, config: PairingConfig, min_score: float) -> Links:
    """Margins from the kept alignments, then competitive linking over every candidate edge: best
    score first (ties by the documents' keys), each document used once, vetoed edges skipped."""
    e = state.edges
    if e is None or not len(e):
        z = np.zeros(0, np.int64)
        return Links(z, z, z.astype(float), z.astype(float), z.astype(np.float32))
    k, bg = config.neighbours, config.background
    ru, en, align = e["ru"].astype(np.int64), e["en"].astype(np.int64), e["align"]
    ru_mean = neighbourhood_means(ru, align, state.sides["ru"].n, k, bg)
    en_mean = neighbourhood_means(en, align, state.sides["en"].n, k, bg)
    score = align / ((ru_mean[ru] + en_mean[en]) / 2)
    cand = np.flatnonzero(e["ok"] & (score >= min_score))
    order = cand[np.lexsort((state.sides["en"].keys[en[cand]], state.sides["ru"].keys[ru[cand]], -score[cand]))]
    used_ru, used_en = bytearray(state.sides["ru"].n), bytearray(state.sides["en"].n)
    chosen = []
    for c, i, j in zip(order.tolist(), ru[order].tolist(), en[order].tolist()):
        if used_ru[i] or used_en[j]:
            continue
        used_ru[i] = used_en[j] = 1
        chosen.append(c)
    c = np.asarray(chosen, np.int64)
    return Links(ru[c], en[c], score[c], align[c], e["sim"][c])

