"""Which reader a dump file takes, by its name (lower case; `.gz` of each is read too).

| format | names |
|---|---|
| `wet` | `*.warc.wet`, `*.wet` (Common Crawl's extracted text) |
| `warc` | `*.warc` |
| `page` | `*.html`, `*.htm`, `*.xhtml` (a saved web page) |
| `feed` | `*.rss`, `*.atom`, `*.xml` (an RSS or Atom feed; an `.xml` file without a feed root is rejected) |
| `jsonl` | `*.jsonl`, `*.ndjson` |
| `text` | any other name |
"""

from __future__ import annotations

SUFFIXES = {
    "wet": (".warc.wet", ".wet"),
    "warc": (".warc",),
    "page": (".html", ".htm", ".xhtml"),
    "feed": (".rss", ".atom", ".xml"),
    "jsonl": (".jsonl", ".ndjson"),
}
WEB_FORMATS = ("wet", "warc", "page", "feed")


def dump_format(name: str) -> str:
    """The format of a dump file from its name: one of `SUFFIXES`, else `text`."""
    lower = str(name).lower()
    lower = lower.removesuffix(".gz")
    for fmt, suffixes in SUFFIXES.items():
        if lower.endswith(suffixes):
            return fmt
    return "text"


def accumulates(name: str) -> bool:
    """Whether a new version of this file adds to the earlier ones instead of replacing them: a feed
    downloaded again holds the stream's latest items, not a new edition of the same ones."""
    return dump_format(name) == "feed"
