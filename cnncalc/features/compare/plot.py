"""The comparison plot of `cnncalc compare --plot`: an SVG written by hand, no plotting library.

Parameters against MACs on log scales, one labelled point per network; with `profile`, a
panel per network below it whose bars are the MACs (up) and params (down) of each layer
with weights, so one sees where a network spends its compute and where it keeps its weights.

Labels never overlap each other or any point: each is placed at the first free spot around
its point (beside it, then rings further out, with a leader line that crosses no label or
point, and no other leader where that can be had), judged by the box drawn behind it; where
no spot is free, the plot grows taller. The box is sized from per-character widths of the
widest common sans-serif font, rounded up, so the text stays inside it.

Every name is user text: control characters are made visible and XML's special
characters escaped (cnncalc.render.escape), so a hostile name is shown, never run.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from xml.sax.saxutils import quoteattr

from cnncalc.features.compare.figures import Entry, setting
from cnncalc.render.escape import svg_text, terminal
from cnncalc.render.human import format_si
from cnncalc.render.table import text_width

WIDTH = 820
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
LABEL_SIZE = 12
LABEL_PAD = 3
POINT_RADIUS = 5
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
class Box:
    """An axis-aligned rectangle: left, top, width, height in SVG user units."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and (other.y < self.y + self.h)
        )

    def inside(self, other: Box) -> bool:
        return (
            self.x >= other.x
            and self.y >= other.y
            and self.x + self.w <= other.x + other.w
            and self.y + self.h <= other.y + other.h
        )


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


#: widths in ems of DejaVu Sans (the widest common sans-serif), for characters far from the average
_EMS = {
    **dict.fromkeys("iIjl.,:;'|!", 0.32),
    **dict.fromkeys("ft()[]{}/\\ -", 0.4),
    **dict.fromkeys('r"*^`', 0.5),
    **dict.fromkeys("mwMW%@&#<>=+~", 1.0),
}


def char_em(char: str) -> float:
    """A character's width in ems, rounded up: the label box must hold the text in any sans font."""
    if char in _EMS:
        return _EMS[char]
    if char.isascii():
        return 0.78 if char.isupper() else 0.66
    return 1.05 * text_width(char)  # wide East Asian characters count two, combining marks none


def label_width(text: str) -> float:
    return sum(char_em(c) for c in text) * LABEL_SIZE + 2 * LABEL_PAD


#: a label longer than this is shortened in the middle (the tooltip and data-name keep it whole)
LONGEST_LABEL = 40


def short_label(text: str) -> str:
    """The name as a label: whole up to LONGEST_LABEL characters, else its start and end."""
    if len(text) <= LONGEST_LABEL:
        return text
    return text[: LONGEST_LABEL - 13] + "…" + text[-12:]


def _hang(c: float) -> float:
    """Where a box hangs from its spot along an axis whose direction has cosine `c`: by its near
    edge (0) going that way, by its far edge (-1) going back, by its middle (-0.5) across."""
    return 0.0 if c > 0.2 else (-1.0 if c < -0.2 else -0.5)


#: the rings of spots around a point, nearest first: (radius less POINT_RADIUS, cos, sin, and
#: where the box hangs from the spot in x and y, in box widths and heights)
_RINGS: tuple[tuple[int, float, float, float, float], ...] = tuple(
    (gap, math.cos(angle), math.sin(angle), _hang(math.cos(angle)), _hang(-math.sin(angle)))
    for gap in range(14, 320, 8)
    for angle in (2 * math.pi * step / 16 for step in range(16))
)


def _candidates(px: float, py: float, w: float, h: float, shared: bool = False) -> Iterator[Box]:
    """Spots for a w x h label around a point, nearest first: beside it, then rings further out.

    A point that shares its spot with others gets no spot right above or below it: with
    the four sides taken, no leader line of the others could get out.
    """
    d = POINT_RADIUS + 4
    yield Box(px + d, py - h / 2, w, h)  # right
    yield Box(px - d - w, py - h / 2, w, h)  # left
    if not shared:
        yield Box(px - w / 2, py - d - h, w, h)  # above
        yield Box(px - w / 2, py + d, w, h)  # below
    for gap, cos, sin, hang_x, hang_y in _RINGS:
        r = POINT_RADIUS + gap
        # the box's nearest side or corner sits on a circle of radius r around the point
        yield Box(px + r * cos + hang_x * w, py - r * sin + hang_y * h, w, h)


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1
T = TypeVar("T")
Segment = tuple[float, float, float, float]  # x1, y1, x2, y2

