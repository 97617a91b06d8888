"""Russian word morphology: the one pymorphy2 analyzer of the process (Natasha's `MorphVocab`), a
word-by-word lemmatizer over it, and the dictionary's word classes."""

from __future__ import annotations

import importlib.metadata
import os
import re
from functools import lru_cache


def dictionary_path(lang: str = "ru") -> str | None:
    """The folder of pymorphy2's dictionary for `lang`, found as pymorphy2 finds it (the package
    its `pymorphy2_dicts` entry point names) but through `importlib.metadata`: pymorphy2 builds a
    `pkg_resources.WorkingSet` of every installed distribution for it (0.25 s of CPU here). None
    when `PYMORPHY2_DICT_PATH` is set or no entry point names `lang`: pymorphy2 decides then."""
    if "PYMORPHY2_DICT_PATH" in os.environ:
        return None
    for entry in importlib.metadata.entry_points(group="pymorphy2_dicts", name=lang):
        return entry.load().get_path()
    return None


@lru_cache(maxsize=1)
def morph_vocab():
    """The process's one `MorphVocab` (pymorphy2's dictionaries load once, its parse cache is
    shared): Natasha's `MorphVocab()`, with the dictionary's folder given (`dictionary_path`)."""
    from natasha import MorphVocab
    from natasha.morph.vocab import MorphForm
    from pymorphy2 import MorphAnalyzer

    vocab = MorphVocab.__new__(MorphVocab)
    MorphAnalyzer.__init__(vocab, path=dictionary_path("ru"), lang="ru", result_type=MorphForm)
    return vocab


@lru_cache(maxsize=1)
def russian_lemmatizer():
    """A cached word-by-word Russian lemmatizer (pymorphy2 through Natasha's MorphVocab)."""
    vocab = morph_vocab()

    @lru_cache(maxsize=200_000)
    def lemma(word: str) -> str:
        if not re.search("[а-яё]", word):
            return word
        parses = vocab.parse(word)
        top = max(p.score for p in parses)
        nominative = (p.tag.case == "nomn" and p.normal.replace("ё", "е") == word and p.score >= top for p in parses)
        if vocab.word_is_known(word) and any(nominative):
            return word  # already a dictionary form ("юта" is not read as the genitive of "ют")
        normal = parses[0].normal
        # A word the dictionary does not know gets a guessed lemma: kept only when it is no longer
        # than the word (an ending changed), not an invented one ("Брюинз" -> "брюинза").
        return normal if len(normal) <= len(word) or vocab.word_is_known(word) else word

    def lemmatize(text: str) -> str:
        return " ".join(lemma(w) for w in text.split())

    return lemmatize


@lru_cache(maxsize=100_000)
def is_common_word(word: str) -> bool:
    """A Russian word the dictionary knows, in no reading a name or a place ("медиахолдинг", "офис")."""
    vocab = morph_vocab()
    parses = vocab.parse(word)
    if not parses or not re.search("[а-яё]", word) or not vocab.word_is_known(word):
        return False
    return not any(g in p.tag for p in parses for g in ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad"))
