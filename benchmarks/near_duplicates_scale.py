"""Scale of the near-duplicate step: 100k documents already processed, then a new dump of 1k or 10k.

The duplicates step alone (`pipeline.corpus.duplicates.find_duplicates`), over synthetic but realistic
documents: word-bigram Markov text trained per language on the visible WMT21 + WMT23 articles
(real word frequencies, so common phrases are shared between unrelated documents as in news),
lengths drawn from the real articles' lengths, and a tenth of every dump re-scraped from earlier
dumps with edits (a span dropped, a sentence added, words changed). Signatures are written as the
pipeline writes them; their cost per document is timed separately (it is paid once, when the dump
is written, in `DumpWriter`).

Each measured step runs in a fresh process: wall time, tracemalloc peak (what the step allocates)
and peak RSS. Baseline in the same run: datasketch's `MinHashLSH`, rebuilt from the same stored
signatures (LeanMinHash), queried with the new dump. Run:

    python -m benchmarks.near_duplicates_scale [--base 100000] [--work /tmp/nd-scale] [--repeat 3] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from pipeline.ledger import record_dumps
from pipeline.records import manifest_row
from pipeline.settings import Settings
from pipeline.stages import near_duplicates as nd
from pipeline.store import Store

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "pairing"
DUMP_SIZE = 10_000


class Chain:
    """A word-bigram Markov chain over the visible articles (both languages), sampled in numpy."""

    def __init__(self, seed: int = 7):
        texts = [json.loads(line)["text"] for f in ("wmt21_ruen.jsonl", "wmt23_ruen.jsonl") for line in open(EVAL / f)]
        tokens = [t.split() for t in texts]
        self.lengths = np.array([len(t) for t in tokens])
        vocab = sorted({w for t in tokens for w in t})
        index = {w: i for i, w in enumerate(vocab)}
        self.words = np.array(vocab, dtype=object)
        pairs = np.array([(index[a], index[b]) for t in tokens for a, b in zip(t, t[1:])])
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        self.succ = pairs[:, 1]
        self.offsets = np.searchsorted(pairs[:, 0], np.arange(len(vocab) + 1))
        self.starts = np.array([index[t[0]] for t in tokens])
        self.rng = np.random.default_rng(seed)

    def texts(self, n: int) -> list[str]:
        lengths = self.rng.choice(self.lengths, n)
        out = np.empty((n, lengths.max()), np.int64)
        cur = self.rng.choice(self.starts, n)
        for pos in range(out.shape[1]):
            out[:, pos] = cur
            lo, hi = self.offsets[cur], self.offsets[cur + 1]
            dead = hi == lo  # a word seen only last: start a new sentence
            pick = lo + (self.rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
            cur = np.where(dead, self.rng.choice(self.starts, n), self.succ[np.minimum(pick, len(self.succ) - 1)])
        return [" ".join(self.words[row[:k]]) for row, k in zip(out, lengths)]

    def edit(self, text: str) -> str:
        """A re-scrape: a span of up to 20 words dropped, a generated sentence added, two words changed."""
        words = text.split()
        if len(words) > 40:
            at = int(self.rng.integers(len(words) - 20))
            del words[at : at + int(self.rng.integers(5, 20))]
        for i in self.rng.integers(0, len(words), 2):
            words[i] = str(self.words[self.rng.integers(len(self.words))])
        return " ".join(words + self.texts(1)[0].split()[:20])


def make_texts(chain: Chain, n: int, earlier: list[str]) -> list[str]:
    """One dump's texts: a tenth re-scrape `earlier` texts (edited), the rest are new."""
    n_again = n // 10 if earlier else 0
    picks = chain.rng.integers(0, len(earlier), n_again) if n_again else []
    return chain.texts(n - n_again) + [chain.edit(earlier[i]) for i in picks]


def write_dump(store: Store, dump_id: str, texts: list[str], when: datetime) -> None:
    """Write one dump's signatures (as `DumpWriter` does, a part file per batch) and manifest row."""
    docs = [nd.SignedText(f"{dump_id}-{i:06d}", i, None, t) for i, t in enumerate(texts)]
    for k in range(0, len(docs), 1000):
        store.write_file(
            nd.signatures_table(docs[k : k + 1000]),
            store.partition_dir("signatures", dump_id) / f"part-{k // 1000:05d}.parquet",
        )
    row = manifest_row(Path(f"raw/{dump_id}.jsonl"), dump_id, 1, "utf-8", len(docs), None)
    row.processed_at = when
    record_dumps(store, [row])


