"""`pipeline evaluate dates GOLD.jsonl`: English TimeML articles through the real flow, scored on their dates.

The gold is TimeML (TIMEX3 DATE/TIME with values) in the JSON Lines format of
../shared/eval/ner/aquaint_dates.jsonl: `{"id", "dct", "text", "entities": [{"start", "end", "value"}],
"ignored": [...]}`. The articles are written as a JSON Lines dump (`{"id", "text", "date": dct}`, so
`documents.source_id` is the article id and `published` its date), processed by the real Prefect flow,
and the DATE entities are scored by the rules of ../shared/eval/score_dates_en.py, giving its numbers:
overlap and exact-span F1, value accuracy, calendar recall. Two articles with the same text are one
`doc_id`: its entities are both articles' predictions. `--predictions` writes them in the scorer's
format; `--out DIR` keeps the folder the flow wrote, `--processed DIR` scores one; `--halves` scores
the first and the second half of the articles apart as well.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from pipeline.evaluation.nerel import aligned_articles, flow_tables

CALENDAR = re.compile(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:T.*)?$")
_KEYS = ("gold", "pred", "overlap", "aside", "exact", "val", "val_s", "cal", "cal_ok", "cal_ok_s")


def read_gold(path: Path) -> list[dict]:
    """The gold articles in order; ValueError when a line is not an article with `id`, `dct` and `text`."""
    articles = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                g = json.loads(line)
                articles.append({**g, "id": str(g["id"]), "dct": str(g["dct"]), "text": str(g["text"])})
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"line {lineno}: not a TimeML article ({exc})") from None
    return articles


def _calendar(value: str | None) -> str | None:
    m = CALENDAR.match(value or "")
    return m.group(1) if m else None


def value_right(value: str, norm: str | None, strict: bool = False) -> bool:
    """A calendar value is right when the norm is calendar and the value cut to the norm's precision is
    it (`strict`: the same precision); another value (PRESENT_REF, 1998-Q1) when the norm is empty or it."""
    gold, pred = _calendar(value), _calendar(norm)
    if gold is None:
        return not norm or norm == value
    if pred is None:
        return False
    return pred == gold if strict else gold[: len(pred)] == pred


def count_article(gold: list[dict], preds: list[dict], ignored: list[dict], c: dict) -> None:
    """Add one article's counts to `c` (one-to-one overlap pairs, largest overlap first)."""
    c["gold"] += len(gold)
    c["pred"] += len(preds)
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(preds):
            overlap = min(g["end"], p["end"]) - max(g["start"], p["start"])
            if overlap > 0:
                pairs.append((-overlap, abs(g["start"] - p["start"]), gi, pi))
    used_g, used_p, matched = set(), set(), []
    for _, _, gi, pi in sorted(pairs):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            matched.append((gold[gi], preds[pi]))
    c["overlap"] += len(matched)
    c["aside"] += sum(
        1
        for pi, p in enumerate(preds)
        if pi not in used_p and any(min(i["end"], p["end"]) > max(i["start"], p["start"]) for i in ignored)
    )
    spans: dict[tuple[int, int], int] = defaultdict(int)
    for g in gold:
        spans[(g["start"], g["end"])] += 1
    for p in preds:
        if spans.get((p["start"], p["end"]), 0) > 0:
            spans[(p["start"], p["end"])] -= 1
            c["exact"] += 1
    c["cal"] += sum(1 for g in gold if _calendar(g["value"]))
    for g, p in matched:
        ok, ok_strict = value_right(g["value"], p.get("norm")), value_right(g["value"], p.get("norm"), True)
        c["val"] += ok
        c["val_s"] += ok_strict
        if _calendar(g["value"]):
            c["cal_ok"] += ok
            c["cal_ok_s"] += ok_strict


