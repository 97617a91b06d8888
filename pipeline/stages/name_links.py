"""Name equivalences learned from translation pairs: which Russian key is which English key.

Every accepted RU/EN pair is evidence. Its sentences are aligned (the bitext table's units, or the
same aligner, `pipeline.stages.align`, for a pair the table does not hold), and a Russian name and
an English name the other side does not already share are linked when they stand in aligned
sentences (or next to them) and

- their sounds agree (ICU's Russian-Latin transliteration, then the sound key of every word: the
  surname for people), "sound";
- or their transliterations are close (difflib ratio, names of about the same length), "spelling";
- or, in one aligned sentence pair, they are the only unshared names of their kind (people,
  places, organizations), of about the same length, and their words say so too (a concept of the
  name words in common or a spelling close enough; for people the same given-name initial), the
  way translated names meet ("Лейбористская партия", "Labour Party"); with several such names,
  the pairs whose key parts overlap most, each the other's best, "aligned".

Links are counted over all pairs; a key is mapped only to the key it is linked to most often,
and only when that key's best link is the same one (mutual best: no chains, no key with two
partners). The result is deterministic: pairs, mentions and ties are taken in sorted order.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.nlp.spelling import fold_name, skeleton, sound_key, transliterate

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC"})
MIN_SPELLING = 0.75  # SequenceMatcher ratio of two transliterated names that are one name
MIN_CROSS_LABEL_SPELLING = 0.85  # a person in one language, an organization in the other
MIN_SUPPORTED_SPELLING = 0.5  # enough for the only unshared names of one aligned sentence pair


@dataclass(frozen=True)
class Mention:
    """A name in a document: its key, label class, written and normal forms, sentence index."""

    key: str
    person: bool
    norm: str
    sentence: int
    kind: str = ""  # "person", "place" (GPE, LOC) or "org"


@dataclass(frozen=True)
class Link:
    """Evidence from one pair that a Russian key and an English key name one entity."""

    ru_key: str
    en_key: str
    evidence: str  # "sound", "spelling" or "aligned"
    ru_name: str
    en_name: str


def _sentence_of(spans: list[tuple[int, int]], start: int) -> int:
    for k, (_, end) in enumerate(spans):
        if start < end:
            return k
    return len(spans) - 1


def mentions_of(text: str, entities: Iterable[dict], spans: list[tuple[int, int]]) -> list[Mention]:
    """The keyed names of one document, in text order."""
    out = []
    for e in sorted(entities, key=lambda x: (x["start"], x["end"])):
        if e["label"] in NAME_LABELS and e.get("entity_key"):
            norm = e.get("norm") or e["text"]
            if e["label"] == "PERSON" and len(e["text"].split()) == 1:
                norm = norm.split()[-1]  # a surname alone is compared as written, not as the full name it took
            kind = {"PERSON": "person", "ORG": "org"}.get(e["label"], "place")
            out.append(Mention(e["entity_key"], kind == "person", norm, _sentence_of(spans, e["start"]), kind))
    return out


def _latin(name: str) -> str:
    """A name as its transliterated spelling skeletons, word by word."""
    return " ".join(skeleton(w) for w in re.split(r"[\s-]+", transliterate(fold_name(name))) if w)


def sounds_agree(ru: Mention, en: Mention) -> bool:
    """The same sounds in both languages: the surname for people, every word otherwise."""
    r = [sound_key(w) for w in re.split(r"[\s-]+", transliterate(fold_name(ru.norm))) if len(w) > 1]
    e = [sound_key(w) for w in re.split(r"[\s-]+", transliterate(fold_name(en.norm))) if len(w) > 1]
    r, e = [w for w in r if w], [w for w in e if w]
    if not r or not e:
        return False
    if ru.person and en.person:
        return r[-1] == e[-1] and len(r[-1]) >= 3
    return r == e and sum(map(len, r)) >= 4


def spelling(ru: Mention, en: Mention) -> float:
    """How alike the transliterated names are (difflib ratio): the surnames for two people."""
    a, b = _latin(ru.norm), _latin(en.norm)
    if ru.person and en.person:
        a, b = a.split()[-1:] or [""], b.split()[-1:] or [""]
        a, b = a[0], b[0]
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


MIN_SHARED_TO_HOLD = 2  # pairs sharing a key that keep fewer links from moving it
MIN_PART_OVERLAP = 0.5  # Jaccard of the key parts of two names of one aligned sentence pair


def _part_overlap(a: str, b: str) -> float:
    """Jaccard overlap of two word keys' parts; a part matches a part spelled alike (ratio >= 0.8)."""
    pa, pb = set(a.split(":", 1)[-1].split("-")), set(b.split(":", 1)[-1].split("-"))
    matched = pa & pb
    for x in pa - matched:
        if any(SequenceMatcher(None, x, y, autojunk=False).ratio() >= 0.8 for y in pb - matched):
            matched.add(x)
    return len(matched) / len(pa | pb) if pa | pb else 0.0


