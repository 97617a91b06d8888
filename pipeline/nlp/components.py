"""spaCy pipeline components, one job each, registered with `@Language.factory`.

Both languages end in the same kind of `Doc`: `doc.ents` labelled PERSON / ORG / GPE / LOC /
DATE, and `doc._.norms` mapping an entity's character span to its normalized (nominative) form.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.nlp.dates import find_russian_dates, parse_date
from pipeline.nlp.keys import is_acronym_of, skeleton
from pipeline.nlp.name_words import ORG_WORDS, singular
from pipeline.nlp.relative_dates import find_russian_relative_dates, parse_relative
from pipeline.nlp.russian_names import morph_vocab, nominative

if not Doc.has_extension("norms"):
    Doc.set_extension("norms", default=None)

DETERMINERS = ("the", "a", "an")


@lru_cache(maxsize=1)
def natasha_models():
    """Natasha's Slovnet NER (with its Navec embeddings) and morphology, shipped in the wheel (offline)."""
    from natasha import NewsEmbedding, NewsNERTagger

    from pipeline.nlp.slovnet_conv import use_fast_convolutions

    tagger = NewsNERTagger(NewsEmbedding())
    use_fast_convolutions(tagger.infer.model)
    return {"ner": tagger, "vocab": morph_vocab()}


def _set_ents(doc: Doc, spans: list[Span]) -> None:
    doc.ents = filter_spans(list(doc.ents) + spans)


class SlovnetNER:
    """Natasha's Slovnet NER as a spaCy component: sets `doc.ents` (PER, ORG, LOC mapped)."""

    def __init__(self, labels: dict[str, str], batch_size: int):
        self.labels = labels
        self.batch_size = batch_size

    def _apply(self, doc: Doc, markup) -> Doc:
        spans = []
        for s in markup.spans:
            label = self.labels.get(s.type)
            span = doc.char_span(s.start, s.stop, label=label, alignment_mode="expand") if label else None
            if span is not None:
                spans.append(span)
        _set_ents(doc, spans)
        return doc

    def __call__(self, doc: Doc) -> Doc:
        return self._apply(doc, natasha_models()["ner"](doc.text))

    def pipe(self, docs, batch_size: int | None = None):
        tagger = natasha_models()["ner"]
        batch: list[Doc] = []
        size = batch_size or self.batch_size
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self._flush(tagger, batch)
                batch = []
        yield from self._flush(tagger, batch)

    def _flush(self, tagger, batch: list[Doc]):
        """Tag a batch in order of length: Slovnet pads each group of 8 texts to its longest, so
        neighbours of similar length waste no work (same spans; 30% less time on news)."""
        order = sorted(range(len(batch)), key=lambda i: len(batch[i].text))
        markups: list = [None] * len(batch)
        for i, markup in zip(order, tagger.map([batch[i].text for i in order])):
            markups[i] = markup
        for doc, markup in zip(batch, markups):
            yield self._apply(doc, markup)


