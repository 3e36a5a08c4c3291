"""Convolutions: standard, depthwise, separable, transposed, and locally connected.

Weights of a conv: filters x (c_in / groups) x prod(kernel); biases: filters.
MACs: one per weight use = out_positions x filters x (c_in / groups) x prod(kernel).
"""

from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.core.geometry import Pair, effective_kernel, transposed_size
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import (
    AXIS_NAMES,
    ActivationName,
    Counts,
    DslWord,
    LayerBase,
    NonNegative,
    PerDim,
    Positive,
    Shape,
    Step,
    check_declared,
    per_dim,
    spatial_rank,
    weighted_flops,
)
from cnncalc.layers.steps import fmt_dims, kernel_terms, param_steps, position_terms, weighted_flops_step
from cnncalc.layers.window import PaddingSpec, Sliding, fmt_padding, resolve_padding, slide, slide_steps

#: DSL options every convolution takes
_CONV_OPTIONS = ("s", "p", "d", "act", "nobias", "frozen")
#: the slides' mistakes with a sliding window's output size
_WINDOW_MISTAKES = frozenset({"ceil_not_floor", "wrong_padding", "off_by_one"})


def _conv_sheet_words(kind: str) -> dict[str, tuple[str, ...]]:
    """A sheet row saying 'conv', 'convolution' or 'convolutional' may be any convolution."""
    return dict.fromkeys(("conv", "convolution", "convolutional"), (kind,))


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

    def _window(self, x: Shape) -> Sliding:
        """The layer's window slid over x (`slide` with the layer's own hyper-parameters)."""
        return slide(x, self.kind, self.kernel, self.stride, self.padding, self.dilation)

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


