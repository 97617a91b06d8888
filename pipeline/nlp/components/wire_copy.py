"""Conventions of news-agency copy that name places and people by their position, not their words.

A dateline opens a story with its place and the agency in parentheses ("MOSCOW, Dec 7 (Reuters) -",
"WASHINGTON (AP) —"); photo credits and the closing line name the photographers, reporters and
editors ("REUTERS/Anna Ringstrom", "John Thys/Pool via REUTERS", "(Reporting by Conor Humphries;
Editing by Jan Harvey)"). A model reads the place of an all-capital dateline as an organization or
misses it, and reads a credited name as anything; these components set them by their position.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.nlp.components.shared import entity_factory
from pipeline.nlp.dates import month_en

DASHES = ("-", "—", "–", "--")


def _line_start(doc: Doc, i: int) -> bool:
    return i == 0 or "\n" in doc[i - 1].text_with_ws


def _replace(doc: Doc, spans: list[Span]) -> None:
    """`spans` set as entities; any entity they overlap gives way."""
    spans = filter_spans(spans)
    taken = {i for s in spans for i in range(s.start, s.end)}
    kept = [e for e in doc.ents if not taken.intersection(range(e.start, e.end))]
    doc.ents = sorted(kept + spans, key=lambda e: e.start)


def _agency_end(doc: Doc, i: int, max_words: int = 3) -> int | None:
    """The end of "(Agency) -" opening at token i, or None: capitalized words in parentheses and a dash."""
    j = i + 1
    while j < len(doc) and j - i <= max_words and doc[j].text[:1].isupper() and doc[j].is_alpha:
        j += 1
    if j == i + 1 or j + 1 >= len(doc) or doc[j].text != ")" or doc[j + 1].text not in DASHES:
        return None
    return j


def _date_before(doc: Doc, i: int) -> int:
    """The start of ", Dec 7" / ", December 7" ending before token i (i when there is none)."""
    j = i
    if j >= 1 and doc[j - 1].like_num:
        j -= 1
        if j >= 1 and doc[j - 1].text == ".":
            j -= 1
        if j >= 1 and month_en(doc[j - 1].text) is not None:
            j -= 1
            if j >= 1 and doc[j - 1].text == ",":
                return j - 1
    return i


def _place_words(doc: Doc, end: int, max_words: int) -> list[Span]:
    """The places of a dateline ending before token `end`: all-capital words ("MEXICO CITY",
    "LONDON/BRUSSELS"), or capitalized words that start a line (a truecased dateline)."""
    places, start, j = [], end, end
    capitals = end > 0 and doc[end - 1].is_upper  # an all-capital dateline takes all-capital words only
    while j > 0 and end - j < max_words + 2:
        t = doc[j - 1]
        if t.text == "/" and j < start:
            places.append((j, start))
            start = j - 1
            j -= 1
            continue
        if not (t.is_alpha or t.text in (".", "'")) or not (t.is_upper or t.is_title or t.text in (".", "'")):
            break
        if capitals and t.is_alpha and not t.is_upper:
            break  # "REUTERS/Guglielmo Mangiapane MILAN (Reuters)": the credit before it is no place
        j -= 1
    if j == start or not doc[j].text[:1].isalpha():
        return []
    places.append((j, start))
    spans = [Span(doc, a, b, label="GPE") for a, b in places if a < b]
    if all(all(t.is_upper or not t.is_alpha for t in s) for s in spans):
        return spans
    return spans if _line_start(doc, j) and all(len(s) <= max_words for s in spans) else []


@entity_factory("datelines", default_config={"max_words": 4, "agency_label": "ORG"})
def make_datelines(nlp: Language, name: str, max_words: int, agency_label: str):
    """The place of a dateline is a place ("PARIS (Reuters) -", "CAPE TOWN, Dec 5 (Reuters) -",
    "LONDON/BRUSSELS (Reuters) -"), and its agency an organization."""

    def datelines(doc: Doc) -> Doc:
        spans = []
        for t in doc:
            if t.text != "(":
                continue
            close = _agency_end(doc, t.i)
            if close is None:
                continue
            places = _place_words(doc, _date_before(doc, t.i), max_words)
            if places:
                spans.extend(places)
                if not any(e.start <= t.i + 1 and close <= e.end for e in doc.ents):
                    spans.append(Span(doc, t.i + 1, close, label=agency_label))
        if spans:
            _replace(doc, spans)
        return doc

    return datelines


def _name_after(doc: Doc, i: int, max_words: int, particles: set[str]) -> int:
    """The end of a person's name starting at token i: capitalized words, not all capitals
    (an all-capital word after a credit starts the next line's text), with lower-case particles."""
    j = end = i
    while j < len(doc) and j - i < max_words:
        t = doc[j]
        if j > i and month_en(t.text) is not None and j + 1 < len(doc) and doc[j + 1].like_num:
            break  # "By Anushka Trivedi Dec 7 (Reuters)": the date of the byline
        if t.is_alpha and t.text[:1].isupper() and not (t.is_upper and len(t) > 1):
            j += 1
            end = j
        elif (t.lower_ in particles and j > i) or (t.text in ("-", "'") and not doc[j - 1].whitespace_):
            j += 1
        else:
            break
    return end


def _name_before(doc: Doc, i: int, max_words: int, particles: set[str]) -> int:
    j = i
    while j > 0 and i - j < max_words:
        t = doc[j - 1]
        if t.is_alpha and t.text[:1].isupper() and not (t.is_upper and len(t) > 1):
            j -= 1
        elif t.lower_ in particles and j < i:
            j -= 1
        else:
            break
    while j < i and not doc[j].text[:1].isupper():
        j += 1
    return j


@entity_factory(
    "credit_names",
    default_config={
        "agencies": ["REUTERS", "Reuters", "AFP", "AP", "EPA", "TASS", "Xinhua"],
        "after_slash": ["Pool", "File", "Handout", "REUTERS", "Reuters", "AFP", "EPA"],
        "pools": ["Pool"],
        "roles": ["reporting", "writing", "editing", "compiled", "compiling", "additional", "by"],
        "particles": ["de", "da", "di", "van", "von", "der", "den", "la", "le", "lo", "al", "bin", "ibn", "dos"],
        "max_words": 4,
    },
)
def make_credit_names(
    nlp: Language,
    name: str,
    agencies: list[str],
    after_slash: list[str],
    pools: list[str],
    roles: list[str],
    particles: list[str],
    max_words: int,
):
    """Credited names are people: a photographer after an agency and a slash ("REUTERS/Anna
    Ringstrom") or before a slash and a credit word ("John Thys/Pool via REUTERS", the pool an
    organization), and the reporters and editors of the closing line ("(Reporting by A and B;
    Editing by C)", "(By D)")."""
    agency, credit, parts, pool_words = set(agencies), set(after_slash), set(particles), set(pools)
    role_words = {r.lower() for r in roles}

    def credited(doc: Doc, roles: set[int], bodies: list[int]) -> list[tuple[int, int]]:
        """The credited names; `roles` gets the role words before them ("Reporting"), `bodies` the
        pools that supplied a photograph ("John Thys/Pool")."""
        found = []
        for t in doc:
            if t.text == "/" and 0 < t.i < len(doc) - 1:
                if doc[t.i - 1].text in agency:
                    end = _name_after(doc, t.i + 1, max_words, parts)
                    if end - t.i > 2:  # two words at least: a name, not "REUTERS/File"
                        found.append((t.i + 1, end))
                if doc[t.i + 1].text in credit:
                    start = _name_before(doc, t.i, max_words, parts)
                    if t.i - start >= 2:
                        found.append((start, t.i))
                        if doc[t.i + 1].text in pool_words:
                            bodies.append(t.i + 1)
            if t.lower_ != "by":
                continue
            after_role = t.i > 0 and (doc[t.i - 1].lower_ in role_words or doc[t.i - 1].text == "(")
            if t.text == "By" or after_role:
                names = _name_list(doc, t.i + 1)
                found.extend(names)
                if names and t.i > 0 and doc[t.i - 1].lower_ in role_words:
                    roles.add(t.i - 1)
        return found

    def _name_list(doc: Doc, i: int) -> list[tuple[int, int]]:
        """Names joined by "and" or commas, up to ";" or ")" ("A, B and C in Moscow" gives A, B, C)."""
        names = []
        while i < len(doc):
            end = _name_after(doc, i, max_words, parts)
            if end - i < 2:
                break
            names.append((i, end))
            if end < len(doc) and doc[end].text in (",", "and", "&"):
                i = end + 1
                continue
            break
        return names

    def credit_names(doc: Doc) -> Doc:
        roles: set[int] = set()
        bodies: list[int] = []
        spans = [Span(doc, a, b, label="PERSON") for a, b in credited(doc, roles, bodies)]
        spans += [Span(doc, i, i + 1, label="ORG") for i in bodies]
        if spans:
            _replace(doc, spans)
        if roles:  # "Reporting", "Editing": no name
            doc.ents = [e for e in doc.ents if not roles.intersection(range(e.start, e.end))]
        return doc

    return credit_names
