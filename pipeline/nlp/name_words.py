"""The general words of organization and place names in both languages (models/gazetteer/name_words.tsv).

A name is read as a list of tokens; the tokens (and phrases) the lexicon knows become their concept
("Федерального дорожного фонда", "Federal Road Fund" -> federal, road, fund), the others stay words.
A token is read in the language of its letters, whatever the document's language: Cyrillic tokens
are lemmatized; Latin tokens are lower case, and a plural is read as its singular when only the
singular is listed. Function words ("of", "the", "по", "и") are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.nlp.spelling import fold_name

STOP_WORDS = frozenset(
    "of the and for on in at to by with de du des la le и в во на по при для с со о об от из к у".split()
)
# Words that end an organization's name, in English ("Kapan Medical Center", "Democratic Party").
ORG_WORDS = tuple(
    "bank bureau center centre church club committee company corporation council court department fleet forces"
    " fund group institute league ministry museum office party service society team union university".split()
)
_SPLIT = re.compile(r"[\s-]+")
_CYRILLIC = re.compile("[а-яё]")


def singular(word: str) -> str:
    """An English plural's singular by spelling alone ("agencies" -> "agency", "forces" -> "force")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass
class NameWords:
    """Phrases of name words in either language, each mapped to one language-independent concept."""

    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    latin: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)  # the concepts that are countries and cities
    kinds: set[str] = field(default_factory=set)  # kinds of organization a name may leave out ("bank")
    lemmatize: Callable[[str], str] | None = None
    longest: int = 1

    @classmethod
    def load(cls, path: Path, lemmatize: Callable[[str], str] | None = None) -> NameWords:
        words = cls(lemmatize=lemmatize)
        rows = []
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            concept, en, ru, *kind = line.split("\t")
            if kind == ["place"]:
                words.places.add(concept)
            elif kind == ["kind"]:
                words.kinds.add(concept)
            rows.append((concept, [fold_name(f) for f in en.split("|") + ru.split("|") if f]))
        for _, forms in rows:  # the English words first: plurals are read against them
            words.latin.update(t for f in forms if not _CYRILLIC.search(f) for t in _SPLIT.split(f) if t)
        for concept, forms in rows:
            for form in forms:
                tokens = tuple(words.tokens(form))
                if tokens:
                    words.phrases.setdefault(tokens, concept)
                    words.longest = max(words.longest, len(tokens))
        return words

    def _canonical(self, token: str) -> str:
        if _CYRILLIC.search(token):
            return self.lemmatize(token).replace("ё", "е") if self.lemmatize else token
        if token in self.latin:
            return token
        one = singular(token)
        return one if one in self.latin else token

    def tokens(self, folded: str) -> list[str]:
        """The content tokens of a folded name, in their dictionary form."""
        if self.lemmatize is not None and _CYRILLIC.search(folded):
            folded = self.lemmatize(" ".join(folded.split()))  # whole words first ("военно-морского")
        tokens = [self._canonical(t) for t in _SPLIT.split(folded) if t]
        return [t for t in tokens if t not in STOP_WORDS]

    def read(self, folded: str) -> list[tuple[str, bool]]:
        """The name as (concept, True) and (word, False) items, longest phrase first, in order;
        a kind of organization is left out when the name has a word of its own."""
        tokens = self.tokens(folded)
        out: list[tuple[str, bool]] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                concept = self.phrases.get(tuple(tokens[i : i + n]))
                if concept:
                    out.extend((part, True) for part in concept.split("+"))  # "мид": ministry, foreign affairs
                    i += n
                    break
            else:
                out.append((tokens[i], False))
                i += 1
        if any(not is_concept for _, is_concept in out):
            out = [(value, is_concept) for value, is_concept in out if not (is_concept and value in self.kinds)]
        return out
