"""The HTML report: one self-contained page (inline CSS and SVG, no script, nothing loaded from anywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pipeline.reporting.bitext import BITEXT_STYLE, aligned_pairs, bitext_section
from pipeline.reporting.data import (
    DateMentions,
    NamedEntity,
    Overview,
    PairView,
    Timeline,
    date_mentions,
    date_timeline,
    load_overview,
    named_entities,
    pair_views,
    without_repeats,
)
from pipeline.reporting.svg import column_chart, esc, stacked_bars
from pipeline.store import Store

# The page may load nothing: no script at all, styles only inline, images only as data: URIs.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
MAX_DUMPS_CHARTED = 60

STYLE = (
    """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1a202c; margin: 0; background: #f7fafc; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 2px solid #cbd5e0; padding-bottom: 4px; }
p.meta, p.note { color: #4a5568; font-size: 13px; margin: 4px 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 22px; }
.card span { color: #4a5568; font-size: 12px; }
svg.chart { display: block; width: 100%; height: auto; background: #fff; border: 1px solid #e2e8f0;
  border-radius: 6px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.err { color: #9b2c2c; }
code { font-size: 12px; background: #edf2f7; padding: 0 3px; border-radius: 3px; }
.ok { color: #276749; } .rejected { color: #9b2c2c; font-weight: bold; } .superseded { color: #718096; }
"""
    + BITEXT_STYLE
)


def _when(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "never"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; cells are already-escaped HTML fragments."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _lang_order(langs: set[str]) -> list[str]:
    first = [lang for lang in ("en", "ru") if lang in langs]
    return first + sorted(langs - set(first))


def display_name(entity: NamedEntity) -> str:
    """The entity's names in each language, English first: `CSTO / ОДКБ`."""
    names: list[str] = []
    for lang in _lang_order(set(entity.names)):
        if entity.names[lang] not in names:
            names.append(entity.names[lang])
    return " / ".join(names)


def _cards(overview: Overview) -> str:
    by_lang = ", ".join(f"{lang} {overview.docs_by_lang[lang]}" for lang in overview.languages) or "none"
    cards = [
        (str(len(overview.ok)), "dumps processed"),
        (str(len(overview.rejected)), "dumps rejected"),
        (str(len(overview.superseded)), "older versions superseded"),
        (str(len(overview.waiting)), "files left for later"),
        (str(overview.n_documents), f"documents ({by_lang})"),
        (str(overview.n_unique_documents), "unique documents (each article once)"),
        (str(overview.n_entities), "entity mentions"),
        (str(overview.n_unique_entities), "mentions in unique documents"),
        (str(overview.n_pairs), "RU/EN pairs"),
        (str(overview.n_keys), f"entity keys ({overview.n_joined} joined by the pairs)"),
    ]
    return (
        '<div class="cards">'
        + "".join(f"<div class=card><b>{esc(v)}</b><span>{esc(t)}</span></div>" for v, t in cards)
        + "</div>"
    )


def _documents_section(overview: Overview) -> str:
    ok = sorted(overview.ok, key=lambda d: (d.processed_at, d.file_name, d.dump_id))[-MAX_DUMPS_CHARTED:]
    out = ['<section id="documents"><h2>Documents per dump and language</h2>']
    if not ok:
        return out[0] + '<p class="note">No dump has been processed yet.</p></section>'
    if len(overview.ok) > len(ok):
        out.append(f'<p class="note">The {len(ok)} most recently processed of {len(overview.ok)} dumps.</p>')
    langs = _lang_order({lang for d in ok for lang in d.docs_by_lang})
    rows = [(f"{d.file_name} ({d.dump_id[:8]})", dict(d.docs_by_lang)) for d in ok]
    out.append(stacked_bars(rows, langs, title="Documents per dump and language"))
    return "".join(out) + "</section>"


def _entities_section(entities: list[NamedEntity], label: str, heading: str, top: int) -> str:
    chosen = [e for e in entities if e.label == label][:top]
    anchor = "people" if label == "PERSON" else "organizations"
    out = [f'<section id="{anchor}"><h2>{esc(heading)}</h2>']
    if not chosen:
        return out[0] + f'<p class="note">No {esc(heading.lower())} found.</p></section>'
    langs = _lang_order({lang for e in chosen for lang in e.by_lang})
    out.append(
        '<p class="note">Mentions grouped by <code>entity_key</code>: Russian and English mentions of the same '
        "person or organization count together; the name shown per language is its most frequent form."
        " An article scraped again (the <code>duplicates</code> table) counts once.</p>"
    )
    out.append(stacked_bars([(display_name(e), e.by_lang) for e in chosen], langs, title=heading))
    header = ["entity_key", *(f"name ({lang})" for lang in langs), *(f"mentions ({lang})" for lang in langs)]
    header += ["mentions", "documents"]
    rows = []
    for e in chosen:
        names = [esc(e.names.get(lang, "")) for lang in langs]
        counts = [str(e.by_lang.get(lang, 0)) for lang in langs]
        rows.append([f"<code>{esc(e.key)}</code>", *names, *counts, str(e.mentions), str(e.n_documents)])
    numeric = set(range(1 + len(langs), len(header)))
    out.append(_table(header, rows, numeric))
    return "".join(out) + "</section>"


def _dates_section(timeline: Timeline, dates: list[DateMentions], unparsed: int) -> str:
    out = ['<section id="dates"><h2>Timeline of the dates mentioned</h2>']
    if not dates:
        return out[0] + '<p class="note">No dates found.</p></section>'
    scale = "" if timeline.dense else " (only the periods mentioned; gaps are not to scale)"
    out.append(f'<p class="note">DATE mentions per {timeline.granularity}{scale}, by their ISO <code>norm</code>.')
    if timeline.wider:
        out.append(
            f" {timeline.wider} mention(s) of a period longer than a {timeline.granularity} are listed below only."
        )
    if unparsed:
        out.append(f" {unparsed} mention(s) without an ISO date are left out.")
    out.append("</p>")
    out.append(column_chart(timeline.buckets, title=f"Dates mentioned per {timeline.granularity}"))
    busiest = sorted(dates, key=lambda d: (-d.mentions, d.start, d.norm))[:20]
    rows = [
        [f"<code>{esc(d.norm)}</code>", esc(d.precision), str(d.mentions), esc(", ".join(d.examples))]
        for d in sorted(busiest, key=lambda d: (d.start, d.end, d.norm))
    ]
    note = f"The {len(busiest)} most mentioned of {len(dates)} dates." if len(dates) > len(busiest) else ""
    out.append(_table(["date", "precision", "mentions", "as written"], rows, {2}))
    if note:
        out.append(f'<p class="note">{esc(note)}</p>')
    return "".join(out) + "</section>"


def _side(title: str, line: str, doc_id: str, lang: str) -> str:
    head = f"<b>{esc(title)}</b><br>" if title else ""
    return f'{head}<span lang="{lang}">{esc(line)}</span><br><code>{esc(doc_id)}</code>'


def _pairs_section(pairs: list[PairView], total: int) -> str:
    out = ['<section id="pairs"><h2>RU/EN translation pairs</h2>']
    if not pairs:
        return out[0] + '<p class="note">No pairs found.</p></section>'
    if total > len(pairs):
        out.append(f'<p class="note">The {len(pairs)} best-scored of {total} pairs.</p>')
    rows = [
        [
            f"{p.score:.3f}",
            _side(p.ru_title, p.ru_first_line, p.ru_doc_id, "ru"),
            _side(p.en_title, p.en_first_line, p.en_doc_id, "en"),
            esc(", ".join(p.shared_keys)),
        ]
        for p in pairs
    ]
    out.append(
        _table(["score", "Russian: title, first line", "English: title, first line", "shared entity keys"], rows, {0})
    )
    return "".join(out) + "</section>"


def _rejected_section(overview: Overview) -> str:
    out = ['<section id="rejected"><h2>Rejected dumps</h2>']
    if not overview.rejected:
        return out[0] + '<p class="note">None: every dump could be read.</p></section>'
    rows = [
        [
            esc(d.file_name),
            f"<code>{esc(d.dump_id)}</code>",
            str(d.size_bytes),
            esc(_when(d.processed_at)),
            esc(d.error or ""),
        ]
        for d in overview.rejected
    ]
    out.append(_table(["file", "dump_id", "bytes", "processed_at", "reason"], rows, {2}))
    return "".join(out) + "</section>"


STATUS_CLASS = {"ok": "ok", "rejected": "rejected", "superseded": "superseded"}


def _waiting_section(overview: Overview) -> str:
    out = ['<section id="waiting"><h2>Left for later</h2>']
    if not overview.waiting:
        return out[0] + '<p class="note">None: the last run found no file still being written.</p></section>'
    rows = [[esc(w["path"]), esc(w["reason"])] for w in overview.waiting]
    out.append(_table(["file", "why the last run left it for a later one"], rows, set()))
    return "".join(out) + "</section>"


def _status_section(overview: Overview) -> str:
    langs = overview.languages
    rows = []
    for d in overview.dumps:
        rows.append(
            [
                esc(d.file_name),
                f"<code>{esc(d.dump_id)}</code>",
                f'<span class="{STATUS_CLASS.get(d.status, "rejected")}">{esc(d.status)}</span>',
                esc(d.encoding or ""),
                str(d.n_documents),
                *(str(d.docs_by_lang.get(lang, 0)) for lang in langs),
                str(d.n_entities),
                str(d.n_duplicates),
                esc(_when(d.processed_at)),
                f"<code>{esc(d.superseded_by)}</code>" if d.superseded_by else "",
            ]
        )
    header = [
        "file", "dump_id", "status", "encoding", "documents", *langs, "entities", "repeats", "processed_at",
        "superseded_by",
    ]
    numeric = set(range(4, 7 + len(langs)))
    return '<section id="dumps"><h2>All dumps</h2>' + _table(header, rows, numeric) + "</section>"


def render_report(
    overview: Overview,
    entities: list[NamedEntity],
    dates: list[DateMentions],
    unparsed: int,
    pairs: list[PairView],
    top: int = 15,
    aligned: str = "",
) -> str:
    """The whole page as a string."""
    timeline = date_timeline(dates)
    body = [
        "<h1>Bilingual news pipeline: dataset report</h1>",
        f'<p class="meta">Dataset <code>{esc(overview.out_dir)}</code> · last run {esc(_when(overview.last_run))}</p>',
        _cards(overview),
        _documents_section(overview),
        _entities_section(entities, "PERSON", "Most named people", top),
        _entities_section(entities, "ORG", "Most named organizations", top),
        _dates_section(timeline, dates, unparsed),
        _pairs_section(pairs, overview.n_pairs),
        aligned,
        _rejected_section(overview),
        _waiting_section(overview),
        _status_section(overview),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Dataset report</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def _heading(p: PairView) -> str:
    return f"{p.ru_title or p.ru_first_line} / {p.en_title or p.en_first_line}"


def build_report(out_dir: Path | str, top: int = 15, max_pairs: int = 200, max_aligned: int = 50) -> str:
    """Read the dataset under `out_dir` and render its report (`max_aligned` pairs shown side by side)."""
    overview = load_overview(out_dir)
    store = Store(out_dir)
    ok_ids = sorted(d.dump_id for d in overview.ok)
    ents = without_repeats(store.read_table("entities", ok_ids), store)  # each article counted once
    dates, unparsed = date_mentions(ents)
    pairs = pair_views(store, ok_ids, max_pairs)
    listed = [(p.ru_doc_id, p.en_doc_id, _heading(p)) for p in pairs[:max_aligned]]
    units = aligned_pairs(store, [(r, e) for r, e, _ in listed])
    aligned = bitext_section(listed, units, overview.n_pairs)
    return render_report(overview, named_entities(ents, store.read_key_map()), dates, unparsed, pairs, top, aligned)
