"""Charts for the statistics page, drawn on the server as inline SVG: no script, nothing from a CDN, and no
`style` attributes (the page's CSP allows only its own stylesheet), so colours are SVG presentation attributes.

Two shapes cover the page: stacked columns over time buckets, and horizontal bars with one or more segments.
Every bar carries a <title> (a tooltip and an accessible label) with its exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

# Outcome colours (a colour-blind-safe set); the tests look for these exact colours in screenshots.
COLOURS = {
    "allowed": "#1e7b46", "redacted": "#e69f00", "blocked": "#c0392b", "no_route": "#7b3294",
    "rejected_auth": "#5d6675", "rate_limited": "#0072b2", "bad_request": "#999999", "upstream_error": "#d55e00",
    "audit_unavailable": "#000000", "client_disconnect": "#56b4e9", "error": "#cc79a7", "pending": "#c8ccd2",
    "enforced": "#2b5fd9", "shadow": "#e69f00", "onprem": "#1e7b46", "external": "#2b5fd9", "none": "#c8ccd2",
}
BAR = "#2b5fd9"
FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#5d6675"'


def colour(name: str) -> str:
    return COLOURS.get(name, "#888888")


@dataclass(frozen=True, slots=True)
class Segment:
    series: str
    value: int
    fill: str


def _esc(text: object) -> str:
    return str(escape(str(text)))


def hbars(chart_id: str, rows: Sequence[tuple[str, Sequence[Segment]]], *, width: int = 520,
          label_w: int = 170, row_h: int = 24) -> Markup:
    """Horizontal bars, one row per label, longest = full width; segments stack left to right."""
    if not rows:
        return Markup('<p class="muted">Nothing in this period.</p>')
    top = max(sum(s.value for s in segs) for _, segs in rows) or 1
    plot = width - label_w - 60
    height = row_h * len(rows) + 6
    out = [f'<svg id="{_esc(chart_id)}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, segs) in enumerate(rows):
        y = i * row_h + 3
        out.append(f'<text x="{label_w - 8}" y="{y + row_h * 0.62:.1f}" text-anchor="end" {FONT}>'
                   f'{_esc(label[:28])}</text>')
        x = float(label_w)
        for seg in segs:
            w = plot * seg.value / top
            if w <= 0:
                continue
            out.append(f'<rect class="bar" x="{x:.2f}" y="{y + 3}" width="{w:.2f}" height="{row_h - 8}" '
                       f'fill="{seg.fill}" data-series="{_esc(seg.series)}" data-value="{seg.value}">'
                       f'<title>{_esc(label)} · {_esc(seg.series)}: {seg.value}</title></rect>')
            x += w
        total = sum(s.value for s in segs)
        out.append(f'<text x="{x + 6:.2f}" y="{y + row_h * 0.62:.1f}" {FONT}>{total}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def columns(chart_id: str, starts: Sequence[datetime], series: dict[str, Sequence[int]], *, bucket: str,
            width: int = 1080, height: int = 220) -> Markup:
    """Stacked columns over time buckets (series in the order given, bottom first), with a y-axis maximum and
    first / last bucket labels."""
    if not starts:
        return Markup('<p class="muted">Nothing in this period.</p>')
    totals = [sum(v[i] for v in series.values()) for i in range(len(starts))]
    top = max(totals, default=0) or 1
    left, bottom, plot_h = 40, 24, height - 34
    slot = (width - left - 8) / len(starts)
    bar_w = max(slot * 0.8, 1.0)
    fmt = "%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d"
    out = [f'<svg id="{_esc(chart_id)}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" stroke="#dde1e7"/>',
           f'<text x="{left - 6}" y="14" text-anchor="end" {FONT}>{top}</text>',
           f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" {FONT}>0</text>',
           f'<text x="{left}" y="{height - 6}" {FONT}>{starts[0].strftime(fmt)}</text>',
           f'<text x="{width - 8}" y="{height - 6}" text-anchor="end" {FONT}>{starts[-1].strftime(fmt)}</text>']
    for i, start in enumerate(starts):
        x = left + i * slot + (slot - bar_w) / 2
        y = float(height - bottom)
        for name, values in series.items():
            if not values[i]:
                continue
            h = plot_h * values[i] / top
            y -= h
            out.append(f'<rect class="bar" x="{x:.2f}" y="{y:.2f}" width="{bar_w:.2f}" height="{h:.2f}" '
                       f'fill="{colour(name)}" data-series="{_esc(name)}" data-value="{values[i]}">'
                       f'<title>{start.strftime(fmt)} · {_esc(name)}: {values[i]}</title></rect>')
    out.append("</svg>")
    return Markup("".join(out))


def legend(names: Sequence[str]) -> Markup:
    """Colour keys for a chart: small SVG swatches (no inline styles)."""
    items = "".join(f'<span class="key"><svg width="10" height="10" aria-hidden="true"><rect width="10" '
                    f'height="10" fill="{colour(n)}"/></svg> {_esc(n)}</span>' for n in names)
    return Markup(f'<p class="legend">{items}</p>')
