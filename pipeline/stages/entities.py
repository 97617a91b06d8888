"""Entity extraction per language in batches, and normalization of what was found."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta

from pipeline.nlp.dates import date_pieces, parse_date
from pipeline.nlp.english_dates import timeml_value
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.nlp.keys import entity_key, is_acronym_of
from pipeline.nlp.name_words import ORG_WORDS
from pipeline.nlp.relative_dates import parse_relative
from pipeline.nlp.spelling import fold_name, sound_key
from pipeline.nlp.tense import clause_tense, year_by_tense
from pipeline.records import DocumentRecord, EntityRecord


def extract_entities(
    documents: Iterable[DocumentRecord],
    model_for: Callable[[str], object],
    batch_size: int = 64,
    n_process: int = 1,
    keep_labels: frozenset[str] | None = None,
) -> list[EntityRecord]:
    """Run each language's spaCy pipeline over its documents (one `nlp.pipe` per language); the
    entities come in the order of the documents, each document's in text order (a spaCy Doc's
    entities do not overlap).

    `keep_labels` overrides the labels the model's configuration keeps (evaluation keeps more).
    """
    documents = list(documents)
    by_lang: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for i, doc in enumerate(documents):
        if doc.doc_id not in seen:  # a text repeated in the batch has its entities once
            seen.add(doc.doc_id)
            by_lang[doc.lang].append(i)
    found: list[list[EntityRecord]] = [[] for _ in documents]
    for lang in sorted(by_lang):
        model = model_for(lang)
        if model is None:
            continue
        docs = [documents[i] for i in by_lang[lang]]
        texts = (model.prepare(d.text) if hasattr(model, "prepare") else d.text for d in docs)
        pipe = model.nlp.pipe(texts, batch_size=batch_size, n_process=n_process)
        for i, record, sdoc in zip(by_lang[lang], docs, pipe):
            norms = sdoc._.norms or {}
            wanted = keep_labels or model.keep_labels
            out = found[i]
            for ent in sdoc.ents:
                if ent.label_ not in wanted:
                    continue
                out.append(
                    EntityRecord(
                        doc_id=record.doc_id,
                        label=ent.label_,
                        text=record.text[ent.start_char : ent.end_char],
                        start=ent.start_char,
                        end=ent.end_char,
                        norm=norms.get((ent.start_char, ent.end_char), record.text[ent.start_char : ent.end_char]),
                        entity_key=None,
                        lang=lang,
                    )
                )
    return [e for ents in found for e in ents]


_NAME_LABELS = ("PERSON", "ORG", "GPE", "LOC")
_TIE_ORDER = {"PERSON": 0, "GPE": 1, "LOC": 2, "ORG": 3}


def label_votes(
    entities: Iterable[EntityRecord],
    votes: dict[tuple[str, str], Counter] | None = None,
    max_names: int | None = None,
) -> dict[tuple[str, str], Counter]:
    """The label counts of multi-word names, by (language, folded name), in order of first mention:
    added to `votes` in place when given, with at most `max_names` names in it (a name already
    there is always counted)."""
    votes = {} if votes is None else votes
    for e in entities:
        if e.label in _NAME_LABELS:
            name = (e.lang, fold_name(e.norm or e.text))
            if len(name[1].split()) > 1 and (name in votes or max_names is None or len(votes) < max_names):
                votes.setdefault(name, Counter())[e.label] += 1
    return votes


def harmonize_labels(
    entities: list[EntityRecord],
    gazetteer: Gazetteer,
    votes: dict[tuple[str, str], Counter] | None = None,
) -> list[EntityRecord]:
    """One label for one name: across the dump for multi-word names, within a document for
    single words ("Tasmagambetov" after "Imangali Tasmagambetov" is a PERSON too).

    A name the gazetteer knows is an ORG; a one-word PERSON that is a general word of names ("West")
    is a place; otherwise the majority label wins, ties going to PERSON.
    `votes` are the label counts of multi-word names (`label_votes`) over a context that includes
    these entities (the dump so far: `pipeline.dump.DumpContext`); without it, these entities' own.
    """
    votes = label_votes(entities) if votes is None else votes
    surnames: dict[str, set[str]] = defaultdict(set)
    for e in entities:
        if e.label in _NAME_LABELS:
            words = fold_name(e.norm or e.text).split()
            if e.label == "PERSON" and len(words) > 1:
                surnames[e.doc_id].add(words[-1])
                surnames[e.doc_id].add(fold_name(e.text).split()[-1])
    out = []
    for e in entities:
        if e.label not in _NAME_LABELS:
            out.append(e)
            continue
        name = fold_name(e.norm or e.text)
        label = e.label
        words = name.split()
        if gazetteer.lookup(e.norm or e.text, e.lang):
            label = "ORG"
        elif len(words) == 1 and name in surnames[e.doc_id]:
            label = "PERSON"
        elif len(words) == 1 and _is_place_word(name, gazetteer):
            label = "GPE" if e.lang == "en" else "LOC"
        elif e.label == "PERSON" and len(words) == 1 and _is_name_word(name, gazetteer):
            label = "LOC"  # "West", "North": a general word of names, no person's ("the West")
        elif e.label == "ORG" and _family_name(e.text, words, surnames[e.doc_id]):
            label = "PERSON"
        elif len(words) > 1:
            counts = votes.get((e.lang, name)) or Counter({e.label: 1})
            label = min(counts, key=lambda lab: (-counts[lab], _TIE_ORDER[lab]))
        out.append(e if label == e.label else replace(e, label=label))
    return out


def _is_place_word(name: str, gazetteer: Gazetteer) -> bool:
    """A one-word name that the name words know as a country, city or its adjective ("Russian", "Minsk")."""
    words = gazetteer.words
    if words is None:
        return False
    read = words.read(name)
    return len(read) == 1 and read[0][1] and read[0][0] in words.places


def _is_name_word(name: str, gazetteer: Gazetteer) -> bool:
    """A one-word name that the name words read as one of their concepts ("West", "Federal")."""
    words = gazetteer.words
    if words is None:
        return False
    read = words.read(name)
    return len(read) == 1 and read[0][1]


def _family_name(text: str, words: list[str], surnames: set[str]) -> bool:
    """A two- or three-word name in capitals that ends in the surname of a person of the same
    document ("Abdulmanap Nurmagomedov" beside "Khabib Nurmagomedov") and in no organization word."""
    return (
        2 <= len(words) <= 3
        and words[-1] in surnames
        and words[-1] not in ORG_WORDS
        and all(w[:1].isupper() for w in text.split())
    )


DATELINE_CHARS = 120


# The start of a life or of a body is background, no clue to when a text was written ("родившихся в
# сентябре 1961 года", "Родился 4 января 1955 года", "born in September 1961", "основанная в мае 1991
# года", "founded in"): such a date gives no year to the text's dates without one. A death is not set
# aside: news reports deaths as they happen (on NEREL dev 5 of the 7 dated deaths are of the article's year).
_BACKGROUND = re.compile(
    r"(?:\b(?:born|founded|established)\b|(?<![а-яё])(?:родил(?:ся|ась|ись|ось)|родивш[а-яё]*|рожд[её]нн?[а-яё]*"
    r"|основан(?:[аоы]|н[а-яё]*)?|основал[аи]?|учрежд[её]н(?:[аоы]|н[а-яё]*)?)(?![а-яё]))[^.!?;\n]{0,30}$",
    re.I,
)
BACKGROUND_CHARS = 60


def is_background_date(e: EntityRecord, text: str) -> bool:
    """A date of a birth or a founding (a cue word before it in its clause): see `_BACKGROUND`."""
    return bool(text) and _BACKGROUND.search(text[max(0, e.start - BACKGROUND_CHARS) : e.start]) is not None


def year_counts(entities: Iterable[EntityRecord], with_month: bool, texts: Mapping[str, str] | None = None) -> Counter:
    """How often each year is written in DATE mentions with (or without) a month; with the documents'
    `texts`, births and foundings are not counted (`is_background_date`)."""
    years: Counter = Counter()
    for e in entities:
        if e.label == "DATE":
            parsed = parse_date(e.text, e.lang)
            if parsed and parsed.year and (parsed.month is not None) == with_month:
                if texts is None or not is_background_date(e, texts.get(e.doc_id, "")):
                    years[parsed.year] += 1
    return years


def year_votes(entities: Iterable[EntityRecord], with_month: bool, texts: Mapping[str, str] | None = None) -> Counter:
    """One vote per document for the year its DATE mentions with (or without) a month name most often
    (`year_counts`; a tie goes to the later year): a dump is of the year most of its documents are of,
    whatever one history article's many dates say."""
    by_doc: dict[str, list[EntityRecord]] = defaultdict(list)
    for e in entities:
        by_doc[e.doc_id].append(e)
    votes: Counter = Counter()
    for ents in by_doc.values():
        years = year_counts(ents, with_month, texts)
        if years:
            votes[max(years, key=lambda y: (years[y], y))] += 1
    return votes


