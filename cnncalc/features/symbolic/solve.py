"""Solving for a budget: the largest square input within a MAC budget, the largest batch within memory.

Every candidate is analysed concretely (the same analysis `summarize` prints), so an answer
is checked by construction: it fits, and the next size up does not. Output sizes never
shrink as the input grows (each is a floor or ceiling of a non-decreasing function of it)
and costs are sums of non-negative multiples of sizes, so MACs and memory never decrease
with the input size or the batch, and a bisection finds the boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

from cnncalc.core.conventions import Conventions
from cnncalc.core.report import Report
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError, InputRankError, ShapeError
from cnncalc.layers.base import MAX_INT
from cnncalc.spec.model import InputSpec, Spec, from_channels_first

#: the largest square side tried when looking for the smallest input a network accepts
SMALLEST_SEARCH = 4096


class SolveError(CnncalcError):
    """No answer: even the smallest input or batch exceeds the budget (exit 2)."""


@dataclass(frozen=True)
class Solution:
    """The answer and the figures on both sides of the boundary."""

    what: str  # "input" or "batch"
    budget: int
    quantity: str  # "MACs" or "bytes"
    answer: int  # the square side or the batch
    spec: Spec  # the spec at the answer
    value: int  # the quantity at the answer
    next_value: int | None  # at the answer + 1 (None: the network refuses that size)
    margin: Fraction = Fraction(0)  # kept free: the answer's value is within budget / (1 + margin)
    limit: int | None = None  # budget / (1 + margin), rounded down (None: no margin)


def with_square_input(spec: Spec, side: int) -> Spec:
    """`spec` with every spatial axis of its input set to `side` (channels kept)."""
    x = spec.input.channels_first()
    shape = from_channels_first((x[0], *([side] * (len(x) - 1))), spec.input.layout)
    return spec.model_copy(update={"input": InputSpec(shape=list(shape), layout=spec.input.layout)})


def smallest_input(spec: Spec, conventions: Conventions | None = None) -> int:
    """The smallest square side the network accepts (a larger input never makes a size shrink)."""

    def fits(side: int) -> bool:
        try:
            analyze(with_square_input(spec, side), conventions)
        except InputRankError as refused:  # the same at every size: the input itself needs rewriting
            try:
                analyze(spec, conventions)  # said of the input as written, not of the size tried
            except InputRankError:
                raise
            except ShapeError:
                pass
            raise refused from None
        except ShapeError:
            return False
        return True

    high = 1
    while not fits(high):
        if high >= SMALLEST_SEARCH:
            raise SolveError.single(f"no square input up to {SMALLEST_SEARCH} fits the network")
        high *= 2
    low = high // 2  # refused (or 0)
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid
    return high


def largest_square_input(spec: Spec, max_macs: int, conventions: Conventions | None = None) -> Solution:
    """The largest square input whose MACs (at the spec's batch) are within `max_macs`."""
    if len(spec.input.channels_first()) < 2:
        raise SolveError.single("the input is a flat vector: there is no input size to solve for")
    low = smallest_input(spec, conventions)

    def macs(side: int) -> int | None:
        try:
            return analyze(with_square_input(spec, side), conventions).totals.macs
        except ShapeError:
            return None

    side = _largest(low, max_macs, macs, "input", "MACs")
    return _solution("input", max_macs, "MACs", side, with_square_input(spec, side), macs)


def memory_of(report: Report, spec: Spec, training: bool, optimizer: str, device: str = "cpu", threads: int = 1) -> int:
    """Bytes of one step: the training peak (PyTorch at `threads` intra-op threads), or parameters
    plus the inference peak of activations."""
    if training:
        from cnncalc.features.training.memory import training_memory

        return training_memory(spec, report, optimizer, device, threads).peak_bytes
    return report.totals.param_bytes + report.totals.peak_activation_bytes


def largest_batch(
    spec: Spec,
    max_bytes: int,
    training: bool,
    optimizer: str = "sgd",
    conventions: Conventions | None = None,
    device: str = "cpu",
    margin: Fraction = Fraction(0),
    threads: int = 1,
) -> Solution:
    """The largest batch whose memory (see `memory_of`) is within `max_bytes` less a `margin`
    kept free (0.1: the memory at the answer is at most max_bytes / 1.1)."""

    def memory(batch: int) -> int | None:
        at = spec.model_copy(update={"batch": batch})
        return memory_of(analyze(at, conventions), at, training, optimizer, device, threads)

    first = _first_trainable(spec, conventions) if training else 1
    what = "batch" if first == 1 else "batch PyTorch trains (a batch norm has one value per channel at batch 1)"
    limit = int(max_bytes / (1 + margin))  # a whole number of bytes: rounded down
    batch = _largest(first, limit, memory, what, "bytes")
    found = _solution("batch", max_bytes, "bytes", batch, spec.model_copy(update={"batch": batch}), memory)
    return replace(found, margin=margin, limit=limit if margin else None)


def _first_trainable(spec: Spec, conventions: Conventions | None) -> int:
    """1, or 2 where PyTorch refuses to train batch 1 (a batch norm with one value per channel;
    from batch 2 on each channel has at least two)."""
    from cnncalc.features.training.trainable import trainability

    at = spec.model_copy(update={"batch": 1})
    return 2 if trainability(at, analyze(at, conventions)).refused else 1


def _largest(low: int, budget: int, value: Callable[[int], int | None], what: str, unit: str) -> int:
    """The largest n >= low with value(n) <= budget, value non-decreasing (None: too large)."""
    first = value(low)
    assert first is not None
    if first > budget:
        raise SolveError.single(
            f"even the smallest {what} ({low}) needs {first:,} {unit}, over the budget of {budget:,}",
            hint="raise the budget, or lower the batch, dtype or input size",
        )
    high = low + 1
    while high <= MAX_INT:
        v = value(high)
        if v is None or v > budget:
            break
        low, high = high, 2 * high
    high = min(high, MAX_INT + 1)
    while high - low > 1:  # value(low) fits, value(high) does not (or high is past the limit)
        mid = (low + high) // 2
        v = value(mid)
        if v is not None and v <= budget:
            low = mid
        else:
            high = mid
    if low == MAX_INT:
        # no boundary below the largest size a spec may hold: there is no "next size up" to show
        raise SolveError.single(
            f"the budget of {budget:,} {unit} is never reached: even the largest {what} a spec may hold "
            f"({MAX_INT:,}) is within it",
            hint="give a budget a real run could reach",
        )
    return low


def _solution(
    what: str, budget: int, quantity: str, answer: int, spec: Spec, value: Callable[[int], int | None]
) -> Solution:
    got = value(answer)
    assert got is not None
    return Solution(what, budget, quantity, answer, spec, got, value(answer + 1))


__all__ = ["Solution", "SolveError", "largest_batch", "largest_square_input", "smallest_input", "with_square_input"]
