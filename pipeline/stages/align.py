"""Sentence alignment inside a RU/EN pair: monotone units of 1-3 sentences a side, 1-0 and 0-1 too.

As vecalign (Thompson & Koehn, 2019): every run of 1 to `max_merge` consecutive sentences of each
side gets a multilingual USE embedding, a unit costs its cosine distance normalized by how far
both runs are from the other document's sentences in general (a short sentence close to
everything does not win by absolute similarity), and dynamic programming finds the cheapest
monotone path through both documents; a sentence left without counterpart costs `skip`. As
Gale & Church and hunalign, a unit also pays for a length ratio away from the pair's own (the
ratio of the two whole texts, so no language's ratio is assumed): USE alone often finds a long
sentence closer to the first half of its translation than to both halves, and the length tells
a 1-2 from a 1-1 plus a 0-1 (WMT23: the two units the length term fixed were of that kind).

Runs are embedded from the sentences' own USE token sums: USE sums its token features before its
sentence layers, so the sum of two sentences' token sums is about the concatenation's input (the
n-gram windows across the seam and the extra start/end tokens differ); one encoder pass over the
sentences gives every run. On WMT23's pairs the approximate run vectors have a mean cosine of 0.92
(5th percentile 0.84) with the re-encoded concatenations and cost a twelfth of re-encoding them
(2.3 s against 27 s for 29 pairs); without the length term, re-encoding changed one unit.

Sentences come from razdel (maintained, Natasha's splitter) inside each paragraph: on WMT23's
gold segmentation it misses 3 of 173 in-paragraph boundaries a side and adds none (spaCy's
rule-based sentencizer misses 62 and adds 29 on the Russian side).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import razdel

from pipeline.stages.sentence_encoder import SentenceEncoder

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)
TITLE_SEPARATOR = "\n\n"
_LENGTH_SMOOTHING = 20.0  # characters added to both lengths: short runs do not swing the ratio


@dataclass(frozen=True)
class AlignConfig:
    """Knobs of the aligner (a priori values checked on a tuning half of WMT23's pairs)."""

    max_merge: int = 3  # a unit holds up to this many sentences of one side
    skip: float = 0.5  # cost of a sentence without counterpart (a close 1-1 unit costs about 0.0-0.5)
    merge: float = 0.25  # extra cost per sentence merged into a unit beyond 1-1
    cross_paragraph: float = 0.3  # extra cost when a unit joins sentences of two paragraphs
    length: float = 0.2  # extra cost per unit of |log length ratio - the pair's log length ratio|
    max_sentence_chars: int = 2000  # a longer "sentence" (a table, a list) is embedded from its head


DEFAULT_ALIGN = AlignConfig()


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int


@dataclass(frozen=True)
class Unit:
    """Sentences ru[ru_lo:ru_hi] aligned with en[en_lo:en_hi]; an empty range: no counterpart."""

    ru_lo: int
    ru_hi: int
    en_lo: int
    en_hi: int
    score: float | None  # cosine of the two runs' embeddings; None for 1-0 / 0-1

    @property
    def kind(self) -> str:
        return f"{self.ru_hi - self.ru_lo}-{self.en_hi - self.en_lo}"


def full_text(title: str | None, text: str) -> str:
    """A document as one string, the title heading the body: what bitext offsets point into."""
    return f"{title}{TITLE_SEPARATOR}{text}" if title else text


def split_sentences(text: str) -> list[Sentence]:
    """razdel's sentences inside each paragraph (blank-line separated), with offsets into `text`."""
    out: list[Sentence] = []
    for p, m in enumerate(_PARAGRAPH.finditer(text)):
        for s in razdel.sentenize(m.group(0)):
            if s.text.strip():
                out.append(Sentence(m.start() + s.start, m.start() + s.stop, p))
    return out


class RunVectors:
    """Embeddings of every run of 1..k consecutive sentences of one document."""

    def __init__(
        self,
        sums: np.ndarray,
        lens: np.ndarray,
        paragraphs: list[int],
        chars: list[int],
        encoder: SentenceEncoder,
        k: int,
    ):
        n = len(lens)
        csum = np.zeros((n + 1, sums.shape[1]), np.float64)
        np.cumsum(sums, axis=0, out=csum[1:])
        clen = np.concatenate([[0.0], np.cumsum(lens, dtype=np.float64)])
        cchars = np.concatenate([[0.0], np.cumsum(chars, dtype=np.float64)])
        para = np.asarray(paragraphs, np.int64)
        self.n_chars = float(cchars[-1])
        self.by_size: dict[int, np.ndarray] = {}
        self.crosses: dict[int, np.ndarray] = {}
        self.log_chars: dict[int, np.ndarray] = {}
        for size in range(1, min(k, n) + 1):
            run_sums = (csum[size:] - csum[:-size]).astype(np.float32)
            run_lens = (clen[size:] - clen[:-size]).astype(np.float32)
            self.by_size[size] = encoder.from_token_sums(run_sums, run_lens)
            self.crosses[size] = (para[size - 1 :] != para[: n - size + 1]).astype(np.float64)
            self.log_chars[size] = np.log(cchars[size:] - cchars[:-size] + _LENGTH_SMOOTHING)


def embed_runs(
    encoder: SentenceEncoder, texts: list[list[str]], paragraphs: list[list[int]], k: int
) -> list[RunVectors]:
    """RunVectors of several documents (their sentences' texts), one encoder pass over all sentences."""
    flat = [t for doc in texts for t in doc]
    sums, lens = encoder.token_sums(flat) if flat else (np.zeros((0, 1), np.float32), np.zeros(0, np.float32))
    out, at = [], 0
    for doc, paras in zip(texts, paragraphs):
        n = len(doc)
        out.append(RunVectors(sums[at : at + n], lens[at : at + n], paras, [len(t) for t in doc], encoder, k))
        at += n
    return out


def align_runs(ru: RunVectors, en: RunVectors, n_ru: int, n_en: int, config: AlignConfig = DEFAULT_ALIGN) -> list[Unit]:
    """The cheapest monotone alignment of two documents' sentences (see the module docstring)."""
    if not n_ru or not n_en:
        return [Unit(i, i + 1, 0, 0, None) for i in range(n_ru)] + [
            Unit(n_ru, n_ru, j, j + 1, None) for j in range(n_en)
        ]
    # How far each run is from the other side's sentences in general (vecalign's normalizer): the
    # mean cosine with the other document's sentences is the cosine with their mean vector.
    # Against a one-sentence document that mean is the candidate itself, and every unit would cost
    # as much as two skips: there the cosine distance stands alone (a headline and its translation).
    far_ru = {a: 1.0 - v @ en.by_size[1].mean(axis=0) if n_en > 1 else np.ones(len(v)) for a, v in ru.by_size.items()}
    far_en = {b: 1.0 - v @ ru.by_size[1].mean(axis=0) if n_ru > 1 else np.ones(len(v)) for b, v in en.by_size.items()}
    # The length ratio of this pair's whole texts is what a unit's ratio should be (Gale & Church).
    ratio = np.log((ru.n_chars + _LENGTH_SMOOTHING) / (en.n_chars + _LENGTH_SMOOTHING))
    types = [(a, b) for a in ru.by_size for b in en.by_size]
    inf = np.inf
    total = np.full((n_ru + 1, n_en + 1), inf)
    back = np.zeros((n_ru + 1, n_en + 1, 2), np.int8)
    total[0, :] = np.arange(n_en + 1) * config.skip
    back[0, 1:] = (0, 1)
    js = np.arange(n_en + 1)
    for i in range(1, n_ru + 1):
        best = total[i - 1] + config.skip  # 1-0
        arg = np.tile(np.array([1, 0], np.int8), (n_en + 1, 1))
        for a, b in types:
            if a > i:
                continue
            r = i - a  # the unit is ru[r:i] with en[j - b:j], for every j >= b at once
            cos = en.by_size[b] @ ru.by_size[a][r]
            c = (1.0 - cos) / np.maximum((far_ru[a][r] + far_en[b]) / 2, 1e-3) * (a + b) / 2
            c += config.merge * (a + b - 2) + config.cross_paragraph * (ru.crosses[a][r] + en.crosses[b])
            c += config.length * np.abs(ru.log_chars[a][r] - en.log_chars[b] - ratio)
            cand = np.full(n_en + 1, inf)
            cand[b:] = total[r, : n_en + 1 - b] + c
            better = cand < best
            best = np.where(better, cand, best)
            arg[better] = (a, b)
        # 0-1 units within the row: total[i, j] = min over k <= j of best[k] + (j - k) * skip
        shifted = best - js * config.skip
        run_min = np.minimum.accumulate(shifted)
        from_left = run_min + js * config.skip
        use_left = from_left < best - 1e-12
        total[i] = np.where(use_left, from_left, best)
        arg[use_left] = (0, 1)
        back[i] = arg
    return _trace(back, ru, en, n_ru, n_en)


def _trace(back: np.ndarray, ru: RunVectors, en: RunVectors, n_ru: int, n_en: int) -> list[Unit]:
    units: list[Unit] = []
    i, j = n_ru, n_en
    while i or j:
        a, b = (int(v) for v in back[i, j]) if i else (0, 1)
        score = float(ru.by_size[a][i - a] @ en.by_size[b][j - b]) if a and b else None
        units.append(Unit(i - a, i, j - b, j, score))
        i, j = i - a, j - b
    return units[::-1]


Span = tuple[int, int]


def align_texts(
    encoder: SentenceEncoder, ru_text: str, en_text: str, config: AlignConfig = DEFAULT_ALIGN
) -> list[tuple[Span | None, Span | None]]:
    """The aligned units of two texts as (Russian span, English span) character spans (None: a
    side without counterpart): what the bitext table holds for a pair, for one pair on its own."""
    sents = [split_sentences(ru_text), split_sentences(en_text)]
    ru, en = embed_runs(
        encoder,
        [[t[s.start : s.end][: config.max_sentence_chars] for s in ss] for t, ss in zip((ru_text, en_text), sents)],
        [[s.paragraph for s in ss] for ss in sents],
        config.max_merge,
    )
    out: list[tuple[Span | None, Span | None]] = []
    for u in align_runs(ru, en, len(sents[0]), len(sents[1]), config):
        r = (sents[0][u.ru_lo].start, sents[0][u.ru_hi - 1].end) if u.ru_hi > u.ru_lo else None
        e = (sents[1][u.en_lo].start, sents[1][u.en_hi - 1].end) if u.en_hi > u.en_lo else None
        out.append((r, e))
    return out