@Language.factory(
    "slovnet_ner",
    default_config={"labels": {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC"}, "batch_size": 32},
)
def make_slovnet_ner(nlp: Language, name: str, labels: dict[str, str], batch_size: int) -> SlovnetNER:
    return SlovnetNER(labels, batch_size)


@Language.factory("russian_dates")
def make_russian_dates(nlp: Language, name: str):
    """DATE entities for Russian date expressions, where no other entity stands."""

    def russian_dates(doc: Doc) -> Doc:
        spans: list[Span] = []
        for start, end, _ in find_russian_dates(doc.text) + find_russian_relative_dates(doc.text):
            span = doc.char_span(start, end, label="DATE", alignment_mode="expand")
            if (
                span is not None
                and not any(t.ent_type for t in span)
                and not any(span.start < s.end and s.start < span.end for s in spans)
            ):
                spans.append(span)
        if spans:
            _set_ents(doc, spans)
        return doc

    return russian_dates


@Language.factory("calendar_dates")
def make_calendar_dates(nlp: Language, name: str):
    """Only the DATE entities that name a date, written or relative ("July 26", "last Tuesday"):
    durations ("three weeks", "24-year-old") and other spans of time ("recent years") are dropped."""

    def calendar_dates(doc: Doc) -> Doc:
        lang = nlp.lang
        ents = [
            e
            for e in doc.ents
            if e.label_ != "DATE" or parse_date(e.text, lang) is not None or parse_relative(e.text, lang) is not None
        ]
        if len(ents) != len(doc.ents):
            doc.ents = ents
        return doc

    return calendar_dates


@Language.factory("strip_determiners", default_config={"determiners": list(DETERMINERS)})
def make_strip_determiners(nlp: Language, name: str, determiners: list[str]):
    """Entity spans without a leading determiner or a trailing possessive ("the UN's" -> "UN")."""
    dets = {d.lower() for d in determiners}

    def strip_determiners(doc: Doc) -> Doc:
        ents = []
        for ent in doc.ents:
            start, end = ent.start, ent.end
            while start < end - 1 and doc[start].lower_ in dets:
                start += 1
            while end - 1 > start and doc[end - 1].text in ("'s", "’s", "'"):
                end -= 1
            ents.append(Span(doc, start, end, label=ent.label_) if (start, end) != (ent.start, ent.end) else ent)
        doc.ents = ents
        return doc

    return strip_determiners


MAX_PARTICLE_CHARS = 3  # "de", "von", "bin", "ибн": lower-case words that are part of a name


@Language.factory("classifier_names", default_config={"before": [], "after": [], "label": "ORG", "max_words": 5})
def make_classifier_names(nlp: Language, name: str, before: list[str], after: list[str], label: str, max_words: int):
    """A name right after a common noun that says what kind of body it is ("the news agency Tanjug",
    "carmaker Toyota", "the group Human Rights in China") or right before one ("Zycie Warszawy
    daily") is an organization: the model's other label (PERSON, GPE...) or none gives way.
    `before` and `after` are the nouns (a noun ending in "maker" counts too); gazetteer names stay."""
    pre, post = {w.lower() for w in before}, {w.lower() for w in after}
    joins = {"of", "in", "for", "and", "de", "&"}

    def is_classifier(token, nouns: set[str]) -> bool:
        return token.is_lower and (token.lower_ in nouns or (nouns is pre and token.lower_.endswith("maker")))

    def name_after(doc: Doc, i: int) -> int:
        """End of the capitalized name starting at token i (i when there is none)."""
        end, j = i, i
        while j < len(doc) and j - i < max_words and (_is_name_start(doc[j]) or (j > i and doc[j].lower_ in joins)):
            j += 1
            if _is_name_start(doc[j - 1]):
                end = j
        return end

    def name_before(doc: Doc, i: int) -> int:
        start = i
        while start > 0 and i - start < max_words and _is_name_start(doc[start - 1]):
            if doc[start - 1].lower_ in ("the", "a", "an"):
                break
            start -= 1
        return start

    def classifier_names(doc: Doc) -> Doc:
        spans = []
        for t in doc:
            if is_classifier(t, pre) and t.i + 1 < len(doc):
                end = name_after(doc, t.i + 1)
                if end > t.i + 1:
                    spans.append((t.i + 1, end))
            if is_classifier(t, post) and t.i > 0:
                start = name_before(doc, t.i)
                if start < t.i:
                    spans.append((start, t.i))
        if not spans:
            return doc
        ents = list(doc.ents)
        for start, end in spans:
            hit = [e for e in ents if e.start < end and start < e.end]
            if any(e.ent_id_ or e.label_ == label or e.label_ == "DATE" for e in hit):
                continue
            if all(start <= e.start and e.end <= end for e in hit):  # the name, or pieces of it
                ents = [e for e in ents if e not in hit] + [Span(doc, start, end, label=label)]
        doc.ents = sorted(ents, key=lambda e: e.start)
        return doc

    return classifier_names


@Language.factory("person_name_start", default_config={"labels": ["PERSON"], "common_nouns": False})
def make_person_name_start(nlp: Language, name: str, labels: list[str], common_nouns: bool):
    """A person's name starts with a capital: the lower-case words a model puts before it are a
    description ("премьер-министр Никол Пашинян") and leave the span; short particles ("de Gaulle",
    "фон дер Ляйен") stay. With `common_nouns` (Russian), so does a word the dictionary knows only as
    a common word, capitalized as a sentence's first before a name of two words or more
    ("Врач-сомнолог София Черкасова")."""
    wanted = set(labels)

    def common(token) -> bool:
        parts = [p for p in token.lower_.split("-") if p]
        return common_nouns and bool(parts) and all(_common_word(p) for p in parts)

    def sentence_start(doc: Doc, i: int) -> bool:
        return i == 0 or doc[i - 1].text in (".", "!", "?", "…") or "\n" in doc[i - 1].text_with_ws

    def lower_case(token) -> bool:
        return token.is_punct or (token.text[:1].islower() and len(token) > MAX_PARTICLE_CHARS)

    def person_name_start(doc: Doc) -> Doc:
        ents = []
        for ent in doc.ents:
            start = ent.start
            if ent.label_ in wanted and not ent.ent_id_:
                while start < ent.end - 1 and lower_case(doc[start]):
                    start += 1
                # a common word capitalized as a sentence's first, before a full name ("Тору Камикава",
                # "Франк Де Блекере" keep their given names: no sentence starts there)
                if ent.end - start > 2 and start == ent.start and sentence_start(doc, start) and common(doc[start]):
                    start += 1
                    while start < ent.end - 1 and (lower_case(doc[start]) or doc[start - 1].text == "-"):
                        start += 1  # the rest of a hyphenated word: "Врач" "-" "сомнолог"
                if not doc[start].text[:1].isupper():
                    start = ent.start  # no name word left to start the name: the model's span stays
            ents.append(Span(doc, start, ent.end, label=ent.label_) if start != ent.start else ent)
        doc.ents = ents
        return doc

    return person_name_start


@Language.factory("russian_name_normalizer", default_config={"labels": ["PERSON", "ORG", "LOC", "GPE"]})
def make_russian_name_normalizer(nlp: Language, name: str, labels: list[str]):
    """`doc._.norms`: names in the nominative ("Генеральной Ассамблеи" -> "Генеральная Ассамблея").

    Word morphology only (pipeline/nlp/russian_names.py), cached per name: no tagger runs.
    """
    wanted = set(labels)

    def normalize(doc: Doc) -> Doc:
        doc._.norms = {(e.start_char, e.end_char): nominative(e.text, e.label_) for e in doc.ents if e.label_ in wanted}
        return doc

    return normalize


SPLIT_TOKENS = ("(", ")", "[", "]", "•", "·", "|", ";", ",", ":", "/", "—", "–")
EDGE_TOKENS = SPLIT_TOKENS + (".", "-", '"', "'", "«", "»", "“", "”", "„")


def _is_separator(token, split: set[str], split_numbers: bool) -> bool:
    if token.text in split or token.is_space or "\n" in token.whitespace_:
        return True
    if token.text in ("-", "–") and token.i > 0 and token.whitespace_ and token.nbor(-1).whitespace_:
        return True  # a spaced dash ("Romania - Cosmin Contra"), not a hyphen inside a name
    return split_numbers and any(c.isdigit() for c in token.text) and not any(c.isalpha() for c in token.text)


def _pieces(
    doc: Doc, ent: Span, split: set[str], edges: set[str], split_numbers: bool = False, require_capital: bool = False
) -> list[Span]:
    """Parts of `ent` between separator tokens, without separators at their edges."""
    out, start = [], ent.start
    for i in range(ent.start, ent.end + 1):
        if i == ent.end or _is_separator(doc[i], split, split_numbers):
            s, e = start, i
            while s < e and doc[s].text in edges and doc[s].text not in ("«", "“", "„"):
                s += 1
            while (
                e > s
                and doc[e - 1].text in edges
                and doc[e - 1].text not in ("»", "”")
                and not (doc[e - 1].text == "." and e - 1 > s and len(doc[e - 2].text) <= 2)
            ):
                e -= 1
            while require_capital and e - s > 1 and doc[s].is_lower and doc[s].text.endswith("."):
                s += 1  # a unit or abbreviation before a sentence ("m/s. Atmospheric")
            if (
                e > s
                and any(t.is_alpha or t.is_digit for t in doc[s:e])
                and (not require_capital or any(c.isupper() for c in doc[s:e].text))
            ):
                out.append(Span(doc, s, e, label=ent.label_, kb_id=ent.kb_id_))
            start = i + 1
    return out


@Language.factory(
    "split_entities",
    default_config={
        "separators": list(SPLIT_TOKENS),
        "edges": list(EDGE_TOKENS),
        "split_numbers": False,
        "require_capital": False,
        "labels": ["PERSON", "PER", "ORG", "GPE", "LOC", "NORP"],
    },
)
def make_split_entities(
    nlp: Language,
    name: str,
    separators: list[str],
    edges: list[str],
    split_numbers: bool,
    require_capital: bool,
    labels: list[str],
):
    """Name spans split at separators ("Ши Тао (Shi Tao)" -> two names; with `split_numbers`,
    "Pohang 3 Ulsan 2" -> two names) and trimmed of edge punctuation and `edges` words ("Service of").
    With `require_capital`, a name without a capital letter ("degrees") is dropped."""
    split, edge, names = set(separators), set(edges), set(labels)

    def split_entities(doc: Doc) -> Doc:
        ents: list[Span] = []
        for ent in doc.ents:
            if require_capital and ent.label_ in names and not any(c.isupper() for c in ent.text):
                continue
            if ent.label_ in names and (
                any(t.text in edge for t in (ent[0], ent[-1]))
                or any(_is_separator(t, split, split_numbers) for t in ent)
            ):
                ents.extend(_pieces(doc, ent, split, edge, split_numbers, require_capital))
            else:
                ents.append(ent)
        doc.ents = filter_spans(ents)
        return doc

    return split_entities


@lru_cache(maxsize=100_000)
def _russian_cases(word: str) -> frozenset[str]:
    """Grammatical cases a Russian word form can have (empty for non-Russian words)."""
    return frozenset(p.tag.case for p in natasha_models()["vocab"].parse(word) if p.tag.case)


@lru_cache(maxsize=100_000)
def _common_word(word: str) -> bool:
    """A Russian word the dictionary knows, in no reading a name or a place ("медиахолдинг", "офис")."""
    vocab = natasha_models()["vocab"]
    parses = vocab.parse(word)
    if not parses or not re.search("[а-яё]", word) or not vocab.word_is_known(word):
        return False
    return not any(g in p.tag for p in parses for g in ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad"))


def _with_adjectives(doc: Doc, i: int) -> int:
    """Where the adjectives before token `i` start ("Верхняя палата", "философский факультет")."""
    while i > 0 and doc[i - 1].is_alpha and not doc[i - 1].ent_type_ and _is_adjective(doc[i - 1].text):
        i -= 1
    return i


@lru_cache(maxsize=100_000)
def _is_adjective(word: str) -> bool:
    """A Russian word whose likeliest reading is an adjective ("философский", "русское")."""
    parses = natasha_models()["vocab"].parse(word.lower())
    return bool(parses) and parses[0].tag.POS in ("ADJF", "PRTF")


def _genitive(span: Span) -> bool:
    first = span[0].text
    return first.isupper() or "gent" in _russian_cases(first) or "gen2" in _russian_cases(first)


def _close_quote(doc: Doc, ent: Span) -> Span:
    """Extend a span that opens a quotation mark up to the closing one (one token away at most)."""
    opened = sum(t.text in ("«", "„") for t in ent) - sum(t.text in ("»", "“") for t in ent)
    end = ent.end
    if opened > 0 and end < len(doc) and doc[end].text in ("»", "“", "”"):
        end += 1
    return ent if end == ent.end else Span(doc, ent.start, end, label=ent.label_, kb_id=ent.kb_id_)


@Language.factory(
    "russian_org_extents",
    default_config={
        "heads": [],
        "person_heads": [],
        "unit_heads": [],
        "subject_heads": [],
        "event_heads": [],
        "attach": ["ORG", "LOC"],
    },
)
def make_russian_org_extents(
    nlp: Language,
    name: str,
    heads: list[str],
    person_heads: list[str],
    unit_heads: list[str],
    subject_heads: list[str],
    event_heads: list[str],
    attach: list[str],
):
    """Russian organization extents as factRuEval and analysts read them.

    An ORG followed by a place or organization in the genitive takes it in ("Совета муфтиев" +
    "России"), and so does one followed by "по" and a place, its region ("ГУ МВД России по
    Нижегородской области"); a place governed by a body noun becomes that body ("правительства" +
    "Китая"), and so does a person governed by a body he leads (`person_heads`: "правительство" +
    "Медведева"); an ordinal before an organization is part of it ("1-го Украинского фронта"); an
    organization followed by another in quotation marks in the genitive takes it in ("совета
    «Единой России»"); an event is no organization, nor part of the one that holds it
    (`event_heads`: "Национальном съезде" + "Демократической партии"). A body named with one of
    `subject_heads` takes the subject it is named for
    ("Европейского суда" + "по правам человека", "комитета ... по экономической политике").
    A unit of an organization named by it in the genitive is an organization too ("пресс-служба" +
    "МВД", "секретариат" + "МАГАТЭ", "философский факультет" + "МГУ"). Body nouns (`heads`) and
    unit nouns (`unit_heads`), word stems, come from models/pipelines.toml.
    """
    stems = tuple(h.lower() for h in heads)
    led = tuple(h.lower() for h in person_heads)
    units = tuple(h.lower() for h in unit_heads)
    bodies = tuple(h.lower() for h in subject_heads)
    events = tuple(h.lower() for h in event_heads)
    attachable = set(attach)

    def is_head(token) -> bool:
        return token.is_alpha and token.lower_.startswith(stems)

    def unit_start(ent: Span) -> int | None:
        """Where the unit noun before an ORG starts (with the adjectives before it), if there is one."""
        if ent.start < 1 or not units or not _genitive(ent):
            return None
        i = compound_start(ent.doc, ent.start - 1)
        word = ent.doc[i : ent.start].text.lower()
        stems = [u for u in units if word.startswith(u) and ("-" in u) == ("-" in word)]  # not "штаб-квартира"
        if not stems or any(t.ent_type_ for t in ent.doc[i : ent.start]):
            return None
        return _with_adjectives(ent.doc, i)

    def compound_start(doc: Doc, i: int) -> int:
        """The first token of a hyphenated word ending at token `i` ("Пресс" "-" "служба")."""
        return i - 2 if i >= 2 and doc[i - 1].text == "-" and not doc[i - 1].whitespace_ and doc[i - 2].is_alpha else i

    def org_extents(doc: Doc) -> Doc:
        ents = [_close_quote(doc, e) for e in doc.ents]
        out: list[Span] = []
        i = 0
        while i < len(ents):
            ent = ents[i]
            governed = ent.label_ == "LOC" or (
                ent.label_ == "PERSON" and doc[max(0, ent.start - 1)].lower_.startswith(led)
            )
            if governed and ent.start > 0 and is_head(doc[ent.start - 1]) and _genitive(ent):
                start = _with_adjectives(doc, ent.start - 1)  # "(переходного) правительства Мали"
                if not (out and out[-1].end > start):
                    ent = Span(doc, start, ent.end, label="ORG")
            elif ent.label_ == "ORG":
                start = unit_start(ent)
                if start is not None and not (out and out[-1].end > start):
                    ent = Span(doc, start, ent.end, label="ORG", kb_id=ent.kb_id_)
            if ent.label_ == "ORG" and events and ent[-1].is_lower and ent[-1].lower_.startswith(events):
                i += 1  # an event ("Национальном съезде"), not the organization that holds it
                continue
            if ent.label_ == "ORG":
                ent = _without_event(doc, ent, events)
                ent = _with_subject(doc, ent, bodies, ents[i + 1].start if i + 1 < len(ents) else len(doc))
                if ent.start > 0 and _ORDINAL.match(doc[ent.start - 1].text) and not (out and out[-1].end >= ent.start):
                    ent = Span(doc, ent.start - 1, ent.end, label="ORG", kb_id=ent.kb_id_)  # "1-го Украинского фронта"
            while ent.label_ == "ORG" and i + 1 < len(ents):
                nxt = ents[i + 1]
                adjacent = nxt.start == ent.end and nxt.label_ in attachable and _genitive(nxt)
                # a body's region: "ГУ МВД России" + "по" + "Нижегородской области"
                region = nxt.start == ent.end + 1 and doc[ent.end].lower_ == "по" and nxt.label_ == "LOC"
                # an organization's body named in quotation marks: "совета" + "«" + "Единой России" + "»"
                quoted = (
                    any(t.lower_.startswith(bodies + units) for t in ent)  # a council, a board
                    and nxt.start == ent.end + 1
                    and doc[ent.end].text in ("«", '"', "„")
                    and nxt.label_ == "ORG"
                    and _genitive(nxt)
                    and nxt.end < len(doc)
                    and doc[nxt.end].text in ("»", '"', "“")
                )
                if not (adjacent or region or quoted):
                    break
                i += 1
                ent = Span(doc, ent.start, nxt.end + (1 if quoted else 0), label="ORG", kb_id=ent.kb_id_)
            out.append(ent)
            i += 1
        doc.ents = filter_spans(out)
        return doc

    return org_extents


@Language.factory("legal_forms", default_config={"forms": [], "labels": ["ORG"]})
def make_legal_forms(nlp: Language, name: str, forms: list[str], labels: list[str]):
    """An organization written with its legal form or a kind word and its name in quotation marks
    ("ООО УК «Металлоинвест»", "ЗАО «Медиа-Мост»", "медиахолдинг «Башинформ»") is the name inside
    the marks, as readers cite it; `forms` are the abbreviations of legal forms (models/pipelines.toml),
    kind words are the words the dictionary knows as common words (not names)."""
    known, wanted = set(forms), set(labels)

    def is_kind(token) -> bool:
        return token.text in known or (token.is_alpha and (token.is_lower or _common_word(token.lower_)))

    def legal_forms(doc: Doc) -> Doc:
        ents = []
        for e in doc.ents:
            if e.label_ in wanted and len(e) > 3 and is_kind(e[0]):
                opening = next((t.i for t in e if t.text in ("«", '"', "“", "„")), None)
                closing = e.end - 1 if e[-1].text in ("»", '"', "”", "“") else None
                if opening is not None and closing is not None and closing - opening > 1:
                    prefix = doc[e.start : opening]
                    if all(t.text in known or (t.is_upper and e[0].text in known) or is_kind(t) for t in prefix):
                        e = Span(doc, opening + 1, closing, label=e.label_, kb_id=e.kb_id_)
            ents.append(e)
        doc.ents = ents
        return doc

    return legal_forms


SUBJECT_WORDS = 6  # at most this many lower-case words after "по"
_ORDINAL = re.compile(r"^\d+-(?:й|го|я|ой|м|е|ая|ого)$")


@lru_cache(maxsize=100_000)
def _subject_word(word: str) -> str | None:
    """A word's likeliest part of speech when it can be part of a body's subject ("правам",
    "экономической", "и"); None for verbs, adverbs and the like."""
    parses = natasha_models()["vocab"].parse(word.lower())
    pos = parses[0].tag.POS if parses else None
    return pos if pos in ("NOUN", "ADJF", "PRTF", "CONJ", "PREP") else None


def _without_event(doc: Doc, ent: Span, events: tuple[str, ...]) -> Span:
    """`ent` after a lower-case event noun inside it, when capitalized words follow it."""
    for t in ent[:-1]:
        if events and t.is_lower and t.lower_.startswith(events) and doc[t.i + 1].text[:1].isupper():
            return Span(doc, t.i + 1, ent.end, label=ent.label_, kb_id=ent.kb_id_)
    return ent


def _with_subject(doc: Doc, ent: Span, bodies: tuple[str, ...], limit: int) -> Span:
    """`ent` with "по" and the lower-case noun phrase after it when one of its words is a body noun."""
    if (
        not bodies
        or ent.end + 1 >= limit
        or doc[ent.end].lower_ != "по"
        or not any(t.lower_.startswith(bodies) for t in ent)
    ):
        return ent
    end, last_noun = ent.end + 1, None
    while end < limit and end - ent.end - 1 < SUBJECT_WORDS and doc[end].is_lower and doc[end].is_alpha:
        pos = _subject_word(doc[end].text)
        if pos is None:
            break
        if pos == "NOUN":
            last_noun = end
        end += 1
    if last_noun is None:
        return ent
    return Span(doc, ent.start, last_noun + 1, label=ent.label_, kb_id=ent.kb_id_)


def _is_name_start(token) -> bool:
    return token.text[:1].isupper() and len(token.text) > 1


def _acronym_after(doc: Doc, ent: Span) -> Span | None:
    """The acronym in parentheses right after `ent` that abbreviates it ("... Organization (CSTO)")."""
    i = ent.end
    if i + 2 < len(doc) and doc[i].text == "(" and doc[i + 2].text == ")" and is_acronym_of(doc[i + 1].text, ent.text):
        return doc[i + 1 : i + 2]
    return None


@Language.factory(
    "document_names",
    default_config={"labels": ["PERSON", "ORG", "GPE", "LOC", "NORP"], "propagate": True, "max_words": 6},
)
def make_document_names(nlp: Language, name: str, labels: list[str], propagate: bool, max_words: int):
    """One label for one name within a document, and names found once tagged wherever they recur.

    The majority label of a name wins (ties: its first label); the first or last word of a
    PERSON's name, alone, is that PERSON, not an ORG, and the first word of an ORG's name, alone, that
    ORG, not a PERSON; an acronym in parentheses after its expansion takes the expansion's label (and
    is an entity when no model found it). With `propagate`, other occurrences of a known name that no entity
    covers become entities too.
    """
    wanted = set(labels)

    def document_names(doc: Doc) -> Doc:
        ents = list(doc.ents)
        votes: dict[str, Counter] = defaultdict(Counter)
        for e in ents:
            if e.label_ in wanted:
                votes[e.text][e.label_] += 1
        best = {text: max(c, key=lambda lab: c[lab]) for text, c in votes.items()}
        if "PERSON" in wanted:  # "Wang" beside "Wang Donghai", "Trump" beside "Donald Trump": the person
            listed = {e.text for e in ents if e.ent_id_}  # a gazetteer name keeps its label
            for e in ents:
                if e.label_ == "PERSON" and len(e) > 1:
                    for word in (e[0], e[-1]):
                        if best.get(word.text) == "ORG" and _is_name_start(word) and word.text not in listed:
                            best[word.text] = "PERSON"
        if "ORG" in wanted:  # "Magna" beside "Magna International Inc": the organization's short name
            people = {w.text for e in ents if e.label_ == "PERSON" and len(e) > 1 for w in (e[0], e[-1])}
            for e in ents:
                first = e[0].text
                if e.label_ == "ORG" and len(e) > 1 and best.get(first) == "PERSON" and first not in people:
                    best[first] = "ORG"
        acronyms, found = {}, []
        covered = {i for e in ents for i in range(e.start, e.end)}
        for e in ents:
            acr = _acronym_after(doc, e) if e.label_ in wanted else None
            if acr is not None:
                acronyms[acr.text] = best[e.text]
                if acr.start not in covered:  # "Kurdistan Democratic Party (KDP)": KDP is a name too
                    found.append(Span(doc, acr.start, acr.end, label=best[e.text]))
        best.update(acronyms)
        out = []
        for e in ents:
            label = best.get(e.text, e.label_) if e.label_ in wanted or e.text in acronyms else e.label_
            out.append(e if label == e.label_ else Span(doc, e.start, e.end, label=label, kb_id=e.kb_id_))
        out = sorted(out + found, key=lambda e: e.start)
        if propagate:
            out = filter_spans(out + _recurring(doc, out, best, wanted, max_words))
        doc.ents = out
        return doc

    return document_names


def _recurring(doc: Doc, ents: list[Span], best: dict[str, str], wanted: set[str], max_words: int) -> list[Span]:
    names: dict[tuple[str, ...], str] = {}
    for e in ents:
        if e.label_ == "PERSON" and len(e) > 1 and _is_name_start(e[-1]):
            names.setdefault((e[-1].text,), "PERSON")
    for e in ents:
        if e.label_ in wanted and len(e) <= max_words and _is_name_start(e[0]):
            names[tuple(t.text for t in e)] = best.get(e.text, e.label_)
    if not names:
        return []
    covered = {i for e in ents for i in range(e.start, e.end)}
    lengths: dict[str, list[int]] = defaultdict(list)  # a name's first word -> its lengths, longest first
    for key in sorted(names, key=len, reverse=True):
        if len(key) not in lengths[key[0]]:
            lengths[key[0]].append(len(key))
    words = [doc.vocab.strings[h] for h in doc.to_array("ORTH").tolist()]  # no Token object per word
    found, i = [], 0
    while i < len(words):
        for n in lengths.get(words[i], ()):
            key = tuple(words[i : i + n])
            if key in names and not any(j in covered for j in range(i, i + n)):
                found.append(Span(doc, i, i + n, label=names[key]))
                i += n
                break
        else:
            i += 1
    return found


@lru_cache(maxsize=8)
def _word_list(path: str) -> tuple[str, ...]:
    """The words of a list file in models/ (one a line, `#` comments); none for no file."""
    if not path:
        return ()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=4)
def _given_name_keys(path: str) -> frozenset[str]:
    return frozenset(skeleton(w) for w in _word_list(path))


@Language.factory(
    "given_name_persons",
    default_config={"names_file": "", "labels": ["ORG"], "org_words": list(ORG_WORDS)},
)
def make_given_name_persons(nlp: Language, name: str, names_file: str, labels: list[str], org_words: list[str]):
    """A two- or three-word name led by a known given name is a PERSON ("Tatyana Krasilnikova", which
    the English model reads as an ORG); names ending in an organization word are left alone."""
    wanted, org = set(labels), {w.lower() for w in org_words}

    def given_name_persons(doc: Doc) -> Doc:
        keys = _given_name_keys(names_file)
        ents = []
        for e in doc.ents:
            if (
                e.label_ in wanted
                and 2 <= len(e) <= 3
                and all(t.is_title and t.is_alpha for t in e)
                and e[-1].lower_ not in org
                and skeleton(e[0].text) in keys
            ):
                e = Span(doc, e.start, e.end, label="PERSON")
            ents.append(e)
        doc.ents = ents
        return doc

    return given_name_persons


@Language.factory(
    "head_word_labels",
    default_config={"heads": {}, "labels": ["PERSON", "ORG", "GPE", "LOC", "NORP"], "directions": []},
)
def make_head_word_labels(nlp: Language, name: str, heads: dict[str, str], labels: list[str], directions: list[str]):
    """A multi-word name takes the label its last word implies ("Khabarovsk Krai" is a place,
    "Renaissance Capital Bank" an organization), whatever the model said; `heads` maps words to labels.
    A head after nothing but a compass word is a geographic name, left as the model read it ("West
    Bank": a river bank, not a bank)."""
    by_word, wanted = {w.lower(): lab for w, lab in heads.items()}, set(labels)
    compass = {d.lower() for d in directions}

    def head_word_labels(doc: Doc) -> Doc:
        ents = []
        for e in doc.ents:
            label = by_word.get(e[-1].lower_) if len(e) > 1 and e.label_ in wanted else None
            if label and all(t.lower_ in compass for t in e[:-1]):
                label = None
            ents.append(Span(doc, e.start, e.end, label=label, kb_id=e.kb_id_) if label and label != e.label_ else e)
        doc.ents = ents
        return doc

    return head_word_labels


@Language.factory(
    "non_names",
    default_config={
        "labels": ["PERSON", "ORG"],
        "names_file": "",
        "titles": [],
        "lower_case": True,
        "common_nouns": False,
    },
)
def make_non_names(
    nlp: Language,
    name: str,
    labels: list[str],
    names_file: str,
    titles: list[str],
    lower_case: bool,
    common_nouns: bool,
):
    """Drop PERSON/ORG spans that are not names: with `lower_case`, a one-word name the same
    document also writes in lower case ("Warships under the flag" beside "warships"; Russian
    capitalizes a body's first word, "Правительство", and writes it in lower case elsewhere, so
    its pipeline leaves this out), a term listed in `names_file` (what the model takes for a name:
    "COVID-19", "СМИ"), and the one-word end of a post title in `titles` ("Secretary of State",
    "Secretary of the Treasury"). With `common_nouns` (Russian), a one-word PERSON that the dictionary
    knows only as a common word and that ends no longer name of the document ("Превосходительство",
    an honorific) is no person. Gazetteer matches (which carry an id) stay."""
    wanted, posts = set(labels), {t.lower() for t in titles}
    listed = {w.lower() for w in _word_list(names_file)}

    def is_title_end(e: Span) -> bool:
        before = [t.lower_ for t in e.doc[max(0, e.start - 3) : e.start]]
        if before[-1:] == ["the"]:
            before.pop()
        return len(before) >= 2 and before[-1] == "of" and before[-2] in posts

    def non_names(doc: Doc) -> Doc:
        lower: set[str] | None = None  # the document's lower-case words, read once when needed
        surnames = {e[-1].lower_ for e in doc.ents if e.label_ == "PERSON" and len(e) > 1} if common_nouns else set()
        keep = []
        for e in doc.ents:
            if e.label_ in wanted and not e.ent_id_:
                if e.text.lower() in listed:
                    continue
                if (
                    common_nouns
                    and e.label_ == "PERSON"
                    and len(e) == 1
                    and e[0].lower_ not in surnames
                    and _common_word(e[0].lower_)
                ):
                    continue
                if lower_case and len(e) == 1 and e[0].is_title:
                    if lower is None:
                        lower = {singular(t.text) for t in doc if t.is_lower and t.is_alpha}
                    if singular(e[0].lower_) in lower or is_title_end(e):
                        continue
            keep.append(e)
        doc.ents = keep
        return doc

    return non_names
