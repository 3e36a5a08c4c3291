"""The architecture diagram as SVG, written directly (no dependency), the same bytes every run.

Two pictures, chosen by the shape of the graph:

- a chain (LeNet, AlexNet, VGG) in the classic style of the papers: each feature map a
  volume in oblique projection, sized on a log scale (a 224x224x64 map and a 7x7x512 one
  both stay readable), the window of each convolution or pooling drawn on the map it
  slides over, dense layers as bars, and layers that keep the shape (ReLU, batch norm,
  dropout) as thin plates; every one labelled with its name, what it does and its shape;
- any other graph (residual, inception, dense, siamese, encoder-decoder) as a layered
  DAG from top to bottom (see layout.py): a box per layer, or per block with `depth`,
  and an arrow per edge, skip connections routed around the boxes.

Every element of a layer is in one `<g class="layer" data-name=...>`, and every edge is
one `<path class="edge" data-from=... data-to=...>` ending in an arrow, so tests (and
scripts) can read the picture back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from cnncalc.core.report import LayerRow, Report
from cnncalc.features.draw.layout import layered, text_width
from cnncalc.features.draw.model import Picture, brief, collapse_repeats, kernel, max_depth, picture
from cnncalc.features.draw.svg import attrs, document, num, points, text
from cnncalc.render.escape import svg_text
from cnncalc.render.human import format_count

#: a chain longer than this is drawn as a graph: volumes side by side would not fit a slide
MAX_VOLUMES = 40

NAME_SIZE = 12.0
INFO_SIZE = 10.5
TITLE_SIZE = 15.0
MARGIN = 20.0

_FILLS = (
    ("depthwise", "#bde0fe"),
    ("conv", "#8ecae6"),
    ("pool", "#f4a261"),
    ("upsample", "#b7e4c7"),
    ("dense", "#90be6d"),
    ("norm", "#d9d9d9"),
    ("lrn", "#d9d9d9"),
    ("add", "#cdb4db"),
    ("concat", "#cdb4db"),
    ("mul", "#cdb4db"),
    ("input", "#e9ecef"),
    ("block", "#a8dadc"),
    ("relu", "#ffd166"),
    ("softmax", "#ffd166"),
    ("sigmoid", "#ffd166"),
    ("tanh", "#ffd166"),
)


def fill(kind: str) -> str:
    """The colour of a layer kind: convolutions blue, pooling orange, dense green, merges violet."""
    for part, colour in _FILLS:
        if part in kind:
            return colour
    return "#f1f1f1"


#: the sign of a badge that counts identical blocks (times 3)
TIMES = "\u00d7"

#: the shape a default picture aims at: a 16:9 slide
SLIDE = 16 / 9
#: the longest side, in px, a default picture may have
LONG_SIDE = 4000.0
#: what a default picture should keep to: a slide's proportions, and text that stays readable
COMFORT_SIDE, COMFORT_ASPECT = 2600.0, (0.45, 3.6)


def architecture_svg(report: Report, *, depth: int | str | None = None, style: str = "auto") -> str:
    """The diagram of `report` as an SVG document (a string).

    `depth` None (the default) draws the most detail that fits a slide: every layer when
    that fits, else blocks rolled up a level at a time, identical blocks in a row drawn
    once with their count (`x6` drawn with a times sign); "all" draws every layer however long the picture; a
    number rolls blocks up as `summarize --depth` does. `style` is "volumes" (the classic
    picture, chains only), "graph" (boxes and arrows, any network) or "auto" (volumes for
    a chain of at most MAX_VOLUMES layers, else graph).
    """
    if depth is None:
        return _fitted(report, style)
    if depth == "all":
        return _draw(picture(report, None), style)
    if isinstance(depth, str):
        raise ValueError(f"depth is a number of levels or 'all', not {depth!r}")
    return _draw(picture(report, depth), style)


def _draw(shown: Picture, style: str, note: str | None = None) -> str:
    if style == "volumes" and not shown.is_chain():
        raise ValueError("the volumes style draws only chains (each layer reading the one before it)")
    volumes = style == "volumes" or (style == "auto" and shown.is_chain() and len(shown.rows) <= MAX_VOLUMES)
    return _volumes_svg(shown, note) if volumes else _graph_svg(shown, note)


def size(svg: str) -> tuple[float, float]:
    """The width and height an SVG written here declares."""
    head = svg[: svg.index(">", svg.index("<svg"))]
    width = re.search(r' width="([\d.]+)"', head)
    height = re.search(r' height="([\d.]+)"', head)
    assert width is not None and height is not None
    return float(width.group(1)), float(height.group(1))


def _fits(svg: str, side: float, aspect: tuple[float, float]) -> bool:
    width, height = size(svg)
    return max(width, height) <= side and aspect[0] <= width / height <= aspect[1]


def _fitted(report: Report, style: str) -> str:
    """The most detailed picture that fits a slide: every layer, else blocks rolled up one level
    at a time with repeats collapsed; comfortably if one does, else within the limits."""
    candidates: list[tuple[Picture, str | None]] = []
    if len(report.rows) <= 4 * MAX_VOLUMES:  # longer never fits; not worth drawing
        candidates.append((picture(report, None), None))
    for level in range(max_depth(report), 0, -1):
        shown = collapse_repeats(picture(report, level))
        if len(shown.rows) > 4 * MAX_VOLUMES:
            continue
        repeats = ", identical blocks drawn once (\u00d7N)" if shown.repeats else ""
        candidates.append(
            (shown, f"blocks {level} level{'s' if level > 1 else ''} deep{repeats}; --depth all shows every layer")
        )
    if style == "volumes":
        candidates = [c for c in candidates if c[0].is_chain()]
    drawn: list[str] = []
    for shown, note in candidates:
        svg = _draw(shown, style, note)
        if _fits(svg, COMFORT_SIDE, COMFORT_ASPECT):
            return svg
        drawn.append(svg)
    for svg in drawn:
        if _fits(svg, LONG_SIDE, (0.3, 4.0)):
            return svg
    if not drawn:  # every level too long to draw: the top level is the shortest
        drawn.append(_draw(collapse_repeats(picture(report, 1)), style, "blocks 1 level deep"))
    return drawn[-1]


def _title(report: Report) -> str:
    totals = report.totals
    return f"{report.name}: {format_count(totals.params)} params, {format_count(totals.macs)} MACs"


def _heading(title: str, note: str | None) -> list[str]:
    """The title and, for a picture that leaves detail out, a line that says how to see it."""
    out = [text(MARGIN, MARGIN + TITLE_SIZE, title, size=TITLE_SIZE, css="title", anchor="start")]
    if note:
        out.append(text(MARGIN, MARGIN + TITLE_SIZE + INFO_SIZE + 6, note, size=INFO_SIZE, css="note", anchor="start"))
    return out


def _labels(x: float, y: float, lines: Sequence[str]) -> list[str]:
    """The name (bold) and info lines of a layer, centred on x, the first baseline at y."""
    out = [text(x, y, lines[0], size=NAME_SIZE, css="name")]
    for i, line in enumerate(lines[1:]):
        out.append(text(x, y + NAME_SIZE + 2 + i * (INFO_SIZE + 2), line, size=INFO_SIZE, css="info"))
    return out


def _labels_width(lines: Sequence[str]) -> float:
    return max([text_width(lines[0], NAME_SIZE)] + [text_width(line, INFO_SIZE) for line in lines[1:]])


def _group(row: LayerRow, body: list[str]) -> str:
    head = f'<g class="layer" data-name="{svg_text(row.name)}" data-kind="{svg_text(row.kind)}">'
    return "\n".join([head, *body, "</g>"])


# --- the classic picture of a chain -----------------------------------------------------------


def _log_size(n: int, base: float, step: float) -> float:
    return base + step * math.log2(max(n, 1))


#: kinds drawn as a marker on the map they act on, when they keep its shape
_MARKS_NOT = ("input", "conv", "dense", "block", "pool")


class _Item:
    """One layer of a chain: a volume, a bar or a plate, and its place."""

    def __init__(self, pic: Picture, i: int) -> None:
        row = pic.rows[i]
        self.row = row
        self.repeat = pic.repeat(i)
        self.markers: list[_Item] = []  # shape-keeping layers drawn on this one
        shape = row.output_shape
        self.keeps = shape == row.input_shape and not any(k in row.kind for k in _MARKS_NOT)
        if len(shape) == 3 and not self.keeps:
            channels, height, width = shape
            self.form = "volume"
            self.front = _log_size(channels, 3.0, 3.5)  # thickness along the page
            self.height = _log_size(height, 10.0, 13.0)
            self.depth = _log_size(width, 10.0, 13.0) * 0.38  # oblique offset, right and up
        elif self.keeps:
            self.form = "plate"
            self.front, self.height, self.depth = 6.0, 34.0, 8.0
        else:
            self.form = "bar"
            self.front = 10.0
            self.height = _log_size(math.prod(shape), 10.0, 11.0)
            self.depth = 6.0
        self.lines = [row.name, brief(row), pic.shape_text(row)]
        self.span = self.front + self.depth
        self.x = 0.0  # left of the solid, set by the layout
        self.cell = 0.0  # left of the room the layer and its labels take
        self.axis = 0.0  # the row's middle line
        self.label_y = 0.0  # the first baseline of the labels

    @property
    def width(self) -> float:
        """The room the layer takes along the page: its solid, its labels and its markers' names."""
        named = [_labels_width(self.lines)] + [text_width(_mark_line(m), INFO_SIZE) for m in self.markers]
        return max(self.span, max(named) + (_badge_width(self.repeat) if self.repeat > 1 else 0.0))

    @property
    def line_count(self) -> int:
        return len(self.lines) + len(self.markers)

    def faces(self, axis: float) -> list[tuple[list[tuple[float, float]], str]]:
        """Front, top and side faces as polygons (the side face shows height x width)."""
        x0, x1 = self.x, self.x + self.front
        top, bottom = axis - self.height / 2, axis + self.height / 2
        d = self.depth
        colour = fill(self.row.kind)
        return [
            ([(x0, top), (x1, top), (x1, bottom), (x0, bottom)], colour),
            ([(x0, top), (x0 + d, top - d), (x1 + d, top - d), (x1, top)], _shade(colour, 1.12)),
            ([(x1, top), (x1 + d, top - d), (x1 + d, bottom - d), (x1, bottom)], _shade(colour, 0.85)),
        ]