def _dateline_year(entities: list[EntityRecord], text: str = "") -> int | None:
    """The year of a full date at the head of the document (its dateline), if any."""
    for e in sorted(entities, key=lambda x: x.start):
        if e.label == "DATE" and e.start < DATELINE_CHARS and not is_background_date(e, text):
            parsed = parse_date(e.text, e.lang)
            if parsed and parsed.year and parsed.month:
                return parsed.year
    return None


WEEKDAY_CONTEXT_CHARS = 30


def _weekday_year(dates: list, base: int | None) -> int | None:
    """The year most of the document's dates written with a day of the week fall in, near `base`."""
    years = Counter(p.year_in(base) for p in dates if p is not None and p.weekday is not None and p.year is None)
    years.pop(None, None)
    return min(years, key=lambda y: (-years[y], abs(y - base))) if years else None


def context_year(ents: list[EntityRecord], published, dump_year: int | None, text: str = "") -> int | None:
    """The year a yearless date takes: the document's published date or dateline, then the year its
    dates written with a day of the week fall in, then its other dates with a month, then the dump's,
    then the bare years it names; never today's."""
    if published:
        return published.year
    year = _dateline_year(ents, text)
    if year:
        return year
    base = _undated_context_year(ents, dump_year, text)
    if base is not None and text:
        dates = [parse_date(e.text, e.lang, _before(text, e)) for e in ents if e.label == "DATE"]
        return _weekday_year(dates, base) or base
    return base


