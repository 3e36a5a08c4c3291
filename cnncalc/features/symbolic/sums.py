"""Training memory and peer tools' totals with symbolic input sizes: polynomials at multiples of the period.

Training bytes (what autograd keeps, weights, gradients, optimizer state) and a peer tool's
totals are sums over tensors, and every tensor's elements are a product of one size per axis.
When each symbol is a multiple of the period (every floor of the walk exact), each size is
linear in its axis's symbol, so each of these sums is a polynomial in the symbols whose degree
in a symbol is at most the number of axes it names.

The polynomial is read off the concrete computation itself (`summarize --training`,
`--convention`), never re-derived: evaluated on a grid of multiples (one more value per symbol
than its degree, which determines the coefficients exactly) and checked at further multiples
off the grid. A figure that is not such a polynomial (a rounding, a maximum) fails the check
and is refused, naming it, rather than guessed.

The training peak is a maximum over the steps of the passes, and which step is largest
changes with the size: it has no single expression, and `peak_note` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import product

from cnncalc.core.conventions import Conventions
from cnncalc.core.walk import analyze
from cnncalc.features.symbolic.analysis import SymbolicReport, sized, spatial_axes
from cnncalc.features.symbolic.polynomials import Expr, solve_exactly
from cnncalc.features.symbolic.sizes import SymbolicError
from cnncalc.spec.model import Spec

#: what the peak is instead of an expression
PEAK_NOTE = (
    "the peak is the largest of the sums over the steps of the forward and backward passes, and "
    "which step is largest changes with the size: it has no single expression"
)

#: what a figure that is no polynomial shows instead
NOT_POLYNOMIAL = "not a polynomial at these sizes (its rule rounds or divides sizes): give sizes with --input"

#: multiples of the period (in units of it) the polynomials are checked at, off the grid they are read from
CHECKS = ((3, 5), (7, 2), (4, 9), (12, 11))


@dataclass(frozen=True)
class Sums:
    """Named figures as polynomials in the symbols, valid at multiples of `period` (None: the
    figure is not a polynomial there, see NOT_POLYNOMIAL)."""

    period: int
    smallest: int
    figures: dict[str, Expr | None]
    notes: tuple[str, ...] = ()  # what the computation notes (the same at every size)


def fit_sums(
    spec: Spec,
    names: Sequence[str | None],
    report: SymbolicReport,
    measure: Callable[[Spec], Mapping[str, int]],
    what: str,
) -> Sums:
    """The figures `measure` gives for `spec` at a size, as polynomials in the symbols `names`.

    `report` is the symbolic summary of the same spec (its period and smallest input).
    """
    if report.period is None:
        raise SymbolicError.single(
            f"{what}: no period up to 4096 makes every size exact, so it has no polynomial form",
            hint="give the sizes with --input, e.g. --input 224x224x3",
        )
    period = report.period
    by_axis = spatial_axes(spec, names)
    symbols = sorted(set(by_axis.values()))
    degree = {s: sum(1 for n in by_axis.values() if n == s) for s in symbols}
    start = -(-report.smallest // period)  # the first multiple of the period the network takes
    grid = list(product(*(range(start + 1, start + degree[s] + 2) for s in symbols)))
    monomials = list(product(*(range(degree[s] + 1) for s in symbols)))

    def at(units: Sequence[int]) -> tuple[dict[str, int], Mapping[str, int]]:
        env = {s: period * u for s, u in zip(symbols, units, strict=True)}
        return env, measure(sized(spec, {a: env[s] for a, s in by_axis.items()}))

    def term(env: Mapping[str, int], powers: Sequence[int]) -> Fraction:
        value = Fraction(1)
        for s, p in zip(symbols, powers, strict=True):
            value *= env[s] ** p
        return value

    samples = [at(units) for units in grid]
    names_of = list(samples[0][1])
    figures: dict[str, Expr] = {}
    matrix = [[term(env, powers) for powers in monomials] for env, _ in samples]
    for name in names_of:
        coefficients = solve_exactly(matrix, [Fraction(values[name]) for _, values in samples])
        assert coefficients is not None  # a grid of distinct values per symbol: never singular
        poly = Expr.const(0)
        for c, powers in zip(coefficients, monomials, strict=True):
            monomial = Expr.const(c)
            for s, p in zip(symbols, powers, strict=True):
                for _ in range(p):
                    monomial = monomial * Expr.symbol(s)
            poly = poly + monomial
        figures[name] = poly
    checked: dict[str, Expr | None] = dict(figures)
    for offsets in CHECKS:
        env, values = at([start + offsets[i % len(offsets)] for i in range(len(symbols))])
        for name, fitted in checked.items():
            if fitted is not None and fitted(env) != values.get(name):
                checked[name] = None  # a rule that rounds or divides sizes: no polynomial, and said so
    return Sums(period, report.smallest, checked)


def training_sums(
    spec: Spec, names: Sequence[str | None], report: SymbolicReport, optimizer: str, conventions: Conventions | None
) -> Sums:
    """`summarize --training`'s figures: each layer's saved bytes (by its name), then the totals."""
    from cnncalc.features.training.memory import training_memory
    from cnncalc.features.training.trainable import Trainability, trainability

    last: list[Trainability] = []

    def measure(at: Spec) -> dict[str, int]:
        concrete = analyze(at, conventions)
        last[:] = [trainability(at, concrete)]
        memory = training_memory(at, concrete, optimizer)
        rows = {f"layer {row.name}": row.saved_bytes for row in memory.rows}
        return {
            **rows,
            "saved for backward": memory.saved_bytes,
            "weights and buffers": memory.weight_bytes,
            "gradients": memory.gradient_bytes,
            f"optimizer state ({optimizer})": memory.optimizer_bytes,
        }

    sums = fit_sums(spec, names, report, measure, f"training memory ({optimizer})")
    # the last size measured is the largest: a batch norm with one value per channel there has
    # one at every size (a value never shrinks as the input grows), and PyTorch refuses it
    last[0].raise_refused()
    return replace(sums, notes=last[0].warnings)


def preset_sums(spec: Spec, names: Sequence[str | None], report: SymbolicReport, presets: Sequence[str]) -> Sums:
    """`summarize --convention`'s totals: per preset, its params, count, FLOPs, memory and figures."""
    from cnncalc.features.peers.presets import evaluate

    notes: dict[str, None] = {}

    def measure(at: Spec) -> dict[str, int]:
        out: dict[str, int] = {}
        for preset in presets:
            result = evaluate(at, preset)
            notes.update((note, None) for note in result.notes)
            # the figures the tool prints, in its words; cnncalc's own preset prints none
            figures: list[tuple[str, int | None]] = [(f.label, f.value) for f in result.figures] or [
                ("params", result.params),
                ("MACs", result.macs),
                ("FLOPs", result.flops),
                (result.memory_label, result.memory),
            ]
            out.update((f"{preset}: {label}", value) for label, value in figures if value is not None)
        return out

    sums = fit_sums(spec, names, report, measure, "the peer tools' totals")
    return replace(sums, notes=tuple(notes))


__all__ = ["NOT_POLYNOMIAL", "PEAK_NOTE", "Sums", "fit_sums", "preset_sums", "training_sums"]
