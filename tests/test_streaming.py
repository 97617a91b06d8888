"""Streaming dump processing: dump-wide context from a bounded running summary, and the
morphology-only Russian normalizer."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.dump import BatchSummary, DumpContext
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.nlp.russian_names import nominative
from pipeline.records import EntityRecord
from pipeline.stages.entities import harmonize_labels


def _ent(doc_id: str, label: str, text: str, lang: str = "en") -> EntityRecord:
    return EntityRecord(doc_id, label, text, 0, len(text), text, None, lang)


def _context_of(ctx: DumpContext, entities: list[EntityRecord]):
    return ctx.add(BatchSummary.of(entities, []))


def test_multi_word_label_votes_carry_over_batches():
    ctx = DumpContext()
    first = [_ent("a", "PERSON", "Maria Ivanova"), _ent("b", "PERSON", "Maria Ivanova")]
    _context_of(ctx, first)
    batch = [_ent("c", "ORG", "Maria Ivanova")]
    context = _context_of(ctx, batch)
    (later,) = harmonize_labels(batch, Gazetteer(), context.votes)
    assert later.label == "PERSON"
    assert ctx.votes[("en", "maria ivanova")] == Counter({"PERSON": 2, "ORG": 1})
    assert context.votes == {("en", "maria ivanova"): Counter({"PERSON": 2, "ORG": 1})}  # the batch's names only
    (alone,) = harmonize_labels(batch, Gazetteer())  # without the dump: the batch's own vote
    assert alone.label == "ORG"


def test_label_votes_are_bounded():
    ctx = DumpContext(max_names=4)
    batch = [_ent(str(i), "ORG", f"Company Number{i}") for i in range(10)]
    context = _context_of(ctx, batch)
    out = harmonize_labels(batch, Gazetteer(), context.votes)
    assert len(ctx.votes) == 4 and len(context.votes) == 4 and [e.label for e in out] == ["ORG"] * 10
    assert list(ctx.votes) == [("en", f"company number{i}") for i in range(4)]  # the first mentioned
    _context_of(ctx, [_ent("x", "PERSON", "Company Number1"), _ent("y", "PERSON", "Company Number7")])
    assert ctx.votes[("en", "company number1")] == Counter({"ORG": 1, "PERSON": 1})  # a known name still counts
    assert ("en", "company number7") not in ctx.votes


def test_dump_year_is_a_running_summary():
    ctx = DumpContext()
    assert _context_of(ctx, [_ent("a", "DATE", "12 March 2021"), _ent("a", "DATE", "2019")]).year == 2021
    assert ctx.year == 2021
    assert _context_of(ctx, [_ent("b", "DATE", "1 May 2022"), _ent("c", "DATE", "3 June 2022")]).year == 2022


def test_the_context_given_to_a_batch_is_a_copy():
    """A batch's second step may run in a thread while the next batch's summary is added."""
    ctx = DumpContext()
    context = _context_of(ctx, [_ent("a", "PERSON", "Maria Ivanova")])
    _context_of(ctx, [_ent("b", "ORG", "Maria Ivanova")])
    assert context.votes[("en", "maria ivanova")] == Counter({"PERSON": 1})


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


def _dump_tables(out, dump_id: str) -> dict[str, list[dict]]:
    import pyarrow.parquet as pq

    tables = {}
    for name in ("documents", "entities", "embeddings", "signatures"):
        parts = sorted((out / name / f"dump_id={dump_id}").glob("*.parquet"))
        tables[name] = [row for part in parts for row in pq.read_table(part).to_pylist()]
    return tables


def test_rows_do_not_depend_on_when_steps_end_or_batches_in_flight(tmp_path):
    """Steps that end in any order, with one or four batches in flight, give the rows of the steps
    run one after the other here: the dump context is added and batches are written in batch order."""
    import threading
    from concurrent.futures import Executor, Future

    from pipeline.dump import process_dump
    from pipeline.settings import Settings
    from pipeline.store import Store
    from tests.conftest import SAMPLE_DUMP

    class Late(Executor):
        """Each step computed at once, its future done later: the first of four batches last."""

        def __init__(self, ended: list[tuple[str, int]]):
            self.ended = ended
            self.delays = {"analyze_batch": [1.2, 0.8, 0.4, 0.0], "finish_batch": [0.5, 0.0]}
            self.submitted: Counter = Counter()

        def submit(self, step, /, *args):
            result, future = step(*args), Future()
            pauses = self.delays[step.__name__]
            pause = pauses[self.submitted[step.__name__] % len(pauses)]
            self.submitted[step.__name__] += 1

            def end() -> None:
                self.ended.append((step.__name__, args[0][0].ordinal))
                future.set_result(result)

            threading.Timer(pause, end).start()
            return future

    runs, ends = {}, {}
    for name, in_flight in (("here", 1), ("one", 1), ("four", 4)):
        out = tmp_path / name
        settings = Settings(out_dir=out, batch_size=1, batches_in_flight=in_flight)
        ends[name] = []
        executor = Late(ends[name]) if name != "here" else None
        row = process_dump(SAMPLE_DUMP, settings, Store(out), executor=executor)
        runs[name] = _dump_tables(out, row.dump_id)
    assert runs["here"]["entities"] and len(runs["here"]["documents"]) > 4  # several batches
    assert runs["one"] == runs["here"] and runs["four"] == runs["here"]
    analyzed = [ordinal for step, ordinal in ends["four"] if step == "analyze_batch"]
    assert len(analyzed) > 2 and analyzed != sorted(analyzed)  # the steps did end out of order


def test_entities_come_in_table_order_from_the_models():
    """Both languages' entities come in the order of the documents, each in text order: the order
    the tables keep (`finish_batch` sorts once, at the end)."""
    from pipeline.nlp.loaders import load_language_model
    from pipeline.readers import open_dump
    from pipeline.settings import Settings
    from pipeline.stages.entities import extract_entities
    from tests.conftest import SAMPLE_DUMP

    settings = Settings()
    docs = list(open_dump(SAMPLE_DUMP, settings).documents)
    assert {d.lang for d in docs} == {"en", "ru"}
    found = extract_entities(docs, lambda lang: load_language_model(settings.models_dir.resolve(), lang))
    ordinal = {d.doc_id: d.ordinal for d in docs}
    assert len(found) > 10
    assert found == sorted(found, key=lambda e: (ordinal[e.doc_id], e.start, e.end, e.label))
