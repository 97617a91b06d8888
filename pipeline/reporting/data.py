"""Read-only summaries of a processed dataset: per-dump status, top entities, dates, pairs."""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.ledger import read_manifest
from pipeline.store import Store

NAMED_LABELS = ("PERSON", "ORG")


class DatasetNotFound(FileNotFoundError):
    """The output folder holds no manifest: nothing has been processed there."""


@dataclass
class DumpStatus:
    """One manifest row with what its partitions hold."""

    dump_id: str
    path: str
    status: str
    error: str | None
    encoding: str | None
    size_bytes: int
    n_documents: int
    pipeline_version: str
    processed_at: datetime
    superseded_by: str | None = None
    docs_by_lang: Counter = field(default_factory=Counter)
    n_entities: int = 0
    n_duplicates: int = 0  # documents repeating an earlier document (the `duplicates` table)

    @property
    def file_name(self) -> str:
        """The dump's name: its path inside the raw folder (a row of an older version that recorded
        the whole path shows the file's name)."""
        return PurePath(self.path).name if PurePath(self.path).is_absolute() else self.path


@dataclass
class Overview:
    """The whole dataset at a glance."""

    out_dir: Path
    dumps: list[DumpStatus]
    n_pairs: int
    waiting: list[dict] = field(default_factory=list)  # [{path, reason}] the last run left for later
    n_unique_documents: int = 0  # each article once: repeats of earlier documents left out
    n_unique_entities: int = 0  # the mentions in those documents
    n_keys: int = 0  # rows of the entities dimension (keys after the key map)
    n_joined: int = 0  # keys the key map joins to another

    @property
    def ok(self) -> list[DumpStatus]:
        return [d for d in self.dumps if d.status == "ok"]

    @property
    def rejected(self) -> list[DumpStatus]:
        return [d for d in self.dumps if d.status == "rejected"]

    @property
    def superseded(self) -> list[DumpStatus]:
        """Older versions of a file, replaced by a newer one (history: their rows are retired)."""
        return [d for d in self.dumps if d.status == "superseded"]

    @property
    def docs_by_lang(self) -> Counter:
        total: Counter = Counter()
        for d in self.dumps:
            total.update(d.docs_by_lang)
        return total

    @property
    def languages(self) -> list[str]:
        """Languages present, most documents first (ties by code)."""
        return [lang for lang, _ in sorted(self.docs_by_lang.items(), key=lambda kv: (-kv[1], kv[0]))]

    @property
    def n_documents(self) -> int:
        return sum(d.n_documents for d in self.ok)

    @property
    def n_entities(self) -> int:
        return sum(d.n_entities for d in self.dumps)

    @property
    def last_run(self) -> datetime | None:
        return max((d.processed_at for d in self.dumps), default=None)


def _rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def load_overview(out_dir: Path | str) -> Overview:
    """Per-dump status from the manifest and the partitions (languages from documents, entity counts)."""
    store = Store(out_dir)
    if not store.manifest_path.exists():
        raise DatasetNotFound(f"no dataset at {store.root}: {store.manifest_path.name} is missing (run `pipeline run`)")
    dumps = []
    repeats = _repeats_by_dump(store)
    unique = UniqueCounter()
    for row in _rows(read_manifest(store)):
        d = DumpStatus(**{k: row[k] for k in DumpStatus.__dataclass_fields__ if k in row})
        if d.status == "ok":
            docs = store.read_partition("documents", d.dump_id, ["doc_id", "lang"])
            d.docs_by_lang = Counter(map(str, docs.column("lang").to_pylist()))
            d.n_entities = store.count_rows("entities", d.dump_id)
            d.n_duplicates = len(repeats.get(d.dump_id, ()))
            spans = store.read_partition("entities", d.dump_id, ["doc_id", "start", "end", "label"])
            unique.add(docs.column("doc_id"), spans, repeats.get(d.dump_id, set()))
        dumps.append(d)
    return Overview(
        Path(out_dir), dumps, store.read_pairs().num_rows, store.read_waiting(),
        n_unique_documents=len(unique.doc_ids), n_unique_entities=unique.n_entities,
        n_keys=store.read_entity_keys().num_rows, n_joined=len(store.read_key_map()),
    )


def _repeats_by_dump(store: Store) -> dict[str, set[str]]:
    """The doc_ids of each dump that repeat an earlier document."""
    out: dict[str, set[str]] = defaultdict(set)
    dups = store.read_duplicates()
    for dump_id, doc_id in zip(dups.column("dump_id").to_pylist(), dups.column("doc_id").to_pylist()):
        out[dump_id].add(doc_id)
    return out