def _f1(hits: int, npred: int, ngold: int) -> dict:
    p = hits / npred if npred else 0.0
    r = hits / ngold if ngold else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def summary(c: dict) -> dict:
    """The reference scorer's numbers from one part's counts."""
    return {
        "gold": c["gold"],
        "pred": c["pred"],
        "overlap": _f1(c["overlap"], c["pred"], c["gold"]),
        "overlap_set_aside": _f1(c["overlap"], c["pred"] - c["aside"], c["gold"]),
        "exact": _f1(c["exact"], c["pred"], c["gold"]),
        "value_acc": round(c["val"] / c["overlap"], 4) if c["overlap"] else 0.0,
        "value_acc_strict": round(c["val_s"] / c["overlap"], 4) if c["overlap"] else 0.0,
        "calendar_gold": c["cal"],
        "calendar_norm_recall": round(c["cal_ok"] / c["cal"], 4) if c["cal"] else 0.0,
        "calendar_norm_recall_strict": round(c["cal_ok_s"] / c["cal"], 4) if c["cal"] else 0.0,
    }


def score(gold: list[dict], predictions: dict[str, list[dict]]) -> dict:
    """`{"overall": ..., SOURCE: ...}` as score_dates_en.py gives it, for predictions by article id."""
    counts: dict[str, dict] = {"overall": dict.fromkeys(_KEYS, 0)}
    for g in gold:
        preds = [e for e in predictions.get(g["id"], []) if e.get("label", "DATE") == "DATE"]
        for part in ("overall", g.get("source", "?")):
            count_article(g["entities"], preds, g.get("ignored", []), counts.setdefault(part, dict.fromkeys(_KEYS, 0)))
    return {part: summary(c) for part, c in counts.items()}


def predictions_from_output(gold: list[dict], documents: list[dict], entities: list[dict]) -> dict[str, list[dict]]:
    """Each article's DATE predictions `{start, end, label, norm}` from a processed folder's tables."""
    by_id = {g["id"]: {"text": g["text"]} for g in gold}
    aligned, _ = aligned_articles(by_id, documents, entities, {"DATE"})
    out: dict[str, list[dict]] = {g["id"]: [] for g in gold}
    for document, _, shift, ents in aligned:
        seen: set[tuple[int, int]] = set()
        for e in sorted(ents, key=lambda x: (x["start"], x["end"])):
            if (e["start"], e["end"]) in seen:  # a text repeated in the dump: its entities once
                continue
            seen.add((e["start"], e["end"]))
            out[document["source_id"]].append(
                {"start": e["start"] + shift, "end": e["end"] + shift, "label": "DATE", "norm": e["norm"]}
            )
    return out


def write_dump(gold: list[dict], path: Path) -> Path:
    """The articles as a JSON Lines dump, `{"id", "text", "date": dct}` per line, in the gold's order."""
    with open(path, "w", encoding="utf-8") as fh:
        for g in gold:
            fh.write(json.dumps({"id": g["id"], "text": g["text"], "date": g["dct"]}, ensure_ascii=False) + "\n")
    return path


def _line(name: str, r: dict) -> str:
    o, e = r["overlap"], r["exact"]
    return (
        f"{name:12s} gold {r['gold']:4d} pred {r['pred']:4d} | overlap P {o['p']:.3f} R {o['r']:.3f} F1 {o['f1']:.3f}"
        f" | exact F1 {e['f1']:.3f} | value {r['value_acc']:.3f} | calendar recall {r['calendar_norm_recall']:.3f}"
    )


def main(args: argparse.Namespace) -> int:
    try:
        gold = read_gold(Path(args.gold))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read gold file {args.gold}: {exc}")
        return 2
    try:
        documents, entities = flow_tables(
            args.processed, args.out, lambda d: write_dump(gold, d / "timeml.jsonl"), "evaluate-dates-"
        )
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    predictions = predictions_from_output(gold, documents, entities)
    if args.predictions:
        with open(args.predictions, "w", encoding="utf-8") as fh:
            for g in gold:
                fh.write(json.dumps({"id": g["id"], "entities": predictions[g["id"]]}) + "\n")
    found = {d["source_id"] for d in documents}
    print(f"{len(gold)} articles, {len([g for g in gold if g['id'] in found])} with their document")
    result = score(gold, predictions)
    if args.halves:
        half = (len(gold) + 1) // 2
        for name, part in (("first half", gold[:half]), ("second half", gold[half:])):
            print(_line(name, score(part, predictions)["overall"]))
    print(_line("all", result["overall"]))
    print(json.dumps(result))
    return 0
