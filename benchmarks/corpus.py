"""Build benchmark dumps of a given size from real RU/EN news text, with no exact repeats.

Two kinds, both from the records in ../shared/eval/pairing (read, never copied):

- `items` (short news items): the single-paragraph WMT21 records. Each generated document takes
  the sentences of one real record of a language, drops or reorders a few and splices in one
  sentence of another record of the same language, cut into 1 to 3 paragraphs.
- `articles` (whole articles as scraped): the WMT23 records, with their headline, rubric, byline
  and several paragraphs. Each generated article keeps the headline and paragraphs of one real
  article of a language, drops one later paragraph now and then, splices in one paragraph of
  another article of the same language and swaps two neighbouring sentences of one paragraph.

Records whose text is not in their labeled language are left out (`in_labeled_language`: one of
the 86 WMT23 records, none of the 172 WMT21 ones). Either way no document repeats exactly while
the text stays real news prose. Documents are
separated by two blank lines, paragraphs by one (the layout of the eval dumps).

    python -m benchmarks.corpus OUT.txt --mb 3 [--kind items|articles] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAIRING = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared")) / "eval" / "pairing"
RECORDS = PAIRING / "wmt21_ruen.jsonl"
ARTICLES = PAIRING / "wmt23_ruen.jsonl"
KINDS = ("items", "articles")
_SENTENCE = re.compile(r"(?<=[.!?»\"])\s+(?=[A-ZА-ЯЁ«\"])")


def _records(path: Path) -> Iterator[dict]:
    """The records of a JSONL file whose text is in the language they are labeled with."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            if in_labeled_language(rec):
                yield rec


def in_labeled_language(rec: dict) -> bool:
    """Whether the pipeline's language detector (langdetect on the text's bounded sample) reads the
    record's text in the language of its label: one WMT23 record labeled English holds a copy of
    a Russian article, which made its generated articles Russian ones under an English label."""
    from pipeline.stages.language import detect_language

    return detect_language(rec["text"]).lang == rec["lang"]


def load_sentences(path: Path = RECORDS) -> dict[str, list[list[str]]]:
    """Sentences of every record, grouped by language."""
    by_lang: dict[str, list[list[str]]] = {"ru": [], "en": []}
    for rec in _records(path):
        sentences = [s.strip() for s in _SENTENCE.split(rec["text"]) if s.strip()]
        if len(sentences) >= 2:
            by_lang[rec["lang"]].append(sentences)
    return by_lang


def load_articles(path: Path = ARTICLES) -> dict[str, list[list[str]]]:
    """Paragraphs of every article (headline first), grouped by language."""
    by_lang: dict[str, list[list[str]]] = {"ru": [], "en": []}
    for rec in _records(path):
        paragraphs = [p.strip() for p in rec["text"].split("\n") if p.strip()]
        if len(paragraphs) >= 2:
            by_lang[rec["lang"]].append(paragraphs)
    return by_lang


def generate_documents(seed: int = 0) -> Iterator[str]:
    """An endless stream of varied short items, alternating languages at random."""
    rng = random.Random(seed)
    pools = load_sentences()
    while True:
        lang = rng.choice(("ru", "en"))
        base = list(rng.choice(pools[lang]))
        extra = rng.choice(rng.choice(pools[lang]))
        if len(base) > 3 and rng.random() < 0.5:
            base.pop(rng.randrange(1, len(base)))
        base.insert(rng.randrange(1, len(base) + 1), extra)
        i = rng.randrange(1, len(base))
        base[i - 1], base[i] = base[i], base[i - 1]
        n_par = min(len(base), rng.choice((1, 2, 3)))
        cuts = sorted(rng.sample(range(1, len(base)), n_par - 1)) if n_par > 1 else []
        paragraphs = [" ".join(base[a:b]) for a, b in zip([0, *cuts], [*cuts, len(base)])]
        yield "\n\n".join(paragraphs)


def generate_articles(seed: int = 0) -> Iterator[str]:
    """An endless stream of varied whole articles (headline kept first), languages at random."""
    rng = random.Random(seed)
    pools = load_articles()
    while True:
        lang = rng.choice(("ru", "en"))
        paragraphs = list(rng.choice(pools[lang]))
        if len(paragraphs) > 3 and rng.random() < 0.5:
            paragraphs.pop(rng.randrange(2, len(paragraphs)))
        donor = rng.choice(pools[lang])
        paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), rng.choice(donor[1:]))
        i = rng.randrange(1, len(paragraphs))
        sentences = [s for s in _SENTENCE.split(paragraphs[i]) if s]
        if len(sentences) >= 2:
            j = rng.randrange(1, len(sentences))
            sentences[j - 1], sentences[j] = sentences[j], sentences[j - 1]
            paragraphs[i] = " ".join(sentences)
        yield "\n\n".join(paragraphs)


def write_dump(path: Path, megabytes: float, seed: int = 0, kind: str = "items") -> int:
    """Write documents of `kind` separated by two blank lines until the dump reaches the size;
    returns their count."""
    documents = {"items": generate_documents, "articles": generate_articles}[kind](seed)
    target = int(megabytes * 1024 * 1024)
    written, n = 0, 0
    with open(path, "w", encoding="utf-8") as out:
        for doc in documents:
            chunk = doc + "\n\n\n"
            out.write(chunk)
            written += len(chunk.encode("utf-8"))
            n += 1
            if written >= target:
                break
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--mb", type=float, default=3.0)
    ap.add_argument("--kind", choices=KINDS, default="items")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    n = write_dump(a.out, a.mb, a.seed, a.kind)
    print(f"{a.out}: {n} {a.kind}, {a.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