@dataclass
class UniqueCounter:
    """Documents and mentions counted once per article: a repeat of an earlier document adds nothing,
    and a mention (doc_id, span, label) counts once (the same doc_id twice in one dump)."""

    doc_ids: set[str] = field(default_factory=set)
    n_entities: int = 0

    def add(self, doc_ids: pa.ChunkedArray, entities: pa.Table, repeats: set[str]) -> None:
        fresh = set(_value_counts(doc_ids)) - repeats - self.doc_ids
        self.doc_ids |= fresh
        if fresh and entities.num_rows:
            kept = entities.filter(pc.is_in(entities.column("doc_id"), pa.array(sorted(fresh), pa.string())))
            label = kept.column("label").cast(pa.string())
            kept = kept.select(["doc_id", "start", "end"]).append_column("label", label)
            self.n_entities += kept.group_by(["doc_id", "start", "end", "label"]).aggregate([]).num_rows


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(column)
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))


def without_repeats(table: pa.Table, store: Store) -> pa.Table:
    """Rows (with `doc_id` and `dump_id`) of documents that are not repeats of an earlier document."""
    dups = store.read_duplicates()
    if not dups.num_rows or not table.num_rows:
        return table
    keys = pc.binary_join_element_wise(table.column("dump_id"), table.column("doc_id"), "/")
    repeated = pc.binary_join_element_wise(dups.column("dump_id"), dups.column("doc_id"), "/")
    return table.filter(pc.invert(pc.is_in(keys, repeated)))


# ---- entities --------------------------------------------------------------------------------


@dataclass
class NamedEntity:
    """One person or organization across languages: its key, mentions per language, a name per language."""

    key: str
    label: str
    mentions: int
    by_lang: dict[str, int]
    names: dict[str, str]
    n_documents: int