def own_year(ents: list[EntityRecord], published, text: str = "") -> int | None:
    """The year a document itself gives for "this year": its date's, its dateline's, or the most
    common year of its dates with a month (births and foundings aside); not the dump's, not a bare
    year it names."""
    if published:
        return published.year
    dated = _own_counts(ents, True, text)
    return _dateline_year(ents, text) or (dated.most_common(1)[0][0] if dated else None)


def _own_counts(ents: list[EntityRecord], with_month: bool, text: str) -> Counter:
    """`year_counts` of one document's mentions, births and foundings aside when its text is given."""
    return year_counts(ents, with_month, {e.doc_id: text for e in ents} if text else None)


def _before(text: str, e: EntityRecord) -> str:
    return text[max(0, e.start - WEEKDAY_CONTEXT_CHARS) : e.start]


def _undated_context_year(ents: list[EntityRecord], dump_year: int | None, text: str = "") -> int | None:
    dated = _own_counts(ents, True, text)
    if dated:
        return dated.most_common(1)[0][0]
    if dump_year:
        return dump_year  # bare years in a text ("в 1964 году") are more often history than its time
    bare = _own_counts(ents, False, text)
    return bare.most_common(1)[0][0] if bare else None


def normalize_entities(
    entities: list[EntityRecord],
    documents: list[DocumentRecord],
    gazetteer: Gazetteer,
    dump_year: int | None = None,
) -> list[EntityRecord]:
    """ISO dates (a missing year from the document, then the dump), and cross-lingual keys.

    `dump_year` is the dump's year when known from a wider context than these entities."""
    by_doc: dict[str, list[EntityRecord]] = defaultdict(list)
    for e in entities:
        by_doc[e.doc_id].append(e)
    published: dict[str, date | None] = {}
    text_of: dict[str, str] = {}
    for d in documents:  # a text repeated in a dump is read as its first occurrence
        published.setdefault(d.doc_id, d.published)
        text_of.setdefault(d.doc_id, d.text)
    if dump_year is None:
        dump_years = year_votes(entities, True, text_of) or year_votes(entities, False, text_of)
        dump_year = dump_years.most_common(1)[0][0] if dump_years else None
    out = []
    for doc_id, ents in by_doc.items():
        text = text_of.get(doc_id, "")
        year = context_year(ents, published.get(doc_id), dump_year, text)
        keyed = []
        for e in ents:
            if e.label == "DATE":
                keyed.extend(absolute_dates(e, text, year, published.get(doc_id)))
            else:
                keyed.append(replace(e, entity_key=entity_key(e.label, e.norm, e.lang, gazetteer)))
        keyed = relative_dates(keyed, text, published.get(doc_id), own_year(ents, published.get(doc_id), text))
        out.extend(full_names(tie_given_names(tie_people(tie_acronyms(keyed, text_of.get(doc_id, ""))))))
    return tie_surnames(out)


