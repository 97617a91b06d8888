"""Streaming dump processing: dump-wide context from a bounded running summary, and the
morphology-only Russian normalizer."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.dump import DumpContext
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.nlp.russian_names import nominative
from pipeline.records import EntityRecord
from pipeline.stages.entities import harmonize_labels


def _ent(doc_id: str, label: str, text: str, lang: str = "en") -> EntityRecord:
    return EntityRecord(doc_id, "d", label, text, 0, len(text), text, None, lang)


def test_multi_word_label_votes_carry_over_batches():
    votes: dict = {}
    first = [_ent("a", "PERSON", "Maria Ivanova"), _ent("b", "PERSON", "Maria Ivanova")]
    harmonize_labels(first, Gazetteer(), votes)
    (later,) = harmonize_labels([_ent("c", "ORG", "Maria Ivanova")], Gazetteer(), votes)
    assert later.label == "PERSON"
    assert votes[("en", "maria ivanova")] == Counter({"PERSON": 2, "ORG": 1})


def test_label_votes_are_bounded():
    votes: dict = {}
    batch = [_ent(str(i), "ORG", f"Company Number{i}") for i in range(10)]
    out = harmonize_labels(batch, Gazetteer(), votes, max_names=4)
    assert len(votes) == 4 and [e.label for e in out] == ["ORG"] * 10


def test_dump_year_is_a_running_summary():
    ctx = DumpContext()
    ctx.add_years([_ent("a", "DATE", "12 March 2021"), _ent("a", "DATE", "2019")])
    assert ctx.year == 2021
    ctx.add_years([_ent("b", "DATE", "1 May 2022"), _ent("c", "DATE", "3 June 2022")])
    assert ctx.year == 2022


@pytest.mark.parametrize(
    ("text", "label", "norm"),
    [
        ("Имангали Тасмагамбетова", "PERSON", "Имангали Тасмагамбетов"),
        ("Имангали Тасмагамбетовым", "PERSON", "Имангали Тасмагамбетов"),
        ("Марии Захаровой", "PERSON", "Мария Захарова"),
        ("Сергея Лаврова", "PERSON", "Сергей Лавров"),
        ("Генеральной Ассамблеи ООН", "ORG", "Генеральная Ассамблея ООН"),
        ("Министерства иностранных дел России", "ORG", "Министерство иностранных дел России"),
        ("Организации Договора о коллективной безопасности", "ORG", "Организация Договора о коллективной безопасности"),
        ("Нижнего Новгорода", "LOC", "Нижний Новгород"),
        ("Соединенных Штатах", "LOC", "Соединенные Штаты"),
        ("Санкт-Петербурге", "LOC", "Санкт-Петербург"),
        ("США", "LOC", "США"),
    ],
)
def test_russian_names_in_the_nominative(text, label, norm):
    assert nominative(text, label) == norm


def test_a_dump_is_written_batch_by_batch(tmp_path):
    """One part file per batch; the documents are the same whatever the batch size."""
    import pandas as pd

    from pipeline.dump import process_dump
    from pipeline.settings import Settings
    from pipeline.store import Store
    from tests.conftest import SAMPLE_DUMP

    tables = {}
    for size in (3, 256):
        out = tmp_path / f"out{size}"
        row = process_dump(SAMPLE_DUMP, Settings(out_dir=out, batch_size=size), Store(out))
        parts = sorted((out / "documents" / f"dump_id={row.dump_id}").glob("*.parquet"))
        assert len(parts) == -(-row.n_documents // size)
        tables[size] = pd.read_parquet(out / "documents" / f"dump_id={row.dump_id}").sort_values("ordinal")
    assert tables[3].doc_id.tolist() == tables[256].doc_id.tolist() and len(tables[3]) > 3