def _most_frequent(counter: Counter) -> str:
    """The most frequent value; ties go to the alphabetically first, so the choice is deterministic."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def named_entities(entities: pa.Table, key_map: dict[str, str] | None = None) -> list[NamedEntity]:
    """People and organizations grouped by `entity_key` read through the key map (the keys the
    pairs' evidence joined), Russian and English mentions counted together.

    A mention repeated in a duplicated document (same doc_id, span and label) counts once. The label
    of a key is the label most of its mentions carry. Sorted by mentions, then key.
    """
    key_map = key_map or {}
    seen: set[tuple] = set()
    labels: dict[str, Counter] = defaultdict(Counter)
    langs: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    docs: dict[str, set[str]] = defaultdict(set)
    cols = ("doc_id", "label", "text", "start", "end", "norm", "entity_key", "lang")
    for doc_id, label, text, start, end, norm, key, lang in zip(*(entities.column(c).to_pylist() for c in cols)):
        if not key or label not in NAMED_LABELS or (doc_id, start, end, label) in seen:
            continue
        key = key_map.get(key, key)
        seen.add((doc_id, start, end, label))
        labels[key][label] += 1
        langs[key][lang] += 1
        names[key][lang][norm or text] += 1
        docs[key].add(doc_id)
    out = [
        NamedEntity(
            key=key,
            label=_most_frequent(labels[key]),
            mentions=sum(langs[key].values()),
            by_lang=dict(sorted(langs[key].items())),
            names={lang: _most_frequent(c) for lang, c in sorted(names[key].items())},
            n_documents=len(docs[key]),
        )
        for key in labels
    ]
    return sorted(out, key=lambda e: (-e.mentions, e.key))


# ---- dates -----------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


_PART_OF_YEAR = re.compile(r"(\d{4})-([QH])([1-4])")


def date_span(norm: str) -> tuple[date, date] | None:
    """First and last day a norm covers (`2024-07-26`, `2024-07`, `2024`, `a/b`, `2024-Q3`, `2024-H1`);
    None for the other TimeML values (weeks, seasons, PRESENT_REF)."""
    part_of_year = _PART_OF_YEAR.fullmatch(norm)
    if part_of_year:  # a quarter or a half: 2024-Q3, 2024-H1
        y, kind, n = int(part_of_year[1]), part_of_year[2], int(part_of_year[3])
        first, last = (3 * n - 2, 3 * n) if kind == "Q" else (6 * n - 5, 6 * n)
        return date(y, first, 1), date(y, last, calendar.monthrange(y, last)[1])
    parts = norm.split("/")
    if len(parts) > 2:
        return None
    spans = []
    for part in parts:
        m = _ISO.match(part.strip())
        if not m:
            return None
        y, mo, d = (int(g) if g else None for g in m.groups())
        try:
            if d:
                spans.append((date(y, mo, d), date(y, mo, d)))
            elif mo:
                spans.append((date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])))
            else:
                spans.append((date(y, 1, 1), date(y, 12, 31)))
        except ValueError:
            return None
    return spans[0][0], spans[-1][1]


@dataclass
class DateMentions:
    """One DATE norm: how often it is mentioned, how it is written."""

    norm: str
    start: date
    end: date
    mentions: int
    examples: list[str]

    @property
    def precision(self) -> str:
        if self.start == self.end:
            return "day"
        if _PART_OF_YEAR.fullmatch(self.norm):
            return "quarter" if "Q" in self.norm else "half"
        return "range" if "/" in self.norm else ("month" if len(self.norm) == 7 else "year")


def date_mentions(entities: pa.Table) -> tuple[list[DateMentions], int]:
    """DATE mentions grouped by norm (sorted by date), and how many had no ISO norm."""
    counts: Counter = Counter()
    written: dict[str, Counter] = defaultdict(Counter)
    unparsed = 0
    dates = entities.filter(pc.equal(entities.column("label").cast(pa.string()), "DATE"))
    for norm, text in zip(dates.column("norm").to_pylist(), dates.column("text").to_pylist()):
        if not norm or date_span(norm) is None:
            unparsed += 1
            continue
        counts[norm] += 1
        written[norm][text] += 1
    out = []
    for norm, n in counts.items():
        start, end = date_span(norm)
        examples = [t for t, _ in sorted(written[norm].items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
        out.append(DateMentions(norm, start, end, n, examples))
    return sorted(out, key=lambda d: (d.start, d.end, d.norm)), unparsed


# ---- pairs -----------------------------------------------------------------------------------


@dataclass
class PairView:
    """A RU/EN pair with the title (if any) and the first line of the text of each side."""

    ru_doc_id: str
    en_doc_id: str
    score: float
    similarity: float
    shared_keys: list[str]
    ru_title: str
    ru_first_line: str
    en_title: str
    en_first_line: str


def first_line(text: str | None, limit: int = 160) -> str:
    """The first non-blank line of the text, cut to `limit` characters."""
    line = next((s.strip() for s in (text or "").splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def pair_views(store: Store, dump_ids: list[str], limit: int | None = None) -> list[PairView]:
    """The pairs table, best score first, with both sides' first lines."""
    pairs = store.read_pairs()
    rows = sorted(_rows(pairs), key=lambda p: (-p["score"], p["ru_doc_id"], p["en_doc_id"]))
    if limit is not None:
        rows = rows[:limit]
    wanted = pa.array(sorted({p["ru_doc_id"] for p in rows} | {p["en_doc_id"] for p in rows}), pa.string())
    lines: dict[str, tuple[str, str]] = {}
    for dump_id in dump_ids:
        if not len(wanted):
            break
        docs = store.read_partition("documents", dump_id, ["doc_id", "title", "text"])
        docs = docs.filter(pc.is_in(docs.column("doc_id"), wanted))
        for doc_id, title, text in zip(*(docs.column(c).to_pylist() for c in ("doc_id", "title", "text"))):
            lines.setdefault(doc_id, (first_line(title), first_line(text)))
    return [
        PairView(
            p["ru_doc_id"],
            p["en_doc_id"],
            p["score"],
            p["similarity"],
            list(p["shared_keys"] or []),
            *lines.get(p["ru_doc_id"], ("", "")),
            *lines.get(p["en_doc_id"], ("", "")),
        )
        for p in rows
    ]


# ---- timeline buckets ------------------------------------------------------------------------


def _bucket_of(d: date, granularity: str) -> str:
    return {"day": d.isoformat(), "month": d.isoformat()[:7], "year": str(d.year)}[granularity]


def _next_bucket(d: date, granularity: str) -> date:
    if granularity == "day":
        return date.fromordinal(d.toordinal() + 1)
    if granularity == "month":
        return date(d.year + d.month // 12, d.month % 12 + 1, 1)  # the first of the next month
    return date(d.year + 1, 1, 1)


@dataclass
class Timeline:
    """Date mentions counted per day, month or year; mentions wider than one bucket are left out."""

    granularity: str
    buckets: list[tuple[str, int]]
    dense: bool
    wider: int


def date_timeline(dates: list[DateMentions], max_buckets: int = 120) -> Timeline:
    """Choose the bucket size from the span of the dates; every bucket in between when that stays readable."""
    if not dates:
        return Timeline("day", [], True, 0)
    first, last = min(d.start for d in dates), max(d.start for d in dates)
    span = (last - first).days
    granularity = "day" if span <= 92 else ("month" if span <= 6 * 366 else "year")
    counts: Counter = Counter()
    wider = 0
    for d in dates:
        if _bucket_of(d.start, granularity) == _bucket_of(d.end, granularity):
            counts[_bucket_of(d.start, granularity)] += d.mentions
        else:
            wider += d.mentions
    labels = []
    cursor = first
    while cursor <= last and len(labels) <= max_buckets:
        labels.append(_bucket_of(cursor, granularity))
        cursor = _next_bucket(cursor, granularity)
    dense = len(labels) <= max_buckets
    if not dense:
        labels = sorted(counts)
    return Timeline(granularity, [(b, counts.get(b, 0)) for b in labels], dense, wider)
