"""Write the English words news writes in lower case (`models/gazetteer/lower_words.txt`).

    python -m pipeline.training.lower_words [--train ../shared/eval/ner/conll2003_train.jsonl]
        [--out models/gazetteer/lower_words.txt] [--min-count 1] [--ratio 5]

A word is listed when the mixed-case lines of the training text write it in lower case, inside a
sentence, at least `min_count` times and at least `ratio` times as often as capitalized there
(a sentence's first word and all-capital lines say nothing of a word's casing). The truecaser
(`pipeline.nlp.casing`) writes such a word of an all-capital line in lower case when the document
does not write it elsewhere ("BEAUTY BUMP ." -> "Beauty bump ."). Deterministic: the same text
gives the same file.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pipeline.nlp.casing import is_caps_line, sentence_words

REPO = Path(__file__).resolve().parents[2]
HEADER = """# English words news writes in lower case, one a line: in CoNLL-2003 train (Reuters, 1996), in lower
# case inside a sentence at least {min_count} times and at least {ratio} times as often as capitalized.
# A word of an all-capital line that the document writes nowhere else is written in lower case
# when listed here. Made by: python -m pipeline.training.lower_words --min-count {min_count} --ratio {ratio}
"""


def lower_words(texts: Iterable[str], min_count: int = 1, ratio: float = 5) -> list[str]:
    """The words of `texts` written in lower case inside sentences (see the module), sorted."""
    lower: Counter = Counter()
    capitalized: Counter = Counter()
    for text in texts:
        for line in text.split("\n"):
            if is_caps_line(line):
                continue
            for word in sentence_words(line):
                if word.islower():
                    lower[word] += 1
                elif word[0].isupper():
                    capitalized[word.lower()] += 1
    return sorted(w for w, n in lower.items() if n >= min_count and n >= ratio * capitalized[w])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=Path, default=REPO.parent / "shared/eval/ner/conll2003_train.jsonl")
    parser.add_argument("--out", type=Path, default=REPO / "models/gazetteer/lower_words.txt")
    parser.add_argument("--min-count", type=int, default=1)
    parser.add_argument("--ratio", type=int, default=5)
    args = parser.parse_args(argv)
    lines = args.train.read_text(encoding="utf-8").splitlines()
    words = lower_words((json.loads(x)["text"] for x in lines if x.strip()), args.min_count, args.ratio)
    header = HEADER.format(min_count=args.min_count, ratio=args.ratio)
    args.out.write_text(header + "".join(w + "\n" for w in words), encoding="utf-8")
    print(f"{len(words)} words -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
