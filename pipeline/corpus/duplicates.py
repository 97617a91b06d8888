"""The corpus step that keeps the `duplicates` table: every document that repeats an earlier one.

A document occurrence is a `(doc_id, dump_id)`. Two occurrences are linked when their MinHash
signatures share an LSH band and their estimated Jaccard similarity reaches
`Settings.duplicate_threshold` (identical texts always are). The articles are the connected
components of these links over the whole corpus, so which documents are linked does not depend
on the order in which dumps arrive. In each component the earliest occurrence is the one that
counts; every other one is a row of the table, pointing to it. Earliest: the dump first in the
manifest's processing order (`processed_at`, then `dump_id`), then the lower `ordinal`, then doc_id.

Incremental: the table remembers (in its file) the dumps and settings it was computed from. When
the dumps since are only new ones, processed after those, only the new documents are compared: with
each other in memory, and with the earlier documents by scanning the stored signatures partition
by partition (one partition's band keys in memory at a time). Components of the earlier documents
are read from the table itself (a member points to its component's first occurrence), so a new
document linking two earlier articles merges them. Anything else (a forgotten or reprocessed dump,
another threshold) recomputes the table over the whole corpus from the stored signatures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import schemas
from pipeline.corpus.step import CorpusStep, StepStats
from pipeline.ledger import ok_dump_ids, read_manifest
from pipeline.settings import Settings
from pipeline.stages import near_duplicates as nd
from pipeline.store import Store

Node = tuple[str, str]  # (dump_id, doc_id)


@dataclass
class Occurrences:
    """Documents of some dumps, one row per (dump_id, doc_id): order and signature."""

    nodes: list[Node]
    order: list[tuple[int, int]]  # (dump rank, ordinal)
    values: np.ndarray  # n x NUM_PERM uint32

    @classmethod
    def concat(cls, parts: list[Occurrences]) -> Occurrences:
        values = np.concatenate([p.values for p in parts]) if parts else np.zeros((0, nd.NUM_PERM), np.uint32)
        return cls([n for p in parts for n in p.nodes], [o for p in parts for o in p.order], values)


def params_tag(settings: Settings) -> str:
    """Everything the table's content depends on besides the dumps (a change recomputes it)."""
    return nd.params_tag(settings.duplicate_threshold)


def dump_order(store: Store, dump_ids: list[str]) -> list[list[str]]:
    """The ok dumps as [dump_id, processed_at] in processing order (processed_at, then dump_id)."""
    m = read_manifest(store)
    when = {d: t for d, t in zip(m.column("dump_id").to_pylist(), m.column("processed_at").to_pylist())}
    return sorted(([d, when[d].isoformat()] for d in dump_ids), key=lambda x: (x[1], x[0]))


def ensure_signatures(store: Store, dump_ids: list[str]) -> int:
    """Compute the signatures of dumps written before the `signatures` table existed; how many dumps."""
    done = 0
    for dump_id in dump_ids:
        if store.part_files("signatures", dump_id):
            continue
        docs = store.read_partition("documents", dump_id, ["doc_id", "ordinal", "title", "text"]).to_pylist()
        records = [nd.SignedText(**d) for d in docs]
        store.write_partition("signatures", dump_id, nd.signatures_table(records))
        done += 1
    return done


def read_occurrences(store: Store, dump_id: str, rank: int, wanted: set[str] | None = None) -> Occurrences:
    """The signatures of one dump (only the `wanted` doc_ids when given), first occurrence of each doc_id."""
    t = store.read_partition("signatures", dump_id, ["doc_id", "ordinal", "minhash"])
    if wanted is not None:
        t = t.filter(pc.is_in(t.column("doc_id"), pa.array(sorted(wanted), pa.string())))
    t = t.take(pc.sort_indices(t, [("ordinal", "ascending")]))
    doc_ids, ordinals = t.column("doc_id").to_pylist(), t.column("ordinal").to_pylist()
    seen: set[str] = set()
    keep = [i for i, d in enumerate(doc_ids) if not (d in seen or seen.add(d))]
    values = nd.minhash_matrix(t.column("minhash"))[keep] if t.num_rows else np.zeros((0, nd.NUM_PERM), np.uint32)
    return Occurrences([(dump_id, doc_ids[i]) for i in keep], [(rank, ordinals[i]) for i in keep], values)