def full_names(entities: list[EntityRecord]) -> list[EntityRecord]:
    """The mentions of one person in one document (one key, once the mentions are tied) that name them
    by one word ("Десантиса", "Trump") take the norm of the person's full name there, when the
    document gives one full name for that key in that language ("Joe Biden" beside "Jill Biden", one
    key, leaves "Biden" as it is): a person's `norm` is the name a reader lists them under; the
    mention stays in `text`. Last of the document's steps: the ties read the names as written."""
    full: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in entities:
        if e.label == "PERSON" and e.entity_key and e.norm and len(e.norm.split()) > 1:
            full[(e.entity_key, e.lang)].add(e.norm)
    out = []
    for e in entities:
        names = full.get((e.entity_key, e.lang), ()) if e.label == "PERSON" and e.entity_key else ()
        if len(names) == 1 and e.norm and len(e.norm.split()) == 1:
            e = replace(e, norm=next(iter(names)))
        out.append(e)
    return out


def tie_surnames(entities: list[EntityRecord]) -> list[EntityRecord]:
    """A PERSON named by a surname alone in a document that gives no full name for it takes the key
    of the one full name with that surname among these documents (one batch of one dump: the same
    site and weeks), in the same language, and that name's most frequent norm; with two or more
    ("Yuri Vizbor", "Varvara Vizbor") it keeps the surname's key and norm."""
    full: dict[tuple[str, str], set[str]] = defaultdict(set)
    norms: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for e in entities:
        key = e.entity_key
        if e.label == "PERSON" and key and key.startswith("name:") and "." in key:
            full[(e.lang, key.rsplit(".", 1)[0])].add(key)
            if e.norm and len(e.norm.split()) > 1:
                norms[(e.lang, key)][e.norm] += 1
    out = []
    for e in entities:
        key = e.entity_key
        if e.label == "PERSON" and key and key.startswith("name:") and "." not in key:
            found = full.get((e.lang, key), ())
            if len(found) == 1:
                key = next(iter(found))
                e = replace(e, entity_key=key, norm=_most_frequent(norms.get((e.lang, key))) or e.norm)
        out.append(e)
    return out


def _most_frequent(counts: Counter | None) -> str | None:
    """The most frequent name, then the shortest, then the first in order (deterministic)."""
    return min(counts, key=lambda n: (-counts[n], len(n), n)) if counts else None


def _person_parts(e: EntityRecord) -> tuple[str, str] | None:
    """The sound of a PERSON mention's surname and its given name's initial (from its key)."""
    if e.label != "PERSON" or not e.entity_key or not e.entity_key.startswith("name:"):
        return None
    words = [w for w in fold_name(e.norm or e.text).split() if len(w) > 1]
    surname = sound_key(words[-1]).rstrip("a") or sound_key(words[-1]) if words else ""  # a case ending off
    return (surname, e.entity_key.rpartition(".")[2] if "." in e.entity_key else "") if surname else None


def tie_people(entities: list[EntityRecord]) -> list[EntityRecord]:
    """Within one document, the mentions of one person take one key: mentions whose surnames sound
    alike ("Обамы" beside "Обама", "Thomas Schäfer" beside "Томас Шефер") and whose given names
    agree, or that give none while one given name is there ("Trump" beside "Donald Trump"), take the
    key most of them have. Two given names with one surname are two people ("Donald Trump",
    "Ivanka Trump"): a surname alone then keeps its own key."""
    groups: dict[str, list[int]] = defaultdict(list)
    parts = [_person_parts(e) for e in entities]
    for i, p in enumerate(parts):
        if p:
            groups[p[0]].append(i)
    out = list(entities)
    for members in groups.values():
        initials = {parts[i][1] for i in members} - {""}
        for initial in sorted(initials) or [""]:
            chosen = [i for i in members if parts[i][1] == initial or (len(initials) == 1 and not parts[i][1])]
            counts = Counter(entities[i].entity_key for i in chosen)
            with_initial = [k for k in counts if not initial or k.endswith("." + initial)]
            key = min(with_initial, key=lambda k: (-counts[k], len(k), k))
            for i in chosen:
                out[i] = replace(out[i], entity_key=key)
            _one_norm(out, chosen)
    return out


