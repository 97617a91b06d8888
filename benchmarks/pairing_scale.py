"""Pairing at corpus scale on synthetic vectors: today's whole-corpus pairing beside the kept state.

Two measures, each size in its own process (so its peak RSS is its own):

- `whole`: pairing the whole corpus in memory with `pipeline.stages.pairing.pair_documents`, as
  every run did before the kept state (`--sizes`, n per language plus the new dump's documents);
- `new dump`: the kept state (`pipeline.pairing_index`) of a corpus of n documents per language
  (`--sizes` and `--index-sizes`), then a new dump of `--new` documents per language paired by
  `pipeline.corpus.pairs.pair_corpus` through the real store: its embeddings partition read, the new
  documents searched against the whole corpus, the edges aligned, the linking and the pairs table.

How the corpus is built (not through the flow: no text, no models): English documents get random
unit sentence vectors; 80% of the Russian documents are noisy copies of one English document of
their block of 25,000 (their "translation"), the rest have no partner; 4 sentences a document.
Blocks are generated one at a time and appended to the state's files with the pipeline's own
`Appender`; then the pipeline's full recompute (`build_lists`: IVF cells trained from 1,000,000
per language, k-NN lists, alignment of every edge) computes the lists and edges, and the store's
manifest gets one row for the corpus. The new dump (seeded apart) is written as a real embeddings
partition: 60% of its Russian documents translate its English ones, 20% translate old English
documents that had no partner, and 20% of its English documents translate old partnerless Russian
ones. The state lives under `--work` (default: a temporary folder in /tmp), removed at the end;
1,000,000 documents a language with 4 sentences take about 20 GB of disk.

    python -m benchmarks.pairing_scale [--sizes 12500 25000 50000] [--index-sizes 250000 1000000] [--new 5000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.stages.pairing import PairingSide, pair_documents  # noqa: E402

DIM = 512
BLOCK = 25_000


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def synthetic_block(b: int, size: int, sentences: int, seed: int = 0):
    """Block b of the corpus: (ru sentence vectors, en sentence vectors, partner, translated)."""
    rng = np.random.default_rng([seed, b])
    en_s = _unit(rng.standard_normal((size, sentences, DIM), dtype=np.float32))
    partner = rng.permutation(size)
    translated = rng.random(size) < 0.8
    ru_s = _unit(rng.standard_normal((size, sentences, DIM), dtype=np.float32))
    noise = rng.standard_normal((int(translated.sum()), sentences, DIM), dtype=np.float32)
    ru_s[translated] = _unit(en_s[partner[translated]] + 0.6 * _unit(noise))
    return ru_s, en_s, partner, translated


def synthetic_sides(n: int, sentences: int, seed: int = 0) -> tuple[PairingSide, PairingSide, dict[str, str]]:
    """n RU and n EN documents in memory (today's code); returns the sides and the planted pairs."""
    blocks = [synthetic_block(b, min(BLOCK, n - b * BLOCK), sentences, seed) for b in range((n + BLOCK - 1) // BLOCK)]
    ru_s = np.concatenate([x[0] for x in blocks])
    en_s = np.concatenate([x[1] for x in blocks])
    truth = {}
    for b, (_, _, partner, translated) in enumerate(blocks):
        for i in np.flatnonzero(translated):
            truth[f"ru{b * BLOCK + i:07d}"] = f"en{b * BLOCK + partner[i]:07d}"

    def side(s: np.ndarray, prefix: str) -> PairingSide:
        return PairingSide(
            doc_ids=[f"{prefix}{i:07d}" for i in range(n)],
            dump_ids=["synthetic"] * n,
            n_chars=np.full(n, 1000),
            vectors=_unit(s.mean(axis=1)).astype(np.float32),
            sentences=s.reshape(-1, DIM),
            offsets=np.arange(0, n * sentences + 1, sentences),
        )

    return side(ru_s, "ru"), side(en_s, "en"), truth


def measure_whole(n: int, sentences: int) -> dict:
    """Today's code: the whole corpus paired in memory."""
    ru, en, truth = synthetic_sides(n, sentences)
    stats: dict = {}
    t0 = time.perf_counter()
    pairs = pair_documents(ru, en, stats=stats)
    seconds = time.perf_counter() - t0
    return {
        "n_per_language": n,
        "candidates": stats["candidates"],
        "pairs": len(pairs),
        "correct_pairs": sum(truth.get(p.ru_doc_id) == p.en_doc_id for p in pairs),
        "planted_pairs": len(truth),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


# ---- the kept state of a synthetic corpus, and a new dump ----------------------------------------------------
def build_corpus(out: Path, n: int, sentences: int) -> dict:
    """The processed folder of a corpus of n documents a language: manifest row and kept state."""
    from pipeline.corpus.duplicates import params_tag as duplicates_tag
    from pipeline.corpus.pairs import pairing_config
    from pipeline.ids import current_version
    from pipeline.ledger import record_dumps
    from pipeline.pairing_index import Appender, NewDocs, _empty_meta, build_lists, params_tag
    from pipeline.records import manifest_row
    from pipeline.settings import Settings
    from pipeline.store import Store

    store = Store(out)
    settings = Settings().with_(out_dir=out)
    config = pairing_config(settings)
    record_dumps(store, [manifest_row(out / "corpus.txt", "corpus", n * 2 * 1600, "utf-8", 2 * n, None)])
    tag = params_tag(config, current_version() + "|" + duplicates_tag(settings))
    folder = store.tmp_dir / "pairing-built"
    folder.mkdir(parents=True)
    meta = _empty_meta(tag, ["corpus"], set(), config)
    appender = Appender(store, folder, meta)
    start = time.perf_counter()
    for b in range((n + BLOCK - 1) // BLOCK):
        size = min(BLOCK, n - b * BLOCK)
        ru_s, en_s, _, _ = synthetic_block(b, size, sentences)
        for lang, s in (("ru", ru_s), ("en", en_s)):
            appender.add(
                lang,
                NewDocs(
                    [f"{lang}{b * BLOCK + i:07d}" for i in range(size)], ["corpus"] * size,
                    np.full(size, 1000, np.int32), _unit(s.mean(axis=1)).astype(np.float32),
                    s.reshape(-1, DIM), np.full(size, sentences, np.int64), [[] for _ in range(size)],
                ),
            )
    appender.flush()
    written = time.perf_counter() - start
    stats: dict = {}
    build_lists(store, folder, meta, config, None, stats)
    return {
        "write_seconds": round(written, 1), "build_seconds": round(time.perf_counter() - start - written, 1),
        "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "index": stats.get("index"), "edges": stats.get("edges"),
    }


def write_new_dump(out: Path, n: int, new: int, sentences: int) -> dict[str, str]:
    """The new dump's embeddings partition and manifest row; returns its planted pairs."""
    from pipeline.ledger import record_dumps
    from pipeline.records import manifest_row
    from pipeline.stages.pairing import embeddings_table
    from pipeline.store import Store

    rng = np.random.default_rng([7, n])
    en_s = _unit(rng.standard_normal((new, sentences, DIM), dtype=np.float32))
    ru_s = _unit(rng.standard_normal((new, sentences, DIM), dtype=np.float32))
    old_ru, old_en, partner, translated = synthetic_block(0, min(BLOCK, n), sentences)
    lonely_en = np.setdiff1d(np.arange(len(old_en)), partner[translated])  # old English without a partner
    lonely_ru = np.flatnonzero(~translated)  # old Russian without a partner
    a, b = int(0.6 * new), int(0.8 * new)
    truth = {}
    perm = rng.permutation(new)
    for i in range(a):  # new with new
        ru_s[i] = _unit(en_s[perm[i]] + 0.6 * _unit(rng.standard_normal((sentences, DIM), dtype=np.float32)))
        truth[f"ru-new{i:06d}"] = f"en-new{perm[i]:06d}"
    for t, i in enumerate(range(a, min(b, a + len(lonely_en)))):  # new Russian translating old English
        ru_s[i] = _unit(old_en[lonely_en[t]] + 0.6 * _unit(rng.standard_normal((sentences, DIM), dtype=np.float32)))
        truth[f"ru-new{i:06d}"] = f"en{lonely_en[t]:07d}"
    taken = set(perm[:a].tolist())
    free_en = [j for j in range(new) if j not in taken]
    for t, j in enumerate(free_en[: min(new - b, len(lonely_ru))]):  # new English translating old Russian
        en_s[j] = _unit(old_ru[lonely_ru[t]] + 0.6 * _unit(rng.standard_normal((sentences, DIM), dtype=np.float32)))
        truth[f"ru{lonely_ru[t]:07d}"] = f"en-new{j:06d}"
    ids = [f"ru-new{i:06d}" for i in range(new)] + [f"en-new{i:06d}" for i in range(new)]
    s = np.concatenate([ru_s, en_s])
    table = embeddings_table(
        ids, ["ru"] * new + ["en"] * new, [1000] * (2 * new), s.reshape(-1, DIM),
        np.arange(0, 2 * new * sentences + 1, sentences), [[] for _ in ids],
    )
    store = Store(out)
    store.write_partition("embeddings", "newdump", table)
    record_dumps(store, [manifest_row(out / "new.txt", "newdump", new * 2 * 1600, "utf-8", 2 * new, None)])
    return truth


def measure_new_dump(out: Path, truth: dict[str, str]) -> dict:
    """The pipeline's pairing step after the new dump, in this process."""
    from pipeline.corpus.pairs import pair_corpus
    from pipeline.settings import Settings
    from pipeline.store import Store

    store = Store(out)
    stats: dict = {}
    t0 = time.perf_counter()
    n_pairs = pair_corpus(store, Settings().with_(out_dir=out), stats=stats).rows
    seconds = time.perf_counter() - t0
    pairs = store.read_pairs().select(["ru_doc_id", "en_doc_id"]).to_pylist()
    touching = [p for p in pairs if "new" in p["ru_doc_id"] or "new" in p["en_doc_id"]]
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "mode": stats.get("mode"), "new_docs": stats.get("new"), "changed_lists": stats.get("changed_lists"),
        "edges": stats.get("edges"), "aligned": stats.get("aligned"), "pairs": n_pairs,
        "new_dump_pairs": len(touching), "planted_new": len(truth),
        "found_new": sum(truth.get(p["ru_doc_id"]) == p["en_doc_id"] for p in touching),
    }


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.pairing_scale", *args]
    run = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[12500, 25000, 50000], help="both measures")
    ap.add_argument("--index-sizes", type=int, nargs="*", default=[250000, 1000000], help="the new dump only")
    ap.add_argument("--new", type=int, default=5000, help="documents of each language in the new dump")
    ap.add_argument("--sentences", type=int, default=4, help="sentence vectors per synthetic document")
    ap.add_argument("--work", help="folder for the synthetic stores (default: a temporary one)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        what, rest = a.child[0], a.child[1:]
        if what == "whole":
            out = measure_whole(int(rest[0]), a.sentences)
        elif what == "build":
            out = build_corpus(Path(rest[0]), int(rest[1]), a.sentences)
        elif what == "write":
            truth = write_new_dump(Path(rest[0]), int(rest[1]), a.new, a.sentences)
            (Path(rest[0]) / "truth.json").write_text(json.dumps(truth))
            out = {"planted": len(truth)}
        else:  # measured in a process of its own: its peak is the pairing step's
            truth = json.loads((Path(rest[0]) / "truth.json").read_text())
            out = measure_new_dump(Path(rest[0]), truth)
        print(json.dumps(out))
        return
    work = Path(a.work or tempfile.mkdtemp(prefix="pairing-scale-", dir="/tmp"))
    rows = []
    try:
        for n in sorted(set(a.sizes) | set(a.index_sizes)):
            row: dict = {"n": n}
            common = ["--new", str(a.new), "--sentences", str(a.sentences)]
            if n in a.sizes:
                row["whole"] = _child([*common, "--child", "whole", str(n + a.new)])
            out = work / f"corpus-{n}"
            row["build"] = _child([*common, "--child", "build", str(out), str(n)])
            _child([*common, "--child", "write", str(out), str(n)])
            row["new_dump"] = _child([*common, "--child", "new", str(out), str(n)])
            shutil.rmtree(out, ignore_errors=True)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'n/lang':>9} {'whole s':>8} {'whole MB':>9} {'new dump s':>11} {'new MB':>7} "
          f"{'found/planted':>14} {'index':>6} {'full build s':>13}")
    for r in rows:
        w, nd, b = r.get("whole", {}), r["new_dump"], r["build"]
        print(
            f"{r['n']:>9} {w.get('seconds', '-')!s:>8} {w.get('peak_rss_mb', '-')!s:>9} {nd['seconds']:>11} "
            f"{nd['peak_rss_mb']:>7} {str(nd['found_new']) + '/' + str(nd['planted_new']):>14} {b['index']:>6} "
            f"{b['build_seconds']:>13}"
        )


if __name__ == "__main__":
    main()
