"""Re-scraped articles through the real flow (WMT23 whole articles, RU and EN): found, counted once,
paired once, independent of arrival order; an idle run changes nothing; forget keeps the table true."""

from __future__ import annotations

import shutil
from argparse import Namespace
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import EVAL
from tests.rescrape import RescrapeSet, build
from tests.runs import run_flow

PAIRING = EVAL / "pairing"


@pytest.fixture(scope="module")
def rescrapes() -> RescrapeSet:
    return build(PAIRING / "wmt23_ruen.jsonl", PAIRING / "wmt21_ruen.jsonl")


@pytest.fixture(scope="module")
def rescrapes21() -> RescrapeSet:
    """The held-out shape: WMT21's one-paragraph news (sentences as paragraphs), paragraphs added from WMT23."""
    return build(PAIRING / "wmt21_ruen.jsonl", PAIRING / "wmt23_ruen.jsonl")


@pytest.fixture(scope="module")
def forward21(prefect_harness, tmp_path_factory, rescrapes21):
    return _arrive(tmp_path_factory.mktemp("forward21"), rescrapes21, ("first", "second"))


def _arrive(base: Path, rs: RescrapeSet, order: tuple[str, str]) -> dict:
    """Two runs: the first dump of `order`, then the other one beside it; returns paths and run-1 pairs."""
    raw, out = base / "raw", base / "processed"
    raw.mkdir(parents=True)
    rs.write(raw / f"{order[0]}.jsonl", order[0])
    run_flow(raw, out)
    pairs_before = pd.read_parquet(out / "pairs")
    rs.write(raw / f"{order[1]}.jsonl", order[1])
    run_flow(raw, out)
    return {"raw": raw, "out": out, "pairs_before": pairs_before}


@pytest.fixture(scope="module")
def forward(prefect_harness, tmp_path_factory, rescrapes):
    return _arrive(tmp_path_factory.mktemp("forward"), rescrapes, ("first", "second"))


@pytest.fixture(scope="module")
def backward(prefect_harness, tmp_path_factory, rescrapes):
    return _arrive(tmp_path_factory.mktemp("backward"), rescrapes, ("second", "first"))


def _documents(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "documents", columns=["doc_id", "dump_id", "ordinal", "title", "text", "source_id"])


def _marked(out: Path) -> pd.DataFrame:
    """The duplicates table with both documents' record ids."""
    dups = pd.read_parquet(out / "duplicates")
    docs = _documents(out)
    ids = dict(zip(zip(docs.dump_id, docs.doc_id), docs.source_id))
    dups["source_id"] = [ids[k] for k in zip(dups.dump_id, dups.doc_id)]
    dups["original_id"] = [ids[k] for k in zip(dups.duplicate_of_dump_id, dups.duplicate_of)]
    return dups


def _key(a) -> tuple:
    return (a.title, tuple(a.paragraphs))


def _truth(rs: RescrapeSet) -> dict[str, str]:
    """Second-dump record -> the first-dump record it repeats: the re-scrapes, and records whose text
    is exactly another's (WMT23 has one "translation" whose reference copies the Russian source)."""
    truth = dict(rs.repeats)
    seen = {(a.title, tuple(a.paragraphs)): a.id for a in rs.first}
    for a in rs.second:
        key = (a.title, tuple(a.paragraphs))
        if key in seen and a.id not in truth:
            truth[a.id] = seen[key]
    return truth


# The bar on WMT23's whole articles. WMT21's items are three to six sentences: an edit that
# drops one and changes the headline leaves some below the threshold (recall 0.992 over 20 seeded
# sets in benchmarks/near_duplicate_threshold.py, 0.947 per language on this seed's 19 + 19).
MIN_RECALL = {"wmt23": 0.98, "wmt21": 0.9}


@pytest.mark.parametrize("which", ["wmt23", "wmt21"])
def test_rescraped_articles_are_found_in_both_languages(which, request):
    forward, rescrapes = (
        (request.getfixturevalue("forward"), request.getfixturevalue("rescrapes"))
        if which == "wmt23"
        else (request.getfixturevalue("forward21"), request.getfixturevalue("rescrapes21"))
    )
    marked = _marked(forward["out"])
    truth = _truth(rescrapes)
    lang = {a.id: a.lang for a in rescrapes.first + rescrapes.second}
    assert len(rescrapes.repeats) >= 18 and len({lang[i] for i in rescrapes.repeats}) == 2
    for code in ("ru", "en"):
        got = {i for i in marked.source_id if lang[i] == code}
        want = {i for i in truth if lang[i] == code}
        recall = len(got & want) / len(want)
        precision = len(got & want) / len(got)
        print(f"{which} {code}: {len(want)} repeats, {len(got)} marked, recall {recall:.3f}, precision {precision:.3f}")
        assert recall >= MIN_RECALL[which], (code, sorted(want - got))
        assert precision >= 0.99, (code, sorted(got - want))
    pointed = dict(zip(marked.source_id, marked.original_id))
    assert all(pointed[i] == truth[i] for i in truth if i in pointed)
    rescraped = marked[marked.source_id.isin(rescrapes.repeats)]
    assert (rescraped.kind == "near").all() and rescraped.similarity.between(0.25, 0.999).all()