class _Components:
    """Union-find over nodes."""

    def __init__(self) -> None:
        self.parent: dict[Node, Node] = {}

    def find(self, x: Node) -> Node:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: Node, b: Node) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[Node, list[Node]]:
        out: dict[Node, list[Node]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return out


def _links_within(occ: Occurrences, threshold: float, bands: int, rows: int) -> list[tuple[int, int]]:
    """Linked pairs of rows of one set of occurrences (identical signatures collapsed first)."""
    if not len(occ.nodes):
        return []
    _, first, inverse = np.unique(nd.whole_keys(occ.values), return_index=True, return_inverse=True)
    same = first[inverse.reshape(-1)]
    copies = np.flatnonzero(same != np.arange(len(same)))
    reps = np.sort(first)
    cand = nd.pairs_within(nd.band_keys(occ.values[reps], bands, rows))
    left = np.concatenate([same[copies], reps[cand.left]])
    right = np.concatenate([copies, reps[cand.right]])
    ok = nd.estimated_jaccard(occ.values[left], occ.values[right]) >= threshold
    return list(zip(left[ok].tolist(), right[ok].tolist()))


def _links_across(old: Occurrences, new: Occurrences, new_keys: np.ndarray, threshold: float, bands: int, rows: int):
    """Linked (old row, new row) pairs."""
    if not len(old.nodes) or not len(new.nodes):
        return []
    cand = nd.pairs_across(nd.band_keys(old.values, bands, rows), new_keys)
    ok = nd.estimated_jaccard(old.values[cand.left], new.values[cand.right]) >= threshold
    return list(zip(cand.left[ok].tolist(), cand.right[ok].tolist()))


def find_duplicates(store: Store, settings: Settings, dump_ids: list[str]) -> tuple[int, str]:
    """Bring the duplicates table up to date with the ok dumps; (rows, "unchanged"|"incremental"|"full")."""
    ensure_signatures(store, dump_ids)
    order = dump_order(store, dump_ids)
    tag = params_tag(settings)
    state = store.duplicates_state()
    if state and state.get("params") == tag and state.get("dumps") == order:
        return store.read_duplicates().num_rows, "unchanged"
    incremental = bool(state) and state.get("params") == tag and order[: len(state["dumps"])] == state["dumps"]
    covered = state["dumps"] if incremental else []
    old_rows = store.read_duplicates().to_pylist() if incremental else []
    rank = {d: i for i, (d, _) in enumerate(order)}
    threshold = settings.duplicate_threshold
    bands, rows = nd.bands_for(threshold)

    new = Occurrences.concat([read_occurrences(store, d, rank[d]) for d, _ in order[len(covered) :]])
    comps = _Components()
    canonical_of = {(r["dump_id"], r["doc_id"]): (r["duplicate_of_dump_id"], r["duplicate_of"]) for r in old_rows}
    for a, b in _links_within(new, threshold, bands, rows):
        comps.union(new.nodes[a], new.nodes[b])
    for node in new.nodes:
        comps.find(node)
    new_keys = nd.band_keys(new.values, bands, rows) if len(new.nodes) else None
    for dump_id, _ in covered:
        old = read_occurrences(store, dump_id, rank[dump_id])
        for a, b in _links_across(old, new, new_keys, threshold, bands, rows):
            comps.union(canonical_of.get(old.nodes[a], old.nodes[a]), new.nodes[b])
    table = _rows(store, comps, canonical_of, old_rows, new, rank)
    store.write_duplicates(table, {"params": tag, "dumps": order})
    return table.num_rows, "incremental" if incremental else "full"


def _rows(store, comps: _Components, canonical_of: dict, old_rows: list[dict], new: Occurrences, rank: dict):
    """The table: earlier rows untouched by this run, re-pointed members of merged articles, new rows."""
    new_index = {n: i for i, n in enumerate(new.nodes)}
    members_of: dict[Node, list[Node]] = {}
    for node, canon in canonical_of.items():
        members_of.setdefault(canon, []).append(node)
    groups = [g for g in comps.groups().values() if len(g) > 1]
    # an earlier node in a group is the first occurrence of an earlier article: fetch those first
    old = _fetch(store, {n for g in groups for n in g if n not in new_index}, rank)
    old_index = {n: i for i, n in enumerate(old.nodes)}

    def key(n: Node) -> tuple:
        return (*(new.order[new_index[n]] if n in new_index else old.order[old_index[n]]), n[1])

    firsts = [min(g, key=key) for g in groups]
    # an earlier article merged into an older one: its members are re-pointed (their signatures needed)
    moved = {m for g, first in zip(groups, firsts) for n in g if n != first for m in members_of.get(n, [])}
    old = Occurrences.concat([old, _fetch(store, moved, rank)])
    old_index = {n: i for i, n in enumerate(old.nodes)}

    def values(n: Node) -> np.ndarray:
        return new.values[new_index[n]] if n in new_index else old.values[old_index[n]]

    out: dict[Node, tuple[Node, float]] = {
        (r["dump_id"], r["doc_id"]): ((r["duplicate_of_dump_id"], r["duplicate_of"]), r["similarity"]) for r in old_rows
    }
    for group, first in zip(groups, firsts):
        for m in (m for n in group if n != first for m in (n, *members_of.get(n, []))):
            sim = 1.0 if m[1] == first[1] else float(nd.estimated_jaccard(values(m)[None], values(first)[None])[0])
            out[m] = (first, sim)
    keys = sorted(out)
    return pa.table(
        {
            "doc_id": pa.array([k[1] for k in keys], pa.string()),
            "dump_id": pa.array([k[0] for k in keys], pa.string()),
            "duplicate_of": pa.array([out[k][0][1] for k in keys], pa.string()),
            "duplicate_of_dump_id": pa.array([out[k][0][0] for k in keys], pa.string()),
            "similarity": pa.array([out[k][1] for k in keys], pa.float32()),
            "kind": pa.array(
                ["exact" if out[k][0][1] == k[1] else "near" for k in keys], pa.string()
            ).dictionary_encode(),
        },
        schema=schemas.DUPLICATES,
    )


def _fetch(store: Store, nodes: set[Node], rank: dict) -> Occurrences:
    by_dump: dict[str, set[str]] = {}
    for dump_id, doc_id in nodes:
        by_dump.setdefault(dump_id, set()).add(doc_id)
    return Occurrences.concat([read_occurrences(store, d, rank[d], ids) for d, ids in sorted(by_dump.items())])


def excluded(store: Store) -> set[Node]:
    """The (dump_id, doc_id) occurrences that repeat an earlier document (left out of pairing)."""
    t = store.read_duplicates()
    return set(zip(t.column("dump_id").to_pylist(), t.column("doc_id").to_pylist()))


def mark_duplicates(store: Store, settings: Settings) -> StepStats:
    """The step: the duplicates table over every `ok` dump."""
    dump_ids = ok_dump_ids(store)
    rows, _ = find_duplicates(store, settings, dump_ids)
    return StepStats("duplicates", documents=sum(store.count_rows("signatures", d) for d in dump_ids), rows=rows)


STEP = CorpusStep(
    name="duplicates",
    reads=("signatures",),
    writes=("duplicates",),
    params=params_tag,
    run=mark_duplicates,
)
