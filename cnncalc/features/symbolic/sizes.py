"""Input sizes as symbols: `input: [H, W, 3]` walked with exact expressions, floors included.

A small exact algebra (no SymPy): polynomials with rational coefficients over symbols and
floor terms floor(P/q), q a positive integer. Every output size of a sliding window is
floor((n + pb + pa - d*(k-1) - 1)/s) + 1 of its input size n; "same" padding gives
ceil(n/s) = floor((n + s - 1)/s); a transposed conv ('same': n*s) and upsampling are polynomials.

Costs come from the concrete analysis: each count of a layer (weights, biases, MACs, FLOPs,
activation elements) is a constant, or a constant times the elements of its output, or of
its input. Which one is read off concrete analyses at three sizes, and the expression is
checked against them, so a rule the walk does not know fails loudly instead of guessing.

With H = M*h (M the period: the smallest M that makes every floor exact) each expression is
a plain polynomial; for ResNet-50, M = 32.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from itertools import combinations
from typing import Any

from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import build_graph
from cnncalc.core.report import Report
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError, ShapeError
from cnncalc.layers import LayerBase
from cnncalc.layers.base import per_dim
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv, _SlidingLayer
from cnncalc.layers.crop import Crop, crop_pairs
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import Activation, BatchNorm, Dropout, Flatten, LocalResponseNorm
from cnncalc.layers.merge import Add, Concat, Multiply
from cnncalc.layers.pad import Pad, pad_pairs
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.layers.window import resolve_padding
from cnncalc.spec.model import InputSpec, Spec, from_channels_first

SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SymbolicError(CnncalcError):
    """A network or layer the symbolic walk cannot express (exit 2)."""


# --- the algebra ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """floor(arg / q): arg has integer coefficients, not all multiples of q."""

    arg: Expr
    q: int

    @cached_property
    def text(self) -> str:
        return f"floor(({self.arg})/{self.q})"

    def __str__(self) -> str:
        return self.text


Atom = str | Floor  # a symbol by name, or a floor term
Monomial = tuple[tuple[Atom, int], ...]  # atoms with their powers, in a canonical order


def _key(atom: Atom) -> str:
    return atom if isinstance(atom, str) else "~" + atom.text


@dataclass(frozen=True)
class Expr:
    """A polynomial over atoms with exact rational coefficients, kept in canonical form."""

    terms: tuple[tuple[Monomial, Fraction], ...] = ()

    @staticmethod
    def of(terms: Mapping[Monomial, Fraction]) -> Expr:
        items = [(m, c) for m, c in terms.items() if c != 0]
        return Expr(tuple(sorted(items, key=lambda t: (-_degree(t[0]), [(_key(a), p) for a, p in t[0]]))))

    @staticmethod
    def const(value: int | Fraction) -> Expr:
        return Expr.of({(): Fraction(value)})

    @staticmethod
    def symbol(name: str) -> Expr:
        return Expr.of({((name, 1),): Fraction(1)})

    def __add__(self, other: Expr | int) -> Expr:
        o = _lift(other)
        out = dict(self.terms)
        for m, c in o.terms:
            out[m] = out.get(m, Fraction(0)) + c
        return Expr.of(out)

    __radd__ = __add__

    def __neg__(self) -> Expr:
        return Expr.of({m: -c for m, c in self.terms})

    def __sub__(self, other: Expr | int) -> Expr:
        return self + (-_lift(other))

    def __mul__(self, other: Expr | int | Fraction) -> Expr:
        o = _lift(other)
        out: dict[Monomial, Fraction] = {}
        for m1, c1 in self.terms:
            for m2, c2 in o.terms:
                m = _times(m1, m2)
                out[m] = out.get(m, Fraction(0)) + c1 * c2
        return Expr.of(out)

    __rmul__ = __mul__

    def floordiv(self, q: int) -> Expr:
        """floor(self / q), simplified: whole multiples of q come out of the floor."""
        if any(c.denominator != 1 for _, c in self.terms):
            raise ValueError(f"floor of {self} needs integer coefficients")
        whole: dict[Monomial, Fraction] = {}
        rest: dict[Monomial, Fraction] = {}
        for m, c in self.terms:
            a, r = divmod(int(c), q)
            whole[m], rest[m] = Fraction(a), Fraction(r)
        left, remainder = Expr.of(whole), Expr.of(rest)
        if remainder.is_constant():
            return left + Expr.const(int(remainder.constant()) // q)
        nested = [(m, c) for m, c in remainder.terms if m]
        if len(nested) == 1 and nested[0][1] == 1 and len(nested[0][0]) == 1:
            ((atom, power),) = nested[0][0]
            if isinstance(atom, Floor) and power == 1:
                # floor((floor(A/p) + c)/q) = floor((A + c*p)/(p*q)) for integer A and c
                return left + (atom.arg + int(remainder.constant()) * atom.q).floordiv(atom.q * q)
        return left + Expr.of({((Floor(remainder, q), 1),): Fraction(1)})

    def is_constant(self) -> bool:
        return all(not m for m, _ in self.terms)

    def constant(self) -> Fraction:
        return dict(self.terms).get((), Fraction(0))

    def atoms(self) -> set[Atom]:
        found: set[Atom] = set()
        for m, _ in self.terms:
            for a, _p in m:
                found.add(a)
                if isinstance(a, Floor):
                    found |= a.arg.atoms()
        return found

    def floors(self) -> list[Floor]:
        return sorted((a for a in self.atoms() if isinstance(a, Floor)), key=str)

    def __call__(self, env: Mapping[str, int]) -> Fraction:
        """The value with every symbol set."""
        total = Fraction(0)
        for m, c in self.terms:
            value = c
            for a, p in m:
                value *= (Fraction(env[a]) if isinstance(a, str) else Fraction(int(a.arg(env)) // a.q)) ** p
            total += value
        return total

    def subs(self, env: Mapping[str, Expr]) -> Expr:
        """Each symbol of `env` replaced by its expression, floors simplified again."""
        out = Expr.const(0)
        for m, c in self.terms:
            term = Expr.const(c)
            for a, p in m:
                base = (env.get(a, Expr.symbol(a))) if isinstance(a, str) else a.arg.subs(env).floordiv(a.q)
                for _ in range(p):
                    term = term * base
            out = out + term
        return out

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        text = ""
        for i, (m, c) in enumerate(self.terms):
            sign = "-" if c < 0 else "+"
            body = _term(m, abs(c))
            text += (f"-{body}" if sign == "-" else body) if i == 0 else f" {sign} {body}"
        return text


def _lift(value: Expr | int | Fraction) -> Expr:
    return value if isinstance(value, Expr) else Expr.const(value)


def _degree(m: Monomial) -> int:
    return sum(p for _, p in m)


def _times(a: Monomial, b: Monomial) -> Monomial:
    powers: dict[Atom, int] = dict(a)
    for atom, p in b:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items(), key=lambda t: _key(t[0])))


def _term(m: Monomial, c: Fraction) -> str:
    factors = "*".join(str(a) if p == 1 else f"{a}^{p}" for a, p in m)
    if not factors:
        return str(c)
    num = "" if c.numerator == 1 else f"{c.numerator}*"
    return f"{num}{factors}" + (f"/{c.denominator}" if c.denominator != 1 else "")


def symbolic_product(values: Iterable[Expr]) -> Expr:
    out = Expr.const(1)
    for v in values:
        out = out * v
    return out


# --- reading symbols from a spec -------------------------------------------------------------

#: the size a symbolic axis is validated at; the walk never uses it
PLACEHOLDER = 224


def split_symbols(dims: Sequence[object]) -> tuple[list[int], list[str | None]] | None:
    """([placeholder ints], [symbol or None]) when some dims are symbol names, else None."""
    names = [d if isinstance(d, str) and SYMBOL.fullmatch(d.strip()) else None for d in dims]
    if not any(names):
        return None
    ints: list[int] = []
    for d, name in zip(dims, names, strict=True):
        if name is not None:
            ints.append(PLACEHOLDER)
        elif isinstance(d, int) and not isinstance(d, bool):
            ints.append(d)
        elif isinstance(d, str) and d.strip().isdigit():
            ints.append(int(d))
        else:
            return None
    return ints, [n.strip() if n else None for n in names]


def input_symbols(text: str) -> tuple[list[int], list[str | None]] | None:
    """`HxWx3` (or `[H, W, 3]`) -> placeholder ints and symbols; None when it has no symbol."""
    cleaned = text.strip().strip("()[]")
    for sep in ("×", "*", ",", " "):  # noqa: RUF001 -- people write the multiplication sign
        cleaned = cleaned.replace(sep, "x")
    parts = [p for p in re.split(r"(?<=[A-Za-z0-9_])x(?=[A-Za-z0-9_])", cleaned) if p]
    return split_symbols(parts)


def load_symbolic(ref: str) -> tuple[Spec, list[str | None]] | None:
    """A spec file whose `input:` names symbols: the spec (validated at a placeholder size)
    and the symbols in the written layout; None when its input has none."""
    from cnncalc.spec.loader import parse_yaml, read_source, validate_spec

    text, source = read_source(ref)
    data, source_map = parse_yaml(text, source)
    if not isinstance(data, dict):
        return None
    written = data.get("input")
    dims = written.get("shape") if isinstance(written, dict) else written
    found = input_symbols(dims) if isinstance(dims, str) else split_symbols(dims) if isinstance(dims, list) else None
    if found is None:
        return None
    ints, names = found
    layout = written.get("layout", "hwc") if isinstance(written, dict) else "hwc"
    if len(names) < 2 or names[-1 if layout == "hwc" else 0] is not None:
        return None  # a symbol for the channels: the loader's own error says what is wrong
    data["input"] = {**written, "shape": ints} if isinstance(written, dict) else ints
    return validate_spec(data, source_map), names


def with_symbols(spec: Spec, ints: list[int]) -> Spec:
    """`spec` with its input dims (written layout) replaced."""
    return spec.model_copy(update={"input": InputSpec(shape=ints, layout=spec.input.layout)})


# --- the walk -------------------------------------------------------------------------------

Shape = tuple[Expr, ...]


def _sliding(layer: _SlidingLayer | Pool, x: Shape, name: str) -> Shape:
    ndim = len(x) - 1
    kernel = per_dim(layer.kernel, ndim, "kernel")
    raw_stride = layer.kernel if isinstance(layer, Pool) and layer.stride is None else layer.stride
    assert raw_stride is not None
    stride = per_dim(raw_stride, ndim, "stride")
    dilation = per_dim(layer.dilation, ndim, "dilation")
    ceil = isinstance(layer, Pool) and layer.ceil_mode
    if layer.padding == "same":
        return (x[0], *((n + (s - 1)).floordiv(s) for n, s in zip(x[1:], stride, strict=True)))
    pads = resolve_padding(layer.padding, [0] * ndim, kernel, stride, dilation)
    out = [x[0]]
    for n, k, s, d, (pb, pa) in zip(x[1:], kernel, stride, dilation, pads, strict=True):
        span = n + (pb + pa - d * (k - 1) - 1)
        if ceil and s > d * (k - 1) + 1 - pa:
            # ceil mode keeps a last window only if it starts before the right padding (PyTorch):
            # out - 1 = min(ceil(span/s), ceil((n + pb)/s) - 1), and with a stride wider than the
            # window less that padding the second is never the larger, so out counts the window
            # starts before the padding: floor((n + pb - 1)/s) + 1
            out.append((n + (pb - 1)).floordiv(s) + 1)
        elif ceil:
            out.append((span + (s - 1)).floordiv(s) + 1)
        else:
            out.append(span.floordiv(s) + 1)
    return tuple(out)


def _walk_layer(layer: LayerBase, xs: Sequence[Shape], channels: int, name: str) -> Shape:
    """One layer's output shape from its inputs' (channels-first) shapes."""
    c = Expr.const(channels)
    rule = SIZES.lookup(layer, "symbolic sizes cannot follow", name)
    if rule is None:  # the fallback: the input's sizes, checked against concrete analyses
        return (c, *xs[0][1:])
    if isinstance(layer, Add | Multiply):  # broadcast: the sizes of an input that is not 1x1
        one = Expr.const(1)
        return rule(layer, next((x for x in xs if any(d != one for d in x[1:])), xs[0]), c, name)
    return rule(layer, xs[0], c, name)


def _transposed(layer: ConvTranspose, x: Shape, c: Expr, name: str) -> Shape:
    # a transposed conv's padding never depends on the input size ('same' pads the kernel's
    # overhang of the stride), so the layer's own geometry at any size gives it
    k, s, d, op, pads = layer.geometry((1,) * len(x))
    return (
        c,
        *(
            (n - 1) * si + (d_ * (k_ - 1) + o + 1 - pb - pa)
            for n, k_, si, d_, o, (pb, pa) in zip(x[1:], k, s, d, op, pads, strict=True)
        ),
    )


def _slides(layer: _SlidingLayer | Pool, x: Shape, c: Expr, name: str) -> Shape:
    return (c, *_sliding(layer, x, name)[1:])


def _upsampled(layer: Upsample, x: Shape, c: Expr, name: str) -> Shape:
    if layer.size is not None:  # a size given: the same whatever the input's
        return (c, *(Expr.const(n) for n in per_dim(layer.size, len(x) - 1, "size")))
    return (c, *(n * f for n, f in zip(x[1:], per_dim(layer.scale, len(x) - 1, "scale"), strict=True)))


def _global(layer: GlobalPool, x: Shape, c: Expr, name: str) -> Shape:
    return (c, *([Expr.const(1)] * (len(x) - 1))) if layer.keepdims else (c,)


def _flat(layer: Flatten, x: Shape, c: Expr, name: str) -> Shape:
    return (symbolic_product(x),)


def _unflat(layer: Unflatten, x: Shape, c: Expr, name: str) -> Shape:
    return (c, *([Expr.const(1)] * layer.axes))


def _cropped(layer: Crop, x: Shape, c: Expr, name: str) -> Shape:
    pairs = crop_pairs(layer.crop, len(x) - 1)
    return (c, *(n - (a + b) for n, (a, b) in zip(x[1:], pairs, strict=True)))


def _padded(layer: Pad, x: Shape, c: Expr, name: str) -> Shape:
    pairs = pad_pairs(layer.padding, len(x) - 1)
    return (c, *(n + (a + b) for n, (a, b) in zip(x[1:], pairs, strict=True)))


def _vector(layer: Dense, x: Shape, c: Expr, name: str) -> Shape:
    return (c,)


def _same_sizes(layer: LayerBase, x: Shape, c: Expr, name: str) -> Shape:
    """Activations, norms, dropout and the merges: the input's sizes (the channels from the analysis)."""
    return (c, *x[1:])


