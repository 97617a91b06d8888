"""Components of the Russian pipeline: Natasha's Slovnet NER, rule-based dates, organization extents and names
in the nominative."""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.nlp.components.shared import ENTITIES, entity_factory, set_ents
from pipeline.nlp.dates import find_russian_dates
from pipeline.nlp.morphology import is_common_word, morph_vocab
from pipeline.nlp.relative_dates import find_russian_relative_dates
from pipeline.nlp.russian_names import nominative


@lru_cache(maxsize=1)
def natasha_models():
    """Natasha's Slovnet NER (with its Navec embeddings) and morphology, shipped in the wheel (offline)."""
    from natasha import NewsEmbedding, NewsNERTagger

    from pipeline.nlp.slovnet_conv import use_fast_convolutions

    tagger = NewsNERTagger(NewsEmbedding())
    use_fast_convolutions(tagger.infer.model)
    return {"ner": tagger, "vocab": morph_vocab()}


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
        set_ents(doc, spans)
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
    assigns=ENTITIES,
)
def make_slovnet_ner(nlp: Language, name: str, labels: dict[str, str], batch_size: int) -> SlovnetNER:
    return SlovnetNER(labels, batch_size)


@entity_factory("russian_dates")
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
            set_ents(doc, spans)
        return doc

    return russian_dates


@Language.factory(
    "russian_name_normalizer",
    default_config={"labels": ["PERSON", "ORG", "LOC", "GPE"]},
    assigns=["doc._.norms"],
    requires=["doc.ents"],
)
def make_russian_name_normalizer(nlp: Language, name: str, labels: list[str]):
    """`doc._.norms`: names in the nominative ("Генеральной Ассамблеи" -> "Генеральная Ассамблея").

    Word morphology only (pipeline/nlp/russian_names.py), cached per name: no tagger runs.
    """
    wanted = set(labels)

    def normalize(doc: Doc) -> Doc:
        doc._.norms = {(e.start_char, e.end_char): nominative(e.text, e.label_) for e in doc.ents if e.label_ in wanted}
        return doc

    return normalize


@lru_cache(maxsize=100_000)
def _russian_cases(word: str) -> frozenset[str]:
    """Grammatical cases a Russian word form can have (empty for non-Russian words)."""
    return frozenset(p.tag.case for p in morph_vocab().parse(word) if p.tag.case)


def _with_adjectives(doc: Doc, i: int) -> int:
    """Where the adjectives before token `i` start ("Верхняя палата", "философский факультет")."""
    while i > 0 and doc[i - 1].is_alpha and not doc[i - 1].ent_type_ and _is_adjective(doc[i - 1].text):
        i -= 1
    return i


@lru_cache(maxsize=100_000)
def _is_adjective(word: str) -> bool:
    """A Russian word whose likeliest reading is an adjective ("философский", "русское"), not a
    pronoun declined like one ("которому", "этот", "наш")."""
    parses = morph_vocab().parse(word.lower())
    return bool(parses) and parses[0].tag.POS in ("ADJF", "PRTF") and "Apro" not in parses[0].tag


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


@entity_factory(
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
    subject_words: int,
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
    unit nouns (`unit_heads`), word stems, and `subject_words` (the most lower-case words of a subject)
    come from models/pipelines.toml.
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
            if ent.label_ == "ORG":  # a unit of it too ("Верхняя палата" + "парламента Японии")
                start = unit_start(ent)
                if start is not None and not (out and out[-1].end > start):
                    ent = Span(doc, start, ent.end, label="ORG", kb_id=ent.kb_id_)
            if ent.label_ == "ORG" and events and ent[-1].is_lower and ent[-1].lower_.startswith(events):
                i += 1  # an event ("Национальном съезде"), not the organization that holds it
                continue
            if ent.label_ == "ORG":
                ent = _without_event(doc, ent, events)
                limit = ents[i + 1].start if i + 1 < len(ents) else len(doc)
                ent = _with_subject(doc, ent, bodies, limit, subject_words)
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


@entity_factory("legal_forms", default_config={"forms": [], "labels": ["ORG"]})
def make_legal_forms(nlp: Language, name: str, forms: list[str], labels: list[str]):
    """An organization written with its legal form or a kind word and its name in quotation marks
    ("ООО УК «Металлоинвест»", "ЗАО «Медиа-Мост»", "медиахолдинг «Башинформ»") is the name inside
    the marks, as readers cite it; `forms` are the abbreviations of legal forms (models/pipelines.toml),
    kind words are the words the dictionary knows as common words (not names)."""
    known, wanted = set(forms), set(labels)

    def is_kind(token) -> bool:
        return token.text in known or (token.is_alpha and (token.is_lower or is_common_word(token.lower_)))

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


_ORDINAL = re.compile(r"^\d+-(?:й|го|я|ой|м|е|ая|ого)$")


@lru_cache(maxsize=100_000)
def _subject_word(word: str) -> str | None:
    """A word's likeliest part of speech when it can be part of a body's subject ("правам",
    "экономической", "и"); None for verbs, adverbs and the like."""
    parses = morph_vocab().parse(word.lower())
    pos = parses[0].tag.POS if parses else None
    return pos if pos in ("NOUN", "ADJF", "PRTF", "CONJ", "PREP") else None


def _without_event(doc: Doc, ent: Span, events: tuple[str, ...]) -> Span:
    """`ent` after a lower-case event noun inside it, when capitalized words follow it."""
    for t in ent[:-1]:
        if events and t.is_lower and t.lower_.startswith(events) and doc[t.i + 1].text[:1].isupper():
            return Span(doc, t.i + 1, ent.end, label=ent.label_, kb_id=ent.kb_id_)
    return ent


def _with_subject(doc: Doc, ent: Span, bodies: tuple[str, ...], limit: int, max_words: int) -> Span:
    """`ent` with "по" and the lower-case noun phrase after it (at most `max_words` lower-case words) when one
    of its words is a body noun."""
    if (
        not bodies
        or ent.end + 1 >= limit
        or doc[ent.end].lower_ != "по"
        or not any(t.lower_.startswith(bodies) for t in ent)
    ):
        return ent
    end, last_noun = ent.end + 1, None
    while end < limit and end - ent.end - 1 < max_words and doc[end].is_lower and doc[end].is_alpha:
        pos = _subject_word(doc[end].text)
        if pos is None:
            break
        if pos == "NOUN":
            last_noun = end
        end += 1
    if last_noun is None:
        return ent
    return Span(doc, ent.start, last_noun + 1, label=ent.label_, kb_id=ent.kb_id_)
