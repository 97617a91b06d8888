"""Near-duplicate documents: MinHash signatures of word shingles and LSH band candidates.

Per document (once, when its dump is written, kept in the `signatures` table beside the
embeddings): the lower-cased words of title and text (Unicode `\\w+`), shingled `SHINGLE_WORDS` at
a time, hashed into a `NUM_PERM`-value MinHash with datasketch's `affine32` scheme.

Candidates are the pairs that agree on every value of at least one LSH band (`bands_for` picks the
bands x rows with datasketch's optimizer for the threshold, false negatives weighted 0.9); a
candidate becomes an edge when its estimated Jaccard (the share of equal signature values) reaches
the threshold. Band keys are 64-bit hashes of each band's values computed in numpy over a whole
partition at once, so old documents are matched by scanning their stored signatures partition by
partition, never holding the corpus' index in memory. Against datasketch's `MinHashLSH` rebuilt
from the same stored signatures (`benchmarks/near_duplicates_scale.py`, 100k documents processed,
a new dump of 10k): 8.5 s and 68 MiB against 219 s and 1.56 GiB.

The MinHash and the optimizer are datasketch's (2.0.0) computations written here in numpy, without
importing datasketch: its package imports its LSH storage back ends (redis) and scipy, 0.8 s of
CPU measured in a run, for 40 lines of arithmetic. The same seeded permutations, SHA-1 input hash,
MurmurHash3 finalizer and wrapping uint32 products give datasketch's hash values bit for bit, and
the optimizer's integrals are of polynomials, computed exactly (to rounding) by Gauss-Legendre
quadrature where datasketch calls scipy's `quad`: tests compare both with datasketch itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from pipeline import schemas
from pipeline.records import DocumentRecord

SHINGLE_WORDS = 5  # datatrove's and most web-corpus pipelines' choice; measured against 3 in the note
NUM_PERM = schemas.MINHASH_PERM
SEED = 1
SCHEME = "affine32"
_WORD = re.compile(r"\w+")
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def words(title: str | None, text: str) -> list[str]:
    """The lower-cased words of title and text (punctuation, case and white space do not count)."""
    return _WORD.findall(f"{title or ''}\n{text}".lower())


def shingles(title: str | None, text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    """Word k-grams; a text shorter than k words is one shingle (so that it still has a signature)."""
    w = words(title, text)
    if len(w) <= k:
        return {" ".join(w).encode()}
    return {" ".join(w[i : i + k]).encode() for i in range(len(w) - k + 1)}


@lru_cache(maxsize=4)
def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations h -> a * h + b (mod 2^32) of datasketch's `affine32` scheme: `a` odd
    (a bijection), both drawn in its order from numpy's `RandomState(seed)`."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch's pre-mix of the input hash; products wrap)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash(values: Iterable[bytes], num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """The `affine32` MinHash of a set of byte strings (uint32 x num_perm): each value's first 4
    bytes of SHA-1 (little-endian), pre-mixed, through every permutation, the minimum per
    permutation; an empty set is all 2^32 - 1 (datasketch's empty MinHash)."""
    digests = b"".join(hashlib.sha1(v).digest()[:4] for v in values)
    out = np.full(num_perm, 0xFFFFFFFF, np.uint32)
    if digests:
        a, b = permutations(num_perm, seed)
        h = _fmix32(np.frombuffer(digests, "<u4").astype(np.uint32).reshape(-1, 1))
        np.minimum(out, (h * a + b).min(axis=0), out=out)
    return out


def signatures(texts: Iterable[tuple[str | None, str]]) -> tuple[np.ndarray, np.ndarray]:
    """MinHash values (n x NUM_PERM, uint32) and shingle counts of (title, text) pairs."""
    sets = [shingles(t, x) for t, x in texts]
    out = np.empty((len(sets), NUM_PERM), np.uint32)
    for i, s in enumerate(sets):
        out[i] = minhash(s)
    return out, np.array([len(s) for s in sets], np.int32)


@dataclass(frozen=True)
class SignedText:
    """The fields of a document that its signature row needs (a stored document, a test's text)."""

    doc_id: str
    ordinal: int
    title: str | None
    text: str


def signatures_table(documents: list[DocumentRecord] | list[SignedText]) -> pa.Table:
    """The `signatures` rows of a batch of documents (doc_id, shingle count, MinHash)."""
    values, counts = signatures((d.title, d.text) for d in documents)
    flat = pa.array(values.reshape(-1), pa.uint32())
    return pa.Table.from_arrays(
        [
            pa.array([d.doc_id for d in documents], pa.string()),
            pa.array([d.ordinal for d in documents], pa.int32()),
            pa.array(counts, pa.int32()),
            pa.FixedSizeListArray.from_arrays(flat, NUM_PERM),
        ],
        schema=schemas.SIGNATURES,
    )


def minhash_matrix(column: pa.ChunkedArray | pa.FixedSizeListArray) -> np.ndarray:
    """A stored `minhash` column as an n x NUM_PERM uint32 array."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.flatten().to_numpy(zero_copy_only=False).reshape(-1, NUM_PERM)


def params_tag(threshold: float) -> str:
    """Everything a signature and a link depend on besides the texts: the MinHash settings of this
    module (read nowhere else) and the threshold with its bands (a change recomputes the table)."""
    bands, rows = bands_for(threshold)
    return f"words={SHINGLE_WORDS};perm={NUM_PERM};seed={SEED};{SCHEME};threshold={threshold:g};bands={bands}x{rows}"


@lru_cache(maxsize=16)
def bands_for(threshold: float) -> tuple[int, int]:
    """(bands, rows) for the threshold: datasketch's optimizer, false negatives weighted 0.9."""
    return optimal_bands(threshold, NUM_PERM, 0.1, 0.9)


def optimal_bands(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    """datasketch's `lsh._optimal_param`: the (bands b, rows r), b * r <= num_perm, first in its
    order that minimizes the weighted areas of false positives (the probability 1 - (1 - s^r)^b of
    becoming a candidate, over s in [0, threshold]) and of false negatives (its complement over
    [threshold, 1]). Both integrands are polynomials of degree b * r <= num_perm, which
    Gauss-Legendre quadrature with num_perm // 2 + 1 nodes integrates exactly."""
    from numpy.polynomial.legendre import leggauss

    nodes, weights = leggauss(num_perm // 2 + 1)

    def area(lo: float, hi: float, b: int, r: int, negative: bool) -> float:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        p = 1 - (1 - s ** float(r)) ** float(b)
        return float((hi - lo) / 2 * (weights * (1 - p if negative else p)).sum())

    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = area(0.0, threshold, b, r, False)
            fn = area(threshold, 1.0, b, r, True)
            error = fp * fp_weight + fn * fn_weight
            if error < best:
                best, opt = error, (b, r)
    return opt


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer (a bijection on 64 bits that spreads every input bit)."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def band_keys(values: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band of each signature (n x bands, uint64); the band number is mixed in."""
    n = values.shape[0]
    v = values[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15), (n, bands))
        for j in range(rows):
            h = _mix(h ^ v[:, :, j])
    return h


def whole_keys(values: np.ndarray) -> np.ndarray:
    """One 64-bit key of the whole signature (equal signatures, equal keys)."""
    return band_keys(values, 1, values.shape[1])[:, 0]


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values, row by row (the MinHash estimate of Jaccard similarity)."""
    return (a == b).mean(axis=1, dtype=np.float64) if len(a) else np.zeros(0)


@dataclass(frozen=True)
class Candidates:
    """Index pairs (left, right) that share a band key."""

    left: np.ndarray
    right: np.ndarray


def pairs_within(keys: np.ndarray) -> Candidates:
    """Pairs (i < j) of rows of one key matrix that share a band key (each pair once)."""
    n, b = keys.shape
    flat = keys.reshape(-1)
    row = np.repeat(np.arange(n), b)
    order = np.lexsort((row, flat))
    flat, row = flat[order], row[order]
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    sizes = np.diff(np.r_[starts, len(flat)])
    two = starts[sizes == 2]
    left, right = [row[two]], [row[two + 1]]
    for s, m in zip(starts[sizes > 2], sizes[sizes > 2]):
        members = row[s : s + m]
        i, j = np.triu_indices(len(members), 1)
        left.append(members[i])
        right.append(members[j])
    return _unique_pairs(left, right)


def pairs_across(old: np.ndarray, new: np.ndarray) -> Candidates:
    """Pairs (old row, new row) that share a band key."""
    b = new.shape[1]
    flat_new = new.reshape(-1)
    order = np.argsort(flat_new, kind="stable")
    sorted_new, new_row = flat_new[order], np.repeat(np.arange(new.shape[0]), b)[order]
    flat_old = old.reshape(-1)
    pos = np.searchsorted(sorted_new, flat_old, "left")  # faster than np.isin's sort of both sides
    hit = np.flatnonzero(sorted_new[np.minimum(pos, len(sorted_new) - 1)] == flat_old)
    if not len(hit):
        return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64))
    lo = pos[hit]
    hi = np.searchsorted(sorted_new, flat_old[hit], "right")
    counts = hi - lo
    left = np.repeat(hit // b, counts)
    starts = np.repeat(lo - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
    return _unique_pairs([left], [new_row[starts]])


def _unique_pairs(left: list[np.ndarray], right: list[np.ndarray]) -> Candidates:
    if not left:
        return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64))
    pairs = np.unique(np.stack([np.concatenate(left), np.concatenate(right)], axis=1), axis=0)
    return Candidates(pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64))
