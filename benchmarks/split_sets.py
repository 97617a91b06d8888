"""Document boundaries on whole news articles laid out as plain-text dumps, every visible set.

    .venv/bin/python -m benchmarks.split_sets [--sets wmt23 wmt21 conllpp nerel ...]
        [--layouts one-blank two-blank] [--parts tune held] [--json OUT]

Each set's records (in their file order) are cut by position into a tuning part (the first half)
and a held-back part (the second half); the split rules were written looking only at the tuning
part of `wmt23`, `conllpp` and `nerel` (texts and errors; of `wmt21` too, for its one-paragraph
items); of the held-back parts and of the other sets only these aggregate figures were read.
Each part is written as a plain-text dump in a temporary folder (never committed), in two layouts:

- `two-blank`: two blank lines between articles, one between paragraphs (a site dump);
- `one-blank`: one blank line between articles and between paragraphs (the layout says nothing).

`ru`/`en` dumps hold one language of a bilingual set, `mixed` its records in file order (Russian
and English shuffled). A record's paragraphs are its non-blank lines: wmt23 one per `<p>` (headline,
rubric, byline, paragraphs), wmt21 one (a WMT21 document is one `<p>`, its headline run into the
text), CoNLL one per sentence (Reuters writes about a sentence a paragraph; the tokens stay
space-separated as in the source), NEREL, factRuEval and AQUAINT their own lines; `aeb`, the
article bodies of the 91 web pages (`html/ground-truth.json`, English news and blog posts without
their headlines, in page id order), one per paragraph: a set no split rule was written on.
Each dump is split by the pipeline's reader and scored by `pipeline evaluate split`'s scorer:
boundary precision, recall, F1 and exact documents.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared")) / "eval"

# name -> (file under ../shared/eval, language of every record or None: the record's `lang`)
SETS = {
    "wmt23": ("pairing/wmt23_ruen.jsonl", None),
    "wmt21": ("pairing/wmt21_ruen.jsonl", None),
    "conllpp": ("ner/conllpp_dev.jsonl", "en"),
    "nerel": ("ner/nerel_dev.jsonl", "ru"),
    "conll2003": ("ner/conll2003_dev.jsonl", "en"),
    "factru": ("ner/factru_dev.jsonl", "ru"),
    "aquaint": ("ner/aquaint_dates.jsonl", "en"),
    "aeb": ("html/ground-truth.json", "en"),
}
DEFAULT_SETS = ["wmt23", "wmt21", "conllpp", "nerel"]
LAYOUTS = {"two-blank": "\n\n\n", "one-blank": "\n\n"}
PARTS = ("tune", "held")


def articles(name: str) -> list[dict]:
    """The set's records as {"paragraphs", "lang"}, in file order."""
    path, lang = SETS[name]
    if path.endswith(".json"):  # the web pages' article bodies: {page id: {"articleBody", "url"}}
        bodies = json.loads((EVAL / path).read_text(encoding="utf-8"))
        texts = (bodies[page]["articleBody"] for page in sorted(bodies))
        records = ([p.strip() for p in text.split("\n") if p.strip()] for text in texts)
        return [{"paragraphs": paragraphs, "lang": lang} for paragraphs in records if paragraphs]
    out = []
    with open(EVAL / path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                paragraphs = [p.strip() for p in r["text"].split("\n") if p.strip()]
                if paragraphs:
                    out.append({"paragraphs": paragraphs, "lang": lang or r.get("lang")})
    return out


def part(records: list[dict], which: str) -> list[dict]:
    """`tune`: the first half of the records by position; `held`: the second half; `all`."""
    half = (len(records) + 1) // 2
    return {"tune": records[:half], "held": records[half:], "all": records}[which]


def dumps(name: str, which: str) -> list[tuple[str, list[dict]]]:
    """(label, records) of the dumps of one part: per language and mixed when the set has two."""
    chosen = part(articles(name), which)
    langs = sorted({r["lang"] for r in chosen})
    if len(langs) == 1:
        return [(langs[0], chosen)]
    return [(lang, [r for r in chosen if r["lang"] == lang]) for lang in ("ru", "en")] + [("mixed", chosen)]


def write_dump(records: list[dict], layout: str, folder: Path, stem: str) -> tuple[Path, Path]:
    """The dump of these records in this layout and its gold (one record per document)."""
    dump, gold = folder / f"{stem}.txt", folder / f"{stem}.jsonl"
    text = LAYOUTS[layout].join("\n\n".join(r["paragraphs"]) for r in records) + "\n"
    dump.write_text(text, encoding="utf-8")
    lines = (json.dumps({"text": "\n".join(r["paragraphs"]), "lang": r["lang"]}, ensure_ascii=False) for r in records)
    gold.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return dump, gold


def measure(sets: list[str], layouts: list[str], parts: list[str], show_errors: bool = False) -> list[dict]:
    from pipeline.evaluation.split import evaluate

    rows = []
    with tempfile.TemporaryDirectory(prefix="split_sets_") as tmp:
        for name in sets:
            for which in parts:
                for label, records in dumps(name, which):
                    for layout in layouts:
                        stem = f"{name}_{which}_{label}_{layout}"
                        t0 = time.perf_counter()
                        s = evaluate(*write_dump(records, layout, Path(tmp), stem))
                        row = {
                            "set": name, "part": which, "lang": label, "layout": layout,
                            "docs": s.n_gold, "found": s.n_documents, "exact": s.exact_documents,
                            "P": s.precision, "R": s.recall, "F1": s.f1,
                            "false": s.false_boundaries, "missed": s.missed_boundaries,
                            "seconds": round(time.perf_counter() - t0, 1),
                        }  # fmt: skip
                        rows.append(row)
                        print(
                            f"{name:<9} {which:<4} {label:<5} {layout:<9} {s.n_gold:>4} docs {s.n_documents:>4} found"
                            f" {s.exact_documents:>4} exact  P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}"
                            f"  ({s.false_boundaries} false, {s.missed_boundaries} missed; {row['seconds']} s)",
                            flush=True,
                        )
                        if show_errors:
                            for kind, items in (("false", s.false_at), ("missed", s.missed_at)):
                                for text in items:
                                    print(f"    {kind}: {text!r}")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=DEFAULT_SETS)
    parser.add_argument("--layouts", nargs="+", choices=sorted(LAYOUTS), default=["one-blank", "two-blank"])
    parser.add_argument("--parts", nargs="+", choices=[*PARTS, "all"], default=list(PARTS))
    parser.add_argument("--errors", action="store_true", help="name the text at each error (tuning parts only!)")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args(argv)
    if args.errors and "held" in args.parts:
        sys.exit("--errors names held-back texts: give --parts tune")
    rows = measure(args.sets, args.layouts, args.parts, args.errors)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