def measure_step(store_dir: str, mode: str, new_dump: str) -> dict:
    """One measured step, in this (fresh) process."""
    import pandas  # noqa: F401  (imported by the first Parquet read: loaded in a pipeline run, not timed)
    import pyarrow as pa
    import pyarrow.dataset  # noqa: F401

    from pipeline.corpus.duplicates import find_duplicates
    from pipeline.ledger import ok_dump_ids

    store = Store(store_dir)
    settings = Settings()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    t0 = time.perf_counter()
    if mode == "pipeline":
        n_rows, how = find_duplicates(store, settings, ok_dump_ids(store))
        extra = {"rows": n_rows, "mode": how}
    else:
        extra = datasketch_baseline(store, settings, new_dump)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 2),
        "traced_peak_mib": round(peak / 2**20, 1),  # Python and numpy allocations of the step
        "arrow_peak_mib": round(pa.default_memory_pool().max_memory() / 2**20, 1),  # Arrow buffers (not traced)
        "rss_after_imports_mib": round(rss_before),
        "peak_rss_mib": round(rss),
        **extra,
    }


def datasketch_baseline(store: Store, settings: Settings, new_dump: str) -> dict:
    """MinHashLSH rebuilt from every stored signature, then queried with the new dump's documents."""
    from datasketch import LeanMinHash, MinHashLSH

    from pipeline.ledger import ok_dump_ids

    lsh = MinHashLSH(num_perm=nd.NUM_PERM, params=nd.bands_for(settings.duplicate_threshold))
    new = []
    for dump_id in ok_dump_ids(store):
        t = store.read_partition("signatures", dump_id, ["doc_id", "minhash"])
        values = nd.minhash_matrix(t.column("minhash"))
        for doc_id, v in zip(t.column("doc_id").to_pylist(), values):
            m = LeanMinHash(seed=nd.SEED, hashvalues=v, scheme=nd.SCHEME)
            if dump_id == new_dump:
                new.append((doc_id, m))
            else:
                lsh.insert(doc_id, m, check_duplication=False)
    found = 0
    for doc_id, m in new:
        found += bool(lsh.query(m))
        lsh.insert(doc_id, m, check_duplication=False)
    return {"new_with_candidates": found}


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.near_duplicates_scale", "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", type=int, default=100_000)
    p.add_argument("--work", default="/tmp/nd-scale")
    p.add_argument("--repeat", type=int, default=3, help="rounds of the pipeline step (median time)")
    p.add_argument("--reuse", action="store_true", help="keep the base dataset of an earlier run (same texts)")
    p.add_argument("--child", nargs=3, metavar=("STORE", "MODE", "NEW_DUMP"))
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure_step(*args.child)))
        return
    work = Path(args.work)
    base = Store(work / "base")
    reuse = args.reuse and base.duplicates_path.exists()
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
    chain = Chain()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    texts: list[str] = []
    start = time.perf_counter()
    for k in range(args.base // DUMP_SIZE):  # the same texts every time: the chain is seeded
        batch = make_texts(chain, DUMP_SIZE, texts[-50_000:])
        if not reuse:
            write_dump(base, f"base{k:02d}", batch, t0 + timedelta(days=k))
        texts += batch
    print(f"{args.base} documents {'generated' if reuse else 'written'} in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    nd.signatures((None, t) for t in texts[:2000])
    per_doc = (time.perf_counter() - start) / 2000 * 1000
    print(f"signatures: {per_doc:.2f} ms per document (paid once, when a dump is written)")
    if not reuse:
        print(f"full computation over {args.base}: {_child([str(base.root), 'pipeline', ''])}")
    new_texts = {n: make_texts(chain, n, texts[-50_000:]) for n in (1_000, 10_000)}
    rounds: dict[int, list[dict]] = {n: [] for n in new_texts}
    baseline = {}
    for r in range(args.repeat):
        for n, batch in new_texts.items():  # alternating, so that a busy moment hits both
            store = Store(work / f"new{n}")
            shutil.rmtree(store.root, ignore_errors=True)
            shutil.copytree(base.root, store.root)
            write_dump(store, f"new{n}", batch, t0 + timedelta(days=400))
            if r == 0:
                copy = work / f"new{n}-ds"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(store.root, copy)
                baseline[n] = _child([str(copy), "datasketch", f"new{n}"])
                print(f"new dump of {n}, datasketch MinHashLSH rebuilt: {baseline[n]}")
            rounds[n].append(_child([str(store.root), "pipeline", ""]))
            print(f"new dump of {n}, round {r + 1}: {rounds[n][-1]}")
    median = {n: statistics.median(x["seconds"] for x in rs) for n, rs in rounds.items()}
    peak = {n: max(x["traced_peak_mib"] + x["arrow_peak_mib"] for x in rs) for n, rs in rounds.items()}
    print(f"median time: 1k {median[1_000]:.2f} s, 10k {median[10_000]:.2f} s: {median[10_000] / median[1_000]:.2f}x")
    print(
        f"peak (traced + Arrow): 1k {peak[1_000]:.1f} MiB, 10k {peak[10_000]:.1f} MiB:"
        f" {peak[10_000] / peak[1_000]:.2f}x"
    )
    for n in new_texts:
        theirs = baseline[n]
        print(
            f"new {n}: pipeline / datasketch MinHashLSH rebuilt: time {median[n] / theirs['seconds']:.3f},"
            f" peak {peak[n] / (theirs['traced_peak_mib'] + theirs['arrow_peak_mib']):.3f}"
        )


if __name__ == "__main__":
    main()
