"""Spelling of names across scripts: transliteration (ICU), spelling- and sound-tolerant word forms, folding."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = re.compile(r"[«»\"“”„‘’'`]")
_NON_WORD = re.compile(r"[^\w\s-]+")
_SPACES = re.compile(r"\s+")
# Spelling variants that transliteration systems disagree on, folded to one skeleton.
_SKELETON_RULES = [
    (r"dzh|dj", "j"),
    (r"kh", "h"),
    (r"ck", "k"),
    (r"x", "ks"),
    (r"w", "v"),
    (r"ph", "f"),
    (r"j", "i"),
    (r"yi", "i"),
    (r"iy", "i"),
    (r"ii", "i"),
    (r"y", "i"),
    (r"ie", "e"),
    (r"ye", "e"),
    (r"ei$", "i"),
    (r"ts", "c"),
    (r"tz", "c"),
    (r"(.)\1", r"\1"),
]
_SKELETON_PATTERNS = [(re.compile(p), r) for p, r in _SKELETON_RULES]
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


# ICU's Russian-Latin transform (BGN/PCGN, the romanization English-language news mostly follows),
# then any other script to Latin and accents off: a maintained table instead of a hand-written one.
_ICU_LATIN = "Russian-Latin/BGN; Any-Latin; Latin-ASCII; Lower"
_NOT_LATIN = re.compile(r"[^a-z0-9\s-]")


@lru_cache(maxsize=1)
def _latin_transform():
    import icu

    return icu.Transliterator.createInstance(_ICU_LATIN)


@lru_cache(maxsize=200_000)
def transliterate(text: str) -> str:
    """Russian (and other Cyrillic) to Latin letters, lower case, by ICU; Latin text is only folded."""
    if text.isascii():
        return text.lower()
    return _NOT_LATIN.sub("", _latin_transform().transliterate(unicodedata.normalize("NFC", text)))


@lru_cache(maxsize=100_000)
def skeleton(word: str) -> str:
    """A spelling-tolerant form of one transliterated word ('Zelenskiy', 'Zelensky' -> 'zelenski')."""
    s = _NOT_ALNUM.sub("", transliterate(word))
    for pattern, repl in _SKELETON_PATTERNS:
        s = pattern.sub(repl, s)
    return s


_SOUND_RULES = [
    (r"sht", "st"),
    (r"ch", "h"),
    (r"c(?=[ei])", "s"),
    (r"c(?=[aouklrt]|$)", "k"),
    (r"z$", "s"),
    (r"[aeiouy]+", "a"),
    (r"(.)\1", r"\1"),
    (r"(?<!s)h", "g"),  # Russian writes an English or German h as г or х ("Hitler", "Гитлер")
    (r"gg", "g"),
]
_SOUND_PATTERNS = [(re.compile(p), r) for p, r in _SOUND_RULES]


# "th" read as "т" ("Elizabeth", "Элизабет"), a final "h" after a vowel silent ("Utah", "Юта"), so the
# "h" of "ohn" ("John", "Джон"), and
# the "e" of a final "-es" after a consonant that is not a sibilant, d, t or r ("Jones", "Джонс").
_LATIN_SOUNDS = re.compile(r"th|(?<=[aeiou])h$|(?<=o)h(?=n)|(?<=[bvmnlkpfw])e(?=s$)", re.I)


@lru_cache(maxsize=100_000)
def sound_key(word: str) -> str:
    """A transliteration-proof key of one name word: the skeleton with every vowel run folded to
    one vowel and a final vowel dropped, so that spellings and Russian case endings agree
    ('Дзюба', 'Дзюбы', 'Dziuba' -> 'dzab'; 'Брайант', 'Bryant' -> 'brant')."""
    if not re.search("[а-яёА-ЯЁ]", word):  # English spellings Russian writes by sound
        word = _LATIN_SOUNDS.sub(lambda m: "t" if m.group(0).lower() == "th" else "", word)
    s = re.sub(r"dzh|zh|dj|j", "q", transliterate(word).replace("q", "k"))  # "q" marks the j sounds
    s = skeleton(s)
    for pattern, repl in _SOUND_PATTERNS:
        s = pattern.sub(repl, s)
    s = s.replace("q", "j")
    return s[:-1] if len(s) > 3 and s.endswith("a") else s


@lru_cache(maxsize=200_000)
def fold_name(text: str) -> str:
    """Case-, quote- and punctuation-insensitive form of a name, for lookups."""
    t = _QUOTES.sub("", text).replace("ё", "е").replace("Ё", "Е")
    t = _NON_WORD.sub(" ", t.casefold())
    t = _SPACES.sub(" ", t).strip()
    return t[4:] if t.startswith("the ") else t
