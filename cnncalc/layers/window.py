"""The sliding window that convolutions and pools share: its output size, and the steps that
work it out by hand.

One place for the rule `floor((n + 2p - f)/s) + 1` (with dilation, ceil mode and 'same'
padding), so a conv and a pool can never disagree about a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cnncalc.core.geometry import Pair, effective_kernel, fit_axis, same_padding
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import AXIS_NAMES, NonNegative, PerDim, Shape, Step, per_dim, spatial_rank

#: padding as a spec writes it: per side, per axis, [before, after] pairs, or by rule
PaddingSpec = Literal["valid", "same"] | NonNegative | list[NonNegative | list[NonNegative]]


def resolve_padding(
    padding: PaddingSpec,
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[Pair, ...]:
    """Padding (before, after) per spatial axis from any of the accepted spellings."""
    ndim = len(sizes)
    if padding == "valid":
        return ((0, 0),) * ndim
    if padding == "same":
        return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True))
    if isinstance(padding, int):
        return ((padding, padding),) * ndim
    if len(padding) != ndim:
        raise LayerRuleError(
            f"'padding' has {len(padding)} entries but the input has {ndim} spatial axes",
            field="padding",
            hint="give one int, one int per axis, or one [before, after] pair per axis",
        )
    pairs: list[Pair] = []
    for p in padding:
        if isinstance(p, int):
            pairs.append((p, p))
        elif len(p) == 2:
            pairs.append((p[0], p[1]))
        else:
            raise LayerRuleError(
                f"a padding pair must be [before, after], got {p}",
                field="padding",
                hint="e.g. padding: [[0, 1], [0, 1]]",
            )
    return tuple(pairs)


def fmt_padding(padding: PaddingSpec) -> str:
    if isinstance(padding, str):
        return padding
    if isinstance(padding, int):
        return str(padding)
    return ",".join(str(p) if isinstance(p, int) else f"{p[0]}/{p[1]}" for p in padding)


@dataclass(frozen=True)
class Sliding:
    """A window slid over the spatial axes: the resolved geometry of one layer."""

    kernel: tuple[int, ...]
    out: tuple[int, ...]
    warnings: tuple[str, ...]
    window: tuple[tuple[int, int, int], ...]  # (effective kernel, stride, padding before) per axis
    #: what the explanation writes out per axis, as resolved (not as spelled)
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[Pair, ...]
    ceil_mode: bool
    same: bool  # 'same' padding, resolved by TensorFlow's rule


def slide(
    x: Shape,
    kind: str,
    kernel: PerDim,
    stride: PerDim,
    padding: PaddingSpec,
    dilation: PerDim,
    ceil_mode: bool = False,
) -> Sliding:
    """Output spatial size of a window over `x`, with warnings for pixels dropped.

    Raises when an axis has no room for a single window (output <= 0).
    """
    ndim = spatial_rank(x, kind)
    sizes = x[1:]
    k = per_dim(kernel, ndim, "kernel")
    s = per_dim(stride, ndim, "stride")
    d = per_dim(dilation, ndim, "dilation")
    pads = resolve_padding(padding, sizes, k, s, d)
    out: list[int] = []
    warnings: list[str] = []
    geometry = tuple((effective_kernel(kk, dd), ss, p[0]) for kk, ss, dd, p in zip(k, s, d, pads, strict=True))
    for axis, (n, kk, ss, dd, p) in enumerate(zip(sizes, k, s, d, pads, strict=True)):
        w = fit_axis(n, kk, ss, p, dd, ceil_mode)
        name = AXIS_NAMES[ndim][axis]
        if w.size <= 0:
            raise LayerRuleError(
                f"output size {w.size} along {name}: kernel {effective_kernel(kk, dd)} is larger than "
                f"the input {n}{_padded_note(p, w.padded)}",
                field="kernel",
                hint="add padding, use a smaller kernel or stride, or remove a downsampling layer before this one",
            )
        lost = w.dropped - p[1]  # unused zero padding loses nothing
        # a window narrower than its stride (ResNet's 1x1 stride-2 shortcut) skips pixels
        # everywhere by design: the end is no different, so there is nothing to warn about
        if lost > 0 and effective_kernel(kk, dd) >= ss:
            warnings.append(
                f"stride {ss} does not tile {name}: a {effective_kernel(kk, dd)}-wide window on "
                f"{n} pixels{_padded_note(p, w.padded)} leaves the last {lost} pixel(s) unused "
                f"(output {w.size} = floor((n + p - f)/s) + 1)"
            )
        out.append(w.size)
    return Sliding(k, tuple(out), tuple(warnings), geometry, s, d, pads, ceil_mode, padding == "same")


def _padded_note(p: Pair, padded: int) -> str:
    return f" (padded by {p[0]}+{p[1]} to {padded})" if p != (0, 0) else ""


def slide_steps(x: Shape, geo: Sliding) -> tuple[Step, ...]:
    """Each spatial axis of a sliding window's output as (n + 2p - f)/s + 1, numbers filled in.

    The values are `slide`'s own (geo is its answer for x); when the stride does not tile an
    axis, the floor (or ceil) is written out and the note says how many pixels are never used.
    """
    names = AXIS_NAMES[len(x) - 1]
    axes = zip(x[1:], geo.kernel, geo.stride, geo.dilation, geo.pads, geo.out, strict=True)
    return tuple(
        _axis_step(names[axis], axis + 1, (n, kk, ss, dd), p, geo.ceil_mode, size, geo.same)
        for axis, (n, kk, ss, dd, p, size) in enumerate(axes)
    )


def _axis_step(
    name: str, axis: int, nksd: tuple[int, int, int, int], p: Pair, ceil_mode: bool, size: int, same: bool
) -> Step:
    n, k, s, d = nksd
    f_sym, f_num = ("f", str(k)) if d == 1 else ("(d*(f - 1) + 1)", f"({d}*({k} - 1) + 1)")
    if p == (0, 0):
        pad_sym = pad_num = ""
    elif p[0] == p[1]:
        pad_sym, pad_num = " + 2*p", f" + 2*{p[0]}"
    else:
        pad_sym, pad_num = " + p_b + p_a", f" + {p[0]} + {p[1]}"
    ratio_sym, ratio_num = f"(n{pad_sym} - {f_sym})/s", f"({n}{pad_num} - {f_num})/{s}"
    w = fit_axis(n, k, s, p, d, ceil_mode)
    span = w.padded - effective_kernel(k, d)
    notes = [f"'same' padding: {p[0]} before, {p[1]} after (TensorFlow's rule)"] if same else []
    if span % s == 0:
        formula, expression = f"{ratio_sym} + 1", f"{ratio_num} + 1"
    elif ceil_mode:
        formula, expression = f"ceil({ratio_sym}) + 1", f"ceil({ratio_num}) + 1"
        if size == -(-span // s):
            formula, expression = f"{formula} - 1", f"{expression} - 1"
            notes.append("ceil mode, but the last window would start in the padding: PyTorch drops it")
        else:
            notes.append(f"{span}/{s} = {span / s:.2f} is not whole: ceil mode rounds up (the last window overhangs)")
    else:
        formula, expression = f"floor({ratio_sym}) + 1", f"floor({ratio_num}) + 1"
        lost = w.dropped - p[1]
        left = f"the last {lost} pixel(s) of {name} are never used" if lost > 0 else "only zero padding is left over"
        notes.append(f"{span}/{s} = {span / s:.2f} is not whole: the stride does not tile, round down; {left}")
    return Step(f"output {name}", "output", formula, expression, size, note="; ".join(notes), axis=axis)