def _best_overlaps(rs: list[Mention], es: list[Mention]) -> list[tuple[Mention, Mention]]:
    """Several unshared names on each side of one aligned sentence pair: the pairs whose key parts
    overlap most, each the other's best ("Армянское общественное радио", "Public Radio of Armenia")."""
    rs = sorted({m.key: m for m in rs}.values(), key=lambda m: m.key)
    es = sorted({m.key: m for m in es}.values(), key=lambda m: m.key)
    scores = {(r.key, e.key): _part_overlap(r.key, e.key) for r in rs for e in es if "." not in r.key + e.key}
    out = []
    for r in rs:
        for e in es:
            s = scores.get((r.key, e.key), 0.0)
            if s < MIN_PART_OVERLAP or not _comparable_lengths(r.key, e.key, parts=True):
                continue
            if s >= max(scores.get((r.key, x.key), 0.0) for x in es) and s >= max(
                scores.get((x.key, e.key), 0.0) for x in rs
            ):
                out.append((r, e))
    return out


def _initial(key: str) -> str:
    """The given name's initial in a person's key (`name:trump.d` -> "d"), or ""."""
    return key.rpartition(".")[2] if "." in key else ""


def _comparable_lengths(a: str, b: str, parts: bool = False) -> bool:
    """Two names of about the same number of words (a translation does not triple a name); with
    `parts`, two word keys of about the same number of parts (content words, concepts)."""
    na, nb = (len(x.split("-")) for x in (a, b)) if parts else (len(a.split()), len(b.split()))
    return min(na, nb) * 2 >= max(na, nb)


def _concepts(key: str) -> set[str]:
    return set(key.split(":", 1)[-1].split("-")) if key.startswith("name:") and "." not in key else set()


def shared_keys(ru_ents: list[dict], en_ents: list[dict]) -> set[str]:
    """The name keys both sides of a pair name."""
    keys = [
        {e["entity_key"] for e in ents if e["label"] in NAME_LABELS and e.get("entity_key")}
        for ents in (ru_ents, en_ents)
    ]
    return keys[0] & keys[1]


Span = tuple[int, int]


def _given_units(units: list[tuple[Span | None, Span | None]]) -> tuple[list[Span], list[Span], list]:
    """Aligned units given as (Russian span, English span) (None: a sentence with no counterpart)
    as the sentence spans of each side and the units over their indices."""
    ru_spans, en_spans, aligned = [], [], []
    for r, e in units:
        aligned.append(([len(ru_spans)] if r else [], [len(en_spans)] if e else []))
        if r:
            ru_spans.append(r)
        if e:
            en_spans.append(e)
    return ru_spans, en_spans, aligned


def pair_links(
    ru_text: str,
    en_text: str,
    ru_ents: list[dict],
    en_ents: list[dict],
    units: list[tuple[Span | None, Span | None]] | None = None,
) -> list[Link]:
    """The links one translation pair gives between the keys its two sides do not share.

    `units`: the pair's aligned sentences (the bitext table, as character spans of the two texts);
    without them the two texts are aligned here by the bitext's aligner."""
    if units is None:
        from pipeline.stages.align import align_texts
        from pipeline.stages.pairing import sentence_encoder

        units = align_texts(sentence_encoder(), ru_text, en_text)
    ru_spans, en_spans, aligned = _given_units(units)
    ru_m, en_m = mentions_of(ru_text, ru_ents, ru_spans), mentions_of(en_text, en_ents, en_spans)
    shared = {m.key for m in ru_m} & {m.key for m in en_m}
    ru_m = [m for m in ru_m if m.key not in shared]
    en_m = [m for m in en_m if m.key not in shared]
    if not ru_m or not en_m:
        return []
    units = aligned
    unit_of_ru = {i: u for u, (rs, _) in enumerate(units) for i in rs}
    unit_of_en = {j: u for u, (_, es) in enumerate(units) for j in es}
    links: dict[tuple[str, str], Link] = {}
    linked_ru, linked_en = set(), set()
    for r in ru_m:
        for e in en_m:
            ur, ue = unit_of_ru.get(r.sentence), unit_of_en.get(e.sentence)
            if ur is None or ue is None or abs(ur - ue) > 1 or (r.key, e.key) in links:
                continue
            if sounds_agree(r, e):
                kind = "sound"
            elif _comparable_lengths(r.norm, e.norm) and spelling(r, e) >= (
                MIN_SPELLING if r.person == e.person else MIN_CROSS_LABEL_SPELLING
            ):
                kind = "spelling"  # one name, whatever label each language's model gave it
            else:
                kind = ""
            if kind:
                links[(r.key, e.key)] = Link(r.key, e.key, kind, r.norm, e.norm)
                linked_ru.add(r.key)
                linked_en.add(e.key)
    by_unit: dict[tuple[int, str], tuple[list[Mention], list[Mention]]] = defaultdict(lambda: ([], []))
    for r in ru_m:
        if r.key not in linked_ru and r.sentence in unit_of_ru:
            by_unit[(unit_of_ru[r.sentence], r.kind)][0].append(r)
    for e in en_m:
        if e.key not in linked_en and e.sentence in unit_of_en:
            by_unit[(unit_of_en[e.sentence], e.kind)][1].append(e)
    for (_, kind), (rs, es) in sorted(by_unit.items()):
        if len({m.key for m in rs}) == 1 and len({m.key for m in es}) == 1:
            r, e = rs[0], es[0]
            if kind == "person":
                supported = _initial(r.key) and _initial(r.key) == _initial(e.key)  # "Ким Чен Ын", "Kim Jong-un"
            else:
                supported = _concepts(r.key) & _concepts(e.key) or spelling(r, e) >= MIN_SUPPORTED_SPELLING
            if supported and _comparable_lengths(r.key, e.key, parts=kind != "person"):
                links.setdefault((r.key, e.key), Link(r.key, e.key, "aligned", r.norm, e.norm))
        elif kind != "person":
            for r, e in _best_overlaps(rs, es):
                links.setdefault((r.key, e.key), Link(r.key, e.key, "aligned", r.norm, e.norm))
    return [links[k] for k in sorted(links) if _same_numbers(links[k]) and _same_kind_of_place(links[k])]


