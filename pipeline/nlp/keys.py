"""Cross-lingual entity keys: the gazetteer for organizations, transliteration for names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.nlp.name_words import STOP_WORDS, NameWords

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


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", transliterate(fold_name(text))).strip("-")


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
    from pipeline.nlp.russian_names import morph_vocab

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


def name_parts(items: list[tuple[str, bool]]) -> list[str]:
    """A name's key parts: its concepts, and the spelling (`skeleton`) of each other word."""
    parts = (value if is_concept else skeleton(value) for value, is_concept in items)
    return [p for p in parts if p]


@lru_cache(maxsize=1)
def russian_lemmatizer():
    """A cached word-by-word Russian lemmatizer (pymorphy2 through Natasha's MorphVocab)."""
    from natasha import MorphVocab

    vocab = MorphVocab()

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
