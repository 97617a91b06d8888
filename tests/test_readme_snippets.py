"""Every Python snippet of the analyst sections (README's, then docs/loading.md's) runs against the
sample's real output and gives true answers."""

from __future__ import annotations

import re

import pandas as pd
import polars as pl
import pytest

from tests.conftest import REPO

START, END = "<!-- analyst-snippets:start -->", "<!-- analyst-snippets:end -->"


# Where the analyst snippets are, in reading order: the README's first, then the page it links for more.
SNIPPET_FILES = ("README.md", "docs/loading.md")


def readme_snippets(name: str = "README.md") -> list[str]:
    """The Python snippets between the analyst-snippets markers of one file (exactly one such section)."""
    text = (REPO / name).read_text(encoding="utf-8")
    assert text.count(START) == text.count(END) == 1, name
    section = text.split(START, 1)[1].split(END, 1)[0]
    return re.findall(r"^```python\n(.*?)^```", section, flags=re.S | re.M)


SNIPPETS = [code for name in SNIPPET_FILES for code in readme_snippets(name)]


def _library(code: str) -> str:
    return re.search(r"^import (\w+)", code, flags=re.M).group(1)


def _frame(value) -> pd.DataFrame:
    """pandas and Polars results as pandas, for one set of checks."""
    if isinstance(value, pl.DataFrame):
        return value.to_pandas()
    return value.reset_index() if "entity_key" in getattr(value.index, "names", []) else value


@pytest.fixture(scope="module")
def truth(sample_run):
    docs = pd.read_parquet(sample_run / "documents")
    ents = pd.read_parquet(sample_run / "entities")
    key_map = pd.read_parquet(sample_run / "key_map")
    ents["entity_key"] = [dict(zip(key_map.entity_key, key_map.key)).get(k, k) for k in ents.entity_key]
    named = ents[ents.label.isin(["PERSON", "ORG"])]
    names = ents[ents.label.isin(["PERSON", "ORG", "GPE", "LOC"])]
    text = dict(zip(docs.doc_id, docs.text))
    pairs = pd.read_parquet(sample_run / "pairs")
    units = pd.read_parquet(sample_run / "bitext")
    both_sides = units[units.ru_text.notna() & units.en_text.notna()]
    return {
        "units": list(zip(both_sides.ru_text, both_sides.en_text)),
        "shares": (
            units.ru_text.str.len().where(units.en_text.notna()).sum() / units.ru_text.str.len().sum(),
            units.en_text.str.len().where(units.ru_text.notna()).sum() / units.en_text.str.len().sum(),
        ),
        "unique_docs": set(docs.doc_id),  # one dump without repeats: every document counts
        "unique_mentions": len(ents.drop_duplicates(["doc_id", "start", "end", "label"])),
        "mentions": named.groupby("entity_key").size().to_dict(),
        "tasmagambetov": set(named[named.text.str.contains("Tasmagambetov")].entity_key),
        "pairs": {(text[r], text[e]) for r, e in zip(pairs.ru_doc_id, pairs.en_doc_id)},
        "dimension": names.groupby("entity_key").size().to_dict(),
    }


@pytest.fixture
def in_analyst_folder(sample_run, tmp_path, monkeypatch):
    """A folder whose processed/ is the sample's output, as after `make run` in the repository."""
    (tmp_path / "processed").symlink_to(sample_run, target_is_directory=True)
    monkeypatch.chdir(tmp_path)


def test_the_sections_have_snippets_for_every_library():
    assert [_library(code) for code in readme_snippets("README.md")] == ["pandas", "pandas", "duckdb"]
    assert [_library(code) for code in SNIPPETS] == [
        "pandas",
        "pandas",
        "duckdb",
        "polars",
        "pandas",
        "duckdb",
        "pandas",
        "duckdb",
    ]


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"{i}-{_library(c)}" for i, c in enumerate(SNIPPETS)])
def test_readme_snippet_runs_and_is_true(code, in_analyst_folder, truth, capsys):
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(code, "README.md snippet", "exec"), namespace)
    assert capsys.readouterr().out.strip()  # it shows something
    wanted = ("top", "both", "tm", "shares", "unique_docs", "entity_keys")
    results = {name: _frame(namespace[name]) for name in wanted if name in namespace}
    assert results
    if "unique_docs" in results:  # tests/test_near_duplicates_wmt.py runs these on a dataset with repeats
        assert set(results["unique_docs"].doc_id) == truth["unique_docs"]
        assert results["unique_docs"].doc_id.is_unique
        assert len(namespace["unique_mentions"]) == truth["unique_mentions"]
    if "top" in results:
        top = results["top"]
        got = dict(zip(top.entity_key, top.mentions))
        assert got == truth["mentions"]
        assert top.entity_key.iloc[0] in ("org:csto", "org:un")  # the most named: 15 mentions each
        (key,) = truth["tasmagambetov"]  # one key for every mention of the man
        assert key in got
    if "entity_keys" in results:  # the dimension: one row per key, the same counts as the mentions
        dim = results["entity_keys"]
        assert dict(zip(dim.key, dim.mentions)) == truth["dimension"]
        assert dim.key.is_unique and dim.set_index("key").loc["org:csto", "name_ru"] == "ОДКБ"
    if "both" in results:
        both = results["both"]
        assert set(zip(both.ru_text, both.en_text)) == truth["pairs"]
    if "tm" in results:  # the bitext: every unit with both sides, in the pair's order, and the aligned shares
        tm = results["tm"]
        assert list(zip(tm.ru_text, tm.en_text)) == truth["units"] and len(tm) >= 4
        shares = results["shares"]
        assert (shares.ru_share.item(), shares.en_share.item()) == pytest.approx(truth["shares"])
