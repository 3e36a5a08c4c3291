"""The symbolic analysis of a spec: every row's shape and counts, and the totals, as expressions.

Costs come from the concrete analysis: each count of a layer (weights, biases, MACs, FLOPs,
activation elements) is a constant, or a constant times the elements of its output, or of
its input. Which one is read off concrete analyses at three sizes, and the expression is
checked against them, so a rule the walk does not know fails loudly instead of guessing.

With H = M*h (M the period: the smallest M that makes every floor exact) each expression is
a plain polynomial; for ResNet-50, M = 32.

This is the feature's entry point (`analyze_symbolic`, what `summarize --input HxWx3`
prints); the size rules it walks with are in `sizes`, the algebra in `polynomials`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import build_graph
from cnncalc.core.walk import analyze
from cnncalc.errors import ShapeError
from cnncalc.features.symbolic.polynomials import Expr, Floor, solve_exactly, symbolic_product
from cnncalc.features.symbolic.sizes import SIZES, InexactError, Shape, SymbolicError, walk
from cnncalc.features.symbolic.symbols import with_symbols
from cnncalc.layers.merge import Add, Concat, Multiply
from cnncalc.spec.model import Spec, from_channels_first

QUANTITIES = ("weights", "biases", "non_trainable_params", "macs", "flops", "activation_elements")


@dataclass(frozen=True)
class SymbolicRow:
    name: str
    kind: str
    output_shape: Shape  # channels first
    counts: dict[str, Expr]  # per QUANTITIES, for the spec's batch
    block: tuple[str, ...] = ()  # the block calls it sits in, outermost first (as LayerRow.block)


@dataclass(frozen=True)
class SymbolicReport:
    """Every row's shape and counts as expressions; totals; where the expressions hold."""

    name: str
    symbols: tuple[str, ...]
    layout: str
    batch: int
    dtype_bytes: int
    rows: tuple[SymbolicRow, ...]
    totals: dict[str, Expr]  # QUANTITIES summed, plus params, activation_bytes, param_bytes
    period: int | None  # every floor exact when each symbol is a multiple of it
    polynomial: dict[str, Expr]  # totals as polynomials in the symbols, valid at multiples of period
    smallest: int  # the smallest square input the network accepts
    floors: tuple[tuple[str, Floor], ...]  # (first layer, floor) exact only when arg is a multiple of q
    condition: str | None = None  # where merged branches agree only at some sizes: at which

    def shown(self, shape: Shape) -> Shape:
        return from_channels_first(shape, self.layout)  # type: ignore[arg-type,return-value]


#: periods tried, smallest first: products of small primes
PERIODS: list[int] = sorted(
    {int(2**a * 3**b * 5**c * 7**d) for a in range(13) for b in range(4) for c in range(3) for d in range(2)}
    & set(range(1, 4097))
)


def analyze_symbolic(spec: Spec, names: Sequence[str | None], conventions: Conventions | None = None) -> SymbolicReport:
    """The symbolic summary of `spec` (validated at placeholder sizes) with input dims `names`
    (the written layout; None: the spec's number)."""
    from cnncalc.features.symbolic.solve import smallest_input

    layout = spec.input.layout
    by_axis = spatial_axes(spec, names)
    agree = _merges_agree(spec, by_axis)
    if agree is None:
        smallest = smallest_input(_sized(spec, by_axis, {}, 0), conventions)
    else:
        smallest = _smallest_agreeing(spec, by_axis, agree, conventions)
    period = _period(spec, by_axis, conventions, smallest)
    step = period or 8
    # four non-square sizes, off the period: three to solve for the coefficients, one to check
    # (where branches must agree, each is moved up to the next size at which they do)
    sizes = [
        {a: _next_agreeing(smallest + step * (k + j) + k * 3 + j, agree) for j, a in enumerate(by_axis)}
        for k in (1, 2, 3, 5)
    ]
    reports = [analyze(_sized(spec, by_axis, s, smallest), conventions) for s in sizes]
    symbols = {a: Expr.symbol(n) for a, n in by_axis.items()}
    shapes = walk(spec, reports[0], symbols)
    envs = [{by_axis[a]: v for a, v in s.items()} for s in sizes]
    graph = build_graph(spec)
    rows: list[SymbolicRow] = []
    for i, shape in enumerate(shapes):
        for env, report in zip(envs, reports, strict=True):
            if tuple(int(e(env)) for e in shape) != report.rows[i].output_shape:
                layer = graph.nodes[i].layer
                if i and layer is not None and SIZES.lookup(layer) is None:
                    raise SIZES.refusal(
                        layer.kind,
                        None,
                        f"symbolic sizes cannot follow layer '{report.rows[i].name}' of kind '{layer.kind}': ",
                    )
                raise SymbolicError.single(f"layer '{report.rows[i].name}': its size rule is not symbolic here")
        ins = [shapes[j] for j in graph.nodes[i].inputs] or [shape]
        bases = [Expr.const(1), symbolic_product(shape), symbolic_product(ins[0])]
        counts = {
            q: _fit(q, bases, envs, [getattr(r.rows[i], q) for r in reports], reports[0].rows[i].name)
            for q in QUANTITIES
        }
        r = reports[0].rows[i]
        rows.append(SymbolicRow(r.name, r.kind, shape, counts, r.block))
    r0 = reports[0]
    totals = {q: sum((row.counts[q] for row in rows), Expr.const(0)) for q in QUANTITIES}
    totals["params"] = totals["weights"] + totals["biases"] + totals["non_trainable_params"]
    totals["activation_bytes"] = totals["activation_elements"] * (r0.dtype_bytes * r0.batch)
    totals["param_bytes"] = totals["params"] * r0.dtype_bytes
    polynomial: dict[str, Expr] = {}
    if period is not None:
        down = {n: Expr.symbol(n) * period for n in by_axis.values()}
        up = {n: Expr.symbol(n) * Fraction(1, period) for n in by_axis.values()}
        polynomial = {k: v.subs(down).subs(up) for k, v in totals.items()}
    floors: dict[str, tuple[str, Floor]] = {}
    for row in rows:
        for e in row.output_shape:
            for f in e.floors():
                floors.setdefault(str(f), (row.name, f))
    return SymbolicReport(
        spec.name,
        tuple(by_axis.values()),
        layout,
        r0.batch,
        r0.dtype_bytes,
        tuple(rows),
        totals,
        period,
        polynomial,
        smallest,
        tuple(floors.values()),
        None if agree is None else agree.text(sorted(set(by_axis.values()))),
    )


