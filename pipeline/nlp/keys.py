"""Cross-lingual entity keys: the gazetteer's key for a known organization, the spelling of the words for others."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.nlp.gazetteer import CACHE_SIZE, Gazetteer, name_parts
from pipeline.nlp.morphology import morph_vocab
from pipeline.nlp.name_words import STOP_WORDS
from pipeline.nlp.spelling import fold_name, skeleton, sound_key

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC"})
_INITIAL = re.compile(r"^[A-ZА-ЯЁ]\.\s*[A-ZА-ЯЁ][a-zа-яё]")


def entity_key(label: str, norm: str, lang: str, gazetteer: Gazetteer) -> str | None:
    """The same key for the same person, organization or place in Russian and in English (cached
    per gazetteer; see `_entity_key`)."""
    k = (label, norm, lang)
    if k not in gazetteer.keys:
        if len(gazetteer.keys) >= CACHE_SIZE:
            gazetteer.keys.clear()
        gazetteer.keys[k] = _entity_key(label, norm, lang, gazetteer)
    return gazetteer.keys[k]


def _entity_key(label: str, norm: str, lang: str, gazetteer: Gazetteer) -> str | None:
    """The same key for the same person, organization or place in Russian and in English.

    A name the gazetteer knows gets its key ("org:csto"). Any other name gets a `name:` key built
    from the spelling of its words (`skeleton`: transliterated, vowels kept): the surname and the
    given name's initial for a PERSON (`person_key`), every word otherwise. The key does not
    depend on the label, so a name one language's model labels PERSON and the other's ORG (or a
    place labelled ORG) still joins.
    """
    if label not in NAME_LABELS or not norm:
        return None
    if label != "PERSON":
        known = gazetteer.lookup(norm, lang)
        if known:
            return known
    if label != "PERSON" and (_INITIAL.match(norm) and len(norm.split()) <= 3 or _ends_with_person(norm, gazetteer)):
        if not _INITIAL.match(norm):
            norm = " ".join(norm.split()[-2:])  # the given name and surname the span ran over
        label = "PERSON"  # "M. Pompeo", "… Kirill Panchenko": a person's name, whatever the label
    if label != "PERSON":
        items = gazetteer.read(norm, lang)
        if any(is_concept for _, is_concept in items):
            known = gazetteer.lookup_words(items)
            return known or f"name:{'-'.join(sorted(set(name_parts(items))))}"
        known = gazetteer.lookup(" ".join(value for value, _ in items), lang) if items else None
        if known:
            return known  # the name without its kind word ("Telegram-канал": Telegram)
        acronym = len(norm) > 1 and norm.isupper() and " " not in norm
        keys = [k for k in name_parts(items) if k]
        if keys and not acronym:
            return f"name:{'-'.join(keys)}"
    if label != "PERSON" and len(norm) > 1 and norm.isupper() and " " not in norm:
        return f"name:{skeleton(norm)}" if skeleton(norm) else None  # an acronym: letters, not sounds
    folded = fold_name(norm)
    if lang == "ru" and gazetteer.lemmatize is not None and label != "PERSON":
        folded = gazetteer.lemmatize(folded)
    if label == "PERSON":
        return person_key(folded.split())  # a hyphenated surname is one ("Ингрэм-Мур")
    words = [w for w in re.split(r"[\s-]+", folded) if w]
    keys = [k for k in (skeleton(w) for w in words) if k]
    return f"name:{'-'.join(keys)}" if keys else None


_ROMAN = re.compile(r"^(ii|iii|iv|vi|vii|viii|ix|x[iv]+)$")  # regnal numbers ("xi" may be a name)


@lru_cache(maxsize=100_000)
def _is_title_word(word: str) -> bool:
    """A Russian word the dictionary knows only as a common word ("император", "доктор"): a title
    before a name, not a given name (an initial is one)."""
    if len(word) < 3 or not re.search("[а-яё]", word):
        return False
    parses = morph_vocab().parse(word)
    return (
        bool(parses)
        and morph_vocab().word_is_known(word)
        and not any(g in p.tag for p in parses for g in ("Name", "Surn", "Patr"))
    )


def person_key(words: list[str]) -> str | None:
    """A person's key: the spelling of the surname and, when the name gives one, the sound of the
    given name's first letter ("Дональд Трамп" -> `name:tramp.d`; "Иванка Трамп" -> `name:tramp.a`;
    "Трамп" alone -> `name:tramp`, which a document ties to its full name). A title before the
    name is no given name ("Император Акихито" -> `name:akihito`); a regnal number makes the
    name ("Елизавета II" -> `name:elizaveta-ii`).

    The spelling keeps the vowels (Быков and Бокова differ), so a surname written by sound in the
    other language ("Trump", "Трамп") gets its own key: the pairs join them (`key_map`), not the sound.
    """
    while len(words) > 1 and _is_title_word(words[0]):
        words = words[1:]  # a title before the name; a surname that is also a word stays
    if len(words) > 1 and _ROMAN.match(words[-1]):
        return f"name:{skeleton(words[0])}-{words[-1]}" if skeleton(words[0]) else None
    named = [i for i, w in enumerate(words) if len(w) > 1]
    if not named:
        return None
    surname = named[-1]  # the surname, not an initial after it ("Ваник А.")
    key = skeleton(words[surname])
    if not key:
        return None
    given = next((w for i, w in enumerate(words) if i != surname), None)
    initial = sound_key(given)[:1] if given else ""
    return f"name:{key}.{initial}" if initial else f"name:{key}"


def surname_of(key: str) -> str:
    """The surname part of a person's key (`name:tramp.d` -> `name:tramp`)."""
    return key.rsplit(".", 1)[0] if "." in key else key


