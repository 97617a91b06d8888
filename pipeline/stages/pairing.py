"""Pairing Russian documents with their English translations over the whole corpus.

Per document (once, when its dump is processed, kept in the `embeddings` table): the lead of the
text (title and first sentences, `max_chunks` sentence chunks: a translation keeps the order of its
sentences, so leads align as whole texts do) gets one multilingual USE v3 embedding per chunk, the
document vector is their normalized mean, and the numbers written in the whole text are kept.

Over the corpus (every run, from the stored features only):

1. candidates: exact k nearest neighbours by document-vector cosine, across languages, with
   chunked matrix products and `argpartition` (memory bounded by one block of `block_cells`);
2. alignment: for each candidate pair, how well the sentences of one document find a
   counterpart in the other (mean best sentence cosine, both directions) - a translation keeps
   every sentence, an article on the same event does not;
3. score: the ratio margin of the alignment (Artetxe & Schwenk, 2019): the pair's alignment over
   the mean alignment of both documents with their k candidates, so that a document close to
   everything (a topic cluster) does not win by absolute similarity;
4. floor and evidence vetoes: the alignment itself must be well above that of unrelated texts (a
   ratio of two tiny similarities is noise), and a translation keeps the numbers and about the
   length of its original;
5. one-to-one: competitive linking (best score first, each document used once), above a threshold.

Everything is sorted by `doc_id` first, so the pairs depend on the corpus, not on dump order.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyarrow as pa

from pipeline import schemas
from pipeline.records import DocumentRecord, PairRecord
from pipeline.settings import default
from pipeline.stages.sentence_encoder import SentenceEncoder

_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w])")
# A sentence ends at . ! ? … (optionally closed by a quote) before a capital, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]?\s+(?=[\"'«“(]?[A-ZА-ЯЁ0-9])")


@dataclass(frozen=True)
class PairingConfig:
    """Knobs of the scorer; defaults are a priori choices, not fitted to one gold set."""

    neighbours: int = 4  # k of the kNN margin, as in bitext mining
    min_score: float = default("pair_min_score")  # ratio margin a pair must reach
    min_alignment: float = 0.3  # a margin means nothing near the background: sentences must match this well
    background: float = 0.15  # alignment of unrelated documents: pads a neighbourhood smaller than k
    min_length_ratio: float = 0.5  # shorter/longer in characters
    min_numbers_for_veto: int = 3  # both sides write at least this many numbers and share none: not a translation
    block_cells: int = 1 << 22  # cells of one similarity tile (2048 x 2048: 16 MB of float32 plus its top-k)
    max_chunk_chars: int = 500  # a sentence longer than this is cut at white space
    max_chunks: int = 6  # the lead: title and first sentences (wmt21: same P/R and margins as 64, 1/3 of the cost)
    # the kept state (pipeline/pairing_index.py): a language with this many documents takes its
    # candidates from an IVF index (faiss), smaller corpora from exact search
    index_min_docs: int = default("pair_index_min_docs")
    nprobe: int = 16  # cells of the IVF index searched per document
    block_docs: int = 65_536  # kept vectors read at once (128 MB of float32)
    task_docs: int = 32_768  # Russian documents of one task of a full recompute


DEFAULT_CONFIG = PairingConfig()


# ---- per-document features (computed once per dump) ---------------------------------------------
@lru_cache(maxsize=1)
def sentence_encoder() -> SentenceEncoder:
    """Multilingual USE v3 with one BLAS thread: the pipeline runs one worker process per core,
    so more threads per process only contend."""
    return SentenceEncoder.from_package(threads=1)


def embed_texts(texts: list[str]) -> np.ndarray:
    """L2-normalized 512-d multilingual embeddings (float32), one per text."""
    if not texts:
        return np.zeros((0, schemas.EMBEDDING_DIM), dtype=np.float32)
    vectors = np.asarray(sentence_encoder().encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def numbers_in(text: str) -> set[str]:
    """Numbers written in the text, with decimal commas folded to points; years and counts alike."""
    return {m.group(0).replace(",", ".") for m in _NUMBER.finditer(text)}


def sentence_chunks(text: str, max_chars: int = 500, max_chunks: int = 64) -> list[str]:
    """Sentences of a text (paragraph breaks end one too), long ones cut at white space."""
    chunks: list[str] = []
    for paragraph in text.split("\n"):
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            while len(sentence) > max_chars:
                cut = sentence.rfind(" ", 0, max_chars)
                cut = cut if cut > max_chars // 2 else max_chars
                chunks.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            if sentence:
                chunks.append(sentence)
    return chunks[:max_chunks] or [text.strip()[:max_chars]]


def document_text(doc: DocumentRecord) -> str:
    """What is embedded: the title (its own sentence) and the body."""
    return f"{doc.title}\n{doc.text}" if doc.title else doc.text


def embed_documents(documents: list[DocumentRecord], config: PairingConfig = DEFAULT_CONFIG) -> pa.Table:
    """The `embeddings` partition of a dump: document vector, sentence vectors, numbers."""
    texts = [document_text(d) for d in documents]
    chunks = [sentence_chunks(t, config.max_chunk_chars, config.max_chunks) for t in texts]
    flat = embed_texts([c for cs in chunks for c in cs])
    offsets = np.cumsum([0] + [len(cs) for cs in chunks])
    return embeddings_table(
        [d.doc_id for d in documents],
        [d.lang for d in documents],
        [len(t) for t in texts],
        flat,
        offsets,
        [sorted(numbers_in(t)) for t in texts],
    )


def embeddings_table(
    doc_ids: list[str],
    langs: list[str],
    n_chars: list[int],
    sentence_vectors: np.ndarray,
    offsets: np.ndarray,
    numbers: list[list[str]],
) -> pa.Table:
    """The `embeddings` table from the sentence vectors of each document (rows offsets[i]:offsets[i+1]);
    the document vector is their normalized mean."""
    doc_vectors = np.zeros((len(doc_ids), schemas.EMBEDDING_DIM), dtype=np.float32)
    for i in range(len(doc_ids)):
        mean = sentence_vectors[offsets[i] : offsets[i + 1]].mean(axis=0)
        doc_vectors[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    dim = schemas.EMBEDDING_DIM
    sentence_lists = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.FixedSizeListArray.from_arrays(pa.array(sentence_vectors.reshape(-1), pa.float32()), dim),
    )
    return pa.Table.from_arrays(
        [
            pa.array(doc_ids, pa.string()),
            pa.array(langs, pa.string()).dictionary_encode(),
            pa.array(n_chars, pa.int32()),
            pa.FixedSizeListArray.from_arrays(pa.array(doc_vectors.reshape(-1), pa.float32()), dim),
            sentence_lists,
            pa.array(numbers, pa.list_(pa.string())),
        ],
        schema=schemas.EMBEDDINGS,
    )


# ---- the corpus side of pairing ------------------------------------------------------------------
@dataclass
class PairingSide:
    """All documents of one language, column-wise, sorted by doc_id."""

    doc_ids: list[str]
    dump_ids: list[str]
    n_chars: np.ndarray  # (n,) int
    vectors: np.ndarray  # (n, d) float32, L2-normalized document vectors
    sentences: np.ndarray  # (total sentences, d) float32 (or float16), L2-normalized
    offsets: np.ndarray  # (n + 1,) sentence rows of document i: offsets[i]:offsets[i+1]
    numbers: list[set[str]] = field(default_factory=list)
    keys: list[set[str]] = field(default_factory=list)
    dates: list[set[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def evidence(self, attr: str, i: int) -> set[str]:
        values = getattr(self, attr)
        return values[i] if values else set()


def knn_candidates(
    left: np.ndarray, right: np.ndarray, k: int, block_cells: int = 1 << 22
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours both ways by dot product, block by block.

    Returns candidate (left index, right index) pairs: the union of each left row's top k and
    each right row's top k, sorted. Memory: one tile of about `block_cells` plus O((n + m) k).
    """
    n, m = len(left), len(right)
    if not n or not m:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    kr, kc = min(k, m), min(k, n)
    row_val, row_idx = np.full((n, kr), -np.inf, np.float32), np.zeros((n, kr), np.int64)
    col_val, col_idx = np.full((m, kc), -np.inf, np.float32), np.zeros((m, kc), np.int64)
    tile = max(1, int(block_cells**0.5))  # square tiles: each vector is read n/tile or m/tile times, not more
    for r0 in range(0, n, tile):
        rows_block = left[r0 : r0 + tile]
        r1 = r0 + len(rows_block)
        for c0 in range(0, m, tile):
            block = rows_block @ right[c0 : c0 + tile].T  # (tile rows, tile cols)
            c1 = c0 + block.shape[1]
            row_val[r0:r1], row_idx[r0:r1] = _merge_top_k(row_val[r0:r1], row_idx[r0:r1], block, c0, kr)
            block_t = np.ascontiguousarray(block.T)
            col_val[c0:c1], col_idx[c0:c1] = _merge_top_k(col_val[c0:c1], col_idx[c0:c1], block_t, r0, kc)
    rows = np.concatenate([np.repeat(np.arange(n), kr), col_idx.reshape(-1)])
    cols = np.concatenate([row_idx.reshape(-1), np.repeat(np.arange(m), kc)])
    pairs = np.unique(rows * m + cols)
    return pairs // m, pairs % m


