"""Where the comparison plot's labels go: a box per point, clear of every other box and point.

Labels never overlap each other or any point: each is placed at the first free spot around
its point (beside it, then rings further out, with a leader line that crosses no label or
point, and no other leader where that can be had), judged by the box drawn behind it; where
no spot is free, the caller (cnncalc.features.compare.plot) grows the plot taller. The box is
sized from per-character widths of the widest common sans-serif font, rounded up, so the text
stays inside it.

This is geometry alone, in SVG user units: it writes no SVG, so it is tested (and timed, by
benchmarks/bench_compare_plot.py through the plot) on points and widths.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from cnncalc.render.table import text_width

LABEL_SIZE = 12
LABEL_PAD = 3
POINT_RADIUS = 5


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
        end = leader(x, y, placed[i])
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
    end = leader(x, y, box)
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


def leader(x: float, y: float, box: Box) -> tuple[float, float] | None:
    """Where a line from the point meets its label's box, or None when the label sits beside it."""
    nx = min(max(x, box.x), box.x + box.w)
    ny = min(max(y, box.y), box.y + box.h)
    if math.hypot(nx - x, ny - y) <= POINT_RADIUS + 6:
        return None
    return nx, ny


__all__ = [
    "LABEL_PAD",
    "LABEL_SIZE",
    "POINT_RADIUS",
    "Box",
    "char_em",
    "label_width",
    "leader",
    "place_labels",
    "short_label",
]
