"""Russian names in the nominative from word morphology alone (pymorphy2 via Natasha's MorphVocab).

People: every word goes to the nominative in the case and gender all its words agree on
("Имангали Тасмагамбетовым" -> "Имангали Тасмагамбетов"). Organizations and places: the head noun
phrase (leading adjectives and the first noun) goes to the nominative and the genitive tail stays
("Генеральной Ассамблеи ООН" -> "Генеральная Ассамблея ООН"). Results are cached per name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from pipeline.nlp.morphology import morph_vocab

_WORD = re.compile(r"[А-Яа-яЁё]+")
_NAME_GRAMS = ("Name", "Surn", "Patr")
# when the words leave the gender open, the reading news most often means comes first
_GENDER_ORDER = {"masc": 0, "femn": 1, "neut": 2, None: 3}


def _shape(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _inflect(parse, number: str | None) -> str | None:
    from pymorphy2.analyzer import Parse

    grams = {"nomn"} | ({number} if number else set())
    form = Parse.inflect(parse, grams) or Parse.inflect(parse, {"nomn"})
    return form.word if form else None


def _person_readings(word: str) -> list:
    # One person's name is singular: a plural reading ("Нурмагомедов" as the genitive plural of a
    # given name "Нурмагомед") is not one.
    parses = [p for p in morph_vocab().parse(word.lower()) if p.tag.number != "plur"]
    named = [p for p in parses if any(g in p.tag for g in _NAME_GRAMS)]
    return named or [p for p in parses if p.tag.POS == "NOUN"]


def _replace(text: str, spans: list[tuple[re.Match, str]]) -> str:
    out, pos = [], 0
    for m, word in spans:
        out += [text[pos : m.start()], _shape(word, m.group(0))]
        pos = m.end()
    return "".join(out) + text[pos:]


# A masculine surname the dictionary does not know, ending in a consonant, declines like a noun:
# the ending of each oblique case (after its given name's case) comes off ("Фургалом" -> "Фургал").
_FOREIGN_MASC_ENDINGS = {"gent": "а", "accs": "а", "datv": "у", "ablt": "ом", "loct": "е"}
_ADJECTIVE_ENDINGS = (
    "ого",
    "его",
    "ому",
    "ему",
    "ым",
    "им",
    "ой",
    "ей",
    "ий",
    "ый",
    "ая",
    "яя",
    "ую",
    "юю",
    "ых",
    "их",
)


def _given_name_cases(word: str) -> set[tuple[str, str]]:
    """The cases and genders a given name can be read in ("Сергеем": ablt, masc)."""
    return {(p.tag.case, p.tag.gender) for p in morph_vocab().parse(word.lower()) if "Name" in p.tag}


def _foreign_surnames(text: str) -> str | None:
    """The name with its unknown masculine surname in the nominative, when its given name shows
    an oblique case ("Сергеем Фургалом" -> "Сергей Фургал"); None when that rule does not apply."""
    words = list(_WORD.finditer(text))
    if len(words) != 2:
        return None
    given, surname = words
    readings = _given_name_cases(given.group(0))
    endings = {_FOREIGN_MASC_ENDINGS.get(case) for case, _ in readings}
    vocab = morph_vocab()
    if not readings or {g for _, g in readings} != {"masc"} or len(endings) != 1 or None in endings:
        return None
    if vocab.word_is_known(surname.group(0).lower()) or surname.group(0).lower().endswith(_ADJECTIVE_ENDINGS):
        return None  # a known or adjectival surname ("Зеленского") is left to the general rule
    ending, word = endings.pop(), surname.group(0)
    if word.lower().endswith(ending) and word[: -len(ending)][-1:].lower() not in "аеёиоуыэюяйь":
        word = word[: -len(ending)]
    elif word[-1:].lower() not in "оиуэ":  # "Панченко", "Пачелли" do not decline
        return None
    name = next(p for p in vocab.parse(given.group(0).lower()) if "Name" in p.tag)
    nominative = _inflect(name, "sing")
    return _replace(text, [(given, nominative), (surname, word)]) if nominative else None


def person_nominative(text: str) -> str:
    """A person's name in the nominative: the case and gender its words share, best scored."""
    foreign = _foreign_surnames(text)
    if foreign:
        return foreign
    words = [(m, _person_readings(m.group(0))) for m in _WORD.finditer(text)]
    words = [(m, r) for m, r in words if r]
    if not words:
        return text
    scores: dict[tuple, float] = defaultdict(float)
    shared = None
    for _, readings in words:
        best: dict[tuple, float] = {}
        for p in readings:
            key = (p.tag.case, p.tag.gender)
            best[key] = max(best.get(key, 0.0), p.score)
        shared = set(best) if shared is None else shared & set(best)
        for key, score in best.items():
            scores[key] += score
    if not shared:
        return text
    case, gender = min(shared, key=lambda k: (-round(scores[k], 6), _GENDER_ORDER.get(k[1], 3), k[0] != "nomn"))
    if case == "nomn":
        return text
    spans = []
    for m, readings in words:
        parse = max((p for p in readings if (p.tag.case, p.tag.gender) == (case, gender)), key=lambda p: p.score)
        word = _inflect(parse, "sing")
        if word:
            spans.append((m, word))
    return _replace(text, spans)


