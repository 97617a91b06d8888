"""`pipeline evaluate pairs DUMP RECORDS GOLD` (or `pipeline evaluate pairs SET`, a set of
../shared/eval/pairing named by its prefix): RU/EN pairing through the real flow, scored on gold.

The dump is copied into a temporary raw folder and processed by the real Prefect flow into a
temporary output folder. Output documents map to record ids by position (the k-th document of
the dump is the k-th record). When the split does not give one document per record, documents
are mapped by text instead (title and body, white space folded), and records left without a document, or documents
without a record, are reported and count as errors: a gold pair with an unmapped side is a false
negative, a predicted pair with an unmapped side a false positive.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

_WS = re.compile(r"\s+")


@dataclass
class PairScores:
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int
    n_gold: int
    n_predicted: int
    n_records: int
    n_documents: int
    mapping: str  # "position" or "text"
    unmapped_records: list[str] = field(default_factory=list)
    unmapped_documents: int = 0


def read_records(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_gold(path: Path) -> set[tuple[str, str]]:
    gold = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = {"ru_id", "en_id"} - set(gold.columns)
    if missing:
        raise ValueError(f"{path}: gold TSV needs columns ru_id and en_id (missing {sorted(missing)})")
    return set(zip(gold["ru_id"], gold["en_id"]))


def _fold(text: str) -> str:
    return _WS.sub(" ", text).strip()


def map_documents(documents: pd.DataFrame, records: list[dict]) -> tuple[dict[str, str], str]:
    """doc_id -> record id: by position when the split matches the records, else by text."""
    docs = documents.sort_values("ordinal")
    full = [_fold(f"{t} {x}" if isinstance(t, str) and t else x) for t, x in zip(docs["title"], docs["text"])]
    folded = [_fold(r["text"]) for r in records]
    if len(full) == len(records) and full == folded:
        return dict(zip(docs["doc_id"], (r["id"] for r in records))), "position"
    by_text: dict[str, list[str]] = {}
    for r, text in zip(records, folded):
        by_text.setdefault(text, []).append(r["id"])
    mapping = {}
    for doc_id, text in zip(docs["doc_id"], full):
        ids = by_text.get(text)
        if ids:
            mapping[doc_id] = ids.pop(0)
    return mapping, "text"


def score_pairs(
    predicted: set[tuple[str, str]], gold: set[tuple[str, str]], mapping: dict[str, str]
) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives); a pair with an unmapped side is wrong."""
    mapped = {(mapping.get(r), mapping.get(e)) for r, e in predicted}
    tp = len({p for p in mapped if None not in p} & gold)
    return tp, len(predicted) - tp, len(gold) - tp


def score_output(out_dir: Path, records: list[dict], gold: set[tuple[str, str]]) -> PairScores:
    """Score the pairs table of a processed folder against gold records and pairs."""
    documents = pd.read_parquet(Path(out_dir) / "documents", columns=["doc_id", "ordinal", "title", "text"])
    pairs = pd.read_parquet(Path(out_dir) / "pairs", columns=["ru_doc_id", "en_doc_id"])
    mapping, how = map_documents(documents, records)
    predicted = set(zip(pairs["ru_doc_id"], pairs["en_doc_id"]))
    tp, fp, fn = score_pairs(predicted, gold, mapping)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    mapped_ids = set(mapping.values())
    return PairScores(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        n_gold=len(gold),
        n_predicted=len(predicted),
        n_records=len(records),
        n_documents=len(documents),
        mapping=how,
        unmapped_records=[r["id"] for r in records if r["id"] not in mapped_ids],
        unmapped_documents=len(documents) - len(mapping),
    )


def run_flow_on_dump(dump: Path, workdir: Path) -> Path:
    """The real flow on one dump, in `workdir/raw` -> `workdir/processed`; returns the output folder."""
    from pipeline.flows import process_raw_folder

    raw, out = Path(workdir) / "raw", Path(workdir) / "processed"
    raw.mkdir(parents=True, exist_ok=True)
    shutil.copy(dump, raw / Path(dump).name)
    summary = process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    if summary["rejected"]:
        raise ValueError(f"the dump was rejected: {summary['rejected']}")
    return out


def evaluate(dump: Path, records_path: Path, gold_path: Path, workdir: Path) -> PairScores:
    records, gold = read_records(records_path), read_gold(gold_path)
    known = {r["id"] for r in records}
    unknown = {i for pair in gold for i in pair} - known
    if unknown:
        raise ValueError(f"{gold_path}: {len(unknown)} gold ids are not in {records_path}")
    return score_output(run_flow_on_dump(dump, workdir), records, gold)


def set_files(name: str) -> tuple[Path, Path, Path]:
    """The dump, records and gold of a pairing set named by its prefix (`.../wmt23_ruen`) or its dump."""
    base = str(name).removesuffix(".dump.txt")
    return Path(base + ".dump.txt"), Path(base + ".jsonl"), Path(base + ".gold.tsv")


def main(args: argparse.Namespace) -> int:
    if not getattr(args, "records", None) or not getattr(args, "gold", None):
        if getattr(args, "records", None) or getattr(args, "gold", None):
            print("error: give the dump, the records and the gold, or a pairing set's name alone")
            return 2
        args = argparse.Namespace(**dict(zip(("dump", "records", "gold"), map(str, set_files(args.dump)))))
    for name in ("dump", "records", "gold"):
        if not Path(getattr(args, name)).is_file():
            print(f"error: {name} file not found: {getattr(args, name)}")
            return 2
    with tempfile.TemporaryDirectory(prefix="evaluate-pairs-") as tmp:
        scores = evaluate(Path(args.dump), Path(args.records), Path(args.gold), Path(tmp))
    if scores.mapping != "position":
        print(
            f"note: the flow split the dump into {scores.n_documents} documents for {scores.n_records} records;"
            f" mapped by text, {len(scores.unmapped_records)} records and {scores.unmapped_documents} documents"
            " unmapped (their pairs count as errors)"
        )
    print(json.dumps(asdict(scores), sort_keys=True))
    return 0