# The concepts that make a place name an administrative unit ("Харьковская область", "Kharkiv
# region", "Тюменский район"), apart from the city it is named after ("Kharkiv", "Tyumen").
UNIT_CONCEPTS = frozenset({"region", "district"})


def _same_kind_of_place(link: Link) -> bool:
    """Both names say they are an administrative unit, or neither does: a region is not its city."""
    return bool(_concepts(link.ru_key) & UNIT_CONCEPTS) == bool(_concepts(link.en_key) & UNIT_CONCEPTS)


def _same_numbers(link: Link) -> bool:
    """Names whose numbers differ are different names, however alike the rest ("Сахалин-1", "Sakhalin")."""
    return set(_NUMBER.findall(link.ru_name)) == set(_NUMBER.findall(link.en_name))


@dataclass(frozen=True)
class KeyMapping:
    """One row of the key map: `entity_key` is read as `key`."""

    entity_key: str
    key: str
    evidence: str
    n_pairs: int
    ru_name: str
    en_name: str


def canonical(ru_key: str, en_key: str) -> str:
    """The key two linked keys share: a gazetteer key if one is, else the English one."""
    if ru_key.startswith("org:") and not en_key.startswith("org:"):
        return ru_key
    return en_key


def _two_russian_people(a: str, b: str, russian_people: set[str]) -> bool:
    """Two person keys that Russian texts write themselves, with different surnames ("Владимир
    Зелинский", "Владимир Зеленский"): Russian spells one person one way, so they are two people,
    whatever a translation wrote ("Vladimir Zelensky" for both)."""
    return a in russian_people and b in russian_people and a.partition(".")[0] != b.partition(".")[0]


def resolve_links(
    links: Iterable[Link], shared: Counter | None = None, russian_people: set[str] | None = None
) -> list[KeyMapping]:
    """Mutual best links over the corpus, as key-map rows (sorted by `entity_key`).

    `shared` counts, per key, the pairs whose two sides both name it: a key that already joins the
    languages in two pairs or more is not moved by fewer links ("РФ" left unshared once is still
    Russia). `russian_people`: the keys of people the Russian texts name in Cyrillic; two of them
    are never joined (`_two_russian_people`)."""
    shared = shared or Counter()
    russian_people = russian_people or set()
    links = [x for x in links if not _two_russian_people(x.ru_key, x.en_key, russian_people)]
    counts: Counter = Counter()
    example: dict[tuple[str, str], Link] = {}
    for link in links:
        k = (link.ru_key, link.en_key)
        counts[k] += 1
        example.setdefault(k, link)
    best_ru: dict[str, tuple[str, str]] = {}
    best_en: dict[str, tuple[str, str]] = {}
    for k in sorted(counts, key=lambda k: (-counts[k], k)):
        best_ru.setdefault(k[0], k)
        best_en.setdefault(k[1], k)
    rows, used = [], set()
    for k in sorted(counts, key=lambda k: (-counts[k], k)):
        if best_ru[k[0]] != k or best_en[k[1]] != k or k[0] in used or k[1] in used:
            continue  # a key already mapped (a key string may occur on both sides of other pairs)
        if max(shared[k[0]], shared[k[1]]) >= MIN_SHARED_TO_HOLD and counts[k] < max(shared[k[0]], shared[k[1]]):
            continue
        used.update(k)
        link = example[k]
        target = canonical(*k)
        source = k[0] if target == k[1] else k[1]
        rows.append(KeyMapping(source, target, link.evidence, counts[k], link.ru_name, link.en_name))
    return sorted(rows, key=lambda r: r.entity_key)
