"""Components both languages' pipelines use: name spans split, trimmed and relabelled within a document."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.nlp.keys import is_acronym_of
from pipeline.nlp.morphology import is_common_word
from pipeline.nlp.name_words import singular

if not Doc.has_extension("norms"):
    Doc.set_extension("norms", default=None)
# Names that their context shows to be organizations ("carmaker Toyota"), whatever the label of their
# other mentions: set by the components that read such a context (`classifier_names`).
if not Doc.has_extension("organizations"):
    Doc.set_extension("organizations", default=None)


def note_organization(doc: Doc, name: str) -> None:
    """Record `name` as an organization of this document (see `document_names`)."""
    if doc._.organizations is None:
        doc._.organizations = set()
    doc._.organizations.add(name)

# What a component that sets `doc.ents` assigns (declared with `assigns=`, checked by `nlp.analyze_pipes`).
ENTITIES = ["doc.ents", "token.ent_iob", "token.ent_type"]


def entity_factory(name: str, **settings):
    """`Language.factory` for a component that reads the entities found before it and sets `doc.ents`."""
    return Language.factory(name, assigns=ENTITIES, requires=["doc.ents"], **settings)


def set_ents(doc: Doc, spans: list[Span]) -> None:
    doc.ents = filter_spans(list(doc.ents) + spans)


@entity_factory(
    "person_name_start",
    default_config={"labels": ["PERSON"], "common_nouns": False, "titles": []},
)
def make_person_name_start(
    nlp: Language, name: str, labels: list[str], common_nouns: bool, max_particle_chars: int, titles: list[str]
):
    """A person's name starts with a capital: the lower-case words a model puts before it are a
    description ("премьер-министр Никол Пашинян") and leave the span; short particles ("de Gaulle",
    "фон дер Ляйен", at most `max_particle_chars` letters) stay. So do the capitalized `titles` before
    a name ("Mr Okafor", "Midfielder Enzo Fernandez"). With `common_nouns` (Russian), so does a word the
    dictionary knows only as a common word, capitalized as a sentence's first before a name of two
    words or more ("Врач-сомнолог София Черкасова")."""
    wanted = set(labels)
    title_words = {t.lower() for t in titles}

    def common(token) -> bool:
        parts = [p for p in token.lower_.split("-") if p]
        return common_nouns and bool(parts) and all(is_common_word(p) for p in parts)

    def sentence_start(doc: Doc, i: int) -> bool:
        return i == 0 or doc[i - 1].text in (".", "!", "?", "…") or "\n" in doc[i - 1].text_with_ws

    def lower_case(token) -> bool:
        return token.is_punct or (token.text[:1].islower() and len(token) > max_particle_chars)

    def person_name_start(doc: Doc) -> Doc:
        ents = []
        for ent in doc.ents:
            start = ent.start
            if ent.label_ in wanted and not ent.ent_id_:
                while start < ent.end - 1 and (lower_case(doc[start]) or doc[start].lower_.rstrip(".") in title_words):
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


@entity_factory(
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


def is_name_start(token) -> bool:
    return token.text[:1].isupper() and len(token.text) > 1


def _acronym_after(doc: Doc, ent: Span) -> Span | None:
    """The acronym in parentheses right after `ent` that abbreviates it ("... Organization (CSTO)")."""
    i = ent.end
    if i + 2 < len(doc) and doc[i].text == "(" and doc[i + 2].text == ")" and is_acronym_of(doc[i + 1].text, ent.text):
        return doc[i + 1 : i + 2]
    return None


@entity_factory(
    "document_names",
    default_config={"labels": ["PERSON", "ORG", "GPE", "LOC", "NORP"], "propagate": True, "max_words": 6},
)
def make_document_names(nlp: Language, name: str, labels: list[str], propagate: bool, max_words: int):
    """One label for one name within a document, and names found once tagged wherever they recur.

    The majority label of a name wins (ties: its first label); the first or last word of a
    PERSON's name, alone, is that PERSON, not an ORG, and the first word of an ORG's name, alone, that
    ORG, not a PERSON; an acronym in parentheses after its expansion takes the expansion's label (and
    is an entity when no model found it). A name an earlier component found to be an organization by
    its context (`doc._.organizations`: "carmaker Moncler") is one in the whole document. With
    `propagate`, other occurrences of a known name that no entity covers become entities too.
    """
    wanted = set(labels)

    def document_names(doc: Doc) -> Doc:
        ents = list(doc.ents)
        votes: dict[str, Counter] = defaultdict(Counter)
        for e in ents:
            if e.label_ in wanted:
                votes[e.text][e.label_] += 1
        best = {text: max(c, key=lambda lab: c[lab]) for text, c in votes.items()}
        listed = {e.text for e in ents if e.ent_id_}  # a gazetteer name keeps its label
        if "ORG" in wanted:
            best.update({n: "ORG" for n in doc._.organizations or () if n in best and n not in listed})
        if "PERSON" in wanted:  # "Wang" beside "Wang Donghai", "Trump" beside "Donald Trump": the person
            for e in ents:
                if e.label_ == "PERSON" and len(e) > 1:
                    for word in (e[0], e[-1]):
                        if best.get(word.text) == "ORG" and is_name_start(word) and word.text not in listed:
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
        if e.label_ == "PERSON" and len(e) > 1 and is_name_start(e[-1]):
            names.setdefault((e[-1].text,), "PERSON")
    for e in ents:
        if e.label_ in wanted and len(e) <= max_words and is_name_start(e[0]):
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
def word_list(path: str) -> tuple[str, ...]:
    """The words of a list file in models/ (one a line, `#` comments); none for no file."""
    if not path:
        return ()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@entity_factory(
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
    listed = {w.lower() for w in word_list(names_file)}

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
                    and is_common_word(e[0].lower_)
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
