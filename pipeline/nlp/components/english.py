"""Components of the English pipeline (after spaCy's NER): spans trimmed, dates checked, names relabelled."""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.nlp.components.shared import entity_factory, is_name_start, note_organization, word_list
from pipeline.nlp.dates import parse_date
from pipeline.nlp.english_dates import find_dates, reads_date
from pipeline.nlp.name_words import ORG_WORDS
from pipeline.nlp.relative_dates import parse_relative
from pipeline.nlp.spelling import skeleton

DETERMINERS = ("the", "a", "an")


@entity_factory("calendar_dates")
def make_calendar_dates(nlp: Language, name: str):
    """Only the DATE entities that name a date, written or relative ("July 26", "last Tuesday"):
    durations ("three weeks", "24-year-old") and other spans of time ("recent years") are dropped."""

    def calendar_dates(doc: Doc) -> Doc:
        lang = nlp.lang
        ents = [
            e
            for e in doc.ents
            if e.label_ != "DATE"
            or parse_date(e.text, lang) is not None
            or parse_relative(e.text, lang) is not None
            or (lang == "en" and reads_date(e.text))
        ]
        if len(ents) != len(doc.ents):
            doc.ents = ents
        return doc

    return calendar_dates


@entity_factory("strip_determiners", default_config={"determiners": list(DETERMINERS)})
def make_strip_determiners(nlp: Language, name: str, determiners: list[str]):
    """Entity spans without a leading determiner or a trailing possessive ("the UN's" -> "UN")."""
    dets = {d.lower() for d in determiners}

    def strip_determiners(doc: Doc) -> Doc:
        ents = []
        for ent in doc.ents:
            start, end = ent.start, ent.end
            while start < end - 1 and doc[start].lower_ in dets:
                start += 1
            while end - 1 > start and doc[end - 1].text in ("'s", "’s", "'", "’"):
                end -= 1
            ents.append(Span(doc, start, end, label=ent.label_) if (start, end) != (ent.start, ent.end) else ent)
        doc.ents = ents
        return doc

    return strip_determiners


@entity_factory(
    "classifier_names",
    default_config={"before": [], "after": [], "label": "ORG", "max_words": 5},
)
def make_classifier_names(
    nlp: Language, name: str, before: list[str], after: list[str], label: str, max_words: int, joins: list[str]
):
    """A name right after a common noun that says what kind of body it is ("the news agency Tanjug",
    "carmaker Toyota", "the group Human Rights in China") or right before one ("Zycie Warszawy
    daily") is an organization: the model's other label (PERSON, GPE...) or none gives way.
    `before` and `after` are the nouns (a noun ending in "maker" counts too), `joins` the lower-case words
    a name may hold ("Human Rights in China"); gazetteer names stay."""
    pre, post = {w.lower() for w in before}, {w.lower() for w in after}
    joining = set(joins)

    def is_classifier(token, nouns: set[str]) -> bool:
        return token.is_lower and (token.lower_ in nouns or (nouns is pre and token.lower_.endswith("maker")))

    def name_after(doc: Doc, i: int) -> int:
        """End of the capitalized name starting at token i (i when there is none)."""
        end, j = i, i
        while j < len(doc) and j - i < max_words and (is_name_start(doc[j]) or (j > i and doc[j].lower_ in joining)):
            j += 1
            if is_name_start(doc[j - 1]):
                end = j
        return end

    def name_before(doc: Doc, i: int) -> int:
        start = i
        while start > 0 and i - start < max_words and is_name_start(doc[start - 1]):
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
            if label == "ORG" and any(e.label_ == label and (e.start, e.end) == (start, end) for e in hit):
                note_organization(doc, doc[start:end].text)
            if any(e.ent_id_ or e.label_ == label or e.label_ == "DATE" for e in hit):
                continue
            if all(start <= e.start and e.end <= end for e in hit):  # the name, or pieces of it
                ents = [e for e in ents if e not in hit] + [Span(doc, start, end, label=label)]
                if label == "ORG":
                    note_organization(doc, doc[start:end].text)
        doc.ents = sorted(ents, key=lambda e: e.start)
        return doc

    return classifier_names


