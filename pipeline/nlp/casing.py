"""Truecasing of all-capital lines (headlines, datelines) before a cased NER model reads them.

The result has exactly the length of the input, so entity offsets found on it hold for the
original text. A word of an all-capital line takes the casing it has elsewhere in the same text
(not at a sentence start); a word seen nowhere else is capitalized ("LONDON" -> "London"), unless
it is a short function word, a known acronym or a word news writes in lower case (a list made from
training text by `pipeline.training.lower_words`: "BEAUTY BUMP ." -> "Beauty bump .").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

_WORD = re.compile(r"[^\W\d_]+(?:['’.][^\W\d_]+)*", re.UNICODE)
_LOWER_WORDS = frozenset(
    "a an and as at by for from in into of off on or out over per the to up upon via vs with after before".split()
)


def is_caps_line(line: str, min_letters: int = 4, ratio: float = 0.9) -> bool:
    """Whether a line is written in capitals (a headline or dateline), not mixed case."""
    letters = [c for c in line if c.isalpha()]
    if len(letters) < min_letters:
        return False
    upper = sum(c.isupper() for c in letters)
    return upper / len(letters) >= ratio and upper >= min_letters


def sentence_words(line: str):
    """The words of a line that do not start a sentence (whose casing says something of the word)."""
    prev_end = None
    for m in _WORD.finditer(line):
        before = line[prev_end : m.start()] if prev_end is not None else ""
        sentence_start = prev_end is None or re.search(r"[.!?:\"]\s*$", before)
        prev_end = m.end()
        if not sentence_start:
            yield m.group()


def _case_forms(text: str, caps_lines: set[int]) -> dict[str, Counter]:
    forms: dict[str, Counter] = defaultdict(Counter)
    for i, line in enumerate(text.split("\n")):
        if i not in caps_lines:
            for word in sentence_words(line):
                forms[word.lower()][word] += 1
    return forms


def truecase(text: str, acronyms: frozenset[str] = frozenset(), lower_words: frozenset[str] = frozenset()) -> str:
    """`text` with its all-capital lines in the casing the rest of the text uses (same length).

    A word the rest of the text does not write is capitalized, unless it is in `acronyms` (kept) or
    in `lower_words` (words news writes in lower case: written so)."""
    lines = text.split("\n")
    caps = {i for i, line in enumerate(lines) if is_caps_line(line)}
    if not caps:
        return text
    forms = _case_forms(text, caps)
    out = []
    for i, line in enumerate(lines):
        if i not in caps:
            out.append(line)
            continue
        recased = _WORD.sub(lambda m: _recase(m.group(), forms, acronyms, lower_words), line)
        first = _WORD.search(recased)
        if first and recased[first.start()].islower():
            recased = recased[: first.start()] + recased[first.start()].upper() + recased[first.start() + 1 :]
        out.append(recased)
    result = "\n".join(out)
    return result if len(result) == len(text) else text


def _recase(word: str, forms: dict[str, Counter], acronyms: frozenset[str], lower_words: frozenset[str]) -> str:
    if word in acronyms:
        return word
    seen = forms.get(word.lower())
    if seen:
        best = seen.most_common(1)[0][0]
        if len(best) == len(word):
            return best
    if word.lower() in _LOWER_WORDS or word.lower() in lower_words:
        return word.lower()
    if len(word) <= 2 and "." not in word:
        return word
    return word[0] + word[1:].lower()
