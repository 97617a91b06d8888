"""`pipeline status` as text (a table per dump, totals, the last run) and as JSON."""

from __future__ import annotations

from datetime import datetime

from pipeline.reporting.data import DumpStatus, Overview


def _when(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "never"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(out).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def note_of(d: DumpStatus) -> str:
    """The last column: why a dump was rejected, what replaced a superseded one, problems met reading it."""
    note = " ".join((d.error or "").split())
    if d.status == "superseded":
        return f"superseded by {d.superseded_by}" + (f"; {note}" if note else "")
    return note


def _counts(overview: Overview) -> str:
    counts = f"{len(overview.ok)} ok, {len(overview.rejected)} rejected"
    return counts + (f", {len(overview.superseded)} superseded" if overview.superseded else "")


def format_status(overview: Overview) -> str:
    """A plain-text table: one line per dump (rejected ones with their error, superseded ones with
    their successor), then totals, what the last run left for later and when it ran."""
    langs = overview.languages
    header = ["file", "dump_id", "status", "documents", *langs, "entities", "repeats", "processed_at", "error"]
    rows = []
    for d in overview.dumps:
        rows.append(
            [
                d.file_name,
                d.dump_id,
                d.status,
                str(d.n_documents),
                *(str(d.docs_by_lang.get(lang, 0)) for lang in langs),
                str(d.n_entities),
                str(d.n_duplicates),
                _when(d.processed_at),
                note_of(d),
            ]
        )
    right = set(range(3, 6 + len(langs)))
    by_lang = ", ".join(f"{lang} {overview.docs_by_lang[lang]}" for lang in langs) or "none"
    lines = [f"dataset: {overview.out_dir}", ""]
    lines += _table(header, rows, right) if rows else ["(no dumps recorded yet)"]
    lines += [
        "",
        f"total: {len(overview.dumps)} dumps ({_counts(overview)})"
        f" | documents: {overview.n_documents} ({by_lang})"
        f" | entities: {overview.n_entities} | pairs: {overview.n_pairs}"
        f" | entity keys: {overview.n_keys} ({overview.n_joined} joined by the pairs' evidence)",
        f"each article once: {overview.n_unique_documents} documents, {overview.n_unique_entities} entity mentions"
        f" ({_repeats(overview)})",
        f"last run: {_when(overview.last_run)}",
    ]
    if overview.waiting:
        lines += ["", f"left for later by the last run ({len(overview.waiting)}):"]
        lines += [f"  {w['path']}: {w['reason']}" for w in overview.waiting]
    return "\n".join(lines)


def status_dict(overview: Overview) -> dict:
    """The same facts as plain JSON-ready data."""
    return {
        "out_dir": str(overview.out_dir),
        "dumps": [
            {
                "file": d.file_name,
                "path": d.path,
                "dump_id": d.dump_id,
                "status": d.status,
                "error": d.error,
                "superseded_by": d.superseded_by,
                "documents": d.n_documents,
                "documents_by_lang": dict(sorted(d.docs_by_lang.items())),
                "entities": d.n_entities,
                "repeats": d.n_duplicates,
                "processed_at": d.processed_at.isoformat() if d.processed_at else None,
            }
            for d in overview.dumps
        ],
        "totals": {
            "dumps": len(overview.dumps),
            "ok": len(overview.ok),
            "rejected": len(overview.rejected),
            "superseded": len(overview.superseded),
            "documents": overview.n_documents,
            "documents_by_lang": dict(sorted(overview.docs_by_lang.items())),
            "entities": overview.n_entities,
            "unique_documents": overview.n_unique_documents,
            "unique_entities": overview.n_unique_entities,
            "repeats": sum(d.n_duplicates for d in overview.ok),
            "pairs": overview.n_pairs,
            "entity_keys": overview.n_keys,
            "keys_joined": overview.n_joined,
        },
        "last_run": overview.last_run.isoformat() if overview.last_run else None,
        "waiting": [{"file": w["path"], **w} for w in overview.waiting],
    }


def _repeats(overview: Overview) -> str:
    """Why the unique count is lower: repeats of earlier documents, and the same text twice in one dump."""
    listed = sum(d.n_duplicates for d in overview.ok)
    text = f"{listed} documents repeat an earlier one: the `duplicates` table"
    if twice := overview.n_documents - overview.n_unique_documents - listed:
        text += f"; {twice} more are the same text again within one dump"
    return text
