"""Where the near-duplicate threshold goes: similarity of true re-scrapes, different articles, translations.

For each visible pairing set (WMT23 whole articles, WMT21 one-paragraph news), the re-scrape dumps
of `tests/rescrape.py` (added paragraphs drawn from the other set) give:

- re-scrapes: each edited copy against its original (headline, paragraph added/dropped, numbers);
- different articles: every pair of distinct articles of the same language (its maximum per article);
- translations: every gold RU/EN pair.

Printed for exact Jaccard of word k-shingles (k = 3 and 5) and the MinHash estimate the pipeline
uses (k = 5, 128 permutations). No timing here: run `python -m benchmarks.near_duplicate_threshold`.
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np

from pipeline.stages.near_duplicates import estimated_jaccard, shingles, signatures
from tests.rescrape import Article, build, read_articles

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "pairing"
SETS = {"wmt23": ("wmt23_ruen.jsonl", "wmt21_ruen.jsonl"), "wmt21": ("wmt21_ruen.jsonl", "wmt23_ruen.jsonl")}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _text(a: Article) -> tuple[str, str]:
    return a.title, "\n\n".join(a.paragraphs)


def _quantiles(values: list[float]) -> str:
    v = np.asarray(values)
    q = np.quantile(v, [0, 0.05, 0.5, 0.95, 1])
    return f"n={len(v):4d} min {q[0]:.3f} p5 {q[1]:.3f} median {q[2]:.3f} p95 {q[3]:.3f} max {q[4]:.3f}"


def measure(name: str) -> dict[str, list[float]]:
    records, extra = (EVAL / f for f in SETS[name])
    rs = build(records, extra)
    originals = {a.id: a for a in read_articles(records)}
    gold = list(csv.DictReader((EVAL / records.name.replace(".jsonl", ".gold.tsv")).open(), delimiter="\t"))
    out: dict[str, list[float]] = {}
    copies = [a for a in rs.second if a.id in rs.repeats]
    for k in (3, 5):
        sh = {i: shingles(*_text(a), k=k) for i, a in originals.items()}
        out[f"rescrape k={k}"] = [jaccard(shingles(*_text(c), k=k), sh[rs.repeats[c.id]]) for c in copies]
        best: dict[str, float] = {}
        for a, b in combinations(originals.values(), 2):
            if a.lang == b.lang:
                j = jaccard(sh[a.id], sh[b.id])
                best[a.id], best[b.id] = max(best.get(a.id, 0), j), max(best.get(b.id, 0), j)
        out[f"different k={k}"] = list(best.values())
        out[f"translation k={k}"] = [jaccard(sh[g["ru_id"]], sh[g["en_id"]]) for g in gold]
    sig = dict(zip(originals, signatures(_text(a) for a in originals.values())[0]))
    copy_sig = signatures(_text(c) for c in copies)[0]
    orig_sig = np.stack([sig[rs.repeats[c.id]] for c in copies])
    out["rescrape minhash"] = list(estimated_jaccard(copy_sig, orig_sig))
    ids = list(originals)
    mat = np.stack([sig[i] for i in ids])
    langs = [originals[i].lang for i in ids]
    best_est = []
    for i in range(len(ids)):
        same = [j for j in range(len(ids)) if j != i and langs[j] == langs[i]]
        best_est.append(float(estimated_jaccard(mat[same], np.repeat(mat[i : i + 1], len(same), 0)).max()))
    out["different minhash"] = best_est
    out["translation minhash"] = list(
        estimated_jaccard(np.stack([sig[g["ru_id"]] for g in gold]), np.stack([sig[g["en_id"]] for g in gold]))
    )
    by_edit: dict[str, list[float]] = {}
    for c, j in zip(copies, out["rescrape minhash"]):
        for e in c.edits:
            by_edit.setdefault(f"  rescrape minhash, {e}", []).append(j)
    out.update(sorted(by_edit.items()))
    lowest = sorted(zip(out["rescrape minhash"], copies), key=lambda x: x[0])[:3]
    for j, c in lowest:
        n = len(originals[rs.repeats[c.id]].paragraphs)
        out[f"  lowest {j:.3f}: {c.lang} {n} paragraphs, {'+'.join(c.edits)}"] = [j]
    return out


def main() -> None:
    for name in SETS:
        print(f"== {name}")
        for label, values in measure(name).items():
            print(f"{label:55s} {_quantiles(values)}")


if __name__ == "__main__":
    main()


def sweep(name: str, seeds: range = range(20), thresholds=(0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6)) -> None:
    """Recall of re-scrapes over many seeded re-scrape sets, and false marks among different articles."""
    records, extra = (EVAL / f for f in SETS[name])
    originals = {a.id: a for a in read_articles(records)}
    sig = dict(zip(originals, signatures(_text(a) for a in originals.values())[0]))
    sims = []
    for seed in seeds:
        rs = build(records, extra, seed=seed)
        copies = [a for a in rs.second if a.id in rs.repeats]
        est = estimated_jaccard(
            signatures(_text(c) for c in copies)[0], np.stack([sig[rs.repeats[c.id]] for c in copies])
        )
        sims += list(est)
    ids = list(originals)
    different = [
        float(estimated_jaccard(sig[a][None], sig[b][None])[0])
        for a, b in combinations(ids, 2)
        if originals[a].lang == originals[b].lang and _text(originals[a]) != _text(originals[b])
    ]
    sims, different = np.array(sims), np.array(different)
    print(f"== {name}: {len(sims)} re-scrapes over {len(seeds)} seeds, {len(different)} pairs of different articles")
    for t in thresholds:
        print(
            f"threshold {t:.2f}: recall {np.mean(sims >= t):.3f}  different pairs marked {int(np.sum(different >= t))}"
        )


if __name__ == "__main__":
    for name in SETS:
        sweep(name)
