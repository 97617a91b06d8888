"""Inline SVG charts as strings: no library, no script, no network. Every text goes through `esc`."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
PALETTE = ("#2b6cb0", "#c53030", "#2f855a", "#b7791f", "#6b46c1", "#2c7a7b", "#97266d", "#4a5568")
LANG_COLORS = {"en": "#2b6cb0", "ru": "#c53030", "und": "#a0aec0"}


def esc(value: object) -> str:
    """Escape text for HTML and SVG content and attribute values."""
    return html.escape(str(value), quote=True)


def series_colors(series: Sequence[str]) -> dict[str, str]:
    """A stable color per series: the language colors first, then the palette in order."""
    out, spare = {}, [c for c in PALETTE if c not in LANG_COLORS.values()]
    for i, name in enumerate(series):
        out[name] = LANG_COLORS.get(name) or spare[i % len(spare)]
    return out


def nice_ticks(maximum: float, target: int = 5) -> list[float]:
    """Round tick values from 0 to at least `maximum` (steps of 1, 2 or 5 times a power of ten)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1) if maximum >= 1 else step
    n = math.ceil(maximum / step)
    return [round(i * step, 10) for i in range(n + 1)]


def _num(v: float) -> str:
    return f"{v:g}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def legend(series: Sequence[str], colors: dict[str, str], x: float, y: float) -> list[str]:
    parts = []
    for name in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colors[name]}"/>')
        parts.append(f'<text x="{x + 17:.1f}" y="{y:.1f}">{esc(name)}</text>')
        x += 30 + 8 * len(name)
    return parts


def stacked_bars(
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 960,
    label_width: int = 330,
    label_chars: int = 40,
) -> str:
    """Horizontal bars, one per row, stacked by series (e.g. languages), with the total after each bar."""
    colors = series_colors(series)
    row_h, bar_h, top, bottom = 24, 16, 40, 28
    height = top + row_h * max(len(rows), 1) + bottom
    plot_w = width - label_width - 70
    totals = [sum(v.get(s, 0) for s in series) for _, v in rows]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_w / ticks[-1]
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{esc(FONT)}" font-size="12">',
        f"<title>{esc(title)}</title>",
        *legend(series, colors, label_width, 18),
    ]
    axis_y = top + row_h * max(len(rows), 1)
    for t in ticks:
        x = label_width + t * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{axis_y}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#4a5568">{_num(t)}</text>')
    for i, ((label, values), total) in enumerate(zip(rows, totals)):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_h - 3}" text-anchor="end">'
            f"<title>{esc(label)}</title>{esc(_shorten(label, label_chars))}</text>"
        )
        x = float(label_width)
        for s in series:
            v = values.get(s, 0)
            if not v:
                continue
            w = v * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[s]}">'
                f"<title>{esc(label)}: {esc(s)} {v}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_h - 3}" fill="#2d3748">{total}</text>')
    parts.append(f'<line x1="{label_width}" y1="{top - 6}" x2="{label_width}" y2="{axis_y}" stroke="#718096"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def column_chart(
    buckets: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 960,
    height: int = 260,
    color: str = "#2c7a7b",
    max_labels: int = 12,
) -> str:
    """Vertical bars over ordered buckets (a timeline), with at most `max_labels` bucket labels."""
    left, right, top, bottom = 44, 16, 16, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((c for _, c in buckets), default=0), target=4)
    n = max(len(buckets), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.8, 60), 1)
    every = max(1, math.ceil(n / max_labels))
    base = top + plot_h
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{esc(FONT)}" font-size="12">',
        f"<title>{esc(title)}</title>",
    ]
    for t in ticks:
        y = base - t / ticks[-1] * plot_h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4a5568">{_num(t)}</text>')
    for i, (label, count) in enumerate(buckets):
        cx = left + slot * (i + 0.5)
        h = count / ticks[-1] * plot_h
        if count:
            parts.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{esc(label)}: {count}</title></rect>'
            )
        if i % every == 0:
            parts.append(f'<line x1="{cx:.1f}" y1="{base}" x2="{cx:.1f}" y2="{base + 4}" stroke="#718096"/>')
            parts.append(f'<text x="{cx:.1f}" y="{base + 18}" text-anchor="middle">{esc(label)}</text>')
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#718096"/>')
    parts.append("</svg>")
    return "\n".join(parts)