def _ends_with_person(norm: str, gazetteer: Gazetteer) -> bool:
    """Whether a longer name ends in a given name and a surname ("Panchenko Forward Kirill Panchenko",
    a span that ran over a person's name)."""
    words = norm.split()
    if not (
        len(words) >= 3
        and words[-1].isalpha()
        and words[-1][:1].isupper()
        and skeleton(words[-2]) in gazetteer.given_names
        and words[-3].lower() not in STOP_WORDS  # "Library of Richard Nixon" is named after him
    ):
        return False
    places = gazetteer.words.places if gazetteer.words else set()
    return not any(is_concept and value not in places for value, is_concept in gazetteer.read(norm, ""))


_ACRONYM_STOP = frozenset("of the and for on in at to de du des la le и о об по при в на для с со за от из к у".split())


def is_acronym_of(acronym: str, expansion: str, strict: bool = False) -> bool:
    """Whether `acronym` abbreviates `expansion` ("CSTO" and "Collective Security Treaty
    Organization", "ОДКБ" and "Организация Договора о коллективной безопасности"); `strict`: its
    letters are the initials of all the words, or of all the content words (no subsequence)."""
    letters = [c for c in acronym if c.isalpha()]
    if len(letters) < 2 or not acronym.replace(".", "").isupper():
        return False
    words = [w for w in re.split(r"[\s\-«»\"“”„]+", expansion) if w and w[0].isalpha()]
    initials = [w[0].lower() for w in words]
    content = [w[0].lower() for w in words if w.lower() not in _ACRONYM_STOP]
    target = [c.lower() for c in letters]
    if target in (initials, content) or target in (initials[:-1], content[:-1]) and len(target) >= 3:
        return True  # all the words, or all but a last qualifier ("ХДС", "… союз Германии")
    return not strict and _subsequence(target, initials)


def _subsequence(target: list[str], initials: list[str]) -> bool:
    """Acronym letters taken in order from word initials, starting with the first word."""
    if not target or not initials or target[0] != initials[0]:
        return False
    it = iter(initials[1:])
    return all(c in it for c in target[1:]) and len(target) >= max(2, len(initials) // 2)
