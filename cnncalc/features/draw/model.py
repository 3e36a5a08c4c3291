"""What a diagram shows: the rows of a report (rolled up to a depth) and the edges between them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnncalc.core.report import LayerRow, Report, rollup
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.dense import Dense
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.render.human import format_shape


@dataclass(frozen=True)
class Picture:
    """The nodes in execution order and the edges (reader after the row it reads), deduplicated."""

    report: Report
    rows: tuple[LayerRow, ...]
    edges: tuple[tuple[int, int], ...]
    #: per row, how many identical blocks in a row it stands for (1 for a plain row)
    repeats: tuple[int, ...] = ()
    #: the level the rows were rolled up to (None: every layer)
    depth: int | None = None

    def repeat(self, i: int) -> int:
        """How many identical blocks row `i` stands for: 3 for ResNet's `layer1.1 x3`."""
        return self.repeats[i] if self.repeats else 1

    def shape_text(self, row: LayerRow) -> str:
        """The output shape as the report shows it (28x28x8 in the HWC layout)."""
        return format_shape(self.report.shown(row.output_shape))

    def is_chain(self) -> bool:
        """True when every row reads exactly the row before it: the classic LeNet / VGG picture fits."""
        expected = [(i - 1, i) for i in range(1, len(self.rows))]
        return list(self.edges) == expected


def picture(report: Report, depth: int | None = None) -> Picture:
    """The rows to draw and their edges; with `depth`, one node per block `depth` levels deep.

    An edge between two layers of the same rolled-up block disappears; edges from several
    layers of one block to another node become one edge.
    """
    rows = rollup(report, depth) if depth is not None else report.rows
    position = {row.name: i for i, row in enumerate(rows)}

    def node_of(row: LayerRow) -> int:
        if depth is not None and len(row.block) >= depth:
            return position[row.block[depth - 1]]
        return position[row.name]

    by_name = {row.name: row for row in report.rows}
    edges: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for row in report.rows:
        target = node_of(row)
        for name in row.inputs:
            edge = (node_of(by_name[name]), target)
            if edge[0] != edge[1] and edge not in seen:
                seen.add(edge)
                edges.append(edge)
    edges.sort(key=lambda e: (e[1], e[0]))
    return Picture(report, tuple(rows), tuple(edges), depth=depth)


def max_depth(report: Report) -> int:
    """How deep blocks nest in `report` (0 when it has none)."""
    return max((len(row.block) for row in report.rows), default=0)


def _signatures(report: Report, depth: int) -> dict[str, tuple[object, ...]]:
    """What each block `depth` levels deep is made of: the kind and summary of its layers and
    which of them each reads (by place in the block, or from outside). Blocks with the same
    signature are the same block repeated (ResNet's bottlenecks, DenseNet's dense layers)."""
    members: dict[str, list[LayerRow]] = {}
    for row in report.rows:
        if len(row.block) >= depth:
            members.setdefault(row.block[depth - 1], []).append(row)
    out: dict[str, tuple[object, ...]] = {}
    for name, rows in members.items():
        place = {row.name: i for i, row in enumerate(rows)}
        out[name] = tuple(
            (row.kind, row.summary, row.block[depth:], tuple(place.get(i, -1) for i in row.inputs)) for row in rows
        )
    return out


def collapse_repeats(pic: Picture) -> Picture:
    """One node for each run of identical blocks that follow one another in a chain, with its
    count (`layer2.1 x3`): the first block of the run stands for all of them."""
    if pic.depth is None:
        return pic
    signature = _signatures(pic.report, pic.depth)
    inputs: list[set[int]] = [set() for _ in pic.rows]
    outputs: list[set[int]] = [set() for _ in pic.rows]
    for source, target in pic.edges:
        inputs[target].add(source)
        outputs[source].add(target)

    def continues(i: int) -> bool:
        """Row i repeats row i-1 and is joined to it alone, by one edge."""
        a, b = pic.rows[i - 1], pic.rows[i]
        return (
            a.kind == b.kind == "block"
            and signature.get(a.name) is not None
            and signature.get(a.name) == signature.get(b.name)
            and inputs[i] == {i - 1}
            and outputs[i - 1] == {i}
        )

    keep: list[int] = []  # the rows shown, by index in pic.rows
    last: list[int] = []  # the last row each one stands for
    count: list[int] = []
    node = [0] * len(pic.rows)
    for i in range(len(pic.rows)):
        if i and continues(i):
            count[-1] += 1
            last[-1] = i
        else:
            keep.append(i)
            last.append(i)
            count.append(1)
        node[i] = len(keep) - 1
    if len(keep) == len(pic.rows):
        return pic
    edges = sorted({(node[s], node[t]) for s, t in pic.edges if node[s] != node[t]}, key=lambda e: (e[1], e[0]))
    rows = tuple(pic.rows[i]._replace(output_shape=pic.rows[j].output_shape) for i, j in zip(keep, last, strict=True))
    return Picture(pic.report, rows, tuple(edges), tuple(count), pic.depth)


_KERNEL = re.compile(r"\bf=(\d+)(?:x(\d+))?")


#: draw's capability table: how a layer of each class is pictured (the brief words of its box);
#: draw reads the report's rows, so any other kind is drawn too
DRAWING: Capabilities[str] = Capabilities(
    feature="draw",
    lacks="picture",
    handlers={
        **dict.fromkeys(
            (Conv, DepthwiseConv, SeparableConv, ConvTranspose, LocallyConnected), "kind and window: conv 5x5"
        ),
        Pool: "kind and window: max pool 2x2",
        GlobalPool: "its kind: global avg pool",
        Dense: "kind and units: dense 120",
    },
    fallback="a box named by its kind (`channel shuffle`), with its output shape",
)


def kernel(row: LayerRow) -> tuple[int, int] | None:
    """(height, width) of the window a convolution or pooling slides, from its summary (`f=3`, `f=1x7`)."""
    if "conv" not in row.kind and "pool" not in row.kind:
        return None
    match = _KERNEL.search(row.summary)
    if match is None:
        return None
    height = int(match.group(1))
    return height, int(match.group(2) or height)


def brief(row: LayerRow) -> str:
    """A few words for what the layer does: `conv 5x5`, `max pool 2x2`, `dense 120`, `block (9 layers)`."""
    words = row.kind.replace("_", " ")
    window = kernel(row)
    if window is not None:
        return f"{words} {window[0]}x{window[1]}"
    if row.kind == "dense" and row.output_shape:
        return f"dense {row.output_shape[0]}"
    if row.kind == "block":
        return f"block ({row.summary})"
    return words
