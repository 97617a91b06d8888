"""Article-body F1 of the page extraction on the eval pages, tuning half and held-out half apart.

    python benchmarks/html_extraction.py [--eval ../shared/eval]

The 91 pages of `html/` sorted by id: even positions are the tuning half, odd positions the
held-out half. The first cleanup rules were written looking at all 91 pages. What changed after
(reading a page again with trafilatura's defaults when the precise reading finds no article, the
closing-line rule matching only lines that start with a call to action, cleanups that may not empty
an article, the listing test on link lines alone) was chosen looking at the tuning half only (its
pages' text and their differences from the truth); of the held-out half only the totals below were
read, once a choice was made. Rows: trafilatura's `extract` with its defaults (the baseline) and
the settings tried, then the pipeline's readings (`pages.extract_page`): the precise one
(`favor_precision`, no comments) and the default one (no comments) alone, and the pipeline
(`pages.extract_article`: the precise reading, else the default one) without cleanups, with all
cleanup rules and with each rule left out or alone. Each row gives F1 with precision and recall per
half, F1 on all pages, and how many pages gave no text in each half (`nodoc`, tune+held-out: for
the pipeline, pages judged to have no article). Scored with the benchmark's metric
(`score_html.py`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import trafilatura

from pipeline.stages.article_cleanup import RULES
from pipeline.stages.pages import FALLBACK, Extracted, article_of, decode_page, extract_page

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


def pipeline_pred(
    extracted: dict[str, Extracted | None], fallback: dict[str, Extracted | None], rules: tuple[str, ...]
) -> dict[str, str]:
    """Each page's article text with the named cleanups, from `extracted`, else from its `fallback`
    reading as `pages.extract_article` does ("" for no article in either)."""
    articles = {k: article_of(page, rules) or article_of(fallback.get(k), rules) for k, page in extracted.items()}
    return {k: a.text if a else "" for k, a in articles.items()}


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
            f"{name:<40} tune F1 {t['f1']:.4f} (P {t['precision']:.4f} R {t['recall']:.4f})"
            f"  held-out F1 {h['f1']:.4f} (P {h['precision']:.4f} R {h['recall']:.4f})"
            f"  all F1 {a['f1']:.4f}  nodoc {t['pages'] - t['found']}+{h['pages'] - h['found']}"
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
    fallback = {k: extract_page(v, **FALLBACK) for k, v in pages.items()}
    report("precise reading, no cleanup", pipeline_pred(extracted, {}, ()))
    report("default reading, no cleanup", pipeline_pred(fallback, {}, ()))
    report("default reading, all rules", pipeline_pred(fallback, {}, RULES))
    report("pipeline, no cleanup", pipeline_pred(extracted, fallback, ()))
    report("pipeline, all rules", pipeline_pred(extracted, fallback, RULES))
    for rule in RULES:
        report(f"pipeline, without {rule}", pipeline_pred(extracted, fallback, tuple(r for r in RULES if r != rule)))
        report(f"pipeline, only {rule}", pipeline_pred(extracted, fallback, (rule,)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
