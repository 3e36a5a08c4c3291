"""Convolutions: standard, depthwise, separable, transposed, and locally connected.

Weights of a conv: filters x (c_in / groups) x prod(kernel); biases: filters.
MACs: one per weight use = out_positions x filters x (c_in / groups) x prod(kernel).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Literal

from pydantic import Field

from cnncalc.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.geometry import Pair, effective_kernel, transposed_size, window
from cnncalc.layers.base import (
    AXIS_NAMES,
    ActivationName,
    Counts,
    LayerBase,
    NonNegative,
    PaddingSpec,
    PerDim,
    Positive,
    Shape,
    activation_flops,
    check_declared,
    fmt_dims,
    fmt_padding,
    per_dim,
    resolve_padding,
    spatial_rank,
)


@dataclass(frozen=True)
class Sliding:
    """A window slid over the spatial axes: the resolved geometry of one layer."""

    kernel: tuple[int, ...]
    out: tuple[int, ...]
    warnings: tuple[str, ...]
    window: tuple[tuple[int, int, int], ...]  # (effective kernel, stride, padding before) per axis


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
        w = window(n, kk, ss, p, dd, ceil_mode)
        name = AXIS_NAMES[ndim][axis]
        if w.size <= 0:
            raise LayerRuleError(
                f"output size {w.size} along {name}: kernel {effective_kernel(kk, dd)} is larger than "
                f"the input {n}{_padded_note(p, w.padded)}",
                field="kernel",
                hint="add padding, use a smaller kernel or stride, or remove a downsampling layer before this one",
            )
        lost = w.dropped - p[1]  # unused zero padding loses nothing
        if lost > 0:
            warnings.append(
                f"stride {ss} does not tile {name}: a {effective_kernel(kk, dd)}-wide window on "
                f"{n} pixels{_padded_note(p, w.padded)} leaves the last {lost} pixel(s) unused "
                f"(output {w.size} = floor((n + p - f)/s) + 1)"
            )
        out.append(w.size)
    return Sliding(kernel=k, out=tuple(out), warnings=tuple(warnings), window=geometry)


def _padded_note(p: Pair, padded: int) -> str:
    return f" (padded by {p[0]}+{p[1]} to {padded})" if p != (0, 0) else ""


def check_groups(c_in: int, filters: int, groups: int) -> None:
    if c_in % groups or filters % groups:
        raise LayerRuleError(
            f"groups={groups} must divide both the input channels ({c_in}) and the filters ({filters})",
            field="groups",
            hint="pick a groups value that divides both",
        )


class _SlidingLayer(LayerBase):
    """Hyper-parameters every sliding-window layer shares."""

    kernel: PerDim = Field(description="Kernel size: one int, or one per spatial axis.", examples=[3, [3, 5]])
    stride: PerDim = Field(default=1, description="Step between windows.", examples=[1, 2])
    padding: PaddingSpec = Field(
        default=0,
        description="Zeros added per side: an int, one int per axis, [before, after] pairs, 'valid' or 'same'.",
        examples=[1, "same", [[0, 1], [0, 1]]],
    )
    dilation: PerDim = Field(default=1, description="Spacing between kernel taps (atrous convolution).")
    bias: bool = Field(default=True, description="Learn one bias per output channel.")
    activation: ActivationName | None = Field(
        default=None, description="Activation applied to the output (Keras style); counts as a separate layer would."
    )
    in_channels: Positive | None = Field(default=None, description="Expected input channels; checked, never inferred.")

    def _options(self) -> str:
        parts = [f"f={fmt_dims(_tuple(self.kernel))}", f"s={fmt_dims(_tuple(self.stride))}"]
        parts.append(f"p={fmt_padding(self.padding)}")
        if self.dilation != 1:
            parts.append(f"d={fmt_dims(_tuple(self.dilation))}")
        if not self.bias:
            parts.append("no bias")
        if self.activation:
            parts.append(f"+{self.activation}")
        return ", ".join(parts)


def _tuple(v: int | list[int]) -> tuple[int, ...]:
    return (v,) if isinstance(v, int) else tuple(v)


def _conv_counts(
    layer: _SlidingLayer, x: Shape, c: Conventions, filters: int, groups: int, kind: str
) -> tuple[Sliding, Counts]:
    """The standard convolution rule, shared by conv and depthwise conv."""
    c_in = x[0] if len(x) > 1 else 0
    geo = slide(x, kind, layer.kernel, layer.stride, layer.padding, layer.dilation)
    check_declared(layer.in_channels, c_in, "in_channels", "channels")
    check_groups(c_in, filters, groups)
    per_filter = (c_in // groups) * prod(geo.kernel)
    positions = prod(geo.out)
    biases = filters if layer.bias and c.bias else 0
    macs = positions * filters * per_filter
    out_elements = positions * filters
    counts = Counts(
        output=(filters, *geo.out),
        weights=filters * per_filter,
        biases=biases,
        macs=macs,
        flops=2 * macs + (out_elements if biases else 0) + activation_flops(layer.activation, out_elements, c),
        warnings=geo.warnings,
        window=geo.window,
    )
    return geo, counts


class Conv(_SlidingLayer):
    """Convolution over 1, 2 or 3 spatial axes (cross-correlation, as frameworks compute it)."""

    kind: Literal["conv"]
    filters: Positive = Field(description="Number of output channels (filters).", examples=[64])
    groups: Positive = Field(default=1, description="Grouped convolution: channels are split into this many groups.")
    stem = "conv"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return _conv_counts(self, x, c, self.filters, self.groups, "conv")[1]

    def describe(self) -> str:
        groups = f", g={self.groups}" if self.groups != 1 else ""
        return f"{self._options()}{groups}, k={self.filters}"


class DepthwiseConv(_SlidingLayer):
    """One filter (or `multiplier` filters) per input channel: groups = channels."""

    kind: Literal["depthwise_conv"]
    multiplier: Positive = Field(default=1, description="Output channels per input channel.")
    stem = "dwconv"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        spatial_rank(x, "depthwise_conv")
        c_in = x[0]
        return _conv_counts(self, x, c, c_in * self.multiplier, c_in, "depthwise_conv")[1]

    def describe(self) -> str:
        mult = f", x{self.multiplier}" if self.multiplier != 1 else ""
        return f"{self._options()}{mult}"


class SeparableConv(_SlidingLayer):
    """Depthwise conv then a 1x1 pointwise conv; one bias, after the pointwise (as Keras)."""

    kind: Literal["separable_conv"]
    filters: Positive = Field(description="Output channels of the pointwise conv.")
    multiplier: Positive = Field(default=1, description="Depthwise output channels per input channel.")
    stem = "sepconv"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        c_in = x[0] if len(x) > 1 else 0
        geo = slide(x, "separable_conv", self.kernel, self.stride, self.padding, self.dilation)
        check_declared(self.in_channels, c_in, "in_channels", "channels")
        mid = c_in * self.multiplier
        positions = prod(geo.out)
        depthwise = mid * prod(geo.kernel)
        pointwise = mid * self.filters
        macs = positions * (depthwise + pointwise)
        biases = self.filters if self.bias and c.bias else 0
        out_elements = positions * self.filters
        return Counts(
            output=(self.filters, *geo.out),
            weights=depthwise + pointwise,
            biases=biases,
            macs=macs,
            flops=2 * macs + (out_elements if biases else 0) + activation_flops(self.activation, out_elements, c),
            warnings=geo.warnings,
            window=geo.window,
        )

    def describe(self) -> str:
        mult = f", x{self.multiplier}" if self.multiplier != 1 else ""
        return f"{self._options()}{mult}, k={self.filters}"


class ConvTranspose(_SlidingLayer):
    """Transposed ("fractionally strided") convolution, as PyTorch's ConvTranspose.

    Each input pixel scatters a kernel-sized patch: MACs = in_positions x c_in x
    (filters / groups) x prod(kernel). 'same' means output = input x stride.
    """

    kind: Literal["conv_transpose"]
    filters: Positive = Field(description="Number of output channels.")
    groups: Positive = Field(default=1, description="Grouped transposed convolution.")
    output_padding: NonNegative | list[NonNegative] = Field(
        default=0, description="Extra size added to one side of the output (PyTorch's output_padding)."
    )
    stem = "deconv"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, "conv_transpose")
        c_in = x[0]
        check_declared(self.in_channels, c_in, "in_channels", "channels")
        check_groups(c_in, self.filters, self.groups)
        k = per_dim(self.kernel, ndim, "kernel")
        s = per_dim(self.stride, ndim, "stride")
        d = per_dim(self.dilation, ndim, "dilation")
        op = per_dim(self.output_padding, ndim, "output_padding") if self.output_padding else (0,) * ndim
        pads = self._pads(k, s, d, op, x[1:])
        out = tuple(transposed_size(*args) for args in zip(x[1:], k, s, pads, d, op, strict=True))
        if min(out) <= 0:
            raise LayerRuleError(f"output size {min(out)}: the padding removes more than the layer adds", "padding")
        per_input = c_in * (self.filters // self.groups) * prod(k)
        macs = prod(x[1:]) * per_input
        biases = self.filters if self.bias and c.bias else 0
        out_elements = self.filters * prod(out)
        return Counts(
            output=(self.filters, *out),
            weights=per_input,
            biases=biases,
            macs=macs,
            flops=2 * macs + (out_elements if biases else 0) + activation_flops(self.activation, out_elements, c),
            ends_receptive_field=True,
        )

    def _pads(
        self, k: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...], op: tuple[int, ...], sizes: Shape
    ) -> tuple[Pair, ...]:
        if self.padding != "same":
            return resolve_padding(self.padding, sizes, k, s, d)
        pads: list[Pair] = []
        for kk, ss, dd, oo in zip(k, s, d, op, strict=True):
            total = effective_kernel(kk, dd) + oo - ss
            if total < 0:
                raise LayerRuleError(
                    f"'same' needs a kernel at least as large as the stride ({kk} < {ss})",
                    field="padding",
                    hint="use a kernel >= stride, or explicit padding",
                )
            pads.append((total // 2, total - total // 2))
        return tuple(pads)

    def describe(self) -> str:
        return f"{self._options()}, k={self.filters}"


class LocallyConnected(_SlidingLayer):
    """A conv whose weights are not shared: every output position has its own filters.

    Weights: out_positions x filters x c_in x prod(kernel); biases: one per output
    element (as Keras's LocallyConnected2D). MACs equal the shared conv's.
    """

    kind: Literal["locally_connected"]
    filters: Positive = Field(description="Output channels per position.")
    stem = "local"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        geo, shared = _conv_counts(self, x, c, self.filters, 1, "locally_connected")
        positions = prod(geo.out)
        out_elements = positions * self.filters
        biases = out_elements if self.bias and c.bias else 0
        return Counts(
            output=shared.output,
            weights=shared.weights * positions,
            biases=biases,
            macs=shared.macs,
            flops=2 * shared.macs
            + (out_elements if biases else 0)
            + activation_flops(self.activation, out_elements, c),
            warnings=shared.warnings,
            window=shared.window,
        )

    def describe(self) -> str:
        return f"{self._options()}, k={self.filters}"
