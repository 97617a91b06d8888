"""Splitting a decoded dump into documents as a reader sees them, as a stream.

A dump is paragraphs (runs of non-blank lines); runs of two or more blank lines end a block.
Boundaries come from evidence, in this order:

- the dump's own layout: once the dump has shown a run of 2+ blank lines between blocks (learned
  from its first block, with a bounded look-ahead), a block is one article and a single blank
  line inside it is a paragraph break;
- a dump without such runs whose runs of lines are mostly articles written one paragraph a line
  (most lines end a sentence, unlike a hard-wrapped paragraph) separates its articles by one
  blank line: each run of lines is a document, a headline standing alone heads the next one;
- agency copy: a paragraph opening with a dateline ("PARIS, Dec 7 (Reuters) -", "LONDON 1996-08-30",
  "МОСКВА, 26 июля. /ТАСС/.") starts an article with the headline, caption and credit lines just
  before it, and a sign-off ("(Reporting by ...; Editing by ...)") ends one, unless the topic
  clearly goes on across the gap (a quoted agency item inside an article);
- a switch of language between paragraphs (a Russian article followed by its English
  translation); the headline-shaped lines just before the switch head the new document;
- where the layout gives no answer (a dump without block separators, or a first block longer
  than the look-ahead): topic continuity, TextTiling with embeddings (Hearst 1997): the cosine
  of the mean multilingual sentence embedding of the three paragraphs before and after a gap
  falls under a threshold that depends on the shape of the paragraph after the gap (a headline,
  a one-sentence lead, a paragraph), by more than at the gaps beside it; never right after a
  headline-shaped line (standfirst, rubric, dateline, byline and captions follow their headline).

A document's title is its first paragraph when that is a headline followed by more text;
rubric, dateline, byline and credit lines stay in the body, offsets intact.

Everything works on a stream of lines: a document is held only until the next one starts and
the look-ahead is a few paragraphs, so memory follows the largest document, not the dump.
Offsets are global into the decoded text.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from pipeline.nlp.dates import DAY, MONTH_EN, MONTH_RU, YEAR
from pipeline.settings import default
from pipeline.stages.language import UNDETERMINED, LanguageGuess, bounded_sample

_FINAL_PUNCT = ".!?…:;,"
_CLOSERS = "\"'”»’)]"
_NONSPACE = re.compile(r"\S")
MIN_SWITCH_LETTERS = 40
GLUED_TITLE_MAX_SHARE = 0.75
_OPENERS = "\"'«“„‘([-–—"
SAME_SCRIPT_SWITCH_PROB = 0.95
SAME_SCRIPT_SWITCH_LETTERS = 200
MIXED_SCRIPT_SHARE = 0.1  # a paragraph with more letters of its document's script is no switch of script
_SWITCH_SAMPLE_CHARS = 2000
_SCRIPT_SAMPLE_CHARS = 500
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True)
class Paragraph:
    """A run of non-blank lines; `text` is stripped of the white space around it.

    `gap` is the exact text between the previous paragraph of the same block and this one
    (empty for the first paragraph of a block).
    """

    start: int
    end: int
    block: int
    n_lines: int
    text: str
    gap: str = ""


@dataclass
class DocumentSpan:
    """A document found in the dump: optional title paragraph, body paragraphs."""

    title: Paragraph | None
    body: list[Paragraph] = field(default_factory=list)
    lang: str = UNDETERMINED
    script: str = ""
    # the guess of a first paragraph long enough to speak for the whole document (None: detect the body)
    reliable_guess: LanguageGuess | None = None

    @property
    def start(self) -> int:
        return (self.title or self.body[0]).start

    @property
    def end(self) -> int:
        return self.body[-1].end

    @property
    def title_text(self) -> str | None:
        return self.title.text if self.title else None

    @property
    def body_text(self) -> str:
        """The body exactly as in the dump, from its first paragraph's start to its last's end."""
        if len(self.body) == 1:
            return self.body[0].text
        return self.body[0].text + "".join(p.gap + p.text for p in self.body[1:])


def rstrip_len(line: str) -> int:
    end = len(line)
    while end and line[end - 1].isspace():
        end -= 1
    return end


def _paragraph(lines: list[str], start: int, block: int, gap: str) -> tuple[Paragraph, str]:
    """The paragraph of these lines (first line already without its leading white space), and
    the trailing white space cut from its last line."""
    last = lines[-1]
    cut = rstrip_len(last)
    trailing = last[cut:]
    if trailing:
        lines[-1] = last[:cut]
    text = lines[0] if len(lines) == 1 else "\n".join(lines)
    return Paragraph(start, start + len(text), block, len(lines), text, gap), trailing


def iter_paragraphs(lines: Iterable[str], offset: int = 0) -> Iterator[Paragraph]:
    """Paragraphs of a stream of lines (without their `\\n`); `block` counts runs of 2+ blank lines."""
    block = blanks = 0
    current: list[str] = []
    start, lead = 0, ""
    gap: list[str] | None = None  # text since the previous paragraph of this block (None: no such paragraph)
    pos = offset
    for line in lines:
        first = _NONSPACE.search(line)
        if first is None:
            if current:
                paragraph, trailing = _paragraph(current, start, block, lead)
                yield paragraph
                current, gap = [], [trailing]
            blanks += 1
            if gap is not None:
                gap = None if blanks >= 2 else gap + ["\n", line]
        elif current:
            current.append(line)
        else:
            k = first.start()
            if blanks >= 2:
                block += 1
            lead = "".join(gap) + "\n" + line[:k] if gap is not None else ""
            blanks, start = 0, pos + k
            current = [line[k:] if k else line]
        pos += len(line) + 1
    if current:
        yield _paragraph(current, start, block, lead)[0]


def is_headline(text: str, max_chars: int = default("headline_max_chars")) -> bool:
    """A short single line with at least two words and no final punctuation."""
    if len(text) > max_chars or "\n" in text or len(text.split()) < 2:
        return False
    core = text.rstrip(_CLOSERS + " ")  # "... elections . ”" as tokenized ends a sentence too
    return bool(core) and core[-1] not in _FINAL_PUNCT and any(c.isalpha() for c in text)


def _has_letters(s: str, n: int) -> bool:
    """At least `n` letters in `s` (stops as soon as they are found)."""
    for c in s:
        if c.isalpha():
            n -= 1
            if n <= 0:
                return True
    return False


def glued_title(
    p: Paragraph, headline_max_chars: int = default("headline_max_chars")
) -> tuple[Paragraph, Paragraph] | None:
    """A headline line glued to its body without a blank line, as (title, body), or None.

    The first line must be a headline, clearly shorter than the next one (the lines of a
    hard-wrapped paragraph are all about as long), and the next line must start a sentence.
    """
    if p.n_lines < 2:
        return None
    cut = p.text.find("\n", 0, headline_max_chars + 1)
    if cut < 0:
        return None
    first = p.text[:cut]
    first_end = rstrip_len(first)
    if not is_headline(first[:first_end], headline_max_chars):
        return None
    text = p.text
    body_start = _NONSPACE.search(text, cut + 1).start()
    second_end = text.find("\n", body_start)
    second_len = (len(text) if second_end < 0 else second_end) - body_start
    opener = text[body_start]
    if first_end >= GLUED_TITLE_MAX_SHARE * second_len or not (
        opener.isupper() or opener.isdigit() or opener in _OPENERS
    ):
        return None
    title = Paragraph(p.start, p.start + first_end, p.block, 1, first[:first_end], p.gap)
    body = Paragraph(p.start + body_start, p.end, p.block, p.n_lines - 1, text[body_start:], text[first_end:body_start])
    return title, body


# Layout and topic: a first block of more paragraphs than this is not read as one article.
LAYOUT_LOOKAHEAD = 40
# TextTiling window: paragraphs on each side of a gap (the look-ahead of a split without layout).
TOPIC_WINDOW = 3
MIN_TOPIC_SIDE = 2  # one paragraph against one is too little evidence to cut
# ... except between self-contained items: where every paragraph of the window (TOPIC_WINDOW each
# side of the gap, as many as there are) is at least ITEM_CHARS long, the dump is a run of
# one-paragraph news items (briefs, a wire digest, an article flattened into one paragraph: a news
# paragraph inside an article is a sentence or two), and a gap is a boundary unless the two
# paragraphs around it, compared one against one, clearly go on with one story (ITEM_SAME_STORY).
# A paragraph that opens with a headline run into its lead (`run_in_headline`) is a new item whatever
# its likeness to the one before: two items of one kind of story (two road accidents) are alike.
ITEM_CHARS = 300
ITEM_SAME_STORY = 0.4
ITEM_NEIGHBOURS = 0.3  # ... and the neighbours of the window are unlike (median one-against-one cosine)
# Cosine under which the paragraphs around a gap talk about different things, by the shape of
# the paragraph after the gap; set on one half of a held-out design (see the issue note), rounded.
TOPIC_SHIFT = {"headline": 0.325, "sentence": 0.225, "paragraph": 0.175, "caption": 0.175}
EMBED_CHARS = 600
MAX_HEAD_LINES = 3  # headline-shaped lines before a language switch that move to the new document
LEAD_MAX_CHARS = 140
# A dump without runs of 2+ blank lines whose runs of lines are mostly articles written one
# paragraph a line (at least this many, and this share of their lines after the first ending a
# sentence) separates its articles by one blank line.
MIN_ARTICLE_UNITS = 3
ARTICLE_LINE_SHARE = 0.6
_SENTENCE_FINAL = ".!?…"
_LINE_BREAK = re.compile(r"[^\S\n]*\n\s*")
# "Фото: ...", "Video caption: ...", "Photo credit: ...": a label of one or two words and a colon.
_LABEL = re.compile(r"^[^\W\d_]+(?:[ -][^\W\d_]+)?:\s")
_SENTENCE_END = re.compile(r"[.!?…][\"'»”)]?\s+[\"'«“(]?[^\W_a-zа-яё]")

# Agency copy marks its articles: a dateline opens one ("PARIS, Dec 7 (Reuters) -", "WASHINGTON —",
# "LONDON 1996-08-30", "МОСКВА, 26 июля. /ТАСС/.", "... - РИА Новости."; an update note "(Adds ...)")
# and a sign-off ends one ("(Reporting by ...; Editing by ...)").
_PLACE_EN = r"[A-Z][A-Z.'’&]{2,}(?:[ /-]+[A-Z][A-Z.'’&]*){0,8}(?:\s*,\s*[A-Z][a-z.]+(?:\s+[A-Z][a-z.]+)?)?"
_PLACE_RU = r"[А-ЯЁ][А-ЯЁ-]{2,}(?:[ /-]+[А-ЯЁ][А-ЯЁ-]*){0,3}"
_DATELINE = re.compile(
    "|".join(
        (
            r"^\(\s*(?:Adds|Updates|Corrects|Recasts|Repeats|Refiles)\b",
            rf"^(?:{_PLACE_EN}\s*,?\s*)?(?:{MONTH_EN}\s+{DAY}\s*)?\(\s*[A-Z][A-Za-z.&' -]{{1,30}}\)\s*[-–—_]",
            rf"^{_PLACE_EN}\s*(?:[–—_]|--)\s",  # "WASHINGTON —" (a hyphen: "U.S. - China talks")
            rf"^{_PLACE_EN}\s*,?\s*{YEAR}-\d\d-\d\d\s*$",
            rf"^{_PLACE_RU}\s*,\s*{DAY}\s+{MONTH_RU}",
            rf"^[А-ЯЁ][\w -]{{1,30}},\s*{DAY}\s+[а-яё]{{3,8}}\.?\s*(?:/\s*(?:ИТАР-)?ТАСС\s*/|[-–—]\s*РИА\s+Новости\b)",
        )
    )
)
_SIGN_OFF = re.compile(
    r"\(\s*(?:(?:Additional\s+)?[Rr]eporting|Writing|Editing|Compiled|Edited)\s+by\b[^()]*\)\s*$"
    r"|^[-–—]{2}\s*[A-Z][\w .]{2,40}$"  # "-- Field Level Media"
    r"|^\(\s*By\s+[A-Z][^()]{2,60}\)$"  # a columnist's "(By Name)" under the text
)
_CAPTION_LABEL = re.compile(r"^[^\W\d_]+(?:[ -][^\W\d_]+)?\s?:\s")  # "FILE PHOTO : ..." as tokenized
DATELINE_CHARS = 120
_ABBR_END = re.compile(r"\b(?:[^\W\d_]\.){2,}$")  # "... February 11, 2:10 P.M.": no sentence's end
SIGN_OFF_MAX_CHARS = 300
# A dateline or sign-off cuts unless the text around it clearly continues one topic (its gap's margin
# over the topic threshold at least this): a quoted agency item inside an article.
WIRE_SLACK = 0.15

Embed = Callable[[list[str]], np.ndarray]


def is_dateline(text: str) -> bool:
    """A paragraph that opens with an agency dateline or update note (an article's start)."""
    return bool(_DATELINE.search(text[:DATELINE_CHARS]))


def is_sign_off(text: str) -> bool:
    """An agency sign-off ("(Reporting by ...; Editing by ...)"): the end of an article."""
    return len(text) <= SIGN_OFF_MAX_CHARS and bool(_SIGN_OFF.search(text))


def _script(text: str) -> str:
    """The dominant script of the start of a text: `Cyrl`, `Latn` or empty (neither)."""
    sample = text[:_SCRIPT_SAMPLE_CHARS]
    cyrillic, latin = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
    return "Cyrl" if cyrillic > latin else "Latn" if latin > cyrillic else ""


def _other_script_share(text: str, script: str) -> float:
    """The share of the letters (Cyrillic and Latin) of the start of a text not in `script`."""
    sample = text[:_SCRIPT_SAMPLE_CHARS]
    cyrillic, latin = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
    other = latin if script == "Cyrl" else cyrillic
    return other / max(1, cyrillic + latin)


def _long_guess(lang: str, prob: float, text: str) -> bool:
    """A confident guess on a paragraph long enough to tell languages of one script apart."""
    return (
        lang != UNDETERMINED
        and prob >= SAME_SCRIPT_SWITCH_PROB
        and _has_letters(text[:_SWITCH_SAMPLE_CHARS], SAME_SCRIPT_SWITCH_LETTERS)
    )


def _switches(
    lang: str, doc_lang: str, script: str, doc_script: str, prob: float, text: str, doc_sure: bool = True
) -> bool:
    """A paragraph in another language than its document's starts a new document.

    In another script only a paragraph written in it: album titles or team names in Latin letters
    inside a Russian sentence are no English paragraph (at most MIXED_SCRIPT_SHARE of its letters
    in the document's script). Within one script (Russian read as Bulgarian, English as Dutch:
    langdetect's usual slips on a short paragraph) only a confident guess on a long paragraph
    counts, against a document whose own language came from a sentence (`doc_sure`; never inside a
    block of a dump laid out in blocks, where a list of names read as Dutch or Bulgarian weighs
    less than the layout).
    """
    if UNDETERMINED in (lang, doc_lang) or lang == doc_lang:
        return False
    if script != doc_script:
        return _other_script_share(text, script) <= MIXED_SCRIPT_SHARE
    return doc_sure and _long_guess(lang, prob, text)


def paragraph_shape(text: str, headline_max_chars: int = default("headline_max_chars")) -> str:
    """`headline`, `caption` (a labelled short line), `sentence` (a one-sentence lead) or `paragraph`.

    A short text of a few lines is read as one line (a headline hard-wrapped by the scraper)."""
    if "\n" in text and len(text) <= headline_max_chars and not is_article_lines(text):
        text = _LINE_BREAK.sub(" ", text)
    if is_headline(text, headline_max_chars):
        return "caption" if _LABEL.match(text) else "headline"
    if len(text) <= LEAD_MAX_CHARS and "\n" not in text and not _SENTENCE_END.search(text):
        return "sentence"
    return "paragraph"


_WORD = re.compile(r"[^\W\d_]{4,}")
RESTATED_SHARE = 0.6


def restated(line: str, lead: str) -> bool:
    """Whether most words of a one-sentence line (of 4 letters or more) come back in the opening of
    the paragraph after it: a news lead restates its headline."""
    words = {w.lower() for w in _WORD.findall(line)}
    if len(words) < 3:
        return False
    opening = {w.lower() for w in _WORD.findall(lead[: 2 * len(line) + 100])}
    return len(words & opening) >= RESTATED_SHARE * len(words)


# A headline run into its lead without a stop (an article flattened into one paragraph: "... there
# were four casualties According to police data, ..."): after at least RUN_IN_MIN_WORDS words and
# within a headline's length, a word ending in a small letter or a digit followed by a capitalized
# stop word (spaCy's lists: "The", "In", "По"; a capitalized name there is no evidence), no
# sentence's end before it, and at least RUN_IN_RESTATED of the headline's words (4 letters or more)
# again in the lead after it.
RUN_IN_MIN_WORDS = 3
RUN_IN_RESTATED = 0.25
_RUN_IN = re.compile(r"(?<=[^\W\d_A-ZА-ЯЁ]|[\d%)])\s+([A-ZА-ЯЁ][a-zа-яё]+)\b")
_STOP_BEFORE = re.compile(r"[.!?…][\"'»”)]*\s")


@cache
def _stop_words() -> frozenset[str]:
    """spaCy's English and Russian stop words (imported on first use: spaCy loads in about 0.5 s)."""
    from spacy.lang.en.stop_words import STOP_WORDS as english
    from spacy.lang.ru.stop_words import STOP_WORDS as russian

    return frozenset(english | russian)


def run_in_headline(text: str, headline_max_chars: int = default("headline_max_chars")) -> bool:
    """Whether a paragraph opens with a headline run into its lead without a stop (see `_RUN_IN`)."""
    for m in _RUN_IN.finditer(text, 0, headline_max_chars):
        head = text[: m.start(1)]
        if _STOP_BEFORE.search(head):
            return False
        if m.group(1).lower() not in _stop_words() or len(head.split()) < RUN_IN_MIN_WORDS:
            continue
        words = {w.lower() for w in _WORD.findall(head)}
        lead = {w.lower() for w in _WORD.findall(text[m.start(1) : m.start(1) + 2 * len(head) + 100])}
        if len(words) >= 2 and len(words & lead) >= RUN_IN_RESTATED * len(words):
            return True
    return False


def is_article_lines(text: str) -> bool:
    """Lines that are paragraphs, not a hard-wrapped paragraph: three or more, and most lines after
    the first end a sentence (the lines of a wrapped paragraph end mid-sentence)."""
    lines = text.split("\n")
    if len(lines) < 3:
        return False
    ends = sum(line.rstrip().rstrip(_CLOSERS)[-1:] in _SENTENCE_FINAL for line in lines[1:])
    return ends >= ARTICLE_LINE_SHARE * (len(lines) - 1)


def default_embed(texts: list[str]) -> np.ndarray:
    """The pipeline's multilingual sentence encoder (USE v3), loaded on first use."""
    from pipeline.stages.pairing import embed_texts

    return embed_texts(texts)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


@dataclass
class _Item:
    """A paragraph on its way through the splitter."""

    p: Paragraph
    shape: str
    unit_start: bool = True  # the first part of a run of non-blank lines (a glued headline's body is not)
    vec: np.ndarray | None = None
    guess: tuple[str, float, str] | None = None  # (language, probability, script) once detected
    opens: bool = False  # a dateline
    closes: bool = False  # a sign-off
    held: bool = False  # a line of the head of the dateline after it: no boundary before it

    @property
    def heads(self) -> bool:
        """Headline-shaped (captions too): what follows it belongs to the same article."""
        return self.shape in ("headline", "caption")


@dataclass
class _Open:
    """The document being built: its paragraphs (title not yet set apart) and its language."""

    paragraphs: list[Paragraph] = field(default_factory=list)
    long_guesses: list[LanguageGuess | None] = field(default_factory=list)
    lang: str = UNDETERMINED
    script: str = ""
    sure: bool = False  # the language came from a sentence (langdetect slips on headlines: Russian as Bulgarian)

    def span(self, headline_max_chars: int) -> DocumentSpan:
        ps = self.paragraphs
        titled = len(ps) > 1 and is_headline(ps[0].text, headline_max_chars)
        body = ps[1:] if titled else ps
        reliable = self.long_guesses[1 if titled else 0]
        return DocumentSpan(ps[0] if titled else None, list(body), self.lang, self.script, reliable)


class _Splitter:
    """The state of a split: the layout learned so far, the open document, the look-ahead."""

    def __init__(self, detect: Callable[[str], LanguageGuess], headline_max_chars: int, embed: Embed | None) -> None:
        self.detect = detect
        self.headline_max_chars = headline_max_chars
        self.embed = embed or default_embed
        self.separated = False  # the dump has shown a run of 2+ blank lines between blocks
        self.block: int | None = None
        self.mode: str | None = None  # of the current block: "layout", "units", "topic" or None (learning)
        self.units = self.article_units = 0  # runs of lines of the first block, and those written as articles
        self.pending: deque[_Item] = deque()
        self.current: _Open | None = None
        self.recent: deque[np.ndarray] = deque(maxlen=TOPIC_WINDOW)  # vectors before the next gap
        self.recent_items: deque[bool] = deque(maxlen=TOPIC_WINDOW)  # and whether each is item-long
        self.last: _Item | None = None  # the paragraph before the next gap, in this block
        self.last_margin: float | None = None
        # Whether the dump's articles are headed: its first paragraph is a headline or a dateline.
        # Where they are not (article bodies), a headline-shaped line inside one is a subheading or
        # a list item, no evidence of a new article: the topic rule reads it as a paragraph.
        self.headed: bool | None = None

    # ---- language -------------------------------------------------------------------------
    def _guess(self, text: str) -> tuple[str, float, str]:
        """(language, probability, script) of a paragraph; `und` when it has too few letters."""
        if not _has_letters(text[:_SWITCH_SAMPLE_CHARS], MIN_SWITCH_LETTERS):
            return UNDETERMINED, 0.0, ""
        guess = self.detect(text)  # the detector samples a bounded part itself
        return guess.lang, guess.prob, _script(text)

    def _needs_language(self, p: Paragraph) -> bool:
        """Whether this paragraph's language can change anything: it may open a document, name
        the language of one still undetermined, or (in the same script) be long enough to cut and
        not be ruled out as its document's language by the detector's first trial."""
        cur = self.current
        if cur is None or cur.lang == UNDETERMINED or _script(p.text) != cur.script:
            return True
        if not _has_letters(p.text[:_SWITCH_SAMPLE_CHARS], SAME_SCRIPT_SWITCH_LETTERS):
            return False
        rules_out = getattr(self.detect, "rules_out_other_language", None)
        if rules_out is not None and rules_out(p.text, cur.lang, SAME_SCRIPT_SWITCH_PROB):
            cur.sure = True  # a long paragraph of the document's language
            return False
        return True

    # ---- topic ----------------------------------------------------------------------------
    def _vectors(self, items: Iterable[_Item]) -> None:
        todo = [it for it in items if it.vec is None]
        if todo:
            vecs = self.embed([bounded_sample(it.p.text, EMBED_CHARS) for it in todo])
            for it, v in zip(todo, vecs):
                it.vec = np.asarray(v, dtype=np.float32)

    def _similarity(self, before: list[np.ndarray], after: list[np.ndarray]) -> float | None:
        if not before or not after:
            return None
        return float(_unit(np.mean(before, axis=0)) @ _unit(np.mean(after, axis=0)))

    def _margin(
        self, before: list[np.ndarray], previous: _Item | None, item: _Item, after: list[_Item]
    ) -> float | None:
        """How far under its shape's threshold the similarity across the gap before `item` falls
        (negative: a topic shift), or None when the gap is no candidate: right after a headline-
        shaped line, or with fewer than MIN_TOPIC_SIDE paragraphs on a side."""
        vectors = [item.vec, *(it.vec for it in after[: TOPIC_WINDOW - 1])]
        if previous is None or previous.heads or min(len(before), len(vectors)) < MIN_TOPIC_SIDE:
            return None
        sim = self._similarity(before, vectors)
        shape = "paragraph" if item.shape == "headline" and not self.headed else item.shape
        if shape == "sentence" and self.headed and after and restated(item.p.text, after[0].p.text):
            shape = "headline"  # a one-sentence headline that the lead restates
        return None if sim is None else sim - TOPIC_SHIFT[shape]

    def _items_gap(self, item: _Item, ahead: list[_Item]) -> bool | None:
        """In a run of one-paragraph items (every paragraph of the window item-long): whether the gap
        before `item` is a boundary (the two items do not go on with one story); None outside one."""
        window = [item, *ahead[: TOPIC_WINDOW - 1]]
        if self.last is None or not self.recent_items or not all(self.recent_items):
            return None
        if not all(len(it.p.text) >= ITEM_CHARS for it in window):
            return None
        if run_in_headline(item.p.text, self.headline_max_chars):
            return True  # a new item's headline, however close its story
        vectors = [_unit(v) for v in (*self.recent, *(it.vec for it in window))]
        neighbours = [float(a @ b) for a, b in zip(vectors, vectors[1:])]
        if float(np.median(neighbours)) >= ITEM_NEIGHBOURS:
            return None  # neighbours alike: long paragraphs of one article
        return neighbours[len(self.recent) - 1] < ITEM_SAME_STORY

    def _topic_gap(self, item: _Item) -> tuple[bool, float | None]:
        """(a topic boundary before this paragraph, its margin): under the threshold and a local
        minimum of the margins of the gaps beside it (TextTiling's valleys); in a run of
        one-paragraph items, a gap between two items of different stories."""
        ahead = list(self.pending)
        margin = self._margin(list(self.recent), self.last, item, ahead)
        items = self._items_gap(item, ahead)
        if items is not None:
            return items, margin
        if margin is None or margin >= 0 or (self.last_margin is not None and self.last_margin < margin):
            return False, margin
        if not ahead:
            return True, margin
        following = self._margin([*list(self.recent)[1 - TOPIC_WINDOW :], item.vec], item, ahead[0], ahead[1:])
        return following is None or following >= margin, margin

    def _wire_start(self, item: _Item) -> bool:
        """Agency copy: after a sign-off, or at the head of a dateline (the dateline itself, or the
        headline, caption and credit lines just before it, which it marks `held`)."""
        last = self.last
        if last is not None and last.closes:
            return True
        seq = [item, *self.pending]
        for j, it in enumerate(seq[: MAX_HEAD_LINES + 1]):
            if it.closes:  # the end of the article before
                return False
            if it.opens:
                for h in seq[1 : j + 1]:
                    h.held = True
                return last is not None and not last.opens
            if not (it.heads or _CAPTION_LABEL.match(it.p.text) or self._dateline_headline(it, seq[j + 1 :])):
                return False
        return False

    @staticmethod
    def _dateline_headline(it: _Item, after: list[_Item]) -> bool:
        """A line of one sentence at most just before a dateline, when it has no final period (a
        long headline) or the dateline stands alone ("LONDON 1996-08-30"): the article's headline."""
        text = it.p.text
        if "\n" in text or len(text) > LEAD_MAX_CHARS or _SENTENCE_END.search(text) or not (after and after[0].opens):
            return False
        core = text.rstrip(_CLOSERS + " ")
        standalone = len(after[0].p.text) <= LEAD_MAX_CHARS // 2
        return standalone or core[-1:] not in _FINAL_PUNCT or bool(_ABBR_END.search(core))

    # ---- documents ------------------------------------------------------------------------
    def _close(self) -> Iterator[DocumentSpan]:
        if self.current is not None and self.current.paragraphs:
            yield self.current.span(self.headline_max_chars)
        self.current = None

    def _head_lines(self, cur: _Open) -> list[Paragraph]:
        """The headline-shaped lines that end the open document (they head the next one)."""
        k = 0
        while k < min(MAX_HEAD_LINES, len(cur.paragraphs)) and is_headline(
            cur.paragraphs[-1 - k].text, self.headline_max_chars
        ):
            k += 1
        if not k:
            return []
        moved = cur.paragraphs[-k:]
        del cur.paragraphs[-k:], cur.long_guesses[-k:]
        return moved

    def _item_guess(self, item: _Item) -> tuple[str, float, str]:
        if item.guess is None:
            item.guess = self._guess(item.p.text)
        return item.guess

    def _confirmed(self) -> bool:
        """In a block of a dump laid out in blocks (one article each unless its language changes),
        a switch holds unless the next paragraph of the block returns to the document's language:
        a results table or a quote in another language inside an article is no second article."""
        if self.mode != "layout" or not self.pending:
            return True
        return self._item_guess(self.pending[0])[0] != self.current.lang

    def _place(self, item: _Item) -> Iterator[DocumentSpan]:
        p = item.p
        if item.guess is None and not self._needs_language(p):
            item.guess = (UNDETERMINED, 0.0, "")
        lang, prob, script = self._item_guess(item)
        cur = self.current
        moved: list[Paragraph] = []
        boundary = cur is None
        if (
            not boundary
            and _switches(lang, cur.lang, script, cur.script, prob, p.text, cur.sure and self.mode != "layout")
            and self._confirmed()
        ):
            boundary, moved = True, self._head_lines(cur)
        elif not boundary and not cur.sure and lang != UNDETERMINED and script == cur.script and not item.heads:
            cur.lang, cur.sure = lang, True  # a sentence speaks for the document, not its headline
        if self.mode == "units":  # one blank line between articles: each run of lines is one, headlines head
            boundary = boundary or (item.unit_start and self.last is not None and not self.last.heads)
        if self.mode == "topic":
            topic, self.last_margin = self._topic_gap(item)
            wire = self._wire_start(item) and (self.last_margin is None or self.last_margin < WIRE_SLACK)
            boundary = boundary or ((topic or wire) and not (item.held or item.closes))
            self.recent.append(item.vec)
            self.recent_items.append(len(p.text) >= ITEM_CHARS)
        self.last = item
        if boundary:
            yield from self._close()
            self.current = cur = _Open(moved, [None] * len(moved))
        cur.paragraphs.append(p)
        long = lang != UNDETERMINED and _has_letters(p.text, SAME_SCRIPT_SWITCH_LETTERS)
        cur.long_guesses.append(LanguageGuess(lang, prob) if long else None)
        if cur.lang == UNDETERMINED:
            cur.lang, cur.script = lang, script
            cur.sure = lang != UNDETERMINED and not item.heads

    def _drain(self, final: bool) -> Iterator[DocumentSpan]:
        if self.mode is None:
            return
        # look-ahead: the topic window; in a block of a laid-out dump one paragraph (a switch holds?)
        keep = 0 if final else TOPIC_WINDOW if self.mode == "topic" else 1 if self.mode == "layout" else 0
        while len(self.pending) > keep:
            yield from self._place(self.pending.popleft())

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "topic":
            self._vectors(self.pending)

    def _end_block(self) -> Iterator[DocumentSpan]:
        if self.block is None:
            return
        if self.mode is None:
            self._set_mode("layout" if self.separated else self._without_separators())
        yield from self._drain(final=True)
        yield from self._close()
        self.recent.clear()
        self.recent_items.clear()
        self.last = self.last_margin = None

    def feed(self, p: Paragraph) -> Iterator[DocumentSpan]:
        glued = glued_title(p, self.headline_max_chars)
        for k, part in enumerate(glued or (p,)):
            yield from self._feed(part, unit_start=k == 0)
        if self.mode is None:
            self.units += 1
            self.article_units += is_article_lines(p.text)

    def _without_separators(self) -> str:
        """The mode of a first block with no run of 2+ blank lines after it: `units` when most of
        its runs of lines are articles written one paragraph a line, else `topic`."""
        return "units" if self.article_units >= MIN_ARTICLE_UNITS and 2 * self.article_units >= self.units else "topic"

    def _feed(self, p: Paragraph, unit_start: bool = True) -> Iterator[DocumentSpan]:
        if p.block != self.block:
            if self.block is not None:
                self.separated = True
            yield from self._end_block()
            self.block, self.mode = p.block, ("layout" if self.separated else None)
        item = _Item(p, paragraph_shape(p.text, self.headline_max_chars), unit_start)
        item.opens, item.closes = is_dateline(p.text), is_sign_off(p.text)
        if self.headed is None:
            self.headed = item.shape == "headline" or item.opens
        self.pending.append(item)
        if self.mode is None and len(self.pending) > LAYOUT_LOOKAHEAD:
            self._set_mode(self._without_separators())
        elif self.mode == "topic":
            self._vectors([item])
        yield from self._drain(final=False)

    def finish(self) -> Iterator[DocumentSpan]:
        yield from self._end_block()


def split_paragraphs(
    paragraphs: Iterable[Paragraph],
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = default("headline_max_chars"),
    embed: Embed | None = None,
) -> Iterator[DocumentSpan]:
    """Stream documents from a stream of paragraphs (`embed`: texts -> unit vectors, for topic)."""
    splitter = _Splitter(detect, headline_max_chars, embed)
    for p in paragraphs:
        yield from splitter.feed(p)
    yield from splitter.finish()


def split_lines(
    lines: Iterable[str],
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = default("headline_max_chars"),
    embed: Embed | None = None,
) -> Iterator[DocumentSpan]:
    """Stream the documents of a dump given as decoded lines (without their `\\n`)."""
    return split_paragraphs(iter_paragraphs(lines), detect, headline_max_chars, embed)


def split_dump(
    text: str,
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = default("headline_max_chars"),
    embed: Embed | None = None,
) -> Iterator[DocumentSpan]:
    """Stream the documents of a decoded dump held in memory, in order."""
    return split_lines(text.split("\n"), detect, headline_max_chars, embed)