def spatial_axes(spec: Spec, names: Sequence[str | None]) -> dict[int, str]:
    """The symbol of each channels-first axis that has one, from `names` in the written layout."""
    written = list(spec.input.shape)
    if len(written) < 2:
        raise SymbolicError.single("a flat input has no spatial size to name")
    first = from_channels_first(tuple(range(len(written))), spec.input.layout)  # written position of each axis
    by_axis: dict[int, str] = {}
    for axis in range(len(written)):
        name = names[first.index(axis)]
        if name is not None:
            if axis == 0:
                raise SymbolicError.single(f"the channels ({name}) must be a number; only spatial sizes can be symbols")
            by_axis[axis] = name
    return by_axis


def sized(spec: Spec, sizes: Mapping[int, int]) -> Spec:
    """`spec` with each channels-first axis of `sizes` set to its size."""
    return _sized(spec, sizes, sizes, 0)


def rolled_up(report: SymbolicReport, depth: int) -> tuple[SymbolicRow, ...]:
    """Rows `depth` levels deep, as `summarize --depth` (cnncalc.core.report.rollup): a block
    call deeper than that is one row, its counts the sums of its layers', its shape its last's."""
    level = depth - 1
    out: list[SymbolicRow] = []
    members: dict[str, list[SymbolicRow]] = {}
    for row in report.rows:
        if len(row.block) <= level:
            out.append(row)
        elif row.block[level] not in members:
            members[row.block[level]] = [row]
            out.append(row)  # stands for the block, replaced below
        else:
            members[row.block[level]].append(row)
    merged: list[SymbolicRow] = []
    for row in out:
        if len(row.block) <= level:
            merged.append(row)
            continue
        group = members[row.block[level]]
        counts = {q: sum((r.counts[q] for r in group), Expr.const(0)) for q in QUANTITIES}
        merged.append(SymbolicRow(row.block[level], "block", group[-1].output_shape, counts, row.block[:level]))
    return tuple(merged)


@dataclass(frozen=True)
class Agreement:
    """The sizes at which every merge's branches agree: n mod `modulus` in `residues` (the
    same for every symbol), and the merges that ask for it."""

    modulus: int
    residues: frozenset[int]
    merges: tuple[str, ...]

    def allows(self, n: int) -> bool:
        return n % self.modulus in self.residues

    def text(self, symbols: Sequence[str]) -> str:
        names = " and ".join(symbols)
        plural = len(symbols) > 1
        for g in range(1, self.modulus + 1):  # the residues are the multiples of g: say so
            if self.modulus % g == 0 and self.residues == frozenset(range(0, self.modulus, g)):
                what = f"multiples of {g}" if plural else f"a multiple of {g}"
                break
        else:
            listed = ", ".join(map(str, sorted(self.residues)))
            what = f"{listed} modulo {self.modulus}"
        return f"{names} {'are' if plural else 'is'} {what} (where the branches of {', '.join(self.merges)} agree)"


#: the largest modulus whose residues are enumerated when branches agree only at some sizes
MAX_MODULUS = 4096


