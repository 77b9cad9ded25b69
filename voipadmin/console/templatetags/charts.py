"""Server-side SVG charts: no JavaScript, no CDN, nothing the CSP has to allow.

Each chart is one ``<svg role="img">`` named by its own ``<title>`` and ``<desc>`` (``aria-labelledby``), so a
screen reader hears what it shows; the page puts the exact figures in a table beside it. Geometry uses floats
(it only places pixels); every number a person reads is formatted from the exact value it was given.
Colours come from CSS classes, since the CSP allows no inline ``style``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from mall.money import money_text

register = template.Library()

WIDTH = 640
Number = int | Decimal


def _n(value: float) -> str:
    """A coordinate: short, and stable so the markup does not churn between renders."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _plain(value: Number) -> str:
    """A figure as people read it: no exponent, no trailing zeros after the point."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if text != "-0" else "0"
    return str(value)


def nice_ticks(top: float, intervals: int = 4) -> list[float]:
    """Axis ticks from 0 to a round number at or above ``top`` in steps of 1, 2 or 5 x 10^k (≤ ``intervals``)."""
    if top <= 0:
        return [0.0, 1.0]
    rough = top / intervals
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    count = max(1, math.ceil(top / step - 1e-9))
    return [step * i for i in range(count + 1)]


def _tick_text(value: float, whole: bool) -> str:
    if whole:
        return str(round(value))
    return _plain(Decimal(repr(value)).quantize(Decimal("0.01"))) if value else "0"


def _frame(chart_id: str, title: str, desc: str, height: float, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" focusable="false">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>{5}</svg>',
        chart_id,
        WIDTH,
        _n(height),
        title,
        desc,
        body,
    )


def text_width(text: str, size: float = 12) -> float:
    """A generous estimate of rendered width: CJK glyphs are about square, Latin ones about half as wide."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.56 for ch in str(text))


@register.simple_tag
def bar_chart(
    items: Sequence[Sequence[Any]], *, chart_id: str, title: str, desc: str, label_width: int = 0
) -> SafeString:
    """Horizontal bars, one row per ``(label, value[, tone])``: for categories with long names (statuses).

    The label column fits the longest label (``label_width`` 0), within bounds that leave the bars room.
    """
    row, bar, pad = 26, 16, 4
    value_room = 64
    if not label_width:
        longest = max((text_width(item[0]) for item in items), default=0.0)
        label_width = int(min(max(longest + 14, 80), WIDTH * 0.4))
    top = max((float(item[1]) for item in items), default=0.0) or 1.0
    span = WIDTH - label_width - value_room
    rows = []
    for i, item in enumerate(items):
        label, value = item[0], item[1]
        tone = item[2] if len(item) > 2 else "info"
        y = pad + i * row
        length = max(float(value) / top * span, 2.0 if value else 0.0)
        rows.append(
            format_html(
                '<g class="chart-row"><text class="chart-label" x="{0}" y="{1}" text-anchor="end">{2}</text>'
                '<rect class="chart-bar chart-bar-{3}" x="{4}" y="{5}" width="{6}" height="{7}" rx="2">'
                "<title>{2}: {8}</title></rect>"
                '<text class="chart-value" x="{9}" y="{1}">{8}</text></g>',
                _n(label_width - 8),
                _n(y + (row - bar) / 2 - 1 + bar / 2 + 4),  # baseline: the text centred on its bar
                label,
                tone,
                _n(label_width),
                _n(y + (row - bar) / 2 - 1),
                _n(length),
                bar,
                _plain(value),
                _n(label_width + length + 6),
            )
        )
    height = pad * 2 + row * max(len(items), 1)
    return _frame(chart_id, title, desc, height, SafeString("".join(rows)))


@register.simple_tag
def column_chart(
    items: Sequence[Sequence[Any]],
    *,
    chart_id: str,
    title: str,
    desc: str,
    label_every: int = 0,
    height: int = 190,
    show_values: bool = False,
) -> SafeString:
    """Vertical columns over time, one per ``(x label, value, tooltip)``, with a labelled y axis.

    ``label_every`` names every n-th column on the x axis (0: about six names whatever the count), and the
    last column always, since "today" or "the latest run" is what a reader looks for first. ``show_values``
    writes each value above its column (few columns only): a zero then reads as zero, not as a gap.
    """
    left, right, top_pad, bottom = 58, 8, 18 if show_values else 10, 24
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    values = [item[1] for item in items]
    whole = all(isinstance(v, int) for v in values)
    ticks = nice_ticks(max((float(v) for v in values), default=0.0))
    scale = ticks[-1] or 1.0
    base = top_pad + plot_h
    parts: list[SafeString] = []
    for tick in ticks:
        y = base - tick / scale * plot_h
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{0}" x2="{1}" y1="{2}" y2="{2}"></line>'
                '<text class="chart-axis" x="{3}" y="{4}" text-anchor="end">{5}</text>',
                _n(left),
                _n(WIDTH - right),
                _n(y),
                _n(left - 6),
                _n(y + 4),
                _tick_text(tick, whole),
            )
        )
    count = len(items)
    slot = plot_w / max(count, 1)
    every = label_every or max(1, math.ceil(count / 6))
    for i, (label, value, tip) in enumerate(items):
        x = left + i * slot
        bar_h = float(value) / scale * plot_h
        if bar_h:
            parts.append(
                format_html(
                    '<rect class="chart-bar chart-bar-info" x="{0}" y="{1}" width="{2}" height="{3}" rx="1">'
                    "<title>{4}</title></rect>",
                    _n(x + slot * 0.15),
                    _n(base - max(bar_h, 1.5)),
                    _n(slot * 0.7),
                    _n(max(bar_h, 1.5)),
                    tip,
                )
            )
        if show_values:
            parts.append(
                format_html(
                    '<text class="chart-value" x="{0}" y="{1}" text-anchor="middle">{2}</text>',
                    _n(x + slot / 2),
                    _n(base - bar_h - 4),
                    _plain(value),
                )
            )
        last = i == count - 1
        # Skip a name that would crowd the always-shown last one.
        if (i % every == 0 and (last or count - 1 - i >= every / 2)) or last:
            parts.append(
                format_html(
                    '<text class="chart-axis" x="{0}" y="{1}" text-anchor="middle">{2}</text>',
                    _n(x + slot / 2),
                    _n(height - 6),
                    label,
                )
            )
    parts.append(
        format_html(
            '<line class="chart-baseline" x1="{0}" x2="{1}" y1="{2}" y2="{2}"></line>',
            _n(left),
            _n(WIDTH - right),
            _n(base),
        )
    )
    return _frame(chart_id, title, desc, height, SafeString("".join(parts)))


@register.filter
def grouped_money(value: Decimal | None) -> str:
    """An exact amount with its thousands grouped ("12,345.60"): big KPI figures read at a glance."""
    if value is None:
        return "—"
    text = money_text(value)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, fraction = text.partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return sign + ",".join([whole, *groups]) + dot + fraction