def _mark_line(marker: _Item) -> str:
    return f"+ {marker.row.name}: {brief(marker.row)}"


def _badge_width(count: int) -> float:
    return text_width(f"{TIMES}{count}", INFO_SIZE) + 8


def _badge(x: float, y: float, count: int) -> list[str]:
    """The times-N badge of a row standing for N identical blocks: a small dark tag, its left edge at x."""
    width = _badge_width(count)
    box = attrs(x=x, y=y, width=width, height=INFO_SIZE + 5, rx=3.0, class_="badge")
    label = text(x + width / 2, y + INFO_SIZE + 1, f"{TIMES}{count}", size=INFO_SIZE, css="badge-text")
    return [f"<rect{box}/>", label]


def _shade(colour: str, factor: float) -> str:
    """A lighter (factor > 1) or darker shade of #rrggbb, for the faces of a solid."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor > 1:
        channels = [round(c + (255 - c) * (factor - 1) * 2) for c in channels]
    else:
        channels = [round(c * factor) for c in channels]
    return "#" + "".join(f"{min(255, max(0, c)):02x}" for c in channels)


VOLUME_GAP = 26.0
ROW_GAP = 30.0


def _rows_of(items: Sequence[_Item], room: float) -> list[list[_Item]]:
    """The items in rows at most `room` wide (one item wider than that has a row to itself),
    a row ending after a pooling where it can: VGG's rows are its blocks of convolutions."""
    rows: list[list[_Item]] = [[]]
    used = 0.0
    for item in items:
        if rows[-1] and used + item.width > room:
            current = rows[-1]
            cut = max((k + 1 for k, it in enumerate(current) if "pool" in it.row.kind), default=0)
            if cut * 2 < len(current) or cut == len(current):
                cut = len(current)
            rows[-1], rest = current[:cut], current[cut:]
            rows.append(rest)
            used = sum(it.width + VOLUME_GAP for it in rest)
        rows[-1].append(item)
        used += item.width + VOLUME_GAP
    return rows


