"""The data dictionary is generated from the Arrow schemas, is current, and agrees with the files and README."""

from __future__ import annotations

import re

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline import schemas
from pipeline.cli import main
from pipeline.reporting.dictionary import data_dictionary_markdown
from tests.conftest import REPO

DICTIONARY = REPO / "docs" / "data_dictionary.md"


def _documented_columns(markdown: str) -> dict[str, list[str]]:
    """Table name -> column names, read back from the Markdown tables."""
    out: dict[str, list[str]] = {}
    for block in re.split(r"^## ", markdown, flags=re.M)[1:]:
        name = block.split("\n", 1)[0].strip()
        out[name] = re.findall(r"^\| `(\w+)` \|", block, flags=re.M)
    return out


def _expected_columns(name: str) -> list[str]:
    names = schemas.TABLES[name][0].names
    return [names[0], "dump_id", *names[1:]] if name in schemas.PARTITION_KEYS else names


def test_data_dictionary_is_current():
    assert DICTIONARY.read_text(encoding="utf-8") == data_dictionary_markdown(), (
        "docs/data_dictionary.md is stale: run `python -m pipeline schema --markdown -o docs/data_dictionary.md`"
    )


def test_schema_command_writes_the_dictionary(tmp_path, capsys):
    assert main(["schema", "--markdown", "-o", str(tmp_path / "dd.md")]) == 0
    assert (tmp_path / "dd.md").read_text(encoding="utf-8") == DICTIONARY.read_text(encoding="utf-8")
    assert main(["schema"]) == 0
    assert "documents:\ndoc_id: string not null" in capsys.readouterr().out


def test_every_column_is_described():
    for name, (schema, _) in schemas.TABLES.items():
        for field in schema:
            assert len(schemas.description_of(field)) > 10, f"{name}.{field.name} has no description"
    assert schemas.description_of(schemas.PARTITION_KEY)


def test_dictionary_lists_every_table_and_column():
    documented = _documented_columns(DICTIONARY.read_text(encoding="utf-8"))
    assert list(documented) == list(schemas.TABLES)
    for name in schemas.TABLES:
        assert documented[name] == _expected_columns(name), name


def test_dictionary_matches_the_files_of_a_real_run(sample_run):
    documented = _documented_columns(DICTIONARY.read_text(encoding="utf-8"))
    for name in [*schemas.PARTITIONED, *schemas.CORPUS_PARTITIONED]:
        read = ds.dataset(sample_run / name, format="parquet", partitioning="hive").schema
        assert sorted(read.names) == sorted(documented[name]), name
        (path,) = (sample_run / name).glob("dump_id=*/part-*.parquet")
        stored = pq.read_schema(path)
        for field in schemas.TABLES[name][0]:  # the descriptions travel with the files
            assert schemas.description_of(stored.field(field.name)) == schemas.description_of(field)
    assert pq.read_schema(sample_run / "pairs" / "part-0.parquet").names == documented["pairs"]
    for name in ("key_map", "entity_keys"):
        assert pq.read_schema(sample_run / name / "part-0.parquet").names == documented[name], name
    assert pq.read_schema(sample_run / "dumps.parquet").names == documented["dumps"]


def test_readme_table_summary_agrees_with_the_schemas():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/data_dictionary.md" in readme
    summary = readme.split("<!-- table-summary:start -->")[1].split("<!-- table-summary:end -->")[0]
    lines = [line for line in summary.splitlines() if line.startswith("- **")]
    assert [re.match(r"- \*\*(\w+)\*\*", line).group(1) for line in lines] == list(schemas.TABLES)
    for name, line in zip(schemas.TABLES, lines):
        columns = line.rsplit(": ", 1)[1]
        assert re.findall(r"`(\w+)`", columns) == _expected_columns(name), name
