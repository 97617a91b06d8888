"""`pipeline evaluate nerel GOLD.jsonl`: the NEREL articles through the real flow, scored on their gold.

The articles are written as a JSON Lines dump (`{"id", "text"}` per line, so `documents.source_id`
is the article id), processed by the real Prefect flow, and the output is scored by the rules of
../shared/eval/score_nerel.py, giving its numbers: exact-span and overlap F1 per label (PER, ORG,
LOC, DATE), B-cubed precision/recall/F1 of `entity_key` against the gold Wikidata ids, and the share
of predicted DATE mentions with an ISO norm. `--processed DIR` scores an existing processed folder
instead of running the flow; `--out DIR` keeps the folder the flow wrote.

The reference scorer's JSON is the last line. The line before it scores DATE by the pipeline's
conventions (`date_scores`): NEREL's DATE also covers durations ("два года"), which are no dates here.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

LABEL = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "DATE": "DATE", "LOC": "LOC", "GPE": "LOC"}
SCORED = ("PER", "ORG", "LOC", "DATE")
ISO = re.compile(r"^\d{4}(-\d\d){0,2}$")


def f1(tp_p: int, tp_r: int, npred: int, ngold: int) -> float:
    """F1 from the predictions found right (`tp_p` of `npred`) and the gold found (`tp_r` of `ngold`)."""
    p = tp_p / npred if npred else 0.0
    r = tp_r / ngold if ngold else 0.0
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def bcubed(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """B-cubed P, R, F1 of predicted clusters (second item) against gold clusters (first item)."""
    by_gold: dict[str, list[int]] = defaultdict(list)
    by_pred: dict[str, list[int]] = defaultdict(list)
    for i, (g, p) in enumerate(pairs):
        by_gold[g].append(i)
        by_pred[p].append(i)
    n = max(1, len(pairs))
    prec = sum(sum(pairs[j][0] == g for j in by_pred[p]) / len(by_pred[p]) for g, p in pairs) / n
    rec = sum(sum(pairs[j][1] == p for j in by_gold[g]) / len(by_gold[g]) for g, p in pairs) / n
    return round(prec, 4), round(rec, 4), round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0


def read_gold(path: Path) -> dict[str, dict]:
    """The gold articles by id; ValueError when a line is not an article with `id` and `text`."""
    gold = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                g = json.loads(line)
                gold[str(g["id"])] = {"text": g["text"], "entities": list(g.get("entities", []))}
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"line {lineno}: not a NEREL article ({exc})") from None
    return gold


def read_output(out_dir: Path) -> tuple[list[dict], list[dict]]:
    """The documents and entities tables of a processed folder, as rows."""
    import pyarrow.dataset as ds

    tables = []
    for name in ("documents", "entities"):
        tables.append(ds.dataset(Path(out_dir) / name, format="parquet", partitioning="hive").to_table().to_pylist())
    return tables[0], tables[1]


def aligned_articles(gold: dict[str, dict], documents: list[dict], entities: list[dict], labels=None):
    """(document, its gold article, offset shift, its entities) per document that maps onto an
    article (its text is the article or a suffix of it: a title cut off), and how many did not."""
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for e in entities:
        if labels is None or e["label"] in labels:
            by_doc[e["doc_id"]].append(e)
    aligned, unmapped = [], 0
    for d in documents:
        g = gold.get(d.get("source_id"))
        if g is None:
            continue
        shift = 0 if g["text"] == d["text"] else g["text"].find(d["text"])
        if shift < 0:
            unmapped += 1
            continue
        aligned.append((d, g, shift, by_doc[d["doc_id"]]))
    return aligned, unmapped


def score(gold: dict[str, dict], documents: list[dict], entities: list[dict]) -> dict:
    """The reference scorer's result on one processed output (see the module docstring)."""
    counts = {lab: defaultdict(int) for lab in SCORED}
    linked: list[tuple[str, str]] = []
    n_dates = iso_dates = 0
    aligned, unmapped = aligned_articles(gold, documents, entities, LABEL)
    for _, g, shift, ents in aligned:
        preds = [(e["start"] + shift, e["end"] + shift, LABEL[e["label"]], e) for e in ents]
        for lab, c in counts.items():
            gs = [(x["start"], x["end"]) for x in g["entities"] if x["label"] == lab]
            ps = [(s, t) for s, t, lb, _ in preds if lb == lab]
            c["pred"] += len(ps)
            c["gold"] += len(gs)
            c["exact"] += len(set(ps) & set(gs))
            c["pred_overlapping"] += sum(any(s < t2 and s2 < t for s2, t2 in gs) for s, t in ps)
            c["gold_overlapped"] += sum(any(s < t2 and s2 < t for s, t in ps) for s2, t2 in gs)
        for x in g["entities"]:
            if x.get("wikidata") and x["label"] in ("PER", "ORG"):
                keys = [
                    e["entity_key"] for s, t, _, e in preds if (s, t) == (x["start"], x["end"]) and e.get("entity_key")
                ]
                if keys:
                    linked.append((x["wikidata"], keys[0]))
        for _, _, lb, e in preds:
            if lb == "DATE":
                n_dates += 1
                iso_dates += bool(e.get("norm") and ISO.match(str(e["norm"])))
    res: dict = {
        lab: {
            "exact_f1": f1(c["exact"], c["exact"], c["pred"], c["gold"]),
            "overlap_f1": f1(c["pred_overlapping"], c["gold_overlapped"], c["pred"], c["gold"]),
            "pred": c["pred"],
            "gold": c["gold"],
        }
        for lab, c in counts.items()
    }
    p, r, f = bcubed(linked)
    res["keys"] = {"mentions": len(linked), "bcubed_p": p, "bcubed_r": r, "bcubed_f1": f}
    res["date_norm_share"] = round(iso_dates / n_dates, 4) if n_dates else 0.0
    res["documents_not_mapped"] = unmapped
    return res