def _place_rows(rows: Sequence[Sequence[_Item]], top: float) -> tuple[float, float]:
    """Set each item's place, row under row; the width and height they take (margins included)."""
    right = 0.0
    y = top
    for row in rows:
        above = max(item.height / 2 + item.depth for item in row)
        below = max(item.height / 2 for item in row)
        axis = y + above
        label_y = axis + below + 16 + NAME_SIZE
        lines = max(item.line_count for item in row)
        x = MARGIN
        for item in row:
            item.cell = x
            item.x = x + (item.width - item.span) / 2
            item.axis, item.label_y = axis, label_y
            x += item.width + VOLUME_GAP
        right = max(right, x - VOLUME_GAP)
        y = label_y + NAME_SIZE + (lines - 2) * (INFO_SIZE + 2) + ROW_GAP
    return right + MARGIN, y - ROW_GAP + MARGIN


def _volumes_svg(pic: Picture, note: str | None = None) -> str:
    items: list[_Item] = []
    for i in range(len(pic.rows)):
        item = _Item(pic, i)
        if item.keeps and items:
            items[-1].markers.append(item)  # on the map it acts on, not a slab of its own
        else:
            items.append(item)
    title = _title(pic.report)
    top = MARGIN + TITLE_SIZE + 16 + (INFO_SIZE + 6 if note else 0.0)
    title_width = MARGIN * 2 + max(text_width(title, TITLE_SIZE), text_width(note or "", INFO_SIZE))
    total = sum(item.width + VOLUME_GAP for item in items)
    best: tuple[float, int, list[list[_Item]]] | None = None
    tries = [(count, slack) for count in range(1, min(len(items), 12) + 1) for slack in (1.0, 1.15, 1.3)]
    for count, slack in tries:
        rows = _rows_of(items, max(total * slack / count, max(item.width for item in items)) + 1e-6)
        width, height = _place_rows(rows, top)
        width = max(width, title_width)
        # a slide's proportions, a row less where that costs little (LeNet reads best on one line)
        score = abs(math.log(width / height / SLIDE)) + 0.15 * (len(rows) - 1)
        score += 10.0 if max(width, height) > LONG_SIDE else 0.0
        if best is None or score < best[0] - 1e-9:
            best = (score, count, rows)
    assert best is not None
    rows = best[2]
    width, height = _place_rows(rows, top)
    width = max(width, title_width)
    row_of = {id(item): r for r, row in enumerate(rows) for item in row}

    body = _heading(title, note)
    last_volume: _Item | None = None
    for i, item in enumerate(items):
        parts = []
        for corners, colour in item.faces(item.axis):
            parts.append(f"<polygon{attrs(points=points(corners), fill=colour, class_='face')}/>")
        centre = item.x + item.span / 2
        parts += _labels(centre, item.label_y, item.lines)
        if item.repeat > 1:
            name_right = centre + text_width(item.lines[0], NAME_SIZE) / 2
            parts += _badge(name_right + 4, item.label_y - INFO_SIZE - 1, item.repeat)
        window = kernel(item.row)
        if window is not None and last_volume is not None:
            adjacent = items[i - 1] is last_volume and row_of[id(item)] == row_of[id(last_volume)]
            body.append(_kernel(item, last_volume, window, last_volume.axis, adjacent))
        body.append(_group(item.row, parts))
        for k, marker in enumerate(item.markers):
            body.append(_marker(item, marker, k))
        if item.form == "volume":
            last_volume = item
    index = {row.name: i for i, row in enumerate(pic.rows)}
    shown = {index[item.row.name]: item for item in items}
    for marker_host in items:
        for marker in marker_host.markers:
            shown[index[marker.row.name]] = marker_host
    for source, target in pic.edges:
        a, b = shown[source], shown[target]
        if a is b:
            continue  # a marker and its map: one picture
        body.append(_edge(pic, source, target, _link(a, b), skip=False))
    return document(width, height, title, body)