def _agrees(p, case: str, number: str, gender: str | None) -> bool:
    if p.tag.case != case or p.tag.number != number:
        return False
    return number == "plur" or gender is None or p.tag.gender in (None, gender)


def phrase_nominative(text: str) -> str:
    """An organization or place in the nominative: its head noun phrase inflected, the tail kept."""
    head: list[tuple[re.Match, list]] = []
    last_end = None
    for m in _WORD.finditer(text):
        if last_end is not None and text[last_end : m.start()] not in ("", " ", "-"):
            break  # only adjacent words form the head phrase
        last_end = m.end()
        if m.group(0).isupper() and len(m.group(0)) > 1:
            break  # an acronym does not decline ("ЕСПЧ", not "ЕСПЧИ")
        if text[m.end() : m.end() + 1] == "-":
            continue  # the first part of a hyphenated word ("Санкт-Петербурга") stays as written
        parses = morph_vocab().parse(m.group(0).lower())
        adjectives = [p for p in parses if p.tag.POS in ("ADJF", "PRTF")]
        nouns = [p for p in parses if p.tag.POS == "NOUN"]
        if adjectives and (not nouns or adjectives[0].score >= nouns[0].score):
            head.append((m, adjectives))
            continue
        if nouns:
            head.append((m, nouns))
        break
    if not head or head[-1][1][0].tag.POS != "NOUN":
        return text
    noun_parses = head[-1][1]
    word = head[-1][0].group(0).lower().replace("ё", "е")
    top = max(p.score for p in noun_parses)
    nominative = (p.tag.case == "nomn" and p.normal.replace("ё", "е") == word and p.score >= top for p in noun_parses)
    if morph_vocab().word_is_known(word) and any(nominative):
        return text  # the head noun is written in its dictionary form ("Юта", not the genitive of "ют")
    best_choice = None
    for noun in noun_parses:  # best scored reading of the noun that its adjectives agree with
        case, number, gender = noun.tag.case, noun.tag.number, noun.tag.gender
        if case is None or number is None:
            continue
        chosen = []
        for _, parses in head[:-1]:
            agreeing = [p for p in parses if _agrees(p, case, number, gender)]
            if not agreeing:
                break
            chosen.append(max(agreeing, key=lambda p: p.score))
        else:
            best_choice = (chosen + [noun], case, number)
            break
    if best_choice is None or best_choice[1] == "nomn":
        return text
    parses, _, number = best_choice
    spans = []
    for (m, _), parse in zip(head, parses):
        word = _inflect(parse, number)
        if word:
            spans.append((m, word.replace("ё", "е") if "ё" not in m.group(0).lower() else word))
    return _replace(text, spans)


@lru_cache(maxsize=100_000)
def nominative(text: str, label: str) -> str:
    """The nominative form of a Russian name of this label (PERSON, or ORG/LOC/GPE)."""
    try:
        return person_nominative(text) if label == "PERSON" else phrase_nominative(text)
    except Exception:  # pymorphy2 can fail on odd forms: keep the name as written
        return text
