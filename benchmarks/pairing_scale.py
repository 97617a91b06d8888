"""Pairing at corpus scale on synthetic vectors: time and peak memory at 12.5k, 25k and 50k per language.

Each size runs in its own process (so its peak RSS is its own) through the real
`pipeline.stages.pairing.pair_documents`. Synthetic corpus: English documents get random unit
sentence vectors; 80% of the Russian documents are noisy copies of one English document (its
"translation"), the rest are random (no partner). Document vectors are the normalized mean of the
sentence vectors, as in the pipeline.

The baseline is the smallest size, measured in the same run: the script prints each size's time
ratio against it next to the ratio of comparisons the blocking keeps (language blocking: every
RU x EN dot product, done in blocks by BLAS) and of candidate pairs verified by sentence alignment.

    python benchmarks/pairing_scale.py [--sizes 12500 25000 50000] [--sentences 4]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.stages.pairing import PairingSide, pair_documents  # noqa: E402

DIM = 512


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def synthetic_sides(n: int, sentences: int, seed: int = 0) -> tuple[PairingSide, PairingSide, dict[str, str]]:
    """n RU and n EN documents; returns the sides and the planted pairs (RU id -> EN id)."""
    rng = np.random.default_rng(seed)
    en_s = _unit(rng.standard_normal((n, sentences, DIM), dtype=np.float32))
    partner = rng.permutation(n)
    translated = rng.random(n) < 0.8
    ru_s = _unit(rng.standard_normal((n, sentences, DIM), dtype=np.float32))
    noise = rng.standard_normal((int(translated.sum()), sentences, DIM), dtype=np.float32)
    ru_s[translated] = _unit(en_s[partner[translated]] + 0.6 * _unit(noise))

    def side(s: np.ndarray, prefix: str) -> PairingSide:
        return PairingSide(
            doc_ids=[f"{prefix}{i:07d}" for i in range(n)],
            dump_ids=["synthetic"] * n,
            n_chars=np.full(n, 1000),
            vectors=_unit(s.mean(axis=1)).astype(np.float32),
            sentences=s.reshape(-1, DIM),
            offsets=np.arange(0, n * sentences + 1, sentences),
        )

    truth = {f"ru{i:07d}": f"en{partner[i]:07d}" for i in np.flatnonzero(translated)}
    return side(ru_s, "ru"), side(en_s, "en"), truth


def measure(n: int, sentences: int) -> dict:
    ru, en, truth = synthetic_sides(n, sentences)
    stats: dict = {}
    t0 = time.perf_counter()
    pairs = pair_documents(ru, en, stats=stats)
    t_total = time.perf_counter() - t0
    correct = sum(truth.get(p.ru_doc_id) == p.en_doc_id for p in pairs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n_per_language": n,
        "comparisons": n * n,
        "candidates": stats["candidates"],
        "planted_pairs": len(truth),
        "pairs": len(pairs),
        "correct_pairs": correct,
        "candidate_seconds": round(stats["candidate_seconds"], 2),
        "alignment_seconds": round(stats["alignment_seconds"], 2),
        "pairing_seconds": round(t_total, 2),
        "peak_rss_mb": round(peak_mb),
        "input_mb": round((ru.sentences.nbytes + en.sentences.nbytes + ru.vectors.nbytes + en.vectors.nbytes) / 2**20),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[12500, 25000, 50000])
    ap.add_argument("--sentences", type=int, default=4, help="sentence vectors per synthetic document")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.sentences)))
        return
    results = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--sentences", str(args.sentences)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    base = results[0]
    columns = [
        ("n/lang", lambda r: r["n_per_language"]),
        ("candidates", lambda r: r["candidates"]),
        ("planted", lambda r: r["planted_pairs"]),
        ("pairs", lambda r: r["pairs"]),
        ("correct", lambda r: r["correct_pairs"]),
        ("cand s", lambda r: f"{r['candidate_seconds']:.2f}"),
        ("align s", lambda r: f"{r['alignment_seconds']:.2f}"),
        ("total s", lambda r: f"{r['pairing_seconds']:.2f}"),
        ("peak MB", lambda r: r["peak_rss_mb"]),
        ("input MB", lambda r: r["input_mb"]),
        ("time x", lambda r: f"{r['pairing_seconds'] / base['pairing_seconds']:.2f}"),
        ("cand time x", lambda r: f"{r['candidate_seconds'] / base['candidate_seconds']:.2f}"),
        ("comparisons x", lambda r: f"{r['comparisons'] / base['comparisons']:.2f}"),
        ("candidates x", lambda r: f"{r['candidates'] / base['candidates']:.2f}"),
    ]
    print(" ".join(f"{name:>13}" for name, _ in columns))
    for r in results:
        print(" ".join(f"{get(r)!s:>13}" for _, get in columns))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