def _link(a: _Item, b: _Item) -> str:
    """The arrow from a to the item after it: straight along the row, or round to the next row."""
    start = a.x + a.span + 3
    end = b.x - 3
    if a.axis == b.axis:
        return f"M{num(start)},{num(a.axis)} L{num(end)},{num(b.axis)}"
    turn = a.cell + a.width + VOLUME_GAP / 2
    lane = b.axis - max(b.height / 2 + b.depth, 0.0) - ROW_GAP / 2
    back = MARGIN / 2
    return (
        f"M{num(start)},{num(a.axis)} L{num(turn)},{num(a.axis)} L{num(turn)},{num(lane)}"
        f" L{num(back)},{num(lane)} L{num(back)},{num(b.axis)} L{num(end)},{num(b.axis)}"
    )


def _marker(host: _Item, marker: _Item, k: int) -> str:
    """A shape-keeping layer (ReLU, batch norm, LRN, dropout) as a band across the map it acts
    on, in its colour, and a line under the map's labels that names it."""
    band = 3.0
    x0 = host.x + host.front - (k + 1) * (band + 1.5)
    x0 = max(x0, host.x)
    top, bottom = host.axis - host.height / 2, host.axis + host.height / 2
    corners = [(x0, top), (x0 + band, top), (x0 + band, bottom), (x0, bottom)]
    colour = _shade(fill(marker.row.kind), 0.8)
    y = host.label_y + NAME_SIZE + 2 + (len(host.lines) - 1 + k) * (INFO_SIZE + 2)
    parts = [
        f"<polygon{attrs(points=points(corners), fill=colour, class_='mark')}/>",
        text(host.x + host.span / 2, y, _mark_line(marker), size=INFO_SIZE, css="info"),
    ]
    head = (
        f'<g class="layer marker" data-name="{svg_text(marker.row.name)}" '
        f'data-kind="{svg_text(marker.row.kind)}" data-on="{svg_text(host.row.name)}">'
    )
    return "\n".join([head, *parts, "</g>"])


