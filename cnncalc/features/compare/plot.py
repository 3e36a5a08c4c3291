"""The comparison plot of `cnncalc compare --plot`: an SVG written by hand, no plotting library.

Parameters against MACs on log scales, one labelled point per network; with `profile`, a
panel per network below it whose bars are the MACs (up) and params (down) of each layer
with weights, so one sees where a network spends its compute and where it keeps its weights.

Labels never overlap each other or any point: cnncalc.features.compare.labels places them
(the geometry); this module draws the axes, points, labels and panels as SVG, and grows the
plot taller while some label finds no free spot.

Every name is user text: control characters are made visible and XML's special
characters escaped (cnncalc.render.escape), so a hostile name is shown, never run.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from cnncalc.features.compare.figures import Entry, setting
from cnncalc.features.compare.labels import (
    LABEL_PAD,
    LABEL_SIZE,
    POINT_RADIUS,
    Box,
    label_width,
    leader,
    place_labels,
    short_label,
)
from cnncalc.render.escape import svg_text, terminal
from cnncalc.render.human import format_si

WIDTH = 820
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
#: the plot area of the scatter: left, top and right edges; the bottom one grows with the networks
LEFT, TOP, RIGHT = 96, 56, WIDTH - 28
PLOT_HEIGHT, HEIGHT_PER_NETWORK, ROOMY = 480, 16, 12
#: networks per extra unit of height each network adds (see plot_bottom)
CROWDING = 24
#: how much taller the plot gets, and how many times at most, while a label finds no free spot
GROWTH, GROWTHS = 48, 12
#: room under the plot area for the tick labels and the axis title
UNDER = 64
#: a profile panel: header, bars up (MACs), bars down (params), space after
PANEL_HEADER, BAR_SPAN, PANEL_GAP, LINE = 30, 46, 18, 16
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")
MACS_COLOUR, PARAMS_COLOUR = "#1f77b4", "#ff7f0e"
PREFIXES = ("", "K", "M", "G", "T", "P", "E")


@dataclass(frozen=True)
class LogAxis:
    """Decades lo..hi (powers of ten) mapped onto pixels start..end."""

    lo: int
    hi: int
    start: float
    end: float

    @classmethod
    def covering(cls, values: Sequence[int], start: float, end: float) -> LogAxis:
        """The decades around the values, with a margin so no point sits on an edge."""
        logs = [math.log10(max(v, 1)) for v in values]
        lo = math.floor(min(logs) - 0.15)
        hi = math.ceil(max(logs) + 0.15)
        return cls(lo, max(hi, lo + 1), start, end)

    def at(self, value: int) -> float:
        """Pixel position of `value` (values below 1 drawn at 1: a log scale has no zero)."""
        fraction = (math.log10(max(value, 1)) - self.lo) / (self.hi - self.lo)
        return self.start + fraction * (self.end - self.start)

    def decades(self) -> range:
        return range(self.lo, self.hi + 1)


def decade_label(exponent: int) -> str:
    """10**6 -> '1M', 10**8 -> '100M', 10**10 -> '10G'."""
    step, rest = divmod(exponent, 3)
    if step >= len(PREFIXES):
        return f"1e{exponent}"
    return f"{10**rest}{PREFIXES[step]}"


def plot_svg(entries: Sequence[Entry], profile: bool = False) -> str:
    """The whole SVG document: the scatter, then (with `profile`) a panel per network."""
    bottom = plot_bottom(len(entries))
    figures = [(e.macs, e.params) for e in entries]
    same_spot = Counter(figures)
    placed: tuple[int, list[Box]] | None = None  # (bottom, boxes) of the last placement
    before = len(entries) + 1
    for _ in range(GROWTHS):  # a taller plot spreads the points until every label has a spot
        boxes, failed = place_labels(*_label_layout(entries, bottom))
        placed = (bottom, boxes)
        stuck = sum(1 for i in failed if same_spot[figures[i]] == 1)
        if not stuck or stuck >= before:
            # none failed, or only points on one spot, which no height pulls apart; or the last
            # growth placed no more labels (points on one row, nearly alike), nor would the next
            break
        before = stuck
        # room for every label left without a spot at once: two steps per label, so that a few
        # growths do (each growth places every label again)
        bottom += 2 * GROWTH * stuck
    height = bottom + UNDER + (_profile_height(entries) if profile else 0)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family={quoteattr(FONT)}>',
        f'<rect class="background" x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    out += _scatter(entries, bottom, placed[1] if placed is not None and placed[0] == bottom else None)
    if profile:
        out += _profiles(entries, bottom + UNDER)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def plot_bottom(count: int) -> int:
    """The bottom edge of the plot area: taller for many networks, so their labels find room.

    Each network past the first ROOMY adds HEIGHT_PER_NETWORK, and one more unit per
    CROWDING networks in all: the more networks, the more of them crowd the same decades
    of the log axes (500 small networks needed about 34 units each, 50 about 23). Starting
    near the height the labels need spares the growth loop of plot_svg its slowest passes,
    the crowded ones where many labels try every spot before they fail.
    """
    extra = max(0, count - ROOMY)
    return TOP + PLOT_HEIGHT + (HEIGHT_PER_NETWORK + count // CROWDING) * extra


def _label_layout(entries: Sequence[Entry], bottom: int) -> tuple[list[tuple[float, float]], list[float], Box]:
    """Where the points are, how wide their labels, and the area the labels must stay in."""
    xs = LogAxis.covering([e.macs for e in entries], LEFT, RIGHT)
    ys = LogAxis.covering([e.params for e in entries], bottom, TOP)
    points = [(xs.at(e.macs), ys.at(e.params)) for e in entries]
    widths = [label_width(terminal(short_label(e.name))) for e in entries]
    return points, widths, Box(LEFT + 2, TOP + 2, RIGHT - LEFT - 4, bottom - TOP - 4)


def _scatter(entries: Sequence[Entry], bottom: int, boxes: list[Box] | None = None) -> list[str]:
    """The scatter's elements; `boxes` are the labels' boxes when plot_svg placed them at this bottom."""
    xs = LogAxis.covering([e.macs for e in entries], LEFT, RIGHT)
    ys = LogAxis.covering([e.params for e in entries], bottom, TOP)
    title = f"Parameters against MACs ({setting(entries)})"
    out = [
        f'<text class="title" x="{WIDTH / 2:.1f}" y="30" text-anchor="middle" font-size="16" '
        f'font-weight="bold">{svg_text(title)}</text>',
        '<g class="grid" stroke-width="1">',
    ]
    out += _grid(xs, ys, bottom)
    out.append("</g>")
    out += _axes(xs, ys, bottom)
    points, widths, area = _label_layout(entries, bottom)
    labels = [terminal(short_label(e.name)) for e in entries]
    if boxes is None:
        boxes, _ = place_labels(points, widths, area)
    out.append('<g class="leaders" stroke="#888888" stroke-width="1">')
    for (x, y), box in zip(points, boxes, strict=True):
        end = leader(x, y, box)
        if end is not None:
            out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{end[0]:.1f}" y2="{end[1]:.1f}"/>')
    out.append("</g>")
    for i, (e, label, (x, y), box) in enumerate(zip(entries, labels, points, boxes, strict=True)):
        colour = PALETTE[i % len(PALETTE)]
        top1 = "" if e.top1 is None else f", top-1 {e.top1!r}%"
        tip = f"{e.name}: {e.params:,} params, {e.macs:,} MACs{top1}"
        out += [
            f'<g class="network" data-name="{svg_text(e.name)}" data-params="{e.params}" data-macs="{e.macs}">',
            f"<title>{svg_text(tip)}</title>",
            f'<circle class="point" cx="{x:.2f}" cy="{y:.2f}" r="{POINT_RADIUS}" fill="{colour}" '
            'stroke="#ffffff" stroke-width="1"/>',
            f'<rect class="label-box" x="{box.x:.2f}" y="{box.y:.2f}" width="{box.w:.2f}" height="{box.h:.2f}" '
            f'rx="3" fill="#ffffff" fill-opacity="0.9" stroke="{colour}" stroke-width="0.8"/>',
            f'<text class="label" x="{box.x + LABEL_PAD:.2f}" y="{box.y + LABEL_PAD + LABEL_SIZE * 0.8:.2f}" '
            f'font-size="{LABEL_SIZE}" fill="#222222">{svg_text(label)}</text>',
            "</g>",
        ]
    return out


def _grid(xs: LogAxis, ys: LogAxis, bottom: int) -> list[str]:
    """A line per decade, lighter lines at 2..9 times each decade."""
    out = []
    for axis, vertical in ((xs, True), (ys, False)):
        for exponent in axis.decades():
            for mult in range(1, 10):
                value = mult * 10**exponent
                if exponent == axis.hi and mult > 1:
                    break
                pos = axis.at(value)
                colour = "#cccccc" if mult == 1 else "#eeeeee"
                if vertical:
                    out.append(f'<line x1="{pos:.2f}" y1="{TOP}" x2="{pos:.2f}" y2="{bottom}" stroke="{colour}"/>')
                else:
                    out.append(f'<line x1="{LEFT}" y1="{pos:.2f}" x2="{RIGHT}" y2="{pos:.2f}" stroke="{colour}"/>')
    return out


def _axes(xs: LogAxis, ys: LogAxis, bottom: int) -> list[str]:
    out = [
        f'<rect class="frame" x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT}" height="{bottom - TOP}" '
        'fill="none" stroke="#444444"/>',
        '<g class="x-ticks" font-size="12" text-anchor="middle" fill="#333333">',
    ]
    out += [
        f'<text class="tick" x="{xs.at(10**e):.2f}" y="{bottom + 18}" data-value="{10**e}">{decade_label(e)}</text>'
        for e in xs.decades()
    ]
    out += ["</g>", '<g class="y-ticks" font-size="12" text-anchor="end" dominant-baseline="middle" fill="#333333">']
    out += [
        f'<text class="tick" x="{LEFT - 8}" y="{ys.at(10**e):.2f}" data-value="{10**e}">{decade_label(e)}</text>'
        for e in ys.decades()
    ]
    middle = (TOP + bottom) / 2
    out += [
        "</g>",
        f'<text class="axis-title" x="{(LEFT + RIGHT) / 2:.1f}" y="{bottom + 44}" text-anchor="middle" '
        'font-size="13">MACs (multiply-accumulates of one forward pass, log scale)</text>',
        f'<text class="axis-title" x="24" y="{middle:.1f}" text-anchor="middle" font-size="13" '
        f'transform="rotate(-90 24 {middle:.1f})">Parameters (log scale)</text>',
    ]
    return out


def _panel_header(e: Entry) -> list[str]:
    """The words over a network's bars: one line, or two (name, then figures) when one is too wide."""
    layers = e.layers
    name = f"{terminal(short_label(e.name))}: {len(layers)} layers with weights"
    if not layers:
        return [name]
    busiest = max(layers, key=lambda layer: layer.macs)
    largest = max(layers, key=lambda layer: layer.params)
    figures = (
        f"most MACs {format_si(busiest.macs)} ({terminal(short_label(busiest.name))}), "
        f"most params {format_si(largest.params)} ({terminal(short_label(largest.name))})"
    )
    one = f"{name}; {figures}"
    return [one] if label_width(one) <= RIGHT - LEFT else [name, figures]


