"""Splitting a decoded dump into documents as a reader sees them, as a stream.

A dump is paragraphs (runs of non-blank lines). Two or more blank lines end a block; inside a
block, a headline (a short line with no final punctuation that heads a body, as a paragraph of
its own or as the first line of its body's paragraph) starts a new document and becomes its
title, and a switch of language between paragraphs starts a new document too (a Russian
article followed by its English translation).

Everything works on a stream of lines: a document is held only until the next one starts, so
memory follows the largest document, not the dump. Offsets are global into the decoded text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.stages.language import UNDETERMINED, LanguageGuess

_FINAL_PUNCT = ".!?…:;,"
_CLOSERS = "\"'”»’)]"
_NONSPACE = re.compile(r"\S")
MIN_SWITCH_LETTERS = 40
GLUED_TITLE_MAX_SHARE = 0.75
_OPENERS = "\"'«“„‘([-–—"
SAME_SCRIPT_SWITCH_PROB = 0.95
SAME_SCRIPT_SWITCH_LETTERS = 200
_SWITCH_SAMPLE_CHARS = 2000
_SCRIPT_SAMPLE_CHARS = 500
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HASH_CHUNK = 1 << 20


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


def is_headline(text: str, max_chars: int = 200) -> bool:
    """A short single line with at least two words and no final punctuation."""
    if len(text) > max_chars or "\n" in text or len(text.split()) < 2:
        return False
    core = text.rstrip(_CLOSERS)
    return bool(core) and core[-1] not in _FINAL_PUNCT and any(c.isalpha() for c in text)


def _has_letters(s: str, n: int) -> bool:
    """At least `n` letters in `s` (stops as soon as they are found)."""
    for c in s:
        if c.isalpha():
            n -= 1
            if n <= 0:
                return True
    return False


def glued_title(p: Paragraph, headline_max_chars: int = 200) -> tuple[Paragraph, Paragraph] | None:
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


def _script(text: str) -> str:
    """The dominant script of the start of a text: `Cyrl`, `Latn` or empty (neither)."""
    sample = text[:_SCRIPT_SAMPLE_CHARS]
    cyrillic, latin = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
    return "Cyrl" if cyrillic > latin else "Latn" if latin > cyrillic else ""


def _switches(doc: DocumentSpan, lang: str, prob: float, script: str, text: str) -> bool:
    """A paragraph in another language than its document's starts a new document.

    Within one script (Russian read as Bulgarian, English as Dutch: langdetect's usual slips on a
    short paragraph) only a confident guess on a long paragraph counts.
    """
    if UNDETERMINED in (lang, doc.lang) or lang == doc.lang:
        return False
    if script != doc.script:
        return True
    return prob >= SAME_SCRIPT_SWITCH_PROB and _has_letters(text[:_SWITCH_SAMPLE_CHARS], SAME_SCRIPT_SWITCH_LETTERS)


class _Splitter:
    """The state of a split: the open document and a headline waiting for what follows it."""

    def __init__(self, detect: Callable[[str], LanguageGuess], headline_max_chars: int) -> None:
        self.detect = detect
        self.headline_max_chars = headline_max_chars
        self.current: DocumentSpan | None = None
        self.held: Paragraph | None = None
        self.block: int | None = None

    def _guess(self, text: str) -> tuple[str, float, str]:
        """(language, probability, script) of a paragraph; `und` when it has too few letters."""
        if not _has_letters(text[:_SWITCH_SAMPLE_CHARS], MIN_SWITCH_LETTERS):
            return UNDETERMINED, 0.0, ""
        guess = self.detect(text)  # the detector samples a bounded part itself
        return guess.lang, guess.prob, _script(text)

    def _close(self) -> Iterator[DocumentSpan]:
        if self.current is not None:
            yield self.current
            self.current = None

    def _needs_language(self, p: Paragraph) -> bool:
        """Whether this paragraph's language can change anything: it may open a document, name
        the language of one still undetermined, or (in the same script) be long enough to cut and
        not be ruled out as its document's language by the detector's first trial."""
        cur = self.current
        if cur is None or not cur.body or cur.lang == UNDETERMINED or _script(p.text) != cur.script:
            return True
        if not _has_letters(p.text[:_SWITCH_SAMPLE_CHARS], SAME_SCRIPT_SWITCH_LETTERS):
            return False
        rules_out = getattr(self.detect, "rules_out_other_language", None)
        return rules_out is None or not rules_out(p.text, cur.lang, SAME_SCRIPT_SWITCH_PROB)

    def _body(self, p: Paragraph) -> Iterator[DocumentSpan]:
        lang, prob, script = self._guess(p.text) if self._needs_language(p) else (UNDETERMINED, 0.0, "")
        cur = self.current
        if cur is None or (cur.body and _switches(cur, lang, prob, script, p.text)):
            yield from self._close()
            self.current = cur = DocumentSpan(title=None)
        cur.body.append(p)
        if cur.lang == UNDETERMINED:
            cur.lang, cur.script = lang, script
            if lang != UNDETERMINED and len(cur.body) == 1 and _has_letters(p.text, SAME_SCRIPT_SWITCH_LETTERS):
                cur.reliable_guess = LanguageGuess(lang, prob)

    def _end_block(self) -> Iterator[DocumentSpan]:
        if self.held is not None:
            held, self.held = self.held, None
            yield from self._body(held)
        yield from self._close()

    def feed(self, p: Paragraph) -> Iterator[DocumentSpan]:
        glued = glued_title(p, self.headline_max_chars)
        if glued is None:
            yield from self._feed(p)
        else:
            for part in glued:
                yield from self._feed(part)

    def _feed(self, p: Paragraph) -> Iterator[DocumentSpan]:
        if self.block is not None and p.block != self.block:
            yield from self._end_block()
        self.block = p.block
        head = is_headline(p.text, self.headline_max_chars)
        if self.held is not None:
            held, self.held = self.held, None
            if not head:
                yield from self._close()
                self.current = DocumentSpan(title=held)
                yield from self._body(p)
                return
            yield from self._body(held)
        if head:
            self.held = p
        else:
            yield from self._body(p)

    def finish(self) -> Iterator[DocumentSpan]:
        yield from self._end_block()


def split_paragraphs(
    paragraphs: Iterable[Paragraph],
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = 200,
) -> Iterator[DocumentSpan]:
    """Stream documents from a stream of paragraphs."""
    splitter = _Splitter(detect, headline_max_chars)
    for p in paragraphs:
        yield from splitter.feed(p)
    yield from splitter.finish()


def split_lines(
    lines: Iterable[str],
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = 200,
) -> Iterator[DocumentSpan]:
    """Stream the documents of a dump given as decoded lines (without their `\\n`)."""
    return split_paragraphs(iter_paragraphs(lines), detect, headline_max_chars)


def split_dump(
    text: str,
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = 200,
) -> Iterator[DocumentSpan]:
    """Stream the documents of a decoded dump held in memory, in order."""
    return split_lines(text.split("\n"), detect, headline_max_chars)


def content_id(title: str | None, body: str, chunk: int = _HASH_CHUNK) -> str:
    """Content hash of the white-space-normalized title and text, hashed in bounded chunks."""
    h = hashlib.sha256()
    started = space = False
    for part in (title or "", "\n", body):
        for i in range(0, len(part), chunk):
            piece = part[i : i + chunk]
            words = piece.split()  # the same white space as the regex \s
            if not words:
                space = space or bool(piece)
                continue
            if started and (space or piece[0].isspace()):
                h.update(b" ")
            h.update(" ".join(words).encode("utf-8"))
            started, space = True, piece[-1].isspace()
    return h.hexdigest()[:24]
