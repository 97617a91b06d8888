"""Splitting a decoded dump into documents as a reader sees them.

A dump is paragraphs (runs of non-blank lines). Two or more blank lines end a block; inside a
block, a headline (a short line with no final punctuation that heads a body) starts a new
document and becomes its title, and a switch of language between paragraphs starts a new
document too (a Russian article followed by its English translation).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.stages.language import UNDETERMINED, LanguageGuess

_FINAL_PUNCT = ".!?…:;,"
_CLOSERS = "\"'”»’)]"
_WS = re.compile(r"\s+")
MIN_SWITCH_LETTERS = 40


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    block: int
    n_lines: int


@dataclass
class DocumentSpan:
    """A document found in the dump: optional title paragraph, body paragraphs."""

    title: Paragraph | None
    body: list[Paragraph] = field(default_factory=list)
    lang: str = UNDETERMINED

    @property
    def start(self) -> int:
        return (self.title or self.body[0]).start

    @property
    def end(self) -> int:
        return self.body[-1].end


def iter_paragraphs(text: str, offset: int = 0) -> Iterator[Paragraph]:
    """Paragraphs with offsets stripped of surrounding white space; `block` counts 2+ blank lines."""
    block, blanks = 0, 0
    start = end = None
    n_lines = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            if start is not None:
                yield Paragraph(offset + start, offset + end, block, n_lines)
                start, n_lines = None, 0
            blanks += 1
        else:
            if start is None:
                if blanks >= 2:
                    block += 1
                blanks = 0
                start = pos + (len(line) - len(line.lstrip()))
            end = pos + len(line.rstrip())
            n_lines += 1
        pos += len(line)
    if start is not None:
        yield Paragraph(offset + start, offset + end, block, n_lines)


def is_headline(text: str, max_chars: int = 200) -> bool:
    """A short single line with at least two words and no final punctuation."""
    if "\n" in text or len(text) > max_chars or len(text.split()) < 2:
        return False
    last = text.rstrip(_CLOSERS)[-1:] if text.rstrip(_CLOSERS) else ""
    return bool(last) and last not in _FINAL_PUNCT and any(c.isalpha() for c in text)


def _blocks(paragraphs: Iterable[Paragraph]) -> Iterator[list[Paragraph]]:
    current: list[Paragraph] = []
    for p in paragraphs:
        if current and p.block != current[-1].block:
            yield current
            current = []
        current.append(p)
    if current:
        yield current


def _letters(s: str) -> int:
    return sum(1 for c in s if c.isalpha())


def split_block(
    text: str,
    block: list[Paragraph],
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = 200,
) -> list[DocumentSpan]:
    """Documents of one block: headlines start documents, language switches start documents."""
    docs: list[DocumentSpan] = []
    heads = [is_headline(text[p.start : p.end], headline_max_chars) for p in block]
    i = 0
    while i < len(block):
        p = block[i]
        if heads[i] and i + 1 < len(block) and not heads[i + 1]:
            docs.append(DocumentSpan(title=p))
            i += 1
            continue
        body = text[p.start : p.end]
        lang = detect(body).lang if _letters(body) >= MIN_SWITCH_LETTERS else UNDETERMINED
        current = docs[-1] if docs else None
        starts_new = current is None or (
            current.body and lang != UNDETERMINED and current.lang != UNDETERMINED and lang != current.lang
        )
        if starts_new:
            current = DocumentSpan(title=None)
            docs.append(current)
        current.body.append(p)
        if current.lang == UNDETERMINED:
            current.lang = lang
        i += 1
    return docs


def split_dump(
    text: str,
    detect: Callable[[str], LanguageGuess],
    headline_max_chars: int = 200,
) -> Iterator[DocumentSpan]:
    """Stream the documents of a decoded dump in order."""
    for block in _blocks(iter_paragraphs(text)):
        yield from split_block(text, block, detect, headline_max_chars)


def content_id(title: str | None, body: str) -> str:
    """Content hash of the white-space-normalized title and text."""
    norm = _WS.sub(" ", (title or "") + "\n" + body).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:24]