MAX_ENDING_CHARS = 3  # a Russian case ending: "Десантис"/"Десантиса", "Оливейра"/"Оливейрой"


def _same_stem(a: str, b: str) -> bool:
    """Two forms of one word that differ only in a case ending."""
    n = len(os.path.commonprefix([a.lower(), b.lower()]))
    return n >= 3 and max(len(a), len(b)) - n <= MAX_ENDING_CHARS


def _one_norm(entities: list[EntityRecord], members: list[int]) -> None:
    """The Russian mentions of one person with the same number of words whose norms differ only in
    case endings (the normalizer left a foreign surname inflected: "Десантиса" beside "Десантис")
    take one norm: the shortest form (a nominative has no ending added), then the most frequent; a
    surname alone takes the form of the full name's surname."""
    by_words: dict[int, list[int]] = defaultdict(list)
    for i in members:
        e = entities[i]
        if e.lang == "ru" and e.norm:
            by_words[len(e.norm.split())].append(i)
    surnames = sorted({entities[i].norm.split()[-1] for n, g in by_words.items() if n > 1 for i in g})
    for i in by_words.get(1, []):  # "Десантиса" beside "Рон Десантис": the full name's surname
        found = [w for w in surnames if _same_stem(entities[i].norm, w)]
        if found:
            entities[i] = replace(entities[i], norm=min(found, key=lambda w: (len(w), w)))
    for group in by_words.values():
        norms = Counter(entities[i].norm for i in group)
        if len(norms) < 2:
            continue
        best = min(norms, key=lambda n: (len(n), -norms[n], n))
        if all(all(_same_stem(a, b) for a, b in zip(n.split(), best.split())) for n in norms):
            for i in group:
                entities[i] = replace(entities[i], norm=best)


def absolute_dates(e: EntityRecord, text: str, year: int | None, published: date | None = None) -> list[EntityRecord]:
    """A DATE mention with its ISO norm (a missing year is `year`): a range of days or years becomes
    its two ends, each a date ("27-28 сентября 2014 года" -> "27", "28 сентября 2014 года"). A mention
    that is no written date (a relative one, for `relative_dates`) keeps no norm. An English month or
    day without its year, in a document with its date, is placed by its clause's tense (`year_by_tense`)."""
    parsed = parse_date(e.text, e.lang, _before(text, e))
    if parsed is None:
        return [replace(e, norm=None, entity_key=None)]
    if published and e.lang == "en" and parsed.needs_year and parsed.month and parsed.weekday is None:
        year = year_by_tense(parsed.month, parsed.day, published, clause_tense(text, e.start, e.end))
    pieces = date_pieces(e.text, e.lang)
    if len(pieces) < 2:
        return [replace(e, norm=parsed.iso(year), entity_key=None)]
    (s1, e1, first), (s2, e2, last) = pieces
    first = replace(first, weekday=parsed.weekday)
    return [
        replace(e, text=e.text[a:b], start=e.start + a, end=e.start + b, norm=p.iso(year), entity_key=None)
        for a, b, p in ((s1, e1, first), (s2, e2, last))
    ]


def relative_dates(ents: list[EntityRecord], text: str, published, year: int | None) -> list[EntityRecord]:
    """Relative DATE mentions resolved: against the document's date (`published`, else its dateline,
    else the date its text states: `_stated_date`);
    a relative year against the document's own year (`own_year`); "в том же году" against the text's
    date before it.
    Without its anchor a relative date keeps no norm."""
    if not any(e.label == "DATE" and e.norm is None for e in ents):
        return ents
    anchor = published or dateline_date(text, ents) or _stated_date(ents, text)
    previous: str | None = None
    out = []
    for e in sorted(ents, key=lambda x: (x.start, x.end)):
        if e.label == "DATE" and e.norm is None:
            rel = parse_relative(e.text, e.lang)
            weekday = rel is not None and rel.weekday is not None and rel.offset == 0 and e.lang == "en"
            if weekday and clause_tense(text, e.start, e.end) == "future":  # "will meet Tuesday": the coming one
                rel = replace(rel, offset=1)
            if rel is not None:
                apposed = _apposed_day(e, rel, ents, text)
                norm = rel.iso(anchor, year, previous)
                e = replace(e, norm=apposed or norm)
            elif e.lang == "en":  # a season, week, quarter, holiday, the present: TimeML's value
                e = replace(e, norm=timeml_value(e.text, anchor, clause_tense(text, e.start, e.end)))
        if e.label == "DATE" and e.norm and _CALENDAR.fullmatch(e.norm):
            previous = e.norm
        out.append(e)
    return out


