"""`pipeline evaluate split DUMP GOLD.jsonl`: document boundaries of a plain-text dump, scored.

The gold is JSON Lines, one record per document of the dump in dump order (`text`, optional
`lang`, as in ../shared/eval/pairing): the dump is the records' text laid out as a site dump.
Positions are counted in non-blank characters, so the gold's own white space (paragraphs joined
by one newline) need not match the dump's: a document is the range of the dump's non-blank
characters it covers, title included, and a boundary is where a document other than the first
starts. Boundary precision, recall and F1 compare these positions; a document is exact when a
predicted document covers the same range as a gold one (so one error does not shift the rest).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.records import DocumentRecord
from pipeline.settings import Settings

_SPACE = re.compile(r"\s+")


@dataclass
class SplitScores:
    precision: float
    recall: float
    f1: float
    true_boundaries: int
    false_boundaries: int
    missed_boundaries: int
    n_gold: int
    n_documents: int
    exact_documents: int
    language_matches: int  # exact documents whose language is the gold record's
    false_at: list[str] = field(default_factory=list)  # the start of the text after each false boundary
    missed_at: list[str] = field(default_factory=list)


def non_blank_count(text: str) -> int:
    return len(text) - sum(len(m) for m in _SPACE.findall(text))


def gold_ranges(records: Sequence[dict]) -> list[tuple[int, int]]:
    """Each gold record's range in non-blank characters, in order."""
    ranges, pos = [], 0
    for r in records:
        n = non_blank_count(r["text"])
        ranges.append((pos, pos + n))
        pos += n
    return ranges


def predicted_ranges(dump_text: str, documents: Iterable[DocumentRecord]) -> list[tuple[int, int]]:
    """Each document's range in non-blank characters of the decoded dump, from its offsets."""
    ranges, pos, counted = [], 0, 0
    for d in sorted(documents, key=lambda d: d.start):
        pos += non_blank_count(dump_text[counted : d.start])
        n = non_blank_count(dump_text[d.start : d.end])
        ranges.append((pos, pos + n))
        pos, counted = pos + n, d.end
    return ranges


def check_same_text(dump_text: str, records: Sequence[dict]) -> None:
    """ValueError unless the dump's non-blank characters are the records' ones, in order."""
    dump_chars = _SPACE.sub("", dump_text)
    gold_chars = "".join(_SPACE.sub("", r["text"]) for r in records)
    if dump_chars != gold_chars:
        at = next((i for i, (a, b) in enumerate(zip(dump_chars, gold_chars)) if a != b), None)
        at = min(len(dump_chars), len(gold_chars)) if at is None else at
        raise ValueError(f"the gold records are not the text of the dump (they differ at non-blank character {at})")


def _context(chars: str, pos: int, n: int = 40) -> str:
    return chars[pos : pos + n]


def score_split(
    dump_text: str, records: Sequence[dict], documents: Sequence[DocumentRecord], examples: int = 20
) -> SplitScores:
    """Boundary P/R/F1 and exact documents of `documents` (split from `dump_text`) against the gold."""
    check_same_text(dump_text, records)
    gold, pred = gold_ranges(records), predicted_ranges(dump_text, documents)
    gold_b, pred_b = {a for a, _ in gold[1:]}, {a for a, _ in pred[1:]}
    tp = len(gold_b & pred_b)
    fp, fn = len(pred_b - gold_b), len(gold_b - pred_b)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    gold_index = {rng: i for i, rng in enumerate(gold)}
    docs = sorted(documents, key=lambda d: d.start)
    exact = [(d, records[gold_index[rng]]) for d, rng in zip(docs, pred) if rng in gold_index]
    chars = _SPACE.sub("", dump_text)
    return SplitScores(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        true_boundaries=tp,
        false_boundaries=fp,
        missed_boundaries=fn,
        n_gold=len(gold),
        n_documents=len(docs),
        exact_documents=len(exact),
        language_matches=sum(d.lang == r.get("lang") for d, r in exact),
        false_at=[_context(chars, b) for b in sorted(pred_b - gold_b)[:examples]],
        missed_at=[_context(chars, b) for b in sorted(gold_b - pred_b)[:examples]],
    )


def split_documents(dump: Path, settings: Settings | None = None) -> list[DocumentRecord]:
    """The documents the pipeline's reader and splitter make of a dump (no NLP beyond language)."""
    from pipeline.readers import open_dump, read_through

    settings = settings or Settings.from_env()
    _, documents = read_through(lambda encoding: open_dump(Path(dump), settings, encoding=encoding),
                                lambda source: list(source.documents))
    return documents


def decoded_text(dump: Path) -> str:
    """The dump decoded as the reader decodes it (offsets point into this text); gzip read through."""
    import gzip

    from pipeline.readers.base import GZIP_MAGIC
    from pipeline.stages.decode import decode_bytes

    data = Path(dump).read_bytes()
    return decode_bytes(gzip.decompress(data) if data.startswith(GZIP_MAGIC) else data).text


def evaluate(dump: Path, gold: Path, settings: Settings | None = None) -> SplitScores:
    with open(gold, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    documents = split_documents(dump, settings)
    return score_split(decoded_text(dump), records, documents)


def main(args: argparse.Namespace) -> int:
    for name in ("dump", "gold"):
        if not Path(getattr(args, name)).is_file():
            print(f"error: {name} file not found: {getattr(args, name)}")
            return 2
    try:
        scores = evaluate(Path(args.dump), Path(args.gold))
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}")
        return 2
    for label, items in (("false boundary before", scores.false_at), ("missed boundary before", scores.missed_at)):
        for text in items:
            print(f"{label}: {text!r}")
    print(
        f"{scores.n_documents} documents for {scores.n_gold} gold records, {scores.exact_documents} exact;"
        f" boundaries P {scores.precision:.3f} R {scores.recall:.3f} F1 {scores.f1:.3f}"
    )
    print(json.dumps(asdict(scores), ensure_ascii=False, sort_keys=True))
    return 0
