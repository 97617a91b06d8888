"""Dates against a hand-made check set: spans (overlap and exact) and ISO norms, per language.

The check set (`tests/data/dates_check_*.jsonl`) names each date a reader finds in real documents of
a visible set, one line per mention: `{"id", "lang", "text", "nth", "norm"}` (`nth`: which occurrence
of `text` in the document). `norm` is the ISO date, month or year; `XXXX` stands for a year the text
does not give (any year is right), and `*` for a relative date, whose norm is not scored.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from pipeline.records import EntityRecord


def read_check_set(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def gold_spans(check: list[dict], texts: dict[str, str]) -> dict[str, list[tuple[int, int, str]]]:
    """Per document, the (start, end, norm) of each mention of the check set."""
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for g in check:
        text, start = texts[g["id"]], -1
        for _ in range(g["nth"] + 1):
            start = text.index(g["text"], start + 1)
        out[g["id"]].append((start, start + len(g["text"]), g["norm"]))
    return out


def norm_matches(predicted: str | None, gold: str) -> bool:
    return bool(predicted) and re.fullmatch(re.escape(gold).replace("XXXX", r"\d{4}"), predicted) is not None


def score_dates(check: list[dict], texts: dict[str, str], entities: Iterable[EntityRecord], lang: str) -> dict:
    """Overlap and exact P/R/F1 of DATE mentions in `lang`, and the share of written dates of the
    check set found with their norm (`norm_accuracy`, over the found ones)."""
    gold = gold_spans([g for g in check if g["lang"] == lang], texts)
    pred: dict[str, list[EntityRecord]] = defaultdict(list)
    for e in entities:
        if e.label == "DATE" and e.lang == lang and e.doc_id in texts:
            pred[e.doc_id].append(e)
    c: dict[str, int] = defaultdict(int)
    for doc_id in texts:
        gs, ps = gold.get(doc_id, []), pred.get(doc_id, [])
        if not gs and not ps:
            continue
        c["gold"] += len(gs)
        c["pred"] += len(ps)
        c["pred_right"] += sum(any(p.start < b and a < p.end for a, b, _ in gs) for p in ps)
        c["exact"] += len({(p.start, p.end) for p in ps} & {(a, b) for a, b, _ in gs})
        for a, b, norm in gs:
            hits = [p for p in ps if p.start < b and a < p.end]
            c["gold_found"] += bool(hits)
            if norm != "*" and hits:
                c["written_found"] += 1
                c["norm_right"] += any(norm_matches(p.norm, norm) for p in hits)
    p = c["pred_right"] / c["pred"] if c["pred"] else 0.0
    r = c["gold_found"] / c["gold"] if c["gold"] else 0.0
    pe = c["exact"] / c["pred"] if c["pred"] else 0.0
    re_ = c["exact"] / c["gold"] if c["gold"] else 0.0
    return {
        "overlap_p": round(p, 4),
        "overlap_r": round(r, 4),
        "overlap_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "exact_f1": round(2 * pe * re_ / (pe + re_), 4) if pe + re_ else 0.0,
        "norm_accuracy": round(c["norm_right"] / c["written_found"], 4) if c["written_found"] else 0.0,
        **{k: c[k] for k in ("gold", "pred", "written_found", "norm_right")},
    }
