"""The real Prefect flow on the sample dump, checked against the sample's gold."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import schemas
from pipeline.stages.decode import decode_bytes
from tests.conftest import SAMPLE_DUMP


@pytest.fixture(scope="module")
def tables(sample_run):
    docs = pd.read_parquet(sample_run / "documents").sort_values("ordinal").reset_index(drop=True)
    ents = pd.read_parquet(sample_run / "entities")
    pairs = pd.read_parquet(sample_run / "pairs")
    dumps = pd.read_parquet(sample_run / "dumps.parquet")
    return docs, ents, pairs, dumps


def _doc_entities(docs, ents, ordinal):
    doc_id = docs.loc[docs.ordinal == ordinal, "doc_id"].item()
    return ents[ents.doc_id == doc_id]


def test_documents_match_gold(tables, sample_gold):
    docs, _, _, dumps = tables
    gold = sample_gold["documents"]
    assert list(docs.ordinal) == [g["ordinal"] for g in gold]
    assert list(docs.lang.astype(str)) == [g["lang"] for g in gold]
    assert list(docs.n_paragraphs) == [g["n_paragraphs"] for g in gold]
    for text, g in zip(docs.text, gold):
        assert text.startswith(g["starts"]), (text[:60], g["starts"])
    assert dumps.status.astype(str).tolist() == ["ok"]
    assert dumps.n_documents.tolist() == [6]
    assert dumps.encoding.tolist() == ["utf-8"]


def test_headline_is_a_title_not_a_body(tables, sample_gold):
    docs, *_ = tables
    headline = sample_gold["headline"]["text"]
    titled = docs[docs.title == headline]
    assert titled.ordinal.tolist() in ([4], [5])
    assert not any(headline in t for t in docs.text)
    assert docs.title.notna().sum() == 1


def test_titles_and_bodies_hold_exactly_the_dump_text(tables):
    docs, *_ = tables
    dump = decode_bytes(SAMPLE_DUMP.read_bytes()).text
    nonblank = re.sub(r"\s+", "", dump)
    titles = [t if isinstance(t, str) else "" for t in docs.title]
    pieces = "".join(t + x for t, x in zip(titles, docs.text))
    assert re.sub(r"\s+", "", pieces) == nonblank
    for row, title in zip(docs.itertuples(), titles):
        span = dump[row.start : row.end]
        assert span.endswith(row.text)
        if title:
            assert span.startswith(title)
        else:
            assert span == row.text
    assert "коллективно безопасности" in docs.text[4]
    assert "“International relations”" in docs.text[0]


def test_gold_entities_found_with_labels_and_norms(tables, sample_gold):
    docs, ents, *_ = tables
    for g in sample_gold["documents"]:
        found = _doc_entities(docs, ents, g["ordinal"])
        for label, text, norm in g["entities"]:
            hits = found[(found.label.astype(str) == label) & (found.text == text)]
            assert len(hits), f"doc {g['ordinal']}: {label} {text!r} not found in {found.text.tolist()}"
            if norm is not None:
                assert norm in hits.norm.tolist()
    assert not ents.text.str.match(r"(?i)the\s").any()


def test_entity_offsets_slice_the_document_text(tables):
    docs, ents, *_ = tables
    text_of = dict(zip(docs.doc_id, docs.text))
    for e in ents.itertuples():
        assert text_of[e.doc_id][e.start : e.end] == e.text


def test_same_entity_mentions_share_a_key(tables, sample_gold):
    docs, ents, *_ = tables
    for link in sample_gold["same_entity"]:
        keys = []
        for ordinal, text in link["mentions"]:
            found = _doc_entities(docs, ents, ordinal)
            keys.append(set(found[found.text == text].entity_key))
        common = set.intersection(*keys) - {None}
        assert common, f"{link['why']}: {keys}"


def test_exactly_the_gold_pair(tables, sample_gold):
    docs, _, pairs, _ = tables
    id_of = dict(zip(docs.ordinal, docs.doc_id))
    expected = {(id_of[a], id_of[b]) for a, b in sample_gold["pairs"]}
    got = set(zip(pairs.ru_doc_id, pairs.en_doc_id))
    assert got == expected
    assert pairs.score.iloc[0] > 0
    assert "org:csto" in list(pairs.shared_keys.iloc[0])


def test_files_carry_the_explicit_schemas(sample_run):
    for name, schema in schemas.PARTITIONED.items():
        (path,) = (sample_run / name).glob("dump_id=*/part-*.parquet")
        f = pq.ParquetFile(path)
        assert f.schema_arrow.equals(schema, check_metadata=False), name
        assert f.schema_arrow.metadata[b"schema_version"] == schemas.SCHEMA_VERSION.encode()
        assert f.metadata.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_schema(sample_run / "dumps.parquet").equals(schemas.DUMPS, check_metadata=False)
    assert pq.read_schema(sample_run / "pairs" / "part-0.parquet").equals(schemas.PAIRS, check_metadata=False)
    (bitext,) = (sample_run / "bitext").glob("dump_id=*/part-*.parquet")
    assert pq.read_schema(bitext).equals(schemas.BITEXT, check_metadata=False)


def test_the_flow_run_publishes_what_each_step_did_as_its_table_artifact(sample_run, prefect_harness):
    """Read back from the Prefect server, as the UI shows it on the flow run's page."""
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from pipeline.flows import STATS_ARTIFACT

    flow_run_id = (sample_run.parent / "flow_run_id").read_text()
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    assert artifact.key == STATS_ARTIFACT and artifact.type == "table"
    rows = {r["step"]: r for r in json.loads(artifact.data)}
    assert list(rows) == ["dumps", "duplicates", "pairs", "bitext", "key_map", "entity_keys"]
    documents = pd.read_parquet(sample_run / "documents")
    assert rows["dumps"]["documents"] == len(documents) and rows["dumps"]["ran"]
    assert rows["pairs"]["rows"] == len(pd.read_parquet(sample_run / "pairs")) > 0
    assert rows["pairs"]["documents"] == len(documents)  # no repeats in the sample: every document paired over
    assert rows["bitext"]["rows"] == len(pd.read_parquet(sample_run / "bitext"))
    assert rows["entity_keys"]["rows"] == len(pd.read_parquet(sample_run / "entity_keys"))
    assert all(r["ran"] and r["seconds"] >= 0 for r in rows.values())


def test_second_run_adds_and_changes_nothing(sample_run, prefect_harness):
    from pipeline.flows import process_raw_folder

    before = {n: pd.read_parquet(sample_run / n) for n in ("documents", "entities", "pairs", "bitext")}
    manifest = pd.read_parquet(sample_run / "dumps.parquet")
    (bitext,) = (sample_run / "bitext").glob("dump_id=*/part-*.parquet")
    written = bitext.stat().st_mtime_ns
    raw = sample_run.parent / "raw"
    result = process_raw_folder(raw_dir=str(raw), out_dir=str(sample_run))
    assert result["new_dumps"] == 0 and result["skipped_dumps"] == 1
    assert not any(step["ran"] for step in result["steps"])  # every corpus step current: nothing redone
    for name, table in before.items():
        pd.testing.assert_frame_equal(pd.read_parquet(sample_run / name), table)
    pd.testing.assert_frame_equal(pd.read_parquet(sample_run / "dumps.parquet"), manifest)
    assert bitext.stat().st_mtime_ns == written  # the bitext of unchanged pairs is not rewritten