def write_dump(gold: dict[str, dict], path: Path) -> Path:
    """The articles as a JSON Lines dump, one `{"id", "text"}` per line, in the gold's order."""
    with open(path, "w", encoding="utf-8") as fh:
        for article_id, g in gold.items():
            fh.write(json.dumps({"id": article_id, "text": g["text"]}, ensure_ascii=False) + "\n")
    return path


def flow_tables(
    processed: str | None, out: str | None, write_dump_in: Callable[[Path], Path], prefix: str
) -> tuple[list[dict], list[dict]]:
    """The documents and entities of the real flow over the dump `write_dump_in(folder)` writes (in
    `out`, kept, or a temporary folder), or of the `processed` folder given; ValueError when that
    folder is not a processed one."""
    from pipeline.evaluation.pairs import run_flow_on_dump

    if processed:
        folder = Path(processed)
        if not (folder / "documents").is_dir() or not (folder / "entities").is_dir():
            raise ValueError(f"{folder} is not a processed folder (no documents/ and entities/)")
        return read_output(folder)

    def run(workdir: Path) -> tuple[list[dict], list[dict]]:
        workdir.mkdir(parents=True, exist_ok=True)
        return read_output(run_flow_on_dump(write_dump_in(workdir), workdir))

    if out:
        return run(Path(out))
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        return run(Path(tmp))


def main(args: argparse.Namespace) -> int:
    try:
        gold = read_gold(Path(args.gold))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read gold file {args.gold}: {exc}")
        return 2
    try:
        tables = flow_tables(args.processed, args.out, lambda d: write_dump(gold, d / "nerel.jsonl"), "evaluate-nerel-")
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    print(f"{len(gold)} articles, {sum(len(g['entities']) for g in gold.values())} gold mentions")
    print("DATE by the pipeline's conventions (gold durations set aside):", json.dumps(date_scores(gold, *tables)))
    print(json.dumps(score(gold, *tables), ensure_ascii=False))
    return 0