def _merge_top_k(
    best_val: np.ndarray, best_idx: np.ndarray, block: np.ndarray, offset: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best so far, merged with the k best of this block (columns shifted by `offset`)."""
    top = _top_k(block, min(k, block.shape[1]))
    all_val = np.concatenate([best_val, np.take_along_axis(block, top, axis=1)], axis=1)
    all_idx = np.concatenate([best_idx, top + offset], axis=1)
    keep = _top_k(all_val, k)
    return np.take_along_axis(all_val, keep, axis=1), np.take_along_axis(all_idx, keep, axis=1)


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest values of each row (in no particular order)."""
    if k >= values.shape[1]:
        return np.broadcast_to(np.arange(values.shape[1]), values.shape).copy()
    return np.argpartition(-values, k - 1, axis=1)[:, :k]


# ---- neighbour lists with a canonical order (for the kept state of pipeline/pairing_index.py) ----------
def doc_keys(doc_ids: list[str]) -> np.ndarray:
    """A fixed 64-bit key per doc_id (blake2b): the tie-break of equal similarities, whatever the
    order in which documents arrived."""
    return np.array(
        [int.from_bytes(hashlib.blake2b(d.encode(), digest_size=8).digest(), "little", signed=True) for d in doc_ids],
        dtype=np.int64,
    )


_NO_KEY = np.iinfo(np.int64).max


def empty_lists(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k empty neighbour slots per row: similarity -inf, index -1."""
    return np.full((n, k), -np.inf, np.float32), np.full((n, k), -1, np.int64)


def canonical_lists(values: np.ndarray, index: np.ndarray, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best (value, index) entries, best first; equal values by the key of their index
    (`keys[index]`), empty slots (index -1) last. Rows must not repeat an index."""
    n, m = values.shape
    if m == 0:
        return empty_lists(n, k)
    key = np.where(index >= 0, keys[np.maximum(index, 0)], _NO_KEY)
    val = np.where(index >= 0, values, -np.inf)
    order = np.lexsort((key.reshape(-1), -val.reshape(-1), np.repeat(np.arange(n), m))).reshape(n, m) % m
    order = order[:, :k]
    out_val = np.take_along_axis(val, order, axis=1).astype(np.float32)
    out_idx = np.take_along_axis(np.where(index >= 0, index, -1), order, axis=1).astype(np.int64)
    if order.shape[1] < k:
        pad_val, pad_idx = empty_lists(n, k - order.shape[1])
        out_val, out_idx = np.hstack([out_val, pad_val]), np.hstack([out_idx, pad_idx])
    return out_val, out_idx


def merge_lists(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], keys: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k best of two neighbour lists of the same rows over disjoint candidates."""
    return canonical_lists(np.hstack([a[0], b[0]]), np.hstack([a[1], b[1]]), keys, k)


def tile_top_k(block: np.ndarray, k: int, col_keys: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best columns of a similarity tile (canonical, indices shifted by `offset`):
    `argpartition` first, the few rows with a tie at the k-th value sorted whole."""
    n, m = block.shape
    kk = min(k, m)
    if kk == 0:
        return empty_lists(n, k)
    top = _top_k(block, kk)
    vals = np.take_along_axis(block, top, axis=1)
    kth = vals.min(axis=1)
    tied = np.flatnonzero((block >= kth[:, None]).sum(axis=1) > kk)
    for r in tied:  # equal similarities at the k-th place: the keys decide
        order = np.lexsort((col_keys, -block[r]))[:kk]
        top[r], vals[r] = order, block[r, order]
    val, idx = canonical_lists(vals, top, col_keys, k)
    return val, np.where(idx >= 0, idx + offset, -1)


def sentence_alignment(a: np.ndarray, b: np.ndarray) -> float:
    """Mean best-counterpart cosine of the sentences, averaged over both directions."""
    sims = a.astype(np.float32) @ b.astype(np.float32).T
    return float((sims.max(axis=1).mean() + sims.max(axis=0).mean()) / 2)


def alignment_scores(ru: PairingSide, en: PairingSide, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """`sentence_alignment` of every candidate pair; one matrix product per Russian document.

    `rows` must be sorted (as `knn_candidates` returns them).
    """
    return aligned(ru.sentences, ru.offsets, en.sentences, en.offsets, rows, cols)


def aligned(
    ru_sentences: np.ndarray, ru_offsets: np.ndarray, en_sentences: np.ndarray, en_offsets: np.ndarray,
    rows: np.ndarray, cols: np.ndarray,
) -> np.ndarray:
    """`alignment_scores` over sentence arrays and their offsets (the kept state reads only the
    sentences of the documents its pairs name: `pairing_index.Side.sentences_of`)."""
    out = np.empty(len(rows), np.float64)
    if not len(rows):
        return out
    bounds = np.flatnonzero(np.diff(rows, prepend=-1, append=int(rows[-1]) + 1))
    en_lens = np.diff(en_offsets)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        i, js = rows[lo], cols[lo:hi]
        lens = en_lens[js]
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        take = np.repeat(en_offsets[js] - starts, lens) + np.arange(lens.sum())
        block = np.asarray(ru_sentences[ru_offsets[i] : ru_offsets[i + 1]], np.float32)
        sims = block @ np.asarray(en_sentences[take], np.float32).T  # (s_i, sum lens)
        ru_to_en = np.maximum.reduceat(sims, starts, axis=1).mean(axis=0)
        en_to_ru = np.add.reduceat(sims.max(axis=0), starts) / lens
        out[lo:hi] = (ru_to_en + en_to_ru) / 2
    return out


def neighbourhood_means(index: np.ndarray, values: np.ndarray, size: int, k: int, background: float) -> np.ndarray:
    """Mean of each document's k best candidate values, padded with `background` when fewer."""
    order = np.lexsort((-values, index))
    idx, val = index[order], values[order]
    first = np.searchsorted(idx, np.arange(size))
    rank = np.arange(len(idx)) - first[idx]
    top = rank < k
    sums = np.bincount(idx[top], weights=val[top], minlength=size)
    counts = np.bincount(idx[top], minlength=size)
    return (sums + (k - counts) * background) / k


def length_ratio(a: int, b: int) -> float:
    return min(a, b) / max(a, b) if a and b else 0.0


def numbers_conflict(a: set[str], b: set[str], min_numbers: int) -> bool:
    """Both texts write several numbers and share none: a translation keeps its numbers."""
    return len(a) >= min_numbers and len(b) >= min_numbers and not (a & b)


def pair_documents(
    ru: PairingSide, en: PairingSide, config: PairingConfig = DEFAULT_CONFIG, stats: dict | None = None
) -> list[PairRecord]:
    """One-to-one RU/EN pairs whose alignment margin clears `config.min_score`, with evidence.

    `stats`, when given, receives the candidate count and the seconds of each phase.
    """
    if not len(ru) or not len(en):
        return []
    k = config.neighbours
    clock = time.perf_counter()
    rows, cols = knn_candidates(ru.vectors, en.vectors, k, config.block_cells)
    candidates_s = time.perf_counter() - clock
    align = alignment_scores(ru, en, rows, cols)
    if stats is not None:
        stats.update(candidates=len(rows), candidate_seconds=candidates_s)
        stats["alignment_seconds"] = time.perf_counter() - clock - candidates_s
    ru_mean = neighbourhood_means(rows, align, len(ru), k, config.background)
    en_mean = neighbourhood_means(cols, align, len(en), k, config.background)
    score = align / ((ru_mean[rows] + en_mean[cols]) / 2)
    order = np.lexsort((cols, rows, -score))  # best first; ties by sorted doc ids
    used_ru, used_en = np.zeros(len(ru), bool), np.zeros(len(en), bool)
    pairs = []
    for c in order:
        i, j = int(rows[c]), int(cols[c])
        if score[c] < config.min_score:
            break
        if used_ru[i] or used_en[j]:
            continue
        lr = length_ratio(int(ru.n_chars[i]), int(en.n_chars[j]))
        numbers_r, numbers_e = ru.evidence("numbers", i), en.evidence("numbers", j)
        if (
            align[c] < config.min_alignment
            or lr < config.min_length_ratio
            or numbers_conflict(numbers_r, numbers_e, config.min_numbers_for_veto)
        ):
            continue
        used_ru[i] = used_en[j] = True
        pairs.append(
            PairRecord(
                ru_doc_id=ru.doc_ids[i],
                en_doc_id=en.doc_ids[j],
                score=round(float(score[c]), 4),
                similarity=round(float(ru.vectors[i] @ en.vectors[j]), 4),
                alignment=round(float(align[c]), 4),
                length_ratio=round(lr, 4),
                shared_keys=sorted(ru.evidence("keys", i) & en.evidence("keys", j)),
                shared_numbers=sorted(numbers_r & numbers_e),
                shared_dates=sorted(ru.evidence("dates", i) & en.evidence("dates", j)),
                ru_dump_id=ru.dump_ids[i],
                en_dump_id=en.dump_ids[j],
            )
        )
    return sorted(pairs, key=lambda p: (p.ru_doc_id, p.en_doc_id))
