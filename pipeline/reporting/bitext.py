"""The report's side-by-side view of each pair's aligned sentences (read-only; all text escaped)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.reporting.svg import esc
from pipeline.store import Store

BITEXT_STYLE = """
div.pair { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; margin: 12px 0; padding: 8px 10px; }
div.pair table { margin: 6px 0 0; }
div.pair td { width: 50%; }
span.u { display: inline; padding: 0 2px; }
span.u b { color: #718096; font-size: 10px; font-weight: normal; padding-right: 2px; }
span.alone { background: #fed7d7; text-decoration: underline dotted #9b2c2c; }
"""


@dataclass
class AlignedPair:
    """The units of one pair in order, as (kind, ru_text, en_text, ru_paragraph, en_paragraph)."""

    ru_doc_id: str
    en_doc_id: str
    units: list[tuple[str, str | None, str | None, int | None, int | None]]

    def share(self, side: int) -> float:
        """The share of one side's characters (1 ru, 2 en) that sit in units with a counterpart."""
        total = sum(len(u[side] or "") for u in self.units)
        aligned = sum(len(u[side] or "") for u in self.units if u[1] is not None and u[2] is not None)
        return aligned / total if total else 0.0

    def blocks(self) -> list[list[int]]:
        """Units grouped into aligned paragraphs: a new block when either side starts a paragraph."""
        out: list[list[int]] = []
        last = (None, None)
        for k, u in enumerate(self.units):
            ru_p, en_p = u[3], u[4]
            new = (ru_p is not None and ru_p != last[0]) or (en_p is not None and en_p != last[1])
            if new or not out:
                out.append([])
            out[-1].append(k)
            last = (ru_p if ru_p is not None else last[0], en_p if en_p is not None else last[1])
        return out


def aligned_pairs(store: Store, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], AlignedPair]:
    """The units of the wanted pairs, read from the bitext table."""
    table = store.read_bitext(
        ["ru_doc_id", "en_doc_id", "unit", "kind", "ru_text", "en_text", "ru_paragraph", "en_paragraph"]
    )
    ru_ids = sorted({r for r, _ in wanted})
    table = table.filter(pc.is_in(table["ru_doc_id"], value_set=pa.array(ru_ids, pa.string())))
    table = table.sort_by([("ru_doc_id", "ascending"), ("en_doc_id", "ascending"), ("unit", "ascending")])
    out: dict[tuple[str, str], AlignedPair] = {}
    keep = set(wanted)
    columns = [table.column(c).to_pylist() for c in table.column_names]
    for r, e, _, kind, ru_text, en_text, ru_p, en_p in zip(*columns[:8]):
        if (r, e) in keep:
            out.setdefault((r, e), AlignedPair(r, e, [])).units.append((str(kind), ru_text, en_text, ru_p, en_p))
    return out


def _cell(pair: AlignedPair, block: list[int], side: int, lang: str) -> str:
    spans = []
    for k in block:
        text = pair.units[k][side]
        if text is None:
            continue
        alone = pair.units[k][3 - side] is None
        cls = "u alone" if alone else "u"
        hint = ' title="no counterpart in the other document"' if alone else ""
        spans.append(f'<span class="{cls}"{hint}><b>{k + 1}</b>{esc(text)}</span>')
    return f'<span lang="{lang}">{" ".join(spans)}</span>'


def render_pair(pair: AlignedPair, heading: str) -> str:
    """One pair: its heading, the aligned shares, and its aligned paragraphs side by side."""
    shares = f"Russian {pair.share(1):.0%} aligned · English {pair.share(2):.0%} aligned"
    alone = sum(1 for u in pair.units if u[1] is None or u[2] is None)
    rows = "".join(
        f"<tr><td>{_cell(pair, b, 1, 'ru')}</td><td>{_cell(pair, b, 2, 'en')}</td></tr>" for b in pair.blocks()
    )
    return (
        f'<div class="pair"><b>{esc(heading)}</b>'
        f'<p class="note">{esc(shares)}; {len(pair.units)} units, {alone} without counterpart (marked).'
        f" <code>{esc(pair.ru_doc_id)}</code> / <code>{esc(pair.en_doc_id)}</code></p>"
        f"<table><thead><tr><th>Russian</th><th>English</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def bitext_section(pairs: list[tuple[str, str, str]], aligned: dict[tuple[str, str], AlignedPair], total: int) -> str:
    """The section: every listed pair (ru_doc_id, en_doc_id, heading) that has units, side by side."""
    out = ['<section id="bitext"><h2>Aligned sentences, side by side</h2>']
    shown = [(r, e, h) for r, e, h in pairs if (r, e) in aligned]
    if not shown:
        return out[0] + '<p class="note">No aligned sentences.</p></section>'
    out.append(
        '<p class="note">Units numbered in the documents\' order; sentences with no counterpart in the other'
        " document are marked in red."
        + (f" The {len(shown)} best-scored of {total} pairs." if total > len(shown) else "")
        + "</p>"
    )
    out += [render_pair(aligned[(r, e)], h) for r, e, h in shown]
    return "".join(out) + "</section>"
