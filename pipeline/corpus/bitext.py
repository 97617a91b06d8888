"""The bitext corpus step: the aligned sentences of every pair, kept in step with the pairs table.

The table is partitioned by the Russian document's dump. Each run compares, partition by
partition, the pairs the table holds with the pairs table: a partition whose pairs and aligner
are unchanged is not touched; otherwise its units are rebuilt (units of the pairs that stay are
kept, new pairs are aligned, gone pairs dropped) and the partition is replaced in one rename.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import PIPELINE_VERSION, schemas
from pipeline.corpus.step import CorpusStep, StepStats
from pipeline.settings import Settings
from pipeline.stages.align import DEFAULT_ALIGN, AlignConfig, align_runs, embed_runs, full_text, split_sentences
from pipeline.stages.pairing import sentence_encoder
from pipeline.store import Store

ALIGNER_KEY = b"aligner"
TABLE = "bitext"
PAIR_IDS = ["ru_doc_id", "en_doc_id"]


@dataclass
class BitextSummary:
    partitions_written: int = 0
    partitions_removed: int = 0
    pairs_aligned: int = 0
    units: int = 0  # units in the whole table after the step


def aligner_fingerprint(config: AlignConfig = DEFAULT_ALIGN) -> str:
    """What the units of a partition were computed with: the pipeline version and the aligner's knobs."""
    return hashlib.sha256(json.dumps([PIPELINE_VERSION, asdict(config)], sort_keys=True).encode()).hexdigest()[:16]


def sync_bitext(store: Store, config: AlignConfig = DEFAULT_ALIGN, batch_pairs: int = 64) -> BitextSummary:
    """Bring the bitext table in step with the pairs table (see the module docstring)."""
    summary = BitextSummary()
    pairs = store.read_pairs().select(["ru_doc_id", "en_doc_id", "ru_dump_id", "en_dump_id"]).to_pylist()
    wanted: dict[str, dict[tuple[str, str], dict]] = defaultdict(dict)
    for p in pairs:
        wanted[p["ru_dump_id"]][(p["ru_doc_id"], p["en_doc_id"])] = p
    for dump_id in store.corpus_partition_ids(TABLE):
        if dump_id not in wanted:
            store.remove_corpus_partition(TABLE, dump_id)
            summary.partitions_removed += 1
    fingerprint = aligner_fingerprint(config)
    for dump_id in sorted(wanted):
        exists = bool(store.part_files(TABLE, dump_id))
        current = store.corpus_partition_metadata(TABLE, dump_id).get(ALIGNER_KEY) == fingerprint.encode()
        empty = schemas.BITEXT.empty_table().select(PAIR_IDS)
        held = store.read_corpus_partition(TABLE, dump_id, PAIR_IDS) if current else empty
        have = set(zip(*(held.column(c).to_pylist() for c in PAIR_IDS)))
        if exists and current and have == set(wanted[dump_id]):
            summary.units += held.num_rows  # unchanged: its units (texts) are not read
            continue
        old = store.read_corpus_partition(TABLE, dump_id) if current else schemas.BITEXT.empty_table()
        keep = old.filter(
            pc.is_in(
                pc.binary_join_element_wise(old["ru_doc_id"], old["en_doc_id"], "\t"),
                pa.array([f"{r}\t{e}" for r, e in wanted[dump_id]], pa.string()),
            )
        )
        todo = [wanted[dump_id][k] for k in sorted(set(wanted[dump_id]) - have)]
        rows: list[dict] = []
        for lo in range(0, len(todo), batch_pairs):
            rows += align_batch(store, todo[lo : lo + batch_pairs], config)
        table = pa.concat_tables([keep.cast(schemas.BITEXT), schemas.to_table(rows, schemas.BITEXT)])
        table = table.sort_by([("ru_doc_id", "ascending"), ("en_doc_id", "ascending"), ("unit", "ascending")])
        meta = {**(schemas.BITEXT.metadata or {}), ALIGNER_KEY: fingerprint.encode()}
        store.write_corpus_partition(TABLE, dump_id, table.replace_schema_metadata(meta))
        summary.partitions_written += 1
        summary.pairs_aligned += len(todo)
        summary.units += table.num_rows
    return summary


def _documents(store: Store, wanted: dict[str, set[str]]) -> dict[str, tuple[str | None, str]]:
    """(title, text) of the wanted documents, read from the documents partitions of their dumps."""
    out: dict[str, tuple[str | None, str]] = {}
    for dump_id, ids in sorted(wanted.items()):
        t = store.read_partition("documents", dump_id, ["doc_id", "title", "text"])
        t = t.filter(pc.is_in(t["doc_id"], pa.array(sorted(ids), pa.string())))
        for doc_id, title, text in zip(*(t.column(c).to_pylist() for c in ("doc_id", "title", "text"))):
            out[doc_id] = (title, text)
    return out


def align_batch(store: Store, pairs: list[dict], config: AlignConfig = DEFAULT_ALIGN) -> list[dict]:
    """The bitext rows of some pairs (dicts with both doc ids and dump ids), one encoder pass for all."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        wanted[p["ru_dump_id"]].add(p["ru_doc_id"])
        wanted[p["en_dump_id"]].add(p["en_doc_id"])
    docs = _documents(store, wanted)
    pairs = [p for p in pairs if p["ru_doc_id"] in docs and p["en_doc_id"] in docs]
    ids = sorted({d for p in pairs for d in (p["ru_doc_id"], p["en_doc_id"])})
    texts = {d: full_text(*docs[d]) for d in ids}
    sentences = {d: split_sentences(texts[d]) for d in ids}
    runs = dict(
        zip(
            ids,
            embed_runs(
                sentence_encoder(),
                [[texts[d][s.start : s.end][: config.max_sentence_chars] for s in sentences[d]] for d in ids],
                [[s.paragraph for s in sentences[d]] for d in ids],
                config.max_merge,
            ),
        )
    )
    rows = []
    for p in pairs:
        r, e = p["ru_doc_id"], p["en_doc_id"]
        sr, se = sentences[r], sentences[e]
        for k, u in enumerate(align_runs(runs[r], runs[e], len(sr), len(se), config)):
            row = {"ru_doc_id": r, "en_doc_id": e, "unit": k, "kind": u.kind, "score": u.score}
            for side, doc, sents, lo, hi in (("ru", r, sr, u.ru_lo, u.ru_hi), ("en", e, se, u.en_lo, u.en_hi)):
                start, end = (sents[lo].start, sents[hi - 1].end) if hi > lo else (None, None)
                row[f"{side}_text"] = texts[doc][start:end] if hi > lo else None
                row[f"{side}_start"], row[f"{side}_end"] = start, end
                row[f"{side}_paragraph"] = sents[lo].paragraph if hi > lo else None
            rows.append(row)
    return rows


def align_pairs(store: Store, settings: Settings) -> StepStats:
    """The step: the bitext table in step with the pairs."""
    summary = sync_bitext(store)
    return StepStats("bitext", documents=2 * summary.pairs_aligned, rows=summary.units)


STEP = CorpusStep(
    name="bitext",
    reads=("pairs", "documents"),
    writes=("bitext",),
    params=lambda settings: aligner_fingerprint(),
    run=align_pairs,
)