@lru_cache(maxsize=4)
def _given_name_keys(path: str) -> frozenset[str]:
    return frozenset(skeleton(w) for w in word_list(path))


@entity_factory(
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


@entity_factory("admin_unit_names", default_config={"units": [], "labels": ["GPE", "LOC", "PERSON"]})
def make_admin_unit_names(nlp: Language, name: str, units: list[str], labels: list[str]):
    """A place name right before a word for the administrative unit it names ("the Kharkiv region",
    "Mikhailovsky district", "Tver Region") is that unit: one span with the word. English news
    writes the unit word apart and often in lower case, Russian makes it the name ("Харьковская
    область"), and the bare place is another place (the city of Kharkiv). A place the model read as
    a person ("Mikhailovsky" of "Mikhailovsky district") is one too; `head_word_labels` relabels it."""
    words, wanted = {u.lower() for u in units}, set(labels)

    def admin_unit_names(doc: Doc) -> Doc:
        ents = list(doc.ents)
        taken = {i for e in ents for i in range(e.start, e.end)}
        out = []
        for e in ents:
            after = doc[e.end] if e.end < len(doc) else None
            if (
                e.label_ in wanted
                and after is not None
                and after.lower_ in words
                and (after.is_lower or after.is_title)
                and after.i not in taken
            ):
                e = Span(doc, e.start, e.end + 1, label=e.label_, kb_id=e.kb_id_)
            out.append(e)
        # "the Vologda and Arkhangelsk regions": the first of two places that share the unit word is one too
        plural = {u + "s" for u in words} | {u[:-1] + "ies" for u in words if u.endswith("y")}
        for i in range(len(out) - 1):
            e, f = out[i], out[i + 1]
            if (
                e.label_ in wanted
                and e.label_ != "GPE"
                and not e.ent_id_
                and f.start == e.end + 1
                and doc[e.end].lower_ in ("and", "or", ",")
                and (f[-1].lower_ in plural or (f.end < len(doc) and doc[f.end].lower_ in plural))
            ):
                out[i] = Span(doc, e.start, e.end, label="GPE")
        doc.ents = out
        return doc

    return admin_unit_names


@entity_factory(
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


@entity_factory("hyphen_compounds", default_config={"labels": ["PERSON", "ORG", "GPE", "LOC", "NORP"], "particles": []})
def make_hyphen_compounds(nlp: Language, name: str, labels: list[str], particles: list[str]):
    """A name written into one word with a hyphen is not that name's mention but a modifier
    ("Berlin-based", "London-listed", "Kremlin-backed") or a compound of two ("UAE-Israel",
    "EU-UK" talks): such spans are dropped. A hyphen inside a name ("Rolls-Royce") is not touched.
    A place named after its river with hyphens and a particle (`particles`: "Rostov-on-Don",
    "Stratford-upon-Avon", "Frankfurt-am-Main") is one place, whatever the model read in it."""
    wanted = set(labels)
    particles = {p.lower() for p in particles}

    def attached(doc: Doc, e: Span) -> bool:
        after = e.end + 1 < len(doc) and not e[-1].whitespace_ and doc[e.end].text == "-" and not doc[e.end].whitespace_
        before = e.start >= 2 and doc[e.start - 1].text == "-" and not doc[e.start - 1].whitespace_
        before = before and not doc[e.start - 2].whitespace_ and doc[e.start - 2].text[:1].isupper()
        return (after and doc[e.end + 1].is_alpha) or before

    def river_places(doc: Doc) -> list[Span]:  # "Rostov-on-Don": capitalized word, hyphen, particle, hyphen, word
        found = []
        for i in range(len(doc) - 4):
            a, h1, p, h2, b = doc[i : i + 5]
            if (
                a.is_title
                and b.is_title
                and h1.text == "-"
                and h2.text == "-"
                and p.lower_ in particles
                and not any(t.whitespace_ for t in (a, h1, p, h2))
            ):
                found.append(Span(doc, i, i + 5, label="GPE"))
        return found

    river_shape = re.compile("|".join(f"-{re.escape(p)}-" for p in sorted(particles)), re.I) if particles else None

    def hyphen_compounds(doc: Doc) -> Doc:
        places = river_places(doc) if river_shape and river_shape.search(doc.text) else []
        if places:
            doc.ents = filter_spans(
                places + [e for e in doc.ents if not any(e.start < p.end and p.start < e.end for p in places)]
            )
        ents = [e for e in doc.ents if e.label_ not in wanted or not attached(doc, e)]
        if len(ents) != len(doc.ents):
            doc.ents = ents
        return doc

    return hyphen_compounds


def _opens_sentence(doc: Doc, i: int) -> bool:
    """Token i is the first word of a sentence, a headline or a line (quotes and dashes before it aside)."""
    j = i - 1
    while j >= 0 and (doc[j].is_quote or doc[j].text in ("(", "*", "-", "—")):
        j -= 1
    return j < 0 or doc[j].text in (".", "!", "?", ":", ";") or "\n" in doc[j].text_with_ws


@entity_factory("unintroduced_persons", default_config={"label": "", "titles": [], "names_file": ""})
def make_unintroduced_persons(nlp: Language, name: str, label: str, titles: list[str], names_file: str):
    """News introduces a person by the full name before the surname alone: a one-word PERSON
    that no longer PERSON of the document holds, no title precedes ("Mr", "President") and that
    is no given name (`names_file`: "Sasha", "Bill") is not taken for a person. Where a name
    stands in a sentence ("Fitch downgraded Malaysia", "transferred to Chelsea") it becomes `label`
    (in news, mostly a company or a club the model took for a person); a capitalized word that
    opens a sentence, follows "the" or is written in capitals ("Again", "the Pole", "IN FAVOR") is
    no entity, nor is any of them when `label` is empty."""
    title_words = {t.lower() for t in titles}

    def not_a_name(doc: Doc, e: Span) -> bool:
        return e[0].is_upper or _opens_sentence(doc, e.start) or (e.start > 0 and doc[e.start - 1].lower_ == "the")

    def unintroduced_persons(doc: Doc) -> Doc:
        given = _given_name_keys(names_file) if names_file else frozenset()
        full = {t.lower_ for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
        ents = []
        for e in doc.ents:
            lone = e.label_ == "PERSON" and len(e) == 1 and e[0].lower_ not in full and not e.ent_id_
            if lone and e.start > 0 and doc[e.start - 1].lower_.rstrip(".") in title_words:
                lone = False
            if lone and skeleton(e.text) in given:
                lone = False
            if not lone:
                ents.append(e)
            elif label and not not_a_name(doc, e):
                ents.append(Span(doc, e.start, e.end, label=label))
        if ents != list(doc.ents):
            doc.ents = ents
        return doc

    return unintroduced_persons


@entity_factory("longer_names", default_config={"labels": ["ORG"]})
def make_longer_names(nlp: Language, name: str, labels: list[str]):
    """A gazetteer name that ends a longer name is that longer name: the model's span right before
    it, capitalized up to the gazetteer name, joins it ("U.S. National" + "Security Council" is the
    U.S. National Security Council, not the UN's), with the model's label and no gazetteer id. The
    gazetteer rulers run before the model, which cannot then read the whole name."""
    wanted = set(labels)

    def longer_names(doc: Doc) -> Doc:
        ents, changed = list(doc.ents), False
        out: list[Span] = []
        for e in ents:
            prev = out[-1] if out else None
            if (
                prev is not None
                and e.ent_id_
                and not prev.ent_id_
                and prev.end == e.start
                and prev.label_ in wanted
                and e.label_ in wanted
                and is_name_start(doc[prev.end - 1])
            ):
                out[-1] = Span(doc, prev.start, e.end, label=prev.label_)
                changed = True
                continue
            out.append(e)
        if changed:
            doc.ents = out
        return doc

    return longer_names


@entity_factory("sentence_start_words", default_config={"labels": ["ORG", "PERSON"], "words_file": "", "posts": []})
def make_sentence_start_words(nlp: Language, name: str, labels: list[str], words_file: str, posts: list[str]):
    """A sentence's first word is capitalized whatever it is: a one-word name that opens a sentence,
    a headline or a line and is a word news writes in lower case (`words_file`: "Emphasis will be
    placed on", "Again about ...") is that word, no name, unless the document also writes it
    capitalized inside a sentence. So is such a word before the title of a post (`posts`: "Culture
    Secretary", "Health Minister"): the post's portfolio. Gazetteer names (which carry an id) stay."""
    wanted, post_words = set(labels), {p.lower() for p in posts}

    def portfolio(doc: Doc, e: Span) -> bool:
        return e.end < len(doc) and doc[e.end].lower_ in post_words and doc[e.end].is_title

    def written_inside(doc: Doc) -> set[str]:
        """The listed words the document writes capitalized inside a sentence (there, names)."""
        return {t.text for t in doc if t.is_title and t.lower_ in common and not _opens_sentence(doc, t.i)}

    def sentence_start_words(doc: Doc) -> Doc:
        ents = list(doc.ents)
        keep = []
        inside: set[str] | None = None  # computed once per document, when a candidate needs it
        for e in ents:
            if len(e) == 1 and e.label_ in wanted and not e.ent_id_ and e[0].is_title and e[0].lower_ in common:
                if portfolio(doc, e):
                    continue
                if _opens_sentence(doc, e.start):
                    inside = written_inside(doc) if inside is None else inside
                    if e.text not in inside:
                        continue
            keep.append(e)
        if len(keep) != len(ents):
            doc.ents = keep
        return doc

    common = frozenset(word_list(words_file))
    return sentence_start_words


@lru_cache(maxsize=1)
def country_demonyms() -> frozenset[str]:
    """The words English makes of a one-word country name for its people ("Kuwaiti", "Kuwaitis",
    "Algerian", "Chinese"), from ICU's English country names; a country's own name is not one."""
    import icu

    english = icu.Locale.getEnglish()
    countries = {icu.Locale("", code).getDisplayCountry(english) for code in icu.Locale.getISOCountries()}
    forms: set[str] = set()
    for country in countries:
        if not country.isalpha():
            continue
        stems = [country] + ([country[:-1]] if country[-1] in "aeiouy" else [])
        forms.update(stem + ending for stem in stems for ending in ("i", "n", "an", "ian", "ean", "ese", "ish"))
    forms |= {form + "s" for form in forms}
    return frozenset(forms - countries)


@entity_factory("demonyms", default_config={"labels": ["ORG", "PERSON"], "nouns": [], "names_file": ""})
def make_demonyms(nlp: Language, name: str, labels: list[str], nouns: list[str], names_file: str):
    """A country's people are no organization and no person: a one-word entity that is a demonym
    ("Kuwaiti opposition", "Algerian officials") or a noun for one of its people that is not made
    from the country's name (`nouns`: "the Pole scored", "a Briton") leaves the entities, unless the
    document writes it in a longer person's name ("Ronnie Irani"). An adjective of a country before a
    person's name says where the name is from and is not part of it ("Japanese Sodeco"): it leaves the
    span, unless it is a given name (`names_file`: "German Gref"); a noun stays ("Briton Ilott" is
    CoNLL's person)."""
    wanted = set(labels)
    people_nouns = frozenset(nouns)

    def demonyms(doc: Doc) -> Doc:
        people = {t.text for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
        forms = country_demonyms() | people_nouns
        given = _given_name_keys(names_file) if names_file else frozenset()
        ents = []
        for e in doc.ents:
            if len(e) == 1 and e.label_ in wanted and not e.ent_id_ and e.text in forms and e.text not in people:
                continue
            if (
                e.label_ == "PERSON"
                and len(e) > 1
                and not e.ent_id_
                and e[0].text in country_demonyms()
                and not e[0].text.endswith("s")  # an adjective, not the plural of a made form ("Francis")
                and skeleton(e[0].text) not in given
                and e[1].is_title
            ):
                e = Span(doc, e.start + 1, e.end, label=e.label_)
            ents.append(e)
        if ents != list(doc.ents):
            doc.ents = ents
        return doc

    return demonyms


@entity_factory("possessive_places", default_config={"labels": ["ORG"]})
def make_possessive_places(nlp: Language, name: str, labels: list[str]):
    """A one-word name in the possessive right before an organization's name ("Tartu's Tammeka",
    "Tallinn's Legion") is the place the organization is of, unless the document names it as an
    organization elsewhere (a parent company: "Daimler's Mercedes"). A title in quotes and a name
    whose second part is an abbreviation ("Heriot's F.P.") are no such pair."""
    wanted = set(labels)

    def possessive_places(doc: Doc) -> Doc:
        ents = list(doc.ents)
        out = list(ents)
        for i, e in enumerate(ents[:-1]):
            f = ents[i + 1]
            if (
                len(e) == 1
                and e.label_ in wanted
                and not e.ent_id_
                and e.end + 1 == f.start
                and doc[e.end].lower_ in ("'s", "’s")
                and f.label_ == "ORG"
                and any(c.islower() for c in f.text)  # not an abbreviation ("Heriot's F.P.", one club)
                and not (e.start > 0 and doc[e.start - 1].is_quote)  # not a title ("Schindler's List")
                and not any(
                    g.text == e.text and g.label_ == "ORG"
                    for g in ents
                    if g.start != e.start and not (g.end < len(doc) and doc[g.end].lower_ in ("'s", "’s"))
                )
            ):
                out[i] = Span(doc, e.start, e.end, label="GPE")
        if out != ents:
            doc.ents = out
        return doc

    return possessive_places


@entity_factory("rank_words", default_config={"labels": ["ORG", "PERSON", "GPE", "LOC", "NORP"], "ranks": []})
def make_rank_words(nlp: Language, name: str, labels: list[str], ranks: list[str]):
    """A span of rank or title words only ("Rear Admiral", "Lieutenant General") right before a
    person's name is that person's rank, no name of its own."""
    wanted, words = set(labels), {r.lower() for r in ranks}

    def rank_words(doc: Doc) -> Doc:
        ents = list(doc.ents)
        keep = [
            e
            for i, e in enumerate(ents)
            if not (
                e.label_ in wanted
                and not e.ent_id_
                and all(t.lower_ in words for t in e)
                and i + 1 < len(ents)
                and ents[i + 1].start == e.end
                and ents[i + 1].label_ == "PERSON"
            )
        ]
        if len(keep) != len(ents):
            doc.ents = keep
        return doc

    return rank_words


@entity_factory("timeml_dates", default_config={"replace": ["TIME"]})
def make_timeml_dates(nlp: Language, name: str, replace: list[str]):
    """The dates TimeML counts that the model misses (`english_dates.find_dates`: "Friday", "last
    fall", "the third quarter", "now"), as DATE entities where no entity is; a `replace` entity
    (TIME: "Wednesday night", "later today") that holds one gives way to it."""
    weaker = set(replace)

    def timeml_dates(doc: Doc) -> Doc:
        ents, changed = list(doc.ents), False
        for start, end in find_dates(doc.text):
            span = doc.char_span(start, end, label="DATE", alignment_mode="expand")
            if span is None:
                continue
            hit = [e for e in ents if e.start < span.end and span.start < e.end]
            if any(e.label_ not in weaker for e in hit):
                continue
            ents = [e for e in ents if e not in hit] + [span]
            changed = True
        if changed:
            doc.ents = sorted(ents, key=lambda e: e.start)
        return doc

    return timeml_dates


OPEN_QUOTES = ("“", '"', "‘", "'")
CLOSE_QUOTES = ("”", '"', "’", "'")
# A word in quotes between two words: what a nickname needs, looked for in the text before any token is.
QUOTED_WORD = re.compile(r"[^\W\d_]\s*[“\"‘']\s*[^\s“\"‘'”’]+\s*[”\"’']\s*[^\W\d_]")


@entity_factory("quoted_nicknames", default_config={"label": "PERSON", "words_file": ""})
def make_quoted_nicknames(nlp: Language, name: str, label: str, words_file: str):
    """A nickname in quotes between a given name and a surname ("Robin “ ropz ” Kool", in sport
    and esports copy) is inside one person's name: the span from the given name to the surname is a
    `label`, whatever the model made of its pieces. Both names are capitalized words news does not
    write in lower case (`words_file`: "An ‘ overwhelmed ’ Mick" is no name); the nickname is one
    word, no function word ("Rocky " and " Rambo")."""
    function_words = {"a", "an", "and", "or", "the", "of", "to", "in", "on", "at", "by", "for", "with", "vs"}

    def name_word(token) -> bool:
        return token.is_alpha and token.is_title and token.lower_ not in common

    def quoted_nicknames(doc: Doc) -> Doc:
        if not QUOTED_WORD.search(doc.text):  # the text holds no quoted word between two words
            return doc
        spans = []
        for opening in doc:
            i = opening.i - 1
            if opening.text not in OPEN_QUOTES or i < 0 or i + 4 >= len(doc):
                continue
            given, nick, closing, surname = doc[i], doc[i + 2], doc[i + 3], doc[i + 4]
            if (
                closing.text in CLOSE_QUOTES
                and any(c.isalnum() for c in nick.text)
                and nick.lower_ not in function_words
                and name_word(given)
                and name_word(surname)
                and not any("\n" in t.text_with_ws for t in doc[i : i + 4])
            ):
                spans.append(Span(doc, i, i + 5, label=label))
        if spans:
            spans = filter_spans(spans)
            taken = {t for s in spans for t in range(s.start, s.end)}
            doc.ents = [e for e in doc.ents if not taken.intersection(range(e.start, e.end))] + spans
        return doc

    common = frozenset(word_list(words_file))
    return quoted_nicknames


@entity_factory(
    "table_headers",
    default_config={"labels": ["ORG", "PERSON", "GPE", "LOC"], "words_file": "", "min_common": 2, "joins": ["%"]},
)
def make_table_headers(nlp: Language, name: str, labels: list[str], words_file: str, min_common: int, joins: list[str]):
    """A run of words in capitals inside a line of text, of which at least `min_common` are words
    news writes in lower case (`words_file`), is the header of a table run into the text ("at 0504 GMT
    COUNTRY FX RIC FX DAILY % FX YTD % INDEX STOCKS"): the `labels` the model finds inside it are no
    names (gazetteer names stay). `joins`: the signs a header holds between its words."""
    wanted, joining = set(labels), set(joins)

    def capital_word(token) -> bool:
        return token.is_alpha and token.is_upper and len(token) > 1

    def goes_on(doc: Doc, j: int) -> bool:  # the run goes on with token j (on the same line)
        return "\n" not in doc[j - 1].text_with_ws and (capital_word(doc[j]) or doc[j].text in joining)

    def headers(doc: Doc) -> list[tuple[int, int]]:
        found, i = [], 0
        while i < len(doc):
            if not capital_word(doc[i]):
                i += 1
                continue
            j = i + 1
            while j < len(doc) and goes_on(doc, j):
                j += 1
            if sum(t.lower_ in common for t in doc[i:j] if capital_word(t)) >= min_common:
                found.append((i, j))
            i = j
        return found

    def table_headers(doc: Doc) -> Doc:
        runs = headers(doc)
        if runs:
            ents = [
                e
                for e in doc.ents
                if e.label_ not in wanted or e.ent_id_ or not any(a <= e.start and e.end <= b for a, b in runs)
            ]
            if len(ents) != len(doc.ents):
                doc.ents = ents
        return doc

    common = frozenset(word_list(words_file))
    return table_headers