def _panel_height(e: Entry) -> int:
    return PANEL_HEADER + LINE * (len(_panel_header(e)) - 1) + 2 * BAR_SPAN + PANEL_GAP


def _profile_height(entries: Sequence[Entry]) -> int:
    return 40 + sum(_panel_height(e) for e in entries)


def _profiles(entries: Sequence[Entry], top: float) -> list[str]:
    """Per network: a bar per layer with weights, MACs up and params down, each to its own maximum."""
    out = [
        f'<text class="profile-title" x="{LEFT}" y="{top + 16}" font-size="14" font-weight="bold">'
        "Per-layer profile (layers with weights, in order)</text>",
        f'<rect x="{RIGHT - 250}" y="{top + 6}" width="10" height="10" fill="{MACS_COLOUR}"/>',
        f'<text x="{RIGHT - 236}" y="{top + 15}" font-size="12">MACs (up)</text>',
        f'<rect x="{RIGHT - 150}" y="{top + 6}" width="10" height="10" fill="{PARAMS_COLOUR}"/>',
        f'<text x="{RIGHT - 136}" y="{top + 15}" font-size="12">params (down)</text>',
    ]
    y = top + 40
    for e in entries:
        out += _panel(e, y)
        y += _panel_height(e)
    return out


def _panel(e: Entry, top: float) -> list[str]:
    layers = e.layers
    most_macs = max((layer.macs for layer in layers), default=0)
    most_params = max((layer.params for layer in layers), default=0)
    header = _panel_header(e)
    out = [f'<g class="profile" data-name="{svg_text(e.name)}" data-layers="{len(layers)}">']
    for k, line in enumerate(header):
        out.append(
            f'<text class="profile-header" x="{LEFT}" y="{top + 18 + LINE * k}" font-size="12">{svg_text(line)}</text>'
        )
    top += LINE * (len(header) - 1)
    base = top + PANEL_HEADER + BAR_SPAN
    out.append(f'<line x1="{LEFT}" y1="{base:.1f}" x2="{RIGHT}" y2="{base:.1f}" stroke="#444444"/>')
    slot = (RIGHT - LEFT) / max(len(layers), 1)
    bar = max(slot * 0.8, 0.5)
    for i, layer in enumerate(layers):
        x = LEFT + i * slot + (slot - bar) / 2
        up = BAR_SPAN * layer.macs / most_macs if most_macs else 0
        down = BAR_SPAN * layer.params / most_params if most_params else 0
        tip = svg_text(f"{layer.name}: {layer.macs:,} MACs, {layer.params:,} params")
        out += [
            f'<g class="bar" data-macs="{layer.macs}" data-params="{layer.params}"><title>{tip}</title>',
            f'<rect class="macs" x="{x:.2f}" y="{base - up:.2f}" width="{bar:.2f}" height="{up:.2f}" '
            f'fill="{MACS_COLOUR}"/>',
            f'<rect class="params" x="{x:.2f}" y="{base:.2f}" width="{bar:.2f}" height="{down:.2f}" '
            f'fill="{PARAMS_COLOUR}"/>',
            "</g>",
        ]
    out.append("</g>")
    return out


__all__ = [
    "LogAxis",
    "decade_label",
    "plot_bottom",
    "plot_svg",
]
