"""Article-body F1 of the page extraction on the eval pages, tuning half and held-out half apart.

    python benchmarks/html_extraction.py [--eval ../shared/eval]

The 91 pages of `html/` sorted by id: even positions are the tuning half (the settings and cleanup
rules were chosen looking at these only), odd positions the held-out half. Rows: trafilatura's
`extract` with its defaults (the baseline), the trafilatura settings tried, then the pipeline's
extraction (`pages.extract_article`) with all cleanup rules and with each rule left out. Scored
with the benchmark's metric (`score_html.py`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import trafilatura

from pipeline.stages.article_cleanup import RULES
from pipeline.stages.pages import article_of, decode_page, extract_page

REPO = Path(__file__).resolve().parent.parent


def halves(ids: list[str]) -> tuple[list[str], list[str]]:
    ids = sorted(ids)
    return ids[0::2], ids[1::2]


def load(eval_dir: Path) -> tuple[dict, dict[str, str]]:
    truth = json.loads((eval_dir / "html" / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for key in truth:
        body = gzip.decompress((eval_dir / "html" / "pages" / f"{key}.html.gz").read_bytes())
        pages[key] = decode_page(body)[0]
    return truth, pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=REPO.parent / "shared" / "eval")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.eval))
    from score_html import score

    truth, pages = load(args.eval)
    tune, held = halves(list(truth))

    def report(name: str, pred: dict[str, str]) -> None:
        t = score({k: truth[k] for k in tune}, pred)
        h = score({k: truth[k] for k in held}, pred)
        a = score(truth, pred)
        print(
            f"{name:<34} tune F1 {t['f1']:.4f} (P {t['precision']:.4f} R {t['recall']:.4f})"
            f"  held-out F1 {h['f1']:.4f} (P {h['precision']:.4f} R {h['recall']:.4f})  all F1 {a['f1']:.4f}"
        )

    report("trafilatura.extract default", {k: trafilatura.extract(v) or "" for k, v in pages.items()})
    for name, opts in [
        ("favor_precision", {"favor_precision": True}),
        ("favor_recall", {"favor_recall": True}),
        ("no comments", {"include_comments": False}),
        ("favor_precision, no comments", {"favor_precision": True, "include_comments": False}),
        (
            "favor_precision, no comments/tables",
            {"favor_precision": True, "include_comments": False, "include_tables": False},
        ),
    ]:
        report(name, {k: trafilatura.extract(v, **opts) or "" for k, v in pages.items()})
    extracted = {k: extract_page(v) for k, v in pages.items()}

    def pipeline_pred(rules: tuple[str, ...]) -> dict[str, str]:
        articles = {k: article_of(page, rules) for k, page in extracted.items()}
        return {k: a.text if a else "" for k, a in articles.items()}

    report("pipeline, no cleanup", pipeline_pred(()))
    report("pipeline, all rules", pipeline_pred(RULES))
    for rule in RULES:
        report(f"pipeline, without {rule}", pipeline_pred(tuple(r for r in RULES if r != rule)))
        report(f"pipeline, only {rule}", pipeline_pred((rule,)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
