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
from collections.abc import Sequence

from cnncalc.core.report import LayerRow, Report
from cnncalc.features.draw.layout import layered, text_width
from cnncalc.features.draw.model import Picture, brief, kernel, picture
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


def architecture_svg(report: Report, *, depth: int | None = None, style: str = "auto") -> str:
    """The diagram of `report` as an SVG document (a string).

    `depth` rolls blocks up as `summarize --depth` does; `style` is "volumes" (the classic
    picture, chains only), "graph" (boxes and arrows, any network) or "auto" (volumes for
    a chain of at most MAX_VOLUMES layers, else graph).
    """
    shown = picture(report, depth)
    if style == "volumes" and not shown.is_chain():
        raise ValueError("the volumes style draws only chains (each layer reading the one before it)")
    volumes = style == "volumes" or (style == "auto" and shown.is_chain() and len(shown.rows) <= MAX_VOLUMES)
    return _volumes_svg(shown) if volumes else _graph_svg(shown)


def _title(report: Report) -> str:
    totals = report.totals
    return f"{report.name}: {format_count(totals.params)} params, {format_count(totals.macs)} MACs"


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


class _Item:
    """One layer of a chain: a volume, a bar or a plate, and its place."""

    def __init__(self, pic: Picture, row: LayerRow) -> None:
        self.row = row
        shape = row.output_shape
        keeps = shape == row.input_shape and not any(k in row.kind for k in ("input", "conv", "dense", "block"))
        if len(shape) == 3 and not keeps:
            channels, height, width = shape
            self.form = "volume"
            self.front = _log_size(channels, 3.0, 3.5)  # thickness along the page
            self.height = _log_size(height, 10.0, 13.0)
            self.depth = _log_size(width, 10.0, 13.0) * 0.38  # oblique offset, right and up
        elif keeps:
            self.form = "plate"
            self.front, self.height, self.depth = 6.0, 34.0, 8.0
        else:
            self.form = "bar"
            self.front = 10.0
            self.height = _log_size(math.prod(shape), 10.0, 11.0)
            self.depth = 6.0
        self.lines = [row.name, brief(row), pic.shape_text(row)]
        self.span = self.front + self.depth
        self.width = max(self.span, _labels_width(self.lines))
        self.x = 0.0  # left of the solid, set by the layout

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


def _shade(colour: str, factor: float) -> str:
    """A lighter (factor > 1) or darker shade of #rrggbb, for the faces of a solid."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor > 1:
        channels = [round(c + (255 - c) * (factor - 1) * 2) for c in channels]
    else:
        channels = [round(c * factor) for c in channels]
    return "#" + "".join(f"{min(255, max(0, c)):02x}" for c in channels)


def _volumes_svg(pic: Picture) -> str:
    items = [_Item(pic, row) for row in pic.rows]
    gap = 26.0
    tallest = max(item.height + item.depth for item in items)
    title = _title(pic.report)
    axis = MARGIN + TITLE_SIZE + 16 + tallest - max(item.height / 2 for item in items)
    axis = max(axis, MARGIN + TITLE_SIZE + 16 + max(item.height / 2 + item.depth for item in items))
    label_y = axis + max(item.height / 2 for item in items) + 16 + NAME_SIZE
    x = MARGIN
    for item in items:
        item.x = x + (item.width - item.span) / 2
        x += item.width + gap
    width = max(x - gap + MARGIN, MARGIN * 2 + text_width(title, TITLE_SIZE))
    height = label_y + NAME_SIZE + 2 * (INFO_SIZE + 2) + MARGIN

    body = [text(MARGIN, MARGIN + TITLE_SIZE, title, size=TITLE_SIZE, css="title", anchor="start")]
    last_volume: _Item | None = None
    for i, item in enumerate(items):
        parts = []
        for corners, colour in item.faces(axis):
            parts.append(f"<polygon{attrs(points=points(corners), fill=colour, class_='face')}/>")
        parts += _labels(item.x + item.span / 2, label_y, item.lines)
        window = kernel(item.row)
        if window is not None and last_volume is not None:
            adjacent = items[i - 1] is last_volume
            body.append(_kernel(item, last_volume, window, axis, adjacent))
        body.append(_group(item.row, parts))
        if item.form == "volume":
            last_volume = item
    for source, target in pic.edges:
        start = items[source].x + items[source].span + 3
        end = items[target].x - 3
        path = f"M{num(start)},{num(axis)} L{num(end)},{num(axis)}"
        body.append(_edge(pic, source, target, path, skip=False))
    return document(width, height, title, body)


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


def _graph_svg(pic: Picture) -> str:
    lines = [[row.name, f"{brief(row)} · {pic.shape_text(row)}"] for row in pic.rows]
    widths = [_labels_width(pair) + 16 for pair in lines]
    placed = layered(widths, pic.edges, gap=18.0, dummy=8.0)
    title = _title(pic.report)
    top0 = MARGIN + TITLE_SIZE + 18

    def top(rank: int) -> float:
        return top0 + rank * (BOX_HEIGHT + RANK_GAP)

    right = max((placed.x[i] + widths[i] / 2 for i in range(len(widths))), default=0.0)
    dummies = [x for route in placed.routes for x, _ in route]
    right = max([right, *(x + 4 for x in dummies)])
    width = max(right + 2 * MARGIN, 2 * MARGIN + text_width(title, TITLE_SIZE))
    height = top(placed.ranks - 1) + BOX_HEIGHT + MARGIN
    cx = [x + MARGIN for x in placed.x]

    body = [text(MARGIN, MARGIN + TITLE_SIZE, title, size=TITLE_SIZE, css="title", anchor="start")]
    for i, row in enumerate(pic.rows):
        y = top(placed.rank[i])
        box = attrs(
            x=cx[i] - widths[i] / 2, y=y, width=widths[i], height=BOX_HEIGHT, rx=5.0, fill=fill(row.kind), class_="face"
        )
        parts = [f"<rect{box}/>", *_labels(cx[i], y + 15, lines[i])]
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
