"""One web page -> its article: charset, main text (trafilatura), headline, URL, publication date.

The charset is the HTTP header's, then the page's `<meta charset>` (or `http-equiv`), then
detection (`decode.detect_encoding`: strict UTF-8, cp1251 / koi8-r by Russian letter frequency,
then charset-normalizer). A byte order mark wins over all; a declared charset that does not decode
the bytes is passed over; bytes that are valid UTF-8 with non-ASCII characters are read as UTF-8
whatever single-byte charset is declared (a cp1251 or koi8-r page is practically never valid
UTF-8, and sites that moved to UTF-8 often kept their old `<meta>`).

The article is trafilatura's `bare_extraction` with `favor_precision` and without comments (chosen
on the tuning half of the eval pages, `benchmarks/html_extraction.py`), then the news cleanups of
`article_cleanup`. A page in which that reading finds no article (no text, too few words, a
listing) is read again with trafilatura's default settings, which fall back on readability, jusText
and a whole-page baseline where the precise reading gives up (`favor_precision` skips them), and
judged again: a page is dropped only when neither reading finds an article in it. Taking the default
reading's lines between the first and the last line the precise reading kept (its subheadings and
short lines) was tried and not kept: tuning half F1 0.9806 -> 0.9818, held-out half 0.9780 -> 0.9669.
The date is htmldate's publication date from the page's markup and URL (no search of the text),
never a crawl date.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pipeline.stages.article_cleanup import RULES, clean_lines, is_article
from pipeline.stages.decode import detect_encoding, normalize_text

META_SCAN_BYTES = 32_768
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_META = re.compile(rb"<meta\b[^>]*>", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# WHATWG Encoding: labels that browsers read as another encoding
_BROWSER_ALIASES = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254"}
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)
_TITLE_SEPARATOR = re.compile(r"(\s[|\-–—]\s|:\s)")
_SEPARATOR_AT_END = re.compile(r"(\s[|\-–—]\s|:\s)$")
EXTRACTION = {"favor_precision": True, "include_comments": False}
FALLBACK = {"favor_precision": False}
DATE_PARAMS = {"original_date": True, "extensive_search": False}


@dataclass(frozen=True)
class Article:
    title: str | None
    paragraphs: list[str]
    url: str | None
    published: date | None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _codec(label: str | bytes | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _BROWSER_ALIASES.get(name, name)


def header_charset(content_type: str | None) -> str | None:
    """The codec named by an HTTP `Content-Type` header (`text/html; charset=windows-1251`), if any."""
    m = _CHARSET.search((content_type or "").encode("latin-1", "ignore"))
    return _codec(m.group(1)) if m else None


def meta_charset(body: bytes) -> str | None:
    """The codec a page declares in a `<meta>` of its head (first 32 KB)."""
    for tag in _META.finditer(body[:META_SCAN_BYTES]):
        m = _CHARSET.search(tag.group(0))
        if m:
            name = _codec(m.group(1))
            # a page read as ASCII cannot really be UTF-16 (WHATWG: read it as UTF-8)
            return "utf-8" if name and name.startswith("utf-16") else name
    return None


def _decodes(body: bytes, name: str) -> bool:
    try:
        body.decode(name)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def decode_page(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec) of a page's bytes; DumpRejected from detection when nothing decodes them."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, "replace"), name
    utf8 = not body.isascii() and _decodes(body, "utf-8")
    for name in (header_charset(content_type), meta_charset(body)):
        if name and _decodes(body, name):
            # valid non-ASCII UTF-8 is UTF-8 whatever a single-byte label says (a site that moved)
            return (body.decode("utf-8"), "utf-8") if utf8 and not name.startswith("utf") else (body.decode(name), name)
    name = detect_encoding(lambda: [body])
    return body.decode("utf-8", "replace") if name.startswith("utf-8 (") else body.decode(name), name


def saved_from_url(body: bytes) -> str | None:
    """The `<!-- saved from url=(0042)https://... -->` mark that browsers write into saved pages."""
    m = _SAVED_FROM.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Extracted:
    """trafilatura's view of a page before the cleanups: headline, main-text lines, metadata."""

    title: str | None
    lines: list[str]
    link_texts: set[str]
    url: str | None
    published: date | None


def extract_page(html: str, url: str | None = None, **options) -> Extracted | None:
    """trafilatura on one page (`EXTRACTION` settings unless overridden); None when it finds no text.

    trafilatura is imported here, by the first page: a run of text dumps does not pay for it."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return None
    links = link_texts(tree)  # before trafilatura prunes the tree
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, date_extraction_params=DATE_PARAMS, **{**EXTRACTION, **options}
    )
    if doc is None or not doc.text:
        return None
    title = strip_site_name(_clean_inline(doc.title), _clean_inline(doc.sitename), doc.hostname) or None
    return Extracted(title, list(_lines(doc.text)), links, url or doc.url or None, _date(doc.date))


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def strip_site_name(title: str, sitename: str, hostname: str | None = None) -> str:
    """The headline without the site's name that `<title>` adds before or after it
    (`Best tech gadgets of 2019 | ZDNet`): a segment cut off by ` | `, ` - `, ` – `, ` — ` or `: `
    whose words are the site name's (`og:site_name`, else the host name) or a part of them."""
    low, site = title.lower(), sitename.lower()
    if site and len(title) > len(site) + 3:  # the whole site name, separators and all
        if low.startswith(site) and (m := _TITLE_SEPARATOR.match(title, len(site))):
            return title[m.end() :].strip()
        if low.endswith(site) and (m := _SEPARATOR_AT_END.search(title[: -len(site)])):
            return title[: m.start()].strip()
    names = [n for n in (_tokens(sitename), _tokens((hostname or "").removeprefix("www."))) if n]
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 3 or not names:
        return title

    def is_site(segment: str) -> bool:  # the site's name, or its first words (`Inexhibit` of `Inexhibit magazine`)
        words = _tokens(segment)
        return bool(words) and any(words == n[: len(words)] for n in names)

    if is_site(parts[-1]):
        return "".join(parts[:-2]).strip()
    if is_site(parts[0]):
        return "".join(parts[2:]).strip()
    return title


def article_of(page: Extracted | None, rules: tuple[str, ...] = RULES) -> Article | None:
    """The cleaned article of an extracted page, or None when it is no article (a listing, too short)."""
    if page is None:
        return None
    lines = clean_lines(page.lines, page.title, rules)
    if not is_article(lines, page.link_texts):
        return None
    return Article(page.title, lines, page.url, page.published)


def extract_article(html: str, url: str | None = None, **options) -> Article | None:
    """The page's article, or None when it has none (no main text, a listing, too short) in the
    precise reading (`EXTRACTION`, unless `options` override it) nor in the default one (`FALLBACK`)."""
    return article_of(extract_page(html, url, **options)) or article_of(extract_page(html, url, **FALLBACK))


def link_texts(tree) -> set[str]:
    """The white-space-normalized texts of the page's links (a listing's lines are link texts)."""
    out = set()
    for a in tree.iter("a"):
        text = _clean_inline(a.text_content())
        if text:
            out.add(text)
    return out


def _clean_inline(text: str | None) -> str:
    return " ".join(normalize_text(text or "").split())


def _lines(text: str) -> Iterable[str]:
    for line in normalize_text(text).split("\n"):
        line = " ".join(line.split())
        if line:
            yield line