def _kernel(item: _Item, over: _Item, window: tuple[int, int], axis: float, rays: bool) -> str:
    """The window of `item` drawn on the side face of the map it slides over, with rays to its output."""
    in_shape = over.row.output_shape
    rows_in, cols_in = in_shape[1], in_shape[2]
    tall = min(over.height * 0.6, over.height * _log_size(window[0], 1.0, 1.0) / _log_size(rows_in, 1.0, 1.0))
    tall = max(tall, 5.0)
    share = min(0.6, max(0.2, _log_size(window[1], 1.0, 1.0) / _log_size(cols_in, 1.0, 1.0)))
    d = over.depth * share
    x0 = over.x + over.front + over.depth * (1 - share) / 2
    y0 = axis - over.depth * (1 - share) / 2
    top, bottom = y0 - tall / 2, y0 + tall / 2
    corners = [(x0, top), (x0 + d, top - d), (x0 + d, bottom - d), (x0, bottom)]
    parts = [
        f'<g class="kernel" data-layer="{svg_text(item.row.name)}">',
        f"<polygon{attrs(points=points(corners), class_='kernel')}/>",
    ]
    if rays:
        target = (item.x + item.front * 0.5, axis - item.height * 0.2)  # a point on the output's front
        for corner in (corners[1], corners[2]):
            parts.append(f"<line{attrs(x1=corner[0], y1=corner[1], x2=target[0], y2=target[1], class_='ray')}/>")
    parts.append("</g>")
    return "\n".join(parts)


def _edge(pic: Picture, source: int, target: int, path: str, *, skip: bool) -> str:
    css = "edge skip" if skip else "edge"
    names = attrs(data_from=svg_text(pic.rows[source].name), data_to=svg_text(pic.rows[target].name))
    return f'<path class="{css}"{names} d="{path}" marker-end="url(#arrow)"/>'


