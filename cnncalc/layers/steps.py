"""Explanations: the numbers of a layer worked out as the lecture does them by hand.

Each kind's `explain` builds its steps from these helpers, so the wording and the order of
the terms (channels last, `f*f` for a square kernel) are the same for every kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.core.conventions import Conventions
from cnncalc.layers.base import AXIS_NAMES, Shape, Step, weighted_flops


def fmt_dims(values: Sequence[int]) -> str:
    """3x3 for (3, 3); a single value for one axis."""
    return "x".join(str(v) for v in values)


def unchanged_steps(x: Shape, why: str) -> tuple[Step, ...]:
    """Output steps of a layer that keeps the shape of its input (activations, norms, merges)."""
    names = ("C", *AXIS_NAMES[len(x) - 1]) if len(x) > 1 else ("units",)
    return tuple(
        Step(f"output {name}", "output", "unchanged", str(n), n, note=why if axis == 0 else "", axis=axis)
        for axis, (name, n) in enumerate(zip(names, x, strict=True))
    )


def no_params_steps(why: str, macs_note: str = "") -> tuple[Step, ...]:
    """Params and MACs of a layer with nothing to learn ("no parameters to learn!")."""
    return (
        Step("params", "params", "0", "0", 0, note=why),
        Step("MACs", "macs", "0", "0", 0, note=macs_note or "no multiply-accumulates"),
    )


def border_steps(
    x: Shape, output: Shape, pairs: Sequence[tuple[int, int]], grow: bool, channels_note: str, why: str, flops_note: str
) -> tuple[Step, ...]:
    """A crop's or a padding's numbers: each spatial size less (or plus) what it cuts (or adds)
    on either side, the channels unchanged, no parameters and no arithmetic."""
    sign, formula = (" + ", "n + before + after") if grow else (" - ", "n - before - after")
    steps = [Step("output C", "output", "unchanged", str(x[0]), x[0], note=channels_note, axis=0)]
    for i, (name, n, (a, b)) in enumerate(zip(AXIS_NAMES[len(x) - 1], x[1:], pairs, strict=True)):
        steps.append(Step(f"output {name}", "output", formula, f"{n}{sign}{a}{sign}{b}", output[i + 1], axis=i + 1))
    return (*steps, *no_params_steps(why), Step("FLOPs", "flops", "0", "0", 0, note=flops_note))


def kernel_terms(kernel: Sequence[int]) -> tuple[str, str]:
    """The kernel's taps in symbols and numbers: ('f*f', '5*5'), or ('f_h*f_w', '3*5') when not square."""
    numbers = "*".join(str(k) for k in kernel)
    if len(set(kernel)) == 1:
        return "*".join("f" for _ in kernel), numbers
    names = {1: ("f",), 2: ("f_h", "f_w"), 3: ("f_d", "f_h", "f_w")}[len(kernel)]
    return "*".join(names), numbers


def position_terms(sizes: Sequence[int]) -> tuple[str, str]:
    """Output positions in symbols and numbers: ('n_H*n_W', '28*28')."""
    names = AXIS_NAMES[len(sizes)]
    return "*".join(f"n_{n}" for n in names), "*".join(str(s) for s in sizes)


def channels_last_terms(x: Shape) -> tuple[str, str]:
    """The elements of a map as the lecture multiplies them, channels last: ('n_H*n_W*c', '5*5*16')."""
    if len(x) == 1:
        return "n", str(x[0])
    spatial, numbers = position_terms(x[1:])
    return f"{spatial}*c", f"{numbers}*{x[0]}"


def param_steps(
    weights: tuple[str, str, int],
    biases: tuple[str, str, int],
    params: tuple[str, str],
    note: str = "",
) -> tuple[Step, ...]:
    """Weights, biases and their sum, each as (formula, expression[, value])."""
    return (
        Step("params", "params", params[0], params[1], weights[2] + biases[2], note=note),
        Step("weights", "weights", weights[0], weights[1], weights[2]),
        Step("biases", "biases", biases[0], biases[1], biases[2]),
    )


def weighted_flops_step(
    macs: int, out: tuple[str, str, int], biased: bool, activation: str | None, c: Conventions
) -> Step:
    """The FLOPs of `weighted_flops` written out: 2*macs, + the output values for the bias adds,
    + the fused activation's FLOPs per output value. out: the output values (formula, expression, value)."""
    out_sym, out_num, elements = out
    formula, expression = "2*macs", f"2*{macs}"
    notes = ["a multiply and an add per MAC"]
    if biased:
        formula, expression = f"{formula} + {out_sym}", f"{expression} + {out_num}"
        notes.append("one add per output value for its bias")
    per = c.activation_flops[activation] if activation is not None else 0
    if per:
        formula, expression = f"{formula} + {per}*{_grouped(out_sym)}", f"{expression} + {per}*{_grouped(out_num)}"
    if activation is not None:
        notes.append(f"{activation}: {_per_value(per)} per output value")
    value = weighted_flops(macs, elements, biased, activation, c)
    return Step("FLOPs", "flops", formula, expression, value, note="; ".join(notes))


def elementwise_flops_step(per: tuple[str, str, int], x: Shape, value: int, note: str) -> Step:
    """FLOPs of work done once per value of the map `x`: (formula, expression, FLOPs) per value
    times the values, channels last as the lecture multiplies them."""
    per_sym, per_num, count = per
    if count == 0:
        return Step("FLOPs", "flops", "0", "0", 0, note=note)
    sym, num = channels_last_terms(x)
    if per_sym == "1":
        return Step("FLOPs", "flops", sym, num, value, note=note)
    return Step("FLOPs", "flops", f"{_grouped(per_sym)}*{sym}", f"{_grouped(per_num)}*{num}", value, note=note)


def _grouped(term: str) -> str:
    """A term as a factor: parenthesised when it is a sum or difference."""
    return f"({term})" if any(op in term for op in ("+", "-")) else term


def _per_value(flops: int) -> str:
    return f"{flops} FLOP" if flops == 1 else f"{flops} FLOPs"