# NEREL's DATE spans that are no dates by the pipeline's conventions: spans of time without an anchor
# ("два года", "около 30 лет", "на полтора года", "23-летний", "каждые три года", "через неделю"), and
# the digits of a name ("19" of "COVID-19"). Only general calendar and quantity words of Russian.
_QTY = (
    r"(?:\d{1,3}(?:[.,]\d+)?|од[иноа]\w*|дв[аеу]\w*|тр[иеёо]\w*|четыр\w*|пят\w*|шест\w*|сем\w*|восем\w*|"
    r"девят\w*|десят\w*|[а-яё]+дцат\w*|сорок\w*|сто|ста|[а-яё]+сот\w*|двест\w*|полтор\w*|нескольк\w*|пар[уы]|"
    r"много\w*|многих|ряд|целых|считанн\w*)"
)
_UNIT = (
    r"(?:год\w*|лет|месяц\w*|недел\w*|дн[еяи]\w*|день|сут\w*|час\w*|минут\w*|десятилет\w*|век\w*|полвека|полгода|"
    r"сезон\w*)"
)
_LEAD = (
    r"(?:не\s+более|не\s+менее|не\s+позже|более|менее|больше|меньше|около|почти|примерно|приблизительно|всего|"
    r"ещё|еще|уже|лишь|только|немногим|свыше|до|на|за|через|после|спустя|в\s+течение|на\s+протяжении|в\s+период|"
    r"каждые|каждый|каждую|последние|последний|последнюю|последних|ближайшие|первые|первых|целых)"
)
_DURATION = re.compile(
    rf"^(?:{_LEAD}\s+)*(?:{_QTY}\s+)*{_UNIT}(?:\s+(?:и\s+)?(?:{_QTY}\s+)*{_UNIT})*$|^\d+-летн\w*$", re.I
)


def is_set_aside(mention: dict, text: str) -> bool:
    """A gold DATE the pipeline does not count as a date: a duration, or digits inside a name."""
    t = " ".join(mention["text"].split())
    if t.isdigit() and mention["start"] > 0 and text[mention["start"] - 1] == "-":
        return True
    return bool(_DURATION.match(t))


def date_scores(gold: dict[str, dict], documents: list[dict], entities: list[dict]) -> dict:
    """DATE scored by the pipeline's conventions: the gold's durations and name digits are set aside
    (a prediction overlapping only those is not counted), as the reference scorer's DATE figures
    count them otherwise. Also: the share of predicted dates with an ISO norm among those whose
    anchor the document has (a relative date in a document without a date has no norm by design)."""
    from pipeline.nlp.relative_dates import parse_relative

    c: dict[str, int] = defaultdict(int)
    for d, g, shift, dates in aligned_articles(gold, documents, entities, ("DATE",))[0]:
        kept, aside = [], []
        for x in g["entities"]:
            if x["label"] == "DATE":
                (aside if is_set_aside(x, g["text"]) else kept).append((x["start"], x["end"]))
        c["gold_set_aside"] += len(aside)
        c["gold"] += len(kept)
        for e in dates:
            s, t = e["start"] + shift, e["end"] + shift
            hit = any(s < b and a < t for a, b in kept)
            if not hit and any(s < b and a < t for a, b in aside):
                continue
            c["pred"] += 1
            c["pred_overlapping"] += hit
            c["exact"] += (s, t) in kept
            iso = bool(e.get("norm") and ISO.match(str(e["norm"])))
            c["iso"] += iso
            unanchored = (
                not e.get("norm")
                and d.get("published") is None
                and parse_relative(e["text"], "ru" if d.get("lang") == "ru" else "en")
            )
            c["unanchored"] += bool(unanchored)
        for a, b in kept:
            c["gold_overlapped"] += any(a < e["end"] + shift and e["start"] + shift < b for e in dates)
    return {
        "overlap_f1": f1(c["pred_overlapping"], c["gold_overlapped"], c["pred"], c["gold"]),
        "overlap_p": round(c["pred_overlapping"] / c["pred"], 4) if c["pred"] else 0.0,
        "overlap_r": round(c["gold_overlapped"] / c["gold"], 4) if c["gold"] else 0.0,
        "exact_f1": f1(c["exact"], c["exact"], c["pred"], c["gold"]),
        "norm_share": round(c["iso"] / c["pred"], 4) if c["pred"] else 0.0,
        "norm_share_anchored": round(c["iso"] / (c["pred"] - c["unanchored"]), 4)
        if c["pred"] > c["unanchored"]
        else 0.0,
        **{k: c[k] for k in ("pred", "gold", "gold_set_aside", "unanchored")},
    }
