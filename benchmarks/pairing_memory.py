"""Peak memory of the corpus pairing step (the part of a run that grows with the corpus), through the store.

    python -m benchmarks.pairing_memory [--docs 6500 65000] [--sentences 6] [--entities 15]

The analysis of a dump streams (its memory does not depend on the dump's size); pairing reads the
features of every document of the corpus. This benchmark writes a synthetic processed corpus with
the real store and schemas: one dump of N documents (about 650 per MB of news text, so 6,500 and
65,000 stand for the 10 MB and 100 MB dumps), each with random sentence vectors (1 to `sentences`
chunks, as the pipeline embeds the lead), numbers, and `entities` entity rows, half of them keyed
names and dates. Then, in a fresh process per size, it runs `pipeline.corpus.pairs.pair_corpus` (read
features, kNN, alignment, write the pairs table) and reports that process's peak RSS and time, and
the ratio of the largest size to the smallest (the baseline, measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def write_corpus(out: Path, n_docs: int, sentences: int, entities: int, seed: int = 0) -> None:
    """A processed corpus of one `ok` dump with `n_docs` synthetic documents (half ru, half en)."""
    from pipeline import schemas
    from pipeline.ledger import record_dumps
    from pipeline.records import EntityRecord, manifest_row
    from pipeline.stages.pairing import embeddings_table
    from pipeline.store import Store

    rng = np.random.default_rng(seed)
    store = Store(out)
    dump_id = f"synthetic{n_docs}"
    staging = store.stage(dump_id)
    labels = ["PERSON", "ORG", "DATE", "GPE", "LOC"]
    for start in range(0, n_docs, 256):
        ids = [f"{i:016x}" for i in range(start, min(start + 256, n_docs))]
        counts = rng.integers(1, sentences + 1, len(ids))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        vectors = rng.standard_normal((int(offsets[-1]), schemas.EMBEDDING_DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        langs = ["ru" if int(d, 16) % 2 else "en" for d in ids]
        numbers = [[str(x) for x in rng.integers(0, 3000, 4)] for _ in ids]
        table = embeddings_table(ids, langs, list(rng.integers(500, 4000, len(ids))), vectors, offsets, numbers)
        staging.write_part("embeddings", table)
        rows = []
        for d, lang in zip(ids, langs):
            for k in range(entities):
                label = labels[k % len(labels)]
                key = f"name:{rng.integers(0, 50_000)}" if label in ("PERSON", "ORG") else None
                norm = f"2024-07-{1 + k % 28:02d}" if label == "DATE" else "Name"
                rows.append(EntityRecord(d, label, "Name", 10 * k, 10 * k + 4, norm, key, lang))
        staging.write_part("entities", schemas.to_table(rows, schemas.ENTITIES))
    store.commit(staging)
    record_dumps(store, [manifest_row(out / "synthetic.txt", dump_id, n_docs * 1600, "utf-8", n_docs, None)])


def measure(out: Path) -> dict:
    """Run the corpus pairing step on a processed corpus in this process; its peak RSS and time."""
    from pipeline.corpus.pairs import pair_corpus
    from pipeline.settings import Settings
    from pipeline.store import Store

    start = time.perf_counter()
    n_pairs = pair_corpus(Store(out), Settings().with_(out_dir=out)).rows
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mib": peak_kib / 1024, "pairs": n_pairs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[6500, 65000])
    ap.add_argument("--sentences", type=int, default=6, help="at most this many sentence vectors per document")
    ap.add_argument("--entities", type=int, default=15, help="entity rows per document")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        print(json.dumps(measure(Path(a.measure))))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.docs:
            out = Path(tmp) / f"corpus-{n}"
            write_corpus(out, n, a.sentences, a.entities)
            cmd = [sys.executable, "-m", "benchmarks.pairing_memory", "--measure", str(out)]
            run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
            results[n] = json.loads(run.stdout.strip().splitlines()[-1])
            r = results[n]
            print(f"{n} documents: pairing peak RSS {r['peak_mib']:.0f} MiB, {r['seconds']:.1f} s, {r['pairs']} pairs")
    lo, hi = min(results), max(results)
    if lo != hi:
        ratio = results[hi]["peak_mib"] / results[lo]["peak_mib"]
        print(f"  pairing peak RSS {hi} / {lo} documents = {ratio:.2f}")


if __name__ == "__main__":
    main()