#: symbolic sizes' capability table: how each layer class's output sizes follow its input's
SIZES: Capabilities[Callable[[Any, Shape, Expr, str], Shape]] = Capabilities(
    feature="the symbolic walk",
    lacks="size rule",
    handlers={
        ConvTranspose: _transposed,
        Conv: _slides,
        DepthwiseConv: _slides,
        SeparableConv: _slides,
        LocallyConnected: _slides,
        Pool: _slides,
        Upsample: _upsampled,
        GlobalPool: _global,
        Flatten: _flat,
        Unflatten: _unflat,
        Crop: _cropped,
        Pad: _padded,
        Normalize: _same_sizes,
        Dense: _vector,
        Concat: _same_sizes,
        Add: _same_sizes,
        Multiply: _same_sizes,
        Activation: _same_sizes,
        BatchNorm: _same_sizes,
        Dropout: _same_sizes,
        LocalResponseNorm: _same_sizes,
    },
    fallback=(
        "the input's sizes, checked against the concrete analysis at four input sizes; "
        "a kind that changes them is refused, naming it"
    ),
    error=SymbolicError,
)


class _InexactError(Exception):
    """A floor that does not come out exact (when walking for the period)."""


def walk(spec: Spec, reference: Report | None, symbols: Mapping[int, Expr], exact: bool = False) -> list[Shape]:
    """Channels-first output shapes of every row, axis i of the input set to symbols[i]
    (exact: stop with _InexactError at the first floor that stays). The channels come from
    `reference`, a concrete analysis; without one they are 1 (spatial sizes never read them)."""
    graph = build_graph(spec)
    x0 = spec.input.channels_first()
    shapes: list[Shape] = [tuple(symbols.get(i, Expr.const(n)) for i, n in enumerate(x0))]
    for i, node in enumerate(graph.nodes[1:], start=1):
        assert node.layer is not None
        channels = reference.rows[i].output_shape[0] if reference is not None else 1
        shapes.append(_walk_layer(node.layer, [shapes[j] for j in node.inputs], channels, node.name))
        if exact and any(e.floors() for e in shapes[-1]):
            raise _InexactError
    return shapes


# --- the summary ----------------------------------------------------------------------------

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
        except _InexactError:
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


def solve_exactly(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Exact Gaussian elimination; None when the system is singular."""
    n = len(rhs)
    a = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


__all__ = [
    "SIZES",
    "Expr",
    "Floor",
    "SymbolicError",
    "SymbolicReport",
    "analyze_symbolic",
    "input_symbols",
    "load_symbolic",
    "rolled_up",
    "sized",
    "solve_exactly",
    "spatial_axes",
    "walk",
]
