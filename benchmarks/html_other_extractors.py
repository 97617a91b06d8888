"""Article-body F1 of other extractors beside the pipeline's reading, and of combining them with it.

    pip install readability-lxml==0.9 readabilipy==0.3.0 newspaper4k==0.9.6   # not pipeline dependencies
    python benchmarks/html_other_extractors.py [--eval ../shared/eval] [--held]

The issue that asked for unseen pages at F1 >= 0.96 named these extractors as candidates to combine
with trafilatura. Each reads the 91 visible pages; rows give F1 (precision, recall) on the tuning
half (even positions of the pages sorted by id, as in `html_extraction.py`), and with `--held` on
the held-out half too (read once a choice was made). The combinations add to the pipeline's text
the paragraphs of trafilatura's default reading that it dropped and that another extractor also
keeps (8 words or more; one extractor, or both of readability and newspaper4k): a vote for
recall. A page an extractor fails on counts as no text.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from benchmarks.html_extraction import REPO, halves, load, pipeline_pred
from pipeline.stages.article_cleanup import RULES
from pipeline.stages.pages import FALLBACK, extract_page

_BLOCKS = ("p", "h1", "h2", "h3", "h4", "li", "pre", "blockquote")
_WORDS = re.compile(r"\w+")


def readability_text(html: str) -> str:
    """readability-lxml's article as text, one paragraph per block element."""
    import lxml.html
    from readability import Document

    root = lxml.html.fromstring(Document(html).summary(html_partial=True))
    blocks = [t for el in root.iter(*_BLOCKS) if (t := el.text_content().strip())]
    return "\n\n".join(blocks) if blocks else root.text_content().strip()


def readabilipy_text(html: str) -> str:
    """readabilipy's pure-Python reading (no Node.js) as text."""
    from readabilipy import simple_json_from_html_string

    article = simple_json_from_html_string(html, use_readability=False)
    return "\n\n".join(block["text"] for block in article.get("plain_text") or [])


def newspaper_text(html: str) -> str:
    """newspaper4k's article text."""
    import newspaper

    article = newspaper.Article("http://example.com/article", fetch_images=False)  # no network
    article.download(input_html=html)
    article.parse()
    return article.text


EXTRACTORS: dict[str, Callable[[str], str]] = {
    "readability-lxml": readability_text,
    "readabilipy": readabilipy_text,
    "newspaper4k": newspaper_text,
}


def _or_empty(extract: Callable[[str], str], html: str) -> str:
    """The extractor's text, or "" where it fails on the page (counted as no text)."""
    try:
        return extract(html) or ""
    except Exception as exc:  # noqa: BLE001 - another library's failure on one page
        print(f"  ({extract.__name__}: {type(exc).__name__}: {str(exc).splitlines()[0][:80]})", file=sys.stderr)
        return ""


def _key(paragraph: str) -> str:
    return " ".join(_WORDS.findall(paragraph.lower()))


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n+", text or "") if p.strip()]


def voted_union(base: str, default: str, others: list[str], votes: int) -> str:
    """`base` plus the paragraphs of `default` it lacks that at least `votes` of `others` keep."""
    have = {_key(p) for p in _paragraphs(base)}
    kept = [{_key(p) for p in _paragraphs(text)} for text in others]
    added = []
    for paragraph in _paragraphs(default):
        key = _key(paragraph)
        if len(key.split()) < 8 or key in have:
            continue
        if sum(any(key in k or (k in key and len(k) > 0.8 * len(key)) for k in keys) for keys in kept) >= votes:
            added.append(paragraph)
    return "\n\n".join([base, *added]) if added else base


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=REPO.parent / "shared" / "eval")
    ap.add_argument("--held", action="store_true", help="score the held-out half too")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.eval))
    from score_html import score

    truth, pages = load(args.eval)
    tune, held = halves(list(truth))
    parts = [("tune", tune), *([("held-out", held)] if args.held else [])]

    def report(name: str, pred: dict[str, str]) -> None:
        cells = []
        for label, ids in parts:
            s = score({k: truth[k] for k in ids}, pred)
            cells.append(f"{label} F1 {s['f1']:.4f} (P {s['precision']:.4f} R {s['recall']:.4f})")
        print(f"{name:<44} " + "  ".join(cells), flush=True)

    extracted = {k: extract_page(v) for k, v in pages.items()}
    fallback = {k: extract_page(v, **FALLBACK) for k, v in pages.items()}
    pipeline = pipeline_pred(extracted, fallback, RULES)
    default = {k: trafilatura.extract(v) or "" for k, v in pages.items()}
    report("pipeline", pipeline)
    report("trafilatura.extract default", default)
    texts = {}
    for name, extract in EXTRACTORS.items():
        t0 = time.perf_counter()
        texts[name] = {k: _or_empty(extract, v) for k, v in pages.items()}
        report(f"{name} ({time.perf_counter() - t0:.0f} s)", texts[name])
    for names, votes in (
        (["readability-lxml"], 1),
        (["newspaper4k"], 1),
        (["readability-lxml", "newspaper4k"], 1),
        (["readability-lxml", "newspaper4k"], 2),
    ):
        union = {k: voted_union(pipeline[k], default[k], [texts[n][k] for n in names], votes) for k in pages}
        report(f"pipeline + default's paragraphs {votes} of {'/'.join(names)} keep", union)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