def _merges_agree(spec: Spec, by_axis: Mapping[int, str]) -> Agreement | None:
    """None when every merge's branches agree at every size; else the sizes at which they do.

    Each branch's size is linear in the symbol plus a periodic part (floors of it by constants),
    so, modulo the lcm L of those constants, on each residue class the difference of two
    branches is linear in n: it is zero on the whole class when it is zero at two of its sizes.
    """
    shapes = walk(spec, None, {a: Expr.symbol(n) for a, n in by_axis.items()})
    graph = build_graph(spec)
    modulus, residues, merges = 1, frozenset({0}), []
    for node in graph.nodes:
        if not isinstance(node.layer, Add | Concat | Multiply) or len(node.inputs) < 2:
            continue
        ins = [shapes[j] for j in node.inputs]
        if isinstance(node.layer, Add | Multiply):  # a 1x1 input broadcasts over the map (a gate)
            one = Expr.const(1)
            ins = [x for x in ins if any(d != one for d in x[1:])] or ins[:1]
        for axis in range(1, len(ins[0])):
            sizes = {x[axis] for x in ins if len(x) == len(ins[0])}
            if len(sizes) < 2:
                continue
            name = by_axis.get(axis)
            qs = [f.q for e in sizes for f in e.floors()]
            m = math.lcm(*qs) if qs else 1
            if name is None or m > MAX_MODULUS:
                return None  # left to the concrete analysis, which names the shapes
            first, *rest = sizes
            ok = frozenset(
                r
                for r in range(m)
                if all(first({name: r + m * t}) == e({name: r + m * t}) for e in rest for t in (1, 2))
            )
            label = f"'{node.name}'"
            if not ok:
                raise SymbolicError.single(
                    f"layer {label} ({node.layer.kind}) merges sizes {' and '.join(map(str, sizes))} of {name}, "
                    "which are equal at no size",
                    hint="pad or crop the branches to one spatial size (check strides and padding)",
                )
            common = math.lcm(modulus, m)
            modulus, residues = common, frozenset(r for r in range(common) if r % modulus in residues and r % m in ok)
            if label not in merges:
                merges.append(label)
            if not residues:
                raise SymbolicError.single(
                    f"the branches of {', '.join(merges)} agree at no common size", hint="check strides and padding"
                )
    if modulus == 1:
        return None
    return Agreement(modulus, residues, tuple(merges))


def _next_agreeing(n: int, agree: Agreement | None) -> int:
    while agree is not None and not agree.allows(n):
        n += 1
    return n


def _smallest_agreeing(
    spec: Spec, by_axis: Mapping[int, str], agree: Agreement, conventions: Conventions | None
) -> int:
    """The smallest square side at which the branches agree and the network takes the input."""
    from cnncalc.features.symbolic.solve import SMALLEST_SEARCH

    for n in range(1, SMALLEST_SEARCH + 1):
        if agree.allows(n):
            try:
                analyze(_sized(spec, by_axis, dict.fromkeys(by_axis, n), 0), conventions)
            except ShapeError:
                continue
            return n
    raise SymbolicError.single(f"no square input up to {SMALLEST_SEARCH} fits the network")


def _sized(spec: Spec, by_axis: Mapping[int, object], sizes: Mapping[int, int], default: int) -> Spec:
    x = list(spec.input.channels_first())
    for axis in by_axis:
        x[axis] = sizes.get(axis, default or x[axis])
    return with_symbols(spec, list(from_channels_first(tuple(x), spec.input.layout)))


def _period(spec: Spec, by_axis: Mapping[int, str], conventions: Conventions | None, smallest: int) -> int | None:
    """The smallest M in PERIODS for which every size is a polynomial when each symbol is M*h."""
    reference = analyze(_sized(spec, by_axis, {}, smallest), conventions)
    for m in PERIODS:
        try:
            walk(spec, reference, {a: Expr.symbol(n) * m for a, n in by_axis.items()}, exact=True)
        except InexactError:
            continue
        return m
    return None


def _fit(
    quantity: str, bases: Sequence[Expr], envs: Sequence[dict[str, int]], values: Sequence[int], name: str
) -> Expr:
    """The combination of the fewest bases, with constant coefficients, that gives `values` at every size."""
    if not any(values):
        return Expr.const(0)
    at = [[b(env) for env in envs] for b in bases]
    for k in range(1, len(bases) + 1):
        for chosen in combinations(range(len(bases)), k):
            coefficients = solve_exactly(
                [[at[b][row] for b in chosen] for row in range(k)], [Fraction(v) for v in values[:k]]
            )
            if coefficients is None:
                continue
            if all(
                sum(c * at[b][row] for c, b in zip(coefficients, chosen, strict=True)) == values[row]
                for row in range(len(values))
            ):
                return sum((bases[b] * c for c, b in zip(coefficients, chosen, strict=True)), Expr.const(0))
    raise SymbolicError.single(f"layer '{name}': its {quantity} is not a combination of sizes the walk knows")


__all__ = [
    "MAX_MODULUS",
    "PERIODS",
    "QUANTITIES",
    "Agreement",
    "SymbolicReport",
    "SymbolicRow",
    "analyze_symbolic",
    "rolled_up",
    "sized",
    "spatial_axes",
]
