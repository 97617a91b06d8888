"""Build benchmark dumps of a given size from real RU/EN news text, with no exact repeats.

Source: the WMT21 RU/EN news records in ../shared/eval/pairing (read, never copied). Each
generated document takes the sentences of one real record of a language, drops or reorders a few
and splices in one sentence of another record of the same language, so no document repeats
exactly while the text stays real news prose.

    python -m benchmarks.corpus OUT.txt --mb 3 [--seed 0]
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
RECORDS = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared")) / "eval" / "pairing" / "wmt21_ruen.jsonl"
_SENTENCE = re.compile(r"(?<=[.!?»\"])\s+(?=[A-ZА-ЯЁ«\"])")


def load_sentences(path: Path = RECORDS) -> dict[str, list[list[str]]]:
    """Sentences of every record, grouped by language."""
    by_lang: dict[str, list[list[str]]] = {"ru": [], "en": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        sentences = [s.strip() for s in _SENTENCE.split(rec["text"]) if s.strip()]
        if len(sentences) >= 2:
            by_lang[rec["lang"]].append(sentences)
    return by_lang


def generate_documents(seed: int = 0) -> Iterator[str]:
    """An endless stream of varied documents, alternating languages at random."""
    rng = random.Random(seed)
    pools = load_sentences()
    counter = 0
    while True:
        lang = rng.choice(("ru", "en"))
        base = list(rng.choice(pools[lang]))
        extra = rng.choice(rng.choice(pools[lang]))
        if len(base) > 3 and rng.random() < 0.5:
            base.pop(rng.randrange(1, len(base)))
        base.insert(rng.randrange(1, len(base) + 1), extra)
        i = rng.randrange(1, len(base))
        base[i - 1], base[i] = base[i], base[i - 1]
        counter += 1
        n_par = min(len(base), rng.choice((1, 2, 3)))
        cuts = sorted(rng.sample(range(1, len(base)), n_par - 1)) if n_par > 1 else []
        paragraphs = [" ".join(base[a:b]) for a, b in zip([0, *cuts], [*cuts, len(base)])]
        yield "\n\n".join(paragraphs)


def write_dump(path: Path, megabytes: float, seed: int = 0) -> int:
    """Write documents separated by two blank lines until the dump reaches the size; returns count."""
    target = int(megabytes * 1024 * 1024)
    written, n = 0, 0
    with open(path, "w", encoding="utf-8") as out:
        for doc in generate_documents(seed):
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
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    n = write_dump(a.out, a.mb, a.seed)
    print(f"{a.out}: {n} documents, {a.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