def test_a_rescraped_copy_neither_replaces_nor_adds_a_pair(forward):
    out = forward["out"]
    pairs = pd.read_parquet(out / "pairs")
    dups = pd.read_parquet(out / "duplicates")
    copies = set(zip(dups.dump_id, dups.doc_id))
    assert not copies & set(zip(pairs.ru_dump_id, pairs.ru_doc_id))
    assert not copies & set(zip(pairs.en_dump_id, pairs.en_doc_id))
    originals = set(dups.duplicate_of)
    before = forward["pairs_before"]
    kept = before[before.ru_doc_id.isin(originals) | before.en_doc_id.isin(originals)]
    assert len(kept) >= 3
    after = set(zip(pairs.ru_doc_id, pairs.en_doc_id))
    assert set(zip(kept.ru_doc_id, kept.en_doc_id)) <= after


def test_the_order_of_arrival_changes_only_which_copy_counts(forward, backward):
    a, b = _marked(forward["out"]), _marked(backward["out"])
    assert len(a) == len(b) > 0
    links = [set(zip(t.source_id, t.original_id)) for t in (a, b)]
    assert {frozenset(x) for x in links[0]} == {frozenset(x) for x in links[1]}
    assert links[0].isdisjoint(links[1])  # every link points the other way
    assert sorted(a.similarity.round(6)) == sorted(b.similarity.round(6))


def test_an_idle_rerun_changes_nothing(forward):
    out = forward["out"]
    files = {p: p.read_bytes() for p in sorted(out.rglob("*.parquet"))}
    run_flow(forward["raw"], out)
    assert {p: p.read_bytes() for p in sorted(out.rglob("*.parquet"))} == files


def test_forget_the_first_dump_and_its_copies_stop_being_duplicates(forward, tmp_path):
    from pipeline.commands.forget import forget

    out = tmp_path / "processed"
    shutil.copytree(forward["out"], out)
    docs = _documents(out)
    first = docs.loc[docs.source_id.str.endswith("~rescrape"), "dump_id"]
    second_id = first.iloc[0]
    first_id = next(d for d in docs.dump_id.unique() if d != second_id)
    assert forget(Namespace(dump_id=first_id, out=str(out), raw=str(tmp_path / "raw"), lock_timeout=10)) == 0
    marked = _marked(out)
    assert (marked.dump_id == second_id).all() and (marked.duplicate_of_dump_id == second_id).all()
    assert not [i for i in marked.source_id if i.endswith("~rescrape")]  # their original is gone: each counts now


def test_status_and_the_readme_count_each_article_once(forward, rescrapes, tmp_path, monkeypatch):
    from pipeline.reporting.data import load_overview, without_repeats
    from pipeline.reporting.html import build_report
    from pipeline.reporting.status import format_status
    from pipeline.store import Store
    from tests.test_readme_snippets import SNIPPETS

    out = forward["out"]
    overview = load_overview(out)
    docs, dups = _documents(out), pd.read_parquet(out / "duplicates")
    n_records = len(rescrapes.first) + len(rescrapes.second)
    assert overview.n_documents == len(docs) == n_records
    kept = docs.merge(dups[["dump_id", "doc_id"]], on=["dump_id", "doc_id"], how="left", indicator=True)
    kept = kept[kept._merge == "left_only"]
    by_id = {a.id: a for a in rescrapes.first}
    articles = {_key(by_id.get(rescrapes.repeats.get(a.id), a)) for a in rescrapes.first + rescrapes.second}
    assert overview.n_unique_documents == kept.doc_id.nunique() == len(articles) < n_records
    assert overview.n_unique_entities < overview.n_entities
    assert f"each article once: {overview.n_unique_documents} documents" in format_status(overview)
    page = build_report(out)
    assert f"<b>{overview.n_unique_documents}</b><span>unique documents" in page
    assert f"<b>{overview.n_unique_entities}</b><span>mentions in unique documents" in page
    ents = pd.read_parquet(out / "entities")
    kept_ents = ents.merge(dups[["dump_id", "doc_id"]], on=["dump_id", "doc_id"], how="left", indicator=True)
    store = Store(out)
    charted = without_repeats(store.read_table("entities", sorted(docs.dump_id.unique())), store)
    assert charted.num_rows == (kept_ents._merge == "left_only").sum() < len(ents)
    (tmp_path / "processed").symlink_to(out, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    once = [code for code in SNIPPETS if "processed/duplicates" in code]
    assert len(once) == 2
    for code in once:
        namespace: dict = {"__name__": "__readme__"}
        exec(compile(code, "README.md snippet", "exec"), namespace)
        assert len(namespace["unique_docs"]) == overview.n_unique_documents
        assert len(namespace["unique_mentions"]) == overview.n_unique_entities