_CALENDAR = re.compile(r"\d{4}(?:-\d\d){0,2}")

# What may stand between a day of the week and the written date it is apposed to ("25 июля, в четверг,",
# "в субботу утром, 28 марта 2020 года", "Thursday morning, July 25").
_APPOSITION = re.compile(r"^\s*(?:(?:утром|днём|днем|вечером|ночью|morning|afternoon|evening|night)\s*)?,\s*$", re.I)


def _apposed_day(e: EntityRecord, rel, ents: list[EntityRecord], text: str) -> str | None:
    """The norm of the written day a day of the week is apposed to: a comma between them, and the
    date falls on that day ("25 июля, в четверг" of 2019: 2019-07-25), with or without the document's date."""
    if rel.weekday is None or rel.anaphoric:  # "вчера, 12 мая" may be two days: only a weekday checks itself
        return None
    for d in ents:
        if d is e or d.label != "DATE" or not d.norm or len(d.norm) != 10 or "/" in d.norm:
            continue
        gap = text[e.end : d.start] if d.start >= e.end else text[d.end : e.start]
        if len(gap) > 12 or not _APPOSITION.match(gap):
            continue
        if rel.weekday is not None and date.fromisoformat(d.norm).weekday() != rel.weekday:
            continue
        return d.norm
    return None


# A written day apposed to a day named relative to the text's date, the apposition closed after it:
# "умер вчера, 9 мая 2019 года, в возрасте", "yesterday, May 9." (not "вчера, 12 мая состоится ...").
_STATED_GAP = re.compile(r"^\s*,\s*$")
_STATED_END = re.compile(r"^\s*(?:[,.;:)—–]|$)")


def _stated_date(ents: list[EntityRecord], text: str) -> date | None:
    """The document's date as its text states it: a day named relative to it ("вчера", "сегодня",
    "два дня назад", "yesterday") apposed to a written day ("вчера, 9 мая 2019 года,") is that day, so the
    document is of the day after (of that day, two days after)."""
    for e in sorted(ents, key=lambda x: x.start):
        if e.label != "DATE" or e.norm is not None:
            continue
        rel = parse_relative(e.text, e.lang)
        if rel is None or rel.unit != "day" or rel.weekday is not None or rel.anaphoric:
            continue
        for d in ents:
            if d.label != "DATE" or d.start < e.end or not d.norm or not re.fullmatch(r"\d{4}-\d\d-\d\d", d.norm):
                continue
            if _STATED_GAP.match(text[e.end : d.start]) and _STATED_END.match(text[d.end : d.end + 3]):
                return date.fromisoformat(d.norm) - timedelta(days=rel.offset)
    return None


def tie_given_names(entities: list[EntityRecord]) -> list[EntityRecord]:
    """Within one document, a PERSON named by a given name alone ("Michael" after "Michael Jordan")
    takes the key of the one full name it begins, unless it is also someone's surname there."""
    full: dict[str, set[str]] = defaultdict(set)
    surnames: set[str] = set()
    alone: Counter = Counter(
        sound_key(fold_name(e.norm or e.text))
        for e in entities
        if e.label == "PERSON" and " " not in (e.norm or e.text)
    )
    counts: Counter = Counter(e.entity_key for e in entities if e.label == "PERSON")
    for e in entities:
        words = fold_name(e.norm or e.text).split()
        if e.label == "PERSON" and e.entity_key and len(words) > 1:
            if alone[sound_key(words[0])] > counts[e.entity_key] and alone[sound_key(words[-1])]:
                continue  # two names run together ("Акихито Нарухито"), each also named alone, more often
            full[sound_key(words[0])].add(e.entity_key)
            surnames.add(sound_key(words[-1]))
    out = []
    for e in entities:
        words = fold_name(e.norm or e.text).split()
        if e.label == "PERSON" and e.entity_key and len(words) == 1:
            key = sound_key(words[0])
            if key not in surnames and len(full.get(key, ())) == 1:
                e = replace(e, entity_key=next(iter(full[key])))
        out.append(e)
    return out