def _conv_counts(layer: _SlidingLayer, x: Shape, c: Conventions, filters: int, groups: int) -> tuple[Sliding, Counts]:
    """The standard convolution rule, shared by conv and depthwise conv."""
    c_in = x[0] if len(x) > 1 else 0
    geo = layer._window(x)
    layer.check_rank(x)
    check_declared(layer.in_channels, c_in, "in_channels", "channels")
    check_groups(c_in, filters, groups)
    per_filter = (c_in // groups) * prod(geo.kernel)
    positions = prod(geo.out)
    biases = filters if layer.bias and c.bias else 0
    macs = positions * filters * per_filter
    counts = Counts(
        output=(filters, *geo.out),
        weights=filters * per_filter,
        biases=biases,
        macs=macs,
        flops=weighted_flops(macs, positions * filters, biases > 0, layer.activation, c),
        warnings=geo.warnings,
        window=geo.window,
    )
    return geo, counts


class Conv(_SlidingLayer):
    """Convolution over 1, 2 or 3 spatial axes (cross-correlation, as frameworks compute it)."""

    kind: Literal["conv"] = Field(description="conv (also conv1d, conv2d, conv3d, convolution).")
    filters: Positive = Field(description="Number of output channels (filters).", examples=[64])
    groups: Positive = Field(default=1, description="Grouped convolution: channels are split into this many groups.")
    stem = "conv"
    aliases: ClassVar[dict[str, str]] = {"conv1d": "conv", "conv2d": "conv", "conv3d": "conv", "convolution": "conv"}
    alias_ranks: ClassVar[dict[str, int]] = {"conv1d": 1, "conv2d": 2, "conv3d": 3}
    dsl_words = (DslWord("conv", "conv", "conv<k>-<filters>", "conv", (*_CONV_OPTIONS, "g"), "same", "conv3-64"),)
    sheet_words = _conv_sheet_words("conv")
    family = "conv"
    sheet_mistakes = _WINDOW_MISTAKES | {"forgot_input_depth", "ignored_groups", "stride_4"}

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return _conv_counts(self, x, c, self.filters, self.groups)[1]

    def describe(self) -> str:
        groups = f", g={self.groups}" if self.groups != 1 else ""
        return f"{self._options()}{groups}, k={self.filters}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        geo, counts = _conv_counts(self, x, c, self.filters, self.groups)
        axes = slide_steps(x, geo)
        return (*axes, *_conv_steps(self, x, c, self.filters, self.groups, geo, counts))


class DepthwiseConv(_SlidingLayer):
    """One filter (or `multiplier` filters) per input channel: groups = channels."""

    kind: Literal["depthwise_conv"] = Field(description="depthwise_conv (also dwconv, depthwise).")
    multiplier: Positive = Field(default=1, description="Output channels per input channel.")
    stem = "dwconv"
    aliases: ClassVar[dict[str, str]] = {"dwconv": "depthwise_conv", "depthwise": "depthwise_conv"}
    dsl_words = (DslWord("dwconv", "depthwise_conv", "dwconv<k>", "dwconv", (*_CONV_OPTIONS, "m"), "same", "dwconv3"),)
    sheet_words = _conv_sheet_words("depthwise_conv")
    family = "conv"
    sheet_mistakes = _WINDOW_MISTAKES

    def apply(self, x: Shape, c: Conventions) -> Counts:
        spatial_rank(x, "depthwise_conv")
        c_in = x[0]
        return _conv_counts(self, x, c, c_in * self.multiplier, c_in)[1]

    def describe(self) -> str:
        mult = f", x{self.multiplier}" if self.multiplier != 1 else ""
        return f"{self._options()}{mult}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        spatial_rank(x, "depthwise_conv")
        c_in, m = x[0], self.multiplier
        geo, counts = _conv_counts(self, x, c, c_in * m, c_in)
        kf_sym, kf_num = kernel_terms(geo.kernel)
        out_sym, out_num = ("c_in", str(c_in)) if m == 1 else ("(c_in*m)", f"({c_in}*{m})")
        params = _weight_steps(
            self,
            counts,
            (f"({kf_sym})*{out_sym}", f"({kf_num})*{out_num}"),
            (f"(({kf_sym})+1)*{out_sym}", f"(({kf_num})+1)*{out_num}", out_sym, out_num),
            "one filter per input channel: each filter has f*f taps and sees a single channel",
        )
        pos_sym, pos_num = position_terms(counts.output[1:])
        macs = (f"({pos_sym}*{out_sym})*({kf_sym})", f"({pos_num}*{out_num})*({kf_num})")
        axes = slide_steps(x, geo)
        return (*axes, *_channel_steps(self, c, counts, (out_sym, out_num), params, macs))


class SeparableConv(_SlidingLayer):
    """Depthwise conv then a 1x1 pointwise conv; one bias, after the pointwise (as Keras)."""

    kind: Literal["separable_conv"] = Field(description="separable_conv (also sepconv, separable).")
    filters: Positive = Field(description="Output channels of the pointwise conv.")
    multiplier: Positive = Field(default=1, description="Depthwise output channels per input channel.")
    stem = "sepconv"
    aliases: ClassVar[dict[str, str]] = {"sepconv": "separable_conv", "separable": "separable_conv"}
    dsl_words = (
        DslWord(
            "sepconv", "separable_conv", "sepconv<k>-<filters>", "conv", (*_CONV_OPTIONS, "m"), "same", "sepconv3-64"
        ),
    )
    sheet_words = _conv_sheet_words("separable_conv")
    family = "conv"
    sheet_mistakes = _WINDOW_MISTAKES | {"forgot_input_depth"}

    def apply(self, x: Shape, c: Conventions) -> Counts:
        c_in = x[0] if len(x) > 1 else 0
        geo = self._window(x)
        check_declared(self.in_channels, c_in, "in_channels", "channels")
        mid = c_in * self.multiplier
        positions = prod(geo.out)
        depthwise = mid * prod(geo.kernel)
        pointwise = mid * self.filters
        macs = positions * (depthwise + pointwise)
        biases = self.filters if self.bias and c.bias else 0
        return Counts(
            output=(self.filters, *geo.out),
            weights=depthwise + pointwise,
            biases=biases,
            macs=macs,
            flops=weighted_flops(macs, positions * self.filters, biases > 0, self.activation, c),
            warnings=geo.warnings,
            window=geo.window,
        )

    def describe(self) -> str:
        mult = f", x{self.multiplier}" if self.multiplier != 1 else ""
        return f"{self._options()}{mult}, k={self.filters}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        c_in, m, k = x[0], self.multiplier, self.filters
        kf_sym, kf_num = kernel_terms(per_dim(self.kernel, len(x) - 1, "kernel"))
        mid_sym, mid_num = ("c_in", str(c_in)) if m == 1 else ("(c_in*m)", f"({c_in}*{m})")
        w_sym, w_num = f"{kf_sym}*{mid_sym} + {mid_sym}*k", f"{kf_num}*{mid_num} + {mid_num}*{k}"
        note = "depthwise f*f filter per channel, then a 1x1 pointwise conv to k channels; one bias per output channel"
        params = _weight_steps(self, counts, (w_sym, w_num), (f"{w_sym} + k", f"{w_num} + {k}", "k", str(k)), note)
        pos_sym, pos_num = position_terms(counts.output[1:])
        return (
            *slide_steps(x, self._window(x)),
            *_channel_steps(
                self, c, counts, ("k", str(k)), params, (f"({pos_sym})*({w_sym})", f"({pos_num})*({w_num})")
            ),
        )


class ConvTranspose(_SlidingLayer):
    """Transposed ("fractionally strided") convolution, as PyTorch's ConvTranspose.

    Each input pixel scatters a kernel-sized patch: MACs = in_positions x c_in x
    (filters / groups) x prod(kernel). 'same' means output = input x stride.
    """

    kind: Literal["conv_transpose"] = Field(
        description="conv_transpose (also deconv, transposed_conv, conv_transpose2d)."
    )
    filters: Positive = Field(description="Number of output channels.")
    groups: Positive = Field(default=1, description="Grouped transposed convolution.")
    output_padding: NonNegative | list[NonNegative] = Field(
        default=0, description="Extra size added to one side of the output (PyTorch's output_padding)."
    )
    stem = "deconv"
    aliases: ClassVar[dict[str, str]] = dict.fromkeys(
        ("deconv", "transposed_conv", "conv_transpose2d"), "conv_transpose"
    )
    dsl_words = (
        DslWord(
            "deconv",
            "conv_transpose",
            "deconv<k>-<filters>",
            "conv",
            (*_CONV_OPTIONS, "g", "op"),
            "same",
            "deconv3-64",
        ),
    )
    alias_ranks: ClassVar[dict[str, int]] = {"conv_transpose2d": 2}
    sheet_words = _conv_sheet_words("conv_transpose")
    family = "conv"
    sheet_mistakes = frozenset({"forgot_input_depth"})

    def apply(self, x: Shape, c: Conventions) -> Counts:
        spatial_rank(x, "conv_transpose")
        self.check_rank(x)
        c_in = x[0]
        check_declared(self.in_channels, c_in, "in_channels", "channels")
        check_groups(c_in, self.filters, self.groups)
        k, s, d, op, pads = self.geometry(x)
        out = tuple(transposed_size(*args) for args in zip(x[1:], k, s, pads, d, op, strict=True))
        if min(out) <= 0:
            raise LayerRuleError(
                f"output size {min(out)}: the padding removes more than the layer adds",
                "padding",
                hint="output = (n - 1)*s - 2p + d*(f - 1) + output_padding + 1: use less padding or a larger kernel",
            )
        per_input = c_in * (self.filters // self.groups) * prod(k)
        macs = prod(x[1:]) * per_input
        biases = self.filters if self.bias and c.bias else 0
        return Counts(
            output=(self.filters, *out),
            weights=per_input,
            biases=biases,
            macs=macs,
            flops=weighted_flops(macs, self.filters * prod(out), biases > 0, self.activation, c),
            ends_receptive_field=True,
        )

    def geometry(
        self, x: Shape
    ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[Pair, ...]]:
        """Kernel, stride, dilation, output padding and (before, after) padding per spatial axis,
        resolved for x: what the rule, its explanation and the PyTorch export all start from."""
        ndim = len(x) - 1
        k = per_dim(self.kernel, ndim, "kernel")
        s = per_dim(self.stride, ndim, "stride")
        d = per_dim(self.dilation, ndim, "dilation")
        op = per_dim(self.output_padding, ndim, "output_padding") if self.output_padding else (0,) * ndim
        _check_output_padding(op, s, d)
        return k, s, d, op, self._pads(k, s, d, op, x[1:])

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

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        ndim = len(x) - 1
        k, s, d, op, pads = self.geometry(x)
        steps: list[Step] = []
        for axis, (n, kk, ss, dd, p, oo) in enumerate(zip(x[1:], k, s, d, pads, op, strict=True)):
            sym, num = "(n - 1)*s", f"({n} - 1)*{ss}"
            if p[0] == p[1] and p[0]:
                sym, num = f"{sym} - 2*p", f"{num} - 2*{p[0]}"
            elif p != (0, 0):
                sym, num = f"{sym} - p_b - p_a", f"{num} - {p[0]} - {p[1]}"
            sym, num = (
                (f"{sym} + (f - 1)", f"{num} + ({kk} - 1)")
                if dd == 1
                else (f"{sym} + d*(f - 1)", f"{num} + {dd}*({kk} - 1)")
            )
            if oo:
                sym, num = f"{sym} + op", f"{num} + {oo}"
            name = AXIS_NAMES[ndim][axis]
            steps.append(
                Step(f"output {name}", "output", f"{sym} + 1", f"{num} + 1", counts.output[axis + 1], axis=axis + 1)
            )
        kf_sym, kf_num = kernel_terms(k)
        g = self.groups
        per_sym, per_num = (
            ("c_in*k", f"{x[0]}*{self.filters}") if g == 1 else ("c_in*(k/g)", f"{x[0]}*({self.filters}/{g})")
        )
        w_sym, w_num = f"{per_sym}*{kf_sym}", f"{per_num}*{kf_num}"
        k_num = str(self.filters)
        params = _weight_steps(self, counts, (w_sym, w_num), (f"{w_sym} + k", f"{w_num} + {k_num}", "k", k_num), "")
        in_sym = "*".join(f"in_{a}" for a in AXIS_NAMES[ndim])
        in_num = "*".join(str(n) for n in x[1:])
        macs = (f"({in_sym})*({w_sym})", f"({in_num})*({w_num})")
        note = "each input position scatters a whole kernel into the output"
        return (*steps, *_channel_steps(self, c, counts, ("k", k_num), params, macs, note))


def _check_output_padding(op: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...]) -> None:
    """output_padding picks one of the sizes a strided conv maps onto one input size: below the
    stride (or the dilation), as PyTorch requires."""
    for axis, (oo, ss, dd) in enumerate(zip(op, s, d, strict=True)):
        if oo >= ss and oo >= dd:
            name = AXIS_NAMES[len(op)][axis]
            raise LayerRuleError(
                f"output_padding {oo} along {name} must be smaller than the stride ({ss}) or the dilation ({dd})",
                field="output_padding",
                hint=f"use output_padding below {max(ss, dd)}: larger values add rows no input reaches "
                "(PyTorch refuses them)",
            )


class LocallyConnected(_SlidingLayer):
    """A conv whose weights are not shared: every output position has its own filters.

    Weights: out_positions x filters x c_in x prod(kernel); biases: one per output
    element (as Keras's LocallyConnected2D). MACs equal the shared conv's.
    """

    kind: Literal["locally_connected"] = Field(description="locally_connected (also local).")
    filters: Positive = Field(description="Output channels per position.")
    stem = "local"
    aliases: ClassVar[dict[str, str]] = {"local": "locally_connected"}
    #: padding 0 by default, as Keras
    dsl_words = (DslWord("lc", "locally_connected", "lc<k>-<filters>", "conv", _CONV_OPTIONS, 0, "lc3-64"),)
    sheet_words = _conv_sheet_words("locally_connected")
    family = "conv"
    sheet_mistakes = _WINDOW_MISTAKES | {"forgot_input_depth"}

    def apply(self, x: Shape, c: Conventions) -> Counts:
        geo, shared = _conv_counts(self, x, c, self.filters, 1)
        positions = prod(geo.out)
        out_elements = positions * self.filters
        biases = out_elements if self.bias and c.bias else 0
        return Counts(
            output=shared.output,
            weights=shared.weights * positions,
            biases=biases,
            macs=shared.macs,
            flops=weighted_flops(shared.macs, out_elements, biases > 0, self.activation, c),
            warnings=shared.warnings,
            window=shared.window,
        )

    def describe(self) -> str:
        return f"{self._options()}, k={self.filters}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        k = self.filters
        kf_sym, kf_num = kernel_terms(per_dim(self.kernel, len(x) - 1, "kernel"))
        pos_sym, pos_num = position_terms(counts.output[1:])
        w_sym, w_num = f"({pos_sym})*({kf_sym}*c_in)*k", f"({pos_num})*({kf_num}*{x[0]})*{k}"
        biased = (
            f"({pos_sym})*(({kf_sym}*c_in)*k + k)",
            f"({pos_num})*(({kf_num}*{x[0]})*{k} + {k})",
            f"{pos_sym}*k",
            f"{pos_num}*{k}",
        )
        note = "unshared weights: every output position has its own filters and biases"
        params = _weight_steps(self, counts, (w_sym, w_num), biased, note, bias_note=False)
        macs = (f"({pos_sym}*k)*({kf_sym}*c_in)", f"({pos_num}*{k})*({kf_num}*{x[0]})")
        axes = slide_steps(x, self._window(x))
        return (*axes, *_channel_steps(self, c, counts, ("k", str(k)), params, macs))


def _bias_note(layer: _SlidingLayer, counted: int) -> str:
    if counted:
        return ""
    return "no bias (bias: false)" if not layer.bias else "biases not counted (--no-bias)"


def _conv_steps(
    layer: _SlidingLayer, x: Shape, c: Conventions, filters: int, groups: int, geo: Sliding, counts: Counts
) -> tuple[Step, ...]:
    """Channels, params (per group for grouped convs) and MACs of a standard convolution."""
    c_in = x[0]
    kf_sym, kf_num = kernel_terms(geo.kernel)
    if groups == 1:
        per_sym, per_num = f"{kf_sym}*c_in", f"{kf_num}*{c_in}"
        note = ""
    else:
        per_sym, per_num = f"{kf_sym}*(c_in/g)", f"{kf_num}*({c_in}/{groups})"
        note = (
            f"{groups} groups of {filters // groups} filters; each filter sees only its group's "
            f"{c_in}/{groups} = {c_in // groups} input channels"
        )
    biased = (f"(({per_sym})+1)*k", f"(({per_num})+1)*{filters}", "k", str(filters))
    unbiased = (f"({per_sym})*k", f"({per_num})*{filters}")
    params = _weight_steps(layer, counts, (f"{per_sym}*k", f"{per_num}*{filters}"), biased, note, unbiased)
    pos_sym, pos_num = position_terms(counts.output[1:])
    macs = (f"({pos_sym}*k)*({per_sym})", f"({pos_num}*{filters})*({per_num})")
    return _channel_steps(layer, c, counts, ("k", str(filters)), params, macs)


def _weight_steps(
    layer: _SlidingLayer,
    counts: Counts,
    weights: tuple[str, str],
    biased: tuple[str, str, str, str],
    note: str,
    unbiased: tuple[str, str] | None = None,
    bias_note: bool = True,
) -> tuple[Step, ...]:
    """Params, weights and biases of a convolution, with or without its counted biases.

    weights: (formula, expression); biased: the params' formula and expression when biases
    count, then the biases' own; unbiased: the params' terms without biases (the weights'
    by default). The note says why no bias is counted unless bias_note is False.
    """
    if counts.biases:
        params, biases = biased[:2], (*biased[2:], counts.biases)
    else:
        params, biases = unbiased or weights, ("0", "0", 0)
    if bias_note:
        note = "; ".join(n for n in (note, _bias_note(layer, counts.biases)) if n)
    return param_steps((*weights, counts.weights), biases, params, note)


def _channel_steps(
    layer: _SlidingLayer,
    c: Conventions,
    counts: Counts,
    channels: tuple[str, str],
    params: tuple[Step, ...],
    macs: tuple[str, str],
    macs_note: str = "",
) -> tuple[Step, ...]:
    """Output channels, parameters, MACs and FLOPs, in the order and wording every convolution
    explains them after its spatial axes: only the terms differ by kind.

    channels, macs: (formula, expression); the FLOPs count one bias add per output value,
    output positions x channels.
    """
    pos_sym, pos_num = position_terms(counts.output[1:])
    elements = (f"{pos_sym}*{channels[0]}", f"{pos_num}*{channels[1]}", prod(counts.output))
    return (
        Step("output C", "output", channels[0].strip("()"), channels[1].strip("()"), counts.output[0], axis=0),
        *params,
        Step("MACs", "macs", *macs, counts.macs, note=macs_note),
        weighted_flops_step(counts.macs, elements, counts.biases > 0, layer.activation, c),
    )