# --- any graph: boxes on ranks ----------------------------------------------------------------

BOX_HEIGHT = 38.0
RANK_GAP = 34.0


def _graph_svg(pic: Picture, note: str | None = None) -> str:
    lines = [[row.name, f"{brief(row)} · {pic.shape_text(row)}"] for row in pic.rows]
    badges = [_badge_width(pic.repeat(i)) + 4 if pic.repeat(i) > 1 else 0.0 for i in range(len(pic.rows))]
    widths = [_labels_width(pair) + 16 + 2 * badge for pair, badge in zip(lines, badges, strict=True)]
    placed = layered(widths, pic.edges, gap=18.0, dummy=8.0)
    title = _title(pic.report)
    top0 = MARGIN + TITLE_SIZE + 18 + (INFO_SIZE + 6 if note else 0.0)

    def top(rank: int) -> float:
        return top0 + rank * (BOX_HEIGHT + RANK_GAP)

    right = max((placed.x[i] + widths[i] / 2 for i in range(len(widths))), default=0.0)
    dummies = [x for route in placed.routes for x, _ in route]
    right = max([right, *(x + 4 for x in dummies)])
    heading = max(text_width(title, TITLE_SIZE), text_width(note or "", INFO_SIZE))
    width = max(right + 2 * MARGIN, 2 * MARGIN + heading)
    height = top(placed.ranks - 1) + BOX_HEIGHT + MARGIN
    cx = [x + MARGIN for x in placed.x]

    body = _heading(title, note)
    for i, row in enumerate(pic.rows):
        y = top(placed.rank[i])
        box = attrs(
            x=cx[i] - widths[i] / 2, y=y, width=widths[i], height=BOX_HEIGHT, rx=5.0, fill=fill(row.kind), class_="face"
        )
        parts = [f"<rect{box}/>", *_labels(cx[i], y + 15, lines[i])]
        if pic.repeat(i) > 1:
            parts += _badge(cx[i] + widths[i] / 2 - badges[i] - 2, y + 4, pic.repeat(i))
        body.append(_group(row, parts))

    outs = _ports(pic.edges, cx, widths, outgoing=True)
    ins = _ports(pic.edges, cx, widths, outgoing=False)
    for k, (source, target) in enumerate(pic.edges):
        route = [(x + MARGIN, r) for x, r in placed.routes[k]]
        y = top(placed.rank[source]) + BOX_HEIGHT
        x = outs[k]
        d = f"M{num(x)},{num(y)}"
        for px, r in route:
            d += _curve(x, y, px, top(r))
            x, y = px, top(r) + BOX_HEIGHT
            d += f" L{num(x)},{num(y)}"
        d += _curve(x, y, ins[k], top(placed.rank[target]) - 1.5)
        body.append(_edge(pic, source, target, d, skip=bool(route)))
    return document(width, height, title, body)


def _curve(x0: float, y0: float, x1: float, y1: float) -> str:
    mid = (y0 + y1) / 2
    return f" C{num(x0)},{num(mid)} {num(x1)},{num(mid)} {num(x1)},{num(y1)}"


def _ports(
    edges: Sequence[tuple[int, int]], cx: Sequence[float], widths: Sequence[float], outgoing: bool
) -> list[float]:
    """Where each edge leaves its source (or enters its target): spread along the box's edge,
    ordered by the x of the other end, so arrows into an `add` never meet in one point."""
    at: dict[int, list[int]] = {}
    for k, (source, target) in enumerate(edges):
        at.setdefault(source if outgoing else target, []).append(k)
    xs = [0.0] * len(edges)
    for node, ks in at.items():
        other = [cx[edges[k][1] if outgoing else edges[k][0]] for k in ks]
        ordered = [k for _, k in sorted(zip(other, ks, strict=True))]
        span = min(widths[node] * 0.6, 14.0 * (len(ks) - 1))
        for j, k in enumerate(ordered):
            xs[k] = cx[node] + (span * (j / (len(ks) - 1) - 0.5) if len(ks) > 1 else 0.0)
    return xs
