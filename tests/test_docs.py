"""The README stays a front door (short, its two commands true) and every link of README.md and
docs/*.md leads somewhere: a file of the repository and, with an anchor, a heading in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MAX_README_LINES = 400


def _without_code(markdown: str) -> str:
    """The text outside fenced code blocks and inline code (a `[x](y)` or `# x` there is no link or heading)."""
    prose = re.sub(r"^```.*?^```[^\n]*$", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", prose)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file (a repeated heading gets -1, -2, ...)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    markdown = re.sub(r"^```.*?^```[^\n]*$", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", markdown, flags=re.M):
        slug = _slug(heading)
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(path: Path) -> list[str]:
    """The targets of the Markdown links of a file that point inside the repository."""
    targets = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", _without_code(path.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]  # http:, https:, mailto: are not ours


def test_the_slugs_are_githubs():
    assert _slug("Entity keys: precision first, and what the translations teach") == (
        "entity-keys-precision-first-and-what-the-translations-teach"
    )
    assert _slug("English names on today's news") == "english-names-on-todays-news"
    assert _slug("Re-runs, crashes and bad input") == "re-runs-crashes-and-bad-input"
    assert _slug("More than one process or machine: Dask") == "more-than-one-process-or-machine-dask"


def test_the_readme_is_a_front_door():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < MAX_README_LINES
    front = ("The two commands", "Where the tables are", "Loading the tables", "Schedules", "Dask", "Troubleshooting")
    for heading in front:
        assert re.search(rf"^## .*{heading}", readme, flags=re.M), heading


def test_the_two_commands_are_the_makefiles():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"^```bash\n(.*?)^```", readme, flags=re.S | re.M).group(1)
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == ["make run", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run: setup$", makefile, flags=re.M)
    assert re.search(r"^\t.*-m pipeline run --raw raw --out processed$", makefile, flags=re.M)
    assert re.search(r"^test: setup\b.*$\n\t.*-m pytest", makefile, flags=re.M)


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO / t.split("#")[0]).resolve() for t in links(REPO / "README.md") if t.split("#")[0]}
    assert [p.name for p in PAGES[1:] if p.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_every_link_leads_to_a_file_and_heading(page):
    assert page.name == "data_dictionary.md" or links(page), f"{page.name} links nowhere"
    for target in links(page):
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        assert dest.exists(), f"{page.name}: {target} leads to no file"
        assert dest.is_relative_to(REPO), f"{page.name}: {target} leads outside the repository"
        if anchor:
            assert dest.suffix == ".md", f"{page.name}: {target}: an anchor into a file that is not Markdown"
            assert anchor in anchors(dest), f"{page.name}: {target}: no such heading in {dest.name}"


def test_the_link_checker_sees_a_broken_link_and_anchor(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Top\n\n[ok](#top) [gone](missing.md) [bad](#nowhere)\n```\n[code](not-a-link.md)\n```\n")
    assert links(page) == ["#top", "missing.md", "#nowhere"]
    assert anchors(page) == {"top"}