#: a new order of service is tried only when this many labels or fewer found no spot
RETRIED_AT_MOST = 3
#: the side of a cell of _Grid, in SVG units: about a label's height times five
CELL = 64.0


class _Grid(Generic[T]):
    """Items (boxes, segments) bucketed by the cells of a uniform grid their bounding rect covers.

    The labels' search asks, for each candidate spot, which boxes and leaders it meets; asking
    every item placed so far made the plot quadratic in the networks (500 took minutes). The
    plot grows taller with the networks, so a cell holds a bounded number of items and a query
    costs the same at 5 networks as at 500. A query returns every item whose rect meets the
    asked rect's cells (an item in two such cells twice), a superset of those it meets: the
    exact tests decide, unchanged.
    """

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[T]] = {}

    def add(self, item: T, rect: Rect) -> None:
        x0, y0, x1, y1 = rect
        for cx in range(math.floor(min(x0, x1) / CELL), math.floor(max(x0, x1) / CELL) + 1):
            for cy in range(math.floor(min(y0, y1) / CELL), math.floor(max(y0, y1) / CELL) + 1):
                self.cells.setdefault((cx, cy), []).append(item)

    def near(self, rect: Rect) -> list[T]:
        x0, y0, x1, y1 = rect
        found: list[T] = []
        cells = self.cells
        for cx in range(math.floor(min(x0, x1) / CELL), math.floor(max(x0, x1) / CELL) + 1):
            for cy in range(math.floor(min(y0, y1) / CELL), math.floor(max(y0, y1) / CELL) + 1):
                items = cells.get((cx, cy))
                if items:
                    found += items
        return found


def _rect(box: Box) -> Rect:
    return box.x, box.y, box.x + box.w, box.y + box.h


def place_labels(
    points: Sequence[tuple[float, float]], widths: Sequence[float], area: Box
) -> tuple[list[Box], list[int]]:
    """A box per point, each inside `area`, clear of every point and of every other box;
    and the points for which no such box was found (empty when all went well).

    A label away from its point gets a leader line; that line must not cross another label
    or point either, nor may another label cover it. Points are served from the most crowded
    out; when a label finds no free spot (labels placed before it surround its point), the
    placement starts again with that label served first, a few times, keeping the best try
    (only when a few failed: with many, the caller gives the plot room instead).
    Where no spot is free at all (more labels than room), the nearest spot is taken and the
    point reported, so that the caller can give the plot more room.
    """
    near: _Grid[int] = _Grid()
    for i, (x, y) in enumerate(points):
        near.add(i, (x - 80, y - 30, x + 80, y + 30))

    def crowding(i: int) -> int:
        x, y = points[i]
        close = near.near((x, y, x, y))
        return -sum(1 for j in close if abs(points[j][0] - x) < 80 and abs(points[j][1] - y) < 30)

    order = sorted(range(len(points)), key=lambda i: (crowding(i), i))
    best: tuple[list[Box], list[int]] | None = None
    for _ in range(6):
        boxes, failed = _place_in_order(points, widths, area, order)
        if best is None or len(failed) < len(best[1]):
            best = (boxes, failed)
        if not failed or len(failed) > RETRIED_AT_MOST:
            break  # all placed; or too many left for a new order to place (the caller grows the plot)
        first = set(failed)
        order = [*failed, *(i for i in order if i not in first)]
    assert best is not None
    return best