def tie_acronyms(entities: list[EntityRecord], text: str) -> list[EntityRecord]:
    """Within one document, an acronym written in parentheses after its expansion
    ("Organization of Turkic States (OTS)") takes the expansion's key, and so do its other mentions;
    when only the acronym is a known organization, the expansion takes the acronym's key. An
    acronym elsewhere in the document whose letters are the initials of exactly one of its
    organizations ("ФБК" and "Фонд борьбы с коррупцией") is tied to it the same way."""
    ordered = sorted(entities, key=lambda e: e.start)
    ties: dict[str, str] = {}

    def tie(exp: EntityRecord, acr: EntityRecord) -> None:
        known = exp.entity_key if not exp.entity_key.startswith("name:") else acr.entity_key
        ties[acr.entity_key] = ties[exp.entity_key] = known

    for exp, acr in zip(ordered, ordered[1:]):
        if exp.entity_key is None or acr.entity_key is None or exp.label != acr.label:
            continue
        if re.fullmatch(r"\s*\(\s*", text[exp.end : acr.start]) and is_acronym_of(acr.text, exp.norm or exp.text):
            tie(exp, acr)
    orgs = [e for e in ordered if e.label == "ORG" and e.entity_key]
    for acr in orgs:
        if acr.entity_key in ties or " " in acr.text or not acr.text.isupper():
            continue
        found = {
            e.entity_key: e
            for e in orgs
            if e.entity_key != acr.entity_key
            and len((e.norm or e.text).split()) > 1
            and is_acronym_of(acr.text, e.norm or e.text, strict=True)
        }
        if len(found) == 1:
            tie(next(iter(found.values())), acr)
    if not ties:
        return entities
    return [replace(e, entity_key=ties[e.entity_key]) if e.entity_key in ties else e for e in entities]


def entities_of_documents(
    documents: list[DocumentRecord],
    model_for: Callable[[str], object],
    gazetteer: Gazetteer,
    batch_size: int = 64,
    n_process: int = 1,
    keep_labels: frozenset[str] | None = None,
) -> list[EntityRecord]:
    """The whole entity stage: extract, one label per name, normalize and key."""
    entities = extract_entities(documents, model_for, batch_size, n_process, keep_labels)
    return normalize_entities(harmonize_labels(entities, gazetteer), documents, gazetteer)


# "ООН, 26 июля - РИА Новости." / "MOSCOW, July 26 (Reuters) -": a place, a date, a dash.
_DATELINE_MAX = 80


def dateline_date(text: str, entities: list[EntityRecord]) -> date | None:
    """The date of a dateline: a full DATE near the start, after a place and before a dash."""
    first = next((e for e in sorted(entities, key=lambda x: x.start) if e.label == "DATE"), None)
    if first is None or first.start >= _DATELINE_MAX:
        return None
    head, tail = text[: first.start], text[first.end : first.end + 40]
    if (
        first.norm
        and re.fullmatch(r"\d{4}-\d\d-\d\d", first.norm)
        and re.fullmatch(r"[^\n.!?]{2,60},\s*", head)
        and re.match(r"\s*(\([^)]{1,40}\)\s*)?[-–—]", tail)
    ):
        return date.fromisoformat(first.norm)
    return None


def assign_published(documents: list[DocumentRecord], entities: list[EntityRecord]) -> list[DocumentRecord]:
    """`published` from a dateline: a full DATE near the start, after a place and before a dash."""
    by_doc: dict[str, list[EntityRecord]] = {}
    for e in entities:
        if e.label == "DATE" and e.start < _DATELINE_MAX:
            by_doc.setdefault(e.doc_id, []).append(e)
    out = []
    for d in documents:
        if d.published is None and d.doc_id in by_doc:
            found = dateline_date(d.text, by_doc[d.doc_id])
            d = replace(d, published=found) if found else d
        out.append(d)
    return out
