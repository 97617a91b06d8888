"""Two dumps from a visible pairing set: the first, then a re-scrape of a third of its articles with
real-world edits (headline changed, a paragraph added or dropped, numbers updated) beside new articles.

The dumps are JSON Lines (title = the article's first paragraph, body = the rest, blank-line
separated), so the plain-text splitter is not what is tested. Everything is drawn from a seeded
`random.Random`: the same set gives the same dumps.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

_NUMBER = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁ«\"])")
# The words a desk puts before a headline it rewrites, and the clause it adds.
_HEADLINE = {
    "ru": (["Обновлено:", "Срочно:", "Подробности:", "Главное:"], ["- источник", "- заявление", "- видео", "- СМИ"]),
    "en": (["Updated:", "Breaking:", "Update:", "Watch:"], ["- source", "- statement", "- video", "- reports"]),
}
EDITS = ("headline", "add_paragraph", "drop_paragraph", "numbers")


@dataclass
class Article:
    """One record of the set as an article: id, language, headline, body paragraphs."""

    id: str
    lang: str
    title: str
    paragraphs: list[str]
    edits: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {"id": self.id, "lang": self.lang, "title": self.title, "text": "\n\n".join(self.paragraphs)}


def read_articles(path: Path) -> list[Article]:
    """The set's records as articles (the first paragraph is the headline; a one-paragraph record
    (WMT21) gets its first sentence as headline and its sentences as paragraphs)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        paras = [p.strip() for p in r["text"].split("\n") if p.strip()]
        if len(paras) == 1:
            paras = [s.strip() for s in _SENTENCE.split(paras[0]) if s.strip()]
            if len(paras) > 3:  # sentences regrouped two by two, the way short news paragraphs run
                paras = [paras[0]] + [" ".join(paras[i : i + 2]) for i in range(1, len(paras), 2)]
        title, body = (paras[0], paras[1:]) if len(paras) > 1 else (paras[0][:80], paras)
        out.append(Article(r["id"], r["lang"], title, body))
    return out


def _update_numbers(title: str, paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """One to three of the article's numbers updated (a toll, a count, a time revised)."""
    texts = [title, *paras]
    spots = [(i, m.start(), m.end()) for i, t in enumerate(texts) for m in _NUMBER.finditer(t)]
    for i, start, end in sorted(rng.sample(spots, min(len(spots), rng.randint(1, 3))), key=lambda s: -s[1]):
        texts[i] = texts[i][:start] + str(int(texts[i][start:end]) + rng.randint(1, 9)) + texts[i][end:]
    return texts[0], texts[1:]


def _new_headline(a: Article, rng: random.Random) -> str:
    prefixes, suffixes = _HEADLINE[a.lang]
    words = a.title.split()
    keep = words[: max(2, (2 * len(words)) // 3)]
    return " ".join([rng.choice(prefixes), *keep, rng.choice(suffixes)])


def rescrape(a: Article, rng: random.Random, extra_paragraphs: list[str]) -> Article:
    """The article as a second scrape returns it: one to four of the edits, chosen at random."""
    edits = [e for e in EDITS if rng.random() < 0.5] or [rng.choice(EDITS)]
    if "add_paragraph" in edits and "drop_paragraph" in edits:
        edits.remove(rng.choice(["add_paragraph", "drop_paragraph"]))
    title, paras = a.title, list(a.paragraphs)
    if "headline" in edits:
        title = _new_headline(a, rng)
    if "drop_paragraph" in edits:
        if len(paras) > 1:
            del paras[rng.randrange(len(paras))]
        else:
            edits.remove("drop_paragraph")
    if "add_paragraph" in edits:
        paras.insert(rng.choice([len(paras), rng.randrange(len(paras) + 1)]), rng.choice(extra_paragraphs))
    if "numbers" in edits:
        title, paras = _update_numbers(title, paras, rng)
        if (title, paras) == (a.title, a.paragraphs):
            edits.remove("numbers")
    if not edits or (title, paras) == (a.title, a.paragraphs):  # nothing changed: at least a new headline
        title, edits = _new_headline(a, rng), ["headline"]
    return Article(a.id, a.lang, title, paras, edits)


@dataclass
class RescrapeSet:
    """The two dumps and the truth: which second-dump records repeat which first-dump ones."""

    first: list[Article]
    second: list[Article]
    repeats: dict[str, str]  # second-dump id -> the first-dump id it re-scrapes

    def write(self, path: Path, which: str) -> Path:
        arts = self.first if which == "first" else self.second
        path.write_text("".join(json.dumps(a.record(), ensure_ascii=False) + "\n" for a in arts), encoding="utf-8")
        return path


def build(records: Path, extra: Path, seed: int = 20261202, first_share: float = 2 / 3) -> RescrapeSet:
    """First dump: `first_share` of the articles (each language in proportion). Second dump: the
    rest (new articles, among them translations of first-dump articles) and a third of the first
    dump's articles re-scraped with edits (ids suffixed `~rescrape`), shuffled together.
    Added paragraphs come from `extra`, another set, so that they are text no dump holds."""
    rng = random.Random(seed)
    articles = read_articles(records)
    pool = {lang: [p for a in read_articles(extra) if a.lang == lang for p in a.paragraphs] for lang in ("ru", "en")}
    first, rest, again = [], [], []
    for lang in ("ru", "en"):
        same = [a for a in articles if a.lang == lang]
        rng.shuffle(same)
        cut = round(len(same) * first_share)
        first += same[:cut]
        rest += same[cut:]
        again += rng.sample(same[:cut], round(cut / 3))
    copies = [rescrape(a, rng, pool[a.lang]) for a in again]
    for c in copies:
        c.id += "~rescrape"
    second = rest + copies
    rng.shuffle(first)
    rng.shuffle(second)
    return RescrapeSet(first, second, {c.id: c.id.removesuffix("~rescrape") for c in copies})