def _place_in_order(
    points: Sequence[tuple[float, float]], widths: Sequence[float], area: Box, order: Sequence[int]
) -> tuple[list[Box], list[int]]:
    """Boxes placed greedily in `order`, and the points that found no free spot."""
    h = LABEL_SIZE + 2 * LABEL_PAD
    dots = [_dot(x, y) for x, y in points]
    # what a label may not cover and a leader may not cross: the dots (with their index, so a
    # leader can pass the dots it starts on) and the labels placed (index -1)
    taken: _Grid[tuple[Box, int]] = _Grid()
    for j, dot in enumerate(dots):
        taken.add((dot, j), _rect(dot))
    leaders: _Grid[Segment] = _Grid()
    placed: dict[int, Box] = {}
    failed: list[int] = []
    for i in order:
        x, y = points[i]
        # a leader starts at the point: the points it sits on (same or nearly the same figures) don't count
        on_it = {j for dot, j in taken.near(_rect(dots[i])) if j >= 0 and dot.overlaps(dots[i])}
        shared = len(on_it) > 1
        nearest: Box | None = None
        free: Box | None = None
        # the first spot whose leader crosses nothing; else the first whose leader only crosses
        # other leaders (one pass finds both: the second is remembered while looking for the first)
        crossing: Box | None = None
        for box in _candidates(x, y, widths[i], h, shared):
            if not box.inside(area):
                continue
            nearest = nearest or box
            rect = _rect(box)
            if any(other.overlaps(box) for other, _ in taken.near(rect)):
                continue
            clear = _clear_of_lines(x, y, box, rect, leaders, taken, on_it)
            if clear is None:
                continue
            if clear:
                free = box
                break
            crossing = crossing or box
        free = free or crossing
        if free is None:
            failed.append(i)
        placed[i] = free or nearest or Box(x + POINT_RADIUS + 4, y - h / 2, widths[i], h)
        taken.add((placed[i], -1), _rect(placed[i]))
        end = _leader(x, y, placed[i])
        if end is not None:
            leaders.add((x, y, *end), (x, y, *end))
    return [placed[i] for i in range(len(points))], failed


def _clear_of_lines(
    x: float,
    y: float,
    box: Box,
    rect: Rect,
    leaders: _Grid[Segment],
    taken: _Grid[tuple[Box, int]],
    on_it: set[int],
) -> bool | None:
    """None when a leader drawn so far crosses `box` (whose rect is `rect`) or the box's own
    leader (if it needs one) crosses a label placed or a point other than those it starts on
    (`on_it`); else whether that leader also keeps clear of every other leader."""
    if any(_crosses(line, box) for line in leaders.near(rect)):
        return None
    end = _leader(x, y, box)
    if end is None:
        return True
    line = (x, y, *end)
    if any(_crosses(line, other) for other, j in taken.near(line) if j not in on_it):
        return None
    return not any(_intersect(line, other) for other in leaders.near(line))


def _dot(x: float, y: float) -> Box:
    """The box a point takes (its circle, one unit of margin)."""
    r = POINT_RADIUS + 1
    return Box(x - r, y - r, 2 * r, 2 * r)


def _crosses(line: tuple[float, float, float, float], box: Box) -> bool:
    """Whether a segment passes through the inside of a box (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = line
    if max(x1, x2) <= box.x or min(x1, x2) >= box.x + box.w or max(y1, y2) <= box.y or min(y1, y2) >= box.y + box.h:
        return False  # the boxes around the two do not meet
    dx, dy = x2 - x1, y2 - y1
    low, high = 0.0, 1.0
    for p, q in ((-dx, x1 - box.x), (dx, box.x + box.w - x1), (-dy, y1 - box.y), (dy, box.y + box.h - y1)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


def _intersect(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two segments cross (touching at an end, as two leaders from one point do, is not crossing)."""

    def side(x1: float, y1: float, x2: float, y2: float, x: float, y: float) -> float:
        return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)

    d1, d2 = side(*b, a[0], a[1]), side(*b, a[2], a[3])
    d3, d4 = side(*a, b[0], b[1]), side(*a, b[2], b[3])
    return d1 * d2 < 0 and d3 * d4 < 0


def _leader(x: float, y: float, box: Box) -> tuple[float, float] | None:
    """Where a line from the point meets its label's box, or None when the label sits beside it."""
    nx = min(max(x, box.x), box.x + box.w)
    ny = min(max(y, box.y), box.y + box.h)
    if math.hypot(nx - x, ny - y) <= POINT_RADIUS + 6:
        return None
    return nx, ny


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
        end = _leader(x, y, box)
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
    "Box",
    "LogAxis",
    "char_em",
    "decade_label",
    "label_width",
    "place_labels",
    "plot_bottom",
    "plot_svg",
    "short_label",
]
