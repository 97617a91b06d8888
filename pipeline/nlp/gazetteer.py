"""The gazetteer of known organizations in both languages (models/gazetteer/organizations.tsv) and its caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.nlp.name_words import NameWords
from pipeline.nlp.spelling import fold_name, skeleton

# The gazetteer's unqualified names are the Russian bodies ("Минобороны", "the Defense Ministry"), so a
# name qualified by this country ("Тихоокеанский флот России") is the gazetteer's unqualified one.
HOME_COUNTRY = "russia"
CACHE_SIZE = 200_000  # names whose reading and key are kept


@dataclass
class Gazetteer:
    """Names of known organizations in both languages, each alias mapped to one key.

    With the name words (`NameWords`), an alias is also found by the concepts its words name,
    in any order and either language ("Ministry of Emergency Situations" and "Министерство по
    чрезвычайным ситуациям"); a concept set two keys share finds neither.
    """

    aliases: dict[str, str] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    entries: list[tuple[str, str, str]] = field(default_factory=list)
    lemmatize: object = None
    words: NameWords | None = None
    given_names: frozenset[str] = frozenset()  # skeletons of known given names
    bags: dict[frozenset[str], str | None] = field(default_factory=dict)
    _reads: dict[tuple[str, str], list[tuple[str, bool]]] = field(default_factory=dict)
    keys: dict[tuple[str, str, str], str | None] = field(default_factory=dict)  # entity_key's cache

    @classmethod
    def load(
        cls, path: Path, lemmatize=None, words: NameWords | None = None, given_names: Path | None = None
    ) -> Gazetteer:
        gaz = cls(lemmatize=lemmatize, words=words)
        if given_names is not None:
            lines = Path(given_names).read_text(encoding="utf-8").splitlines()
            gaz.given_names = frozenset(skeleton(w) for w in lines if w and not w.startswith("#"))
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, lang, name = line.split("\t")
            gaz.entries.append((key, lang, name))
            gaz.names.setdefault(key, {}).setdefault(lang, name)
            for form in gaz._forms(name, lang):
                gaz.aliases.setdefault(form, key)
        if words is not None:
            for key, lang, name in gaz.entries:
                items = gaz.read(name, lang)
                if not any(is_concept for _, is_concept in items):
                    continue
                bag = frozenset(name_parts(items))
                for b in {bag, bag - {HOME_COUNTRY}}:
                    if b and gaz.bags.get(b, key) != key:
                        gaz.bags[b] = None  # two organizations: the words do not tell them apart
                    elif b:
                        gaz.bags[b] = key
        return gaz

    def read(self, name: str, lang: str) -> list[tuple[str, bool]]:
        """The name's concepts and other words (cached); empty without name words."""
        if self.words is None:
            return []
        k = (name, lang)
        if k not in self._reads:
            if len(self._reads) >= CACHE_SIZE:
                self._reads.clear()
            self._reads[k] = self.words.read(fold_name(name))
        return self._reads[k]

    def lookup_words(self, items: list[tuple[str, bool]]) -> str | None:
        """The organization whose alias names the same concepts and words, if only one does."""
        bag = frozenset(name_parts(items))
        known = self.bags.get(bag)
        if known is None and HOME_COUNTRY in bag and len(bag) > 1:
            known = self.bags.get(bag - {HOME_COUNTRY})
        return known

    def _forms(self, name: str, lang: str) -> list[str]:
        forms = [fold_name(name)]
        if lang == "ru" and self.lemmatize is not None:
            forms.append(self.lemmatize(fold_name(name)))
        return forms

    def lookup(self, name: str, lang: str) -> str | None:
        for form in self._forms(name, lang):
            key = self.aliases.get(form)
            if key:
                return key
        return None


def name_parts(items: list[tuple[str, bool]]) -> list[str]:
    """A name's key parts: its concepts, and the spelling (`skeleton`) of each other word."""
    parts = (value if is_concept else skeleton(value) for value, is_concept in items)
    return [p for p in parts if p]
