"""A layered drawing of a DAG: ranks by longest path, order by barycentres, x by least squares.

The classic Sugiyama steps, kept small: (1) each node's rank is its longest path from an
input; (2) an edge spanning several ranks gets a dummy point on every rank between, so
a skip connection is routed around the boxes and never through them; (3) nodes in each
rank are ordered by the mean position of their neighbours, a few sweeps down and up;
(4) each rank is placed as close as possible to the neighbours' positions while keeping
its order and the gaps (isotonic regression, pool-adjacent-violators).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

#: an estimate of a character's width in a sans-serif font, as a share of the font size;
#: on the wide side so that a label always fits the room it was given
CHAR_WIDTH = 0.62


def text_width(text: str, size: float) -> float:
    """The width a line of text takes, estimated (SVG has no layout engine to ask)."""
    return len(text) * size * CHAR_WIDTH


@dataclass(frozen=True)
class Placed:
    """Where the layout put things: node centres, and each edge as a list of points."""

    x: tuple[float, ...]
    rank: tuple[int, ...]
    routes: tuple[tuple[tuple[float, int], ...], ...]  # per edge: (x, rank) of its dummy points
    ranks: int


def layered(widths: Sequence[float], edges: Sequence[tuple[int, int]], gap: float, dummy: float) -> Placed:
    """Lay out nodes of the given widths; edges go from a node to a later one (execution order)."""
    count = len(widths)
    rank = [0] * count
    for source, target in sorted(edges, key=lambda e: e[1]):
        rank[target] = max(rank[target], rank[source] + 1)
    ranks = max(rank, default=0) + 1

    # slots: real nodes, then one dummy per edge per rank it crosses
    slot_rank = list(rank)
    slot_width = list(widths)
    chains: list[list[int]] = []
    for source, target in edges:
        chain = [source]
        for r in range(rank[source] + 1, rank[target]):
            slot_rank.append(r)
            slot_width.append(dummy)
            chain.append(len(slot_rank) - 1)
        chain.append(target)
        chains.append(chain)
    up: list[list[int]] = [[] for _ in slot_rank]
    down: list[list[int]] = [[] for _ in slot_rank]
    for chain in chains:
        for a, b in pairwise(chain):
            down[a].append(b)
            up[b].append(a)

    layers: list[list[int]] = [[] for _ in range(ranks)]
    for slot, r in enumerate(slot_rank):
        layers[r].append(slot)
    order = [0.0] * len(slot_rank)
    for layer in layers:
        for i, slot in enumerate(layer):
            order[slot] = float(i)
    for sweep in range(8):
        neighbours = up if sweep % 2 == 0 else down
        sequence = layers if sweep % 2 == 0 else layers[::-1]
        for layer in sequence:
            keyed = []
            for i, slot in enumerate(layer):
                near = neighbours[slot]
                centre = sum(order[n] for n in near) / len(near) if near else order[slot]
                keyed.append((centre, i, slot))
            keyed.sort()
            layer[:] = [slot for _, _, slot in keyed]
            for i, slot in enumerate(layer):
                order[slot] = float(i)

    x = [0.0] * len(slot_rank)
    slot_weight = [1.0] * count + [0.05] * (len(slot_rank) - count)
    for layer in layers:
        _pack(layer, [0.0] * len(layer), slot_width, gap, x)
    for sweep in range(12):
        for layer in layers if sweep % 2 == 0 else layers[::-1]:
            wanted = []
            for slot in layer:
                near = up[slot] + down[slot]
                mass = sum(slot_weight[n] for n in near)
                wanted.append(sum(x[n] * slot_weight[n] for n in near) / mass if near else x[slot])
            _pack(layer, wanted, slot_width, gap, x, slot_weight)
    _straighten(layers, up, down, slot_width, gap, x)
    left = min((x[s] - slot_width[s] / 2 for s in range(len(x))), default=0.0)
    x = [v - left for v in x]

    routes = tuple(tuple((x[s], slot_rank[s]) for s in chain[1:-1]) for chain in chains)
    return Placed(tuple(x[:count]), tuple(rank), routes, ranks)


def _pack(
    layer: Sequence[int],
    wanted: Sequence[float],
    width: Sequence[float],
    gap: float,
    x: list[float],
    weight: Sequence[float] | None = None,
) -> None:
    """Centres for `layer` in its order, each at least half widths plus `gap` from the last, as
    near `wanted` as possible (weighted least squares): isotonic regression, pool adjacent
    violators, on wanted minus offsets. A light weight (a dummy point) gives way to a heavy one
    (a box), so the main line of a network stays straight and skip connections move aside."""
    offsets: list[float] = []
    total = 0.0
    for i, slot in enumerate(layer):
        if i:
            total += (width[layer[i - 1]] + width[slot]) / 2 + gap
        offsets.append(total)
    blocks: list[tuple[float, float, int]] = []  # weighted mean, weight, members
    for i, slot in enumerate(layer):
        mean, mass, members = wanted[i] - offsets[i], weight[slot] if weight else 1.0, 1
        while blocks and blocks[-1][0] > mean:
            last_mean, last_mass, last_members = blocks.pop()
            mean = (last_mean * last_mass + mean * mass) / (last_mass + mass)
            mass, members = last_mass + mass, last_members + members
        blocks.append((mean, mass, members))
    i = 0
    for mean, _, members in blocks:
        for _ in range(members):
            x[layer[i]] = mean + offsets[i]
            i += 1


def _straighten(
    layers: Sequence[Sequence[int]],
    up: Sequence[Sequence[int]],
    down: Sequence[Sequence[int]],
    width: Sequence[float],
    gap: float,
    x: list[float],
) -> None:
    """Put a slot right under the one it continues (its only input, which has no other reader)
    wherever its rank leaves room: runs of layers become straight lines, not gentle zigzags."""
    for layer in layers:
        for i, slot in enumerate(layer):
            if len(up[slot]) != 1 or len(down[up[slot][0]]) != 1:
                continue
            target = x[up[slot][0]]
            if i > 0 and x[layer[i - 1]] + (width[layer[i - 1]] + width[slot]) / 2 + gap > target + 1e-9:
                continue
            if i + 1 < len(layer) and x[layer[i + 1]] - (width[layer[i + 1]] + width[slot]) / 2 - gap < target - 1e-9:
                continue
            x[slot] = target
