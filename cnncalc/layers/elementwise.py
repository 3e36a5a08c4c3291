"""Layers that keep the shape: activations, dropout, batch norm, LRN, flatten; and element-wise
scales, layer norm, channel shuffles and slices.

Activations and dropout are applied in place by default (Conventions.inplace_activations):
they allocate no activation memory, so a separate ReLU layer and a Keras-style
`activation: relu` give the same totals.
"""

from __future__ import annotations

from math import prod
from typing import ClassVar, Literal, get_args

from pydantic import Field

from cnncalc.core.conventions import ACTIVATION_FLOPS, Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import (
    AXIS_NAMES,
    ActivationKind,
    Counts,
    DslWord,
    LayerBase,
    NonNegative,
    Positive,
    Shape,
    Step,
    spatial_rank,
)
from cnncalc.layers.steps import (
    channels_last_terms,
    elementwise_flops_step,
    no_params_steps,
    param_steps,
    unchanged_steps,
)


class Activation(LayerBase):
    """An element-wise function; its FLOPs per element are in Conventions.activation_flops."""

    kind: ActivationKind = Field(description="The activation function (also leakyrelu, silu, hardswish).")
    negative_slope: float = Field(default=0.01, ge=0, description="Slope for x < 0 (leaky_relu only).")
    stem = "act"
    aliases: ClassVar[dict[str, str]] = {"leakyrelu": "leaky_relu", "silu": "swish", "hardswish": "hard_swish"}
    #: each function by its name, written without '_' (leakyrelu), and its aliases (silu)
    dsl_words = tuple(
        DslWord(
            word,
            kind,
            word,
            options=("slope",) if kind == "leaky_relu" else (),
            example="relu (and the other activations)" if kind == "relu" else "",
        )
        for word, kind in {
            **{kind.replace("_", ""): kind for kind in get_args(ActivationKind)},
            **{alias.replace("_", ""): kind for alias, kind in aliases.items()},
        }.items()
    )
    #: a lecture table names these two; the others are rarely a row of their own
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"relu": ("relu",), "softmax": ("softmax",)}
    family = "activation"

    def default_stem(self) -> str:
        return self.kind

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, flops=c.activation_flops[self.kind] * prod(x), inplace=c.inplace_activations)

    def describe(self) -> str:
        return f"slope {self.negative_slope}" if self.kind == "leaky_relu" else ""

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        if self.kind != "softmax":
            why = f"{self.kind} is applied to each value on its own"
        elif len(x) == 1:
            why = f"softmax normalises over all {x[0]} values: exp(x_i)/sum_j exp(x_j), so they sum to 1"
        else:
            why = "softmax normalises over the channels at each position: exp(x_i)/sum_j exp(x_j), summing to 1"
        per = c.activation_flops[self.kind]
        how = f" ({_ACTIVATION_WORK[self.kind]})" if per == ACTIVATION_FLOPS[self.kind] else ""
        note = f"{self.kind}: {per} FLOP{'' if per == 1 else 's'} per value{how}"
        return (
            *unchanged_steps(x, why),
            *no_params_steps(f"no parameters to learn: {self.kind} is a fixed function"),
            elementwise_flops_step((str(per), str(per), per), x, counts.flops, note),
        )


#: the work behind each activation's FLOPs in the default conventions (cnncalc.core.conventions)
_ACTIVATION_WORK = {
    "relu": "max(x, 0)",
    "relu6": "min(max(x, 0), 6)",
    "leaky_relu": "a multiply and a max",
    "elu": "exp, subtract, multiply on the negative side",
    "selu": "elu and a scale",
    "gelu": "tanh approximation: cube, multiply-add, tanh, add, multiply",
    "sigmoid": "exp, add, divide",
    "tanh": "one transcendental",
    "softmax": "exp, add to the sum, divide by it",
    "swish": "a sigmoid and a multiply",
    "hard_swish": "add, clip, multiply, divide",
    "hard_sigmoid": "add, clip, divide",
    "softplus": "exp, add, log",
}


class Dropout(LayerBase):
    """Identity at inference: no FLOPs, no memory (the mask exists only in training)."""

    kind: Literal["dropout"] = Field(description="dropout: no params, no cost at inference.")
    rate: float = Field(default=0.5, ge=0, lt=1, description="Fraction of units dropped during training.")
    stem = "dropout"
    dsl_words = (DslWord("dropout", "dropout", "dropout[-<rate>]", "rate", example="dropout[-0.5]"),)
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"dropout": ("dropout",)}
    family = "regularization"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, inplace=c.inplace_activations)

    def describe(self) -> str:
        return f"p={self.rate}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        self.apply(x, c)
        why = "the identity at inference (a random mask only in training)"
        return (
            *unchanged_steps(x, why),
            *no_params_steps("no parameters to learn: dropout only zeroes values"),
            elementwise_flops_step(("0", "0", 0), x, 0, "the identity at inference: no arithmetic"),
        )


class BatchNorm(LayerBase):
    """Batch normalisation over channels (inference: one multiply-add per element).

    Trainable: gamma and beta, 2 per channel (when affine). Running mean and variance,
    2 per channel, are state; counted as non-trainable params only under Keras's
    convention (Conventions.bn_running_stats). Keras can learn one without the other
    (`scale=False`: Inception's batch norms learn only beta, as a ReLU follows), so each
    can be turned off on its own.
    """

    kind: Literal["batch_norm"] = Field(description="batch_norm (also bn, batchnorm).")
    affine: bool = Field(default=True, description="Learn a scale (gamma) and shift (beta) per channel.")
    scale: bool = Field(default=True, description="Learn the scale gamma (Keras's `scale`; only with affine).")
    center: bool = Field(default=True, description="Learn the shift beta (Keras's `center`; only with affine).")
    epsilon: float = Field(default=1e-5, gt=0, description="Added to the variance for stability.")
    stem = "bn"
    aliases: ClassVar[dict[str, str]] = {"batchnorm": "batch_norm", "bn": "batch_norm"}
    dsl_words = (
        DslWord("bn", "batch_norm", "bn", options=("eps", "noaffine", "frozen"), example="bn"),
        DslWord("batchnorm", "batch_norm", "batchnorm", options=("eps", "noaffine", "frozen")),
    )
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = dict.fromkeys(("norm", "bn", "batchnorm"), ("batch_norm",))
    family = "norm"
    #: running mean and variance
    state_per_channel = 2

    @property
    def learns_scale(self) -> bool:
        """Whether gamma is learned: affine, and not turned off alone."""
        return self.affine and self.scale

    @property
    def learns_shift(self) -> bool:
        """Whether beta is learned: affine, and not turned off alone."""
        return self.affine and self.center

    def describe(self) -> str:
        if self.affine and self.scale != self.center:
            return "learns beta only" if self.center else "learns gamma only"
        return ""

    def apply(self, x: Shape, c: Conventions) -> Counts:
        channels = x[0]
        return Counts(
            output=x,
            weights=channels if self.learns_scale else 0,
            biases=channels if self.learns_shift else 0,
            non_trainable=self.state_per_channel * channels if c.bn_running_stats else 0,
            flops=2 * prod(x),
        )

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        ch = str(x[0])
        if self.learns_scale and self.learns_shift:
            params, note = ("2*c", f"2*{ch}"), "a scale gamma (weight) and a shift beta (bias) per channel"
            weights, biases = ("c", ch, counts.weights), ("c", ch, counts.biases)
        elif self.learns_scale:
            params, note = ("c", ch), "a scale gamma (weight) per channel; no shift (center: false)"
            weights, biases = ("c", ch, counts.weights), ("0", "0", 0)
        elif self.learns_shift:
            params, note = ("c", ch), "a shift beta (bias) per channel; no scale (scale: false)"
            weights, biases = ("0", "0", 0), ("c", ch, counts.biases)
        else:
            params, note = ("0", "0"), "affine: false, nothing to learn"
            weights, biases = ("0", "0", 0), ("0", "0", 0)
        steps = list(param_steps(weights, biases, params, note))
        if counts.non_trainable:
            state = Step("running stats", "non_trainable", "2*c", f"2*{ch}", counts.non_trainable)
            total = counts.weights + counts.biases + counts.non_trainable
            steps[0] = Step(
                "params",
                "params",
                f"{params[0]} + 2*c",
                f"{params[1]} + 2*{ch}",
                total,
                note=f"{note}; running mean and variance counted as non-trainable (Keras)",
            )
            steps.append(state)
        return (
            *unchanged_steps(x, "normalises each channel"),
            *steps,
            Step("MACs", "macs", "0", "0", 0, note="a multiply and an add per value, counted as FLOPs"),
            elementwise_flops_step(
                ("2", "2", 2), x, counts.flops, "inference: a folded scale and shift, a multiply and an add per value"
            ),
        )


class LocalResponseNorm(LayerBase):
    """AlexNet's local response normalisation across `size` neighbouring channels.

    FLOPs per element: size squares + (size - 1) adds + scale by alpha/size + add k
    + power beta + divide = 2*size + 3.
    """

    kind: Literal["lrn"] = Field(description="lrn: local response normalisation (also local_response_norm).")
    size: Positive = Field(default=5, description="Number of neighbouring channels summed.")
    alpha: float = Field(default=1e-4, description="Scale of the sum of squares.")
    beta: float = Field(default=0.75, description="Exponent.")
    k: float = Field(default=2.0, description="Additive constant.")
    stem = "lrn"
    aliases: ClassVar[dict[str, str]] = {"local_response_norm": "lrn"}
    dsl_words = (DslWord("lrn", "lrn", "lrn[<size>]", "size", ("alpha", "beta", "k"), example="lrn[5]"),)
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"norm": ("lrn",), "lrn": ("lrn",)}
    family = "norm"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        spatial_rank(x, "lrn")  # normalises across the channels of a map, as PyTorch requires
        return Counts(output=x, flops=(2 * self.size + 3) * prod(x))

    def describe(self) -> str:
        return f"size {self.size}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        why = f"no parameters to learn: divides each value by a sum over {self.size} neighbouring channels"
        per = ("2*size + 3", f"2*{self.size} + 3", 2 * self.size + 3)
        note = "per value: size squares, size - 1 adds, a scale, an add, a power and a divide"
        return (
            *unchanged_steps(x, "normalises across channels"),
            *no_params_steps(why),
            elementwise_flops_step(per, x, counts.flops, note),
        )


class Flatten(LayerBase):
    """(C, *spatial) -> (C x prod(spatial),): a view, so no new memory and no FLOPs."""

    kind: Literal["flatten"] = Field(description="flatten: a view of the input as a vector.")
    stem = "flatten"
    dsl_words = (DslWord("flatten", "flatten", "flatten", example="flatten"),)
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"flatten": ("flatten",)}
    family = "reshape"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=(prod(x),), inplace=True, ends_receptive_field=True)

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        sym, num = channels_last_terms(x)
        return (
            Step("output units", "output", sym, num, counts.output[0], note="the map laid out as one vector", axis=0),
            *no_params_steps("no parameters to learn: a flatten only reshapes"),
            Step("FLOPs", "flops", "0", "0", 0, note="a view of the same values: no arithmetic"),
        )


ScaleOp = Literal["multiply", "add", "subtract", "divide", "power"]


class Scale(LayerBase):
    """An element-wise operation with a constant: a fixed scale or offset (0 params), or a
    learned factor per channel (ConvNeXt's layer scale: C weights). One FLOP per value.

    Exported graphs write these as Mul, Add, Sub, Div or Pow with a constant operand: the
    scalar of a stochastic depth at inference, the `x + 3` of a hard swish, an input rescaling.
    """

    kind: Literal["scale"] = Field(description="scale: an element-wise operation with a constant.")
    op: ScaleOp = Field(default="multiply", description="The operation applied with the constant.")
    learned: bool = Field(default=False, description="One learned constant per channel (C weights), not a fixed one.")
    value: float = Field(default=1.0, description="The fixed constant (not read from model files: 1 by default).")
    stem = "scale"
    dsl_words = (DslWord("scale", "scale", "scale", example="scale"),)
    family = "arithmetic"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, weights=x[0] if self.learned else 0, flops=prod(x))

    def describe(self) -> str:
        return f"{self.op}, learned per channel" if self.learned else self.op

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        why = f"{self.op} each value by a constant"
        if self.learned:
            ch = str(x[0])
            params = param_steps(
                ("c", ch, counts.weights), ("0", "0", 0), ("c", ch), "one learned constant per channel"
            )
            steps: tuple[Step, ...] = (
                *params,
                Step("MACs", "macs", "0", "0", 0, note="one operation per value, counted as FLOPs"),
            )
        else:
            steps = no_params_steps("no parameters to learn: a fixed constant")
        return (
            *unchanged_steps(x, why),
            *steps,
            elementwise_flops_step(("1", "1", 1), x, counts.flops, f"one {self.op} per value"),
        )


#: FLOPs per value of a layer norm: add to the mean, subtract it, square and add to the
#: variance, scale by the inverse deviation, and the learned scale and shift
LAYER_NORM_FLOPS = 7


class LayerNorm(LayerBase):
    """Layer normalisation over the channels at each position (ConvNeXt's, Keras's axis -1).

    Trainable: a scale and a shift per channel (when affine), 2 x C. FLOPs per value: 7.
    """

    kind: Literal["layer_norm"] = Field(description="layer_norm: normalises the channels at each position.")
    affine: bool = Field(default=True, description="Learn a scale and a shift per channel.")
    epsilon: float = Field(default=1e-5, gt=0, description="Added to the variance for stability.")
    stem = "ln"
    dsl_words = (DslWord("ln", "layer_norm", "ln", example="ln"), DslWord("layernorm", "layer_norm", "layernorm"))
    family = "norm"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        channels = x[0] if self.affine else 0
        return Counts(output=x, weights=channels, biases=channels, flops=LAYER_NORM_FLOPS * prod(x))

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        ch = str(x[0])
        if self.affine:
            params = param_steps(
                ("c", ch, counts.weights),
                ("c", ch, counts.biases),
                ("2*c", f"2*{ch}"),
                "a scale and a shift per channel",
            )
        else:
            params = param_steps(("0", "0", 0), ("0", "0", 0), ("0", "0"), "affine: false, nothing to learn")
        note = "per value: add to the mean, subtract it, square and add, scale, and the learned scale and shift"
        return (
            *unchanged_steps(x, "normalises the channels at each position"),
            *params,
            Step("MACs", "macs", "0", "0", 0, note="element-wise work, counted as FLOPs"),
            elementwise_flops_step(("7", "7", LAYER_NORM_FLOPS), x, counts.flops, note),
        )


class ChannelShuffle(LayerBase):
    """ShuffleNet's channel shuffle: the channels as a (groups, C/groups) grid, transposed.
    Same shape, no params, no arithmetic (a copy)."""

    kind: Literal["channel_shuffle"] = Field(description="channel_shuffle: interleave the channels of `groups` groups.")
    groups: Positive = Field(default=2, description="Groups whose channels are interleaved.")
    stem = "shuffle"
    family = "reshape"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        if x[0] % self.groups:
            raise LayerRuleError(
                f"channel_shuffle of {x[0]} channels in {self.groups} groups: they must divide",
                field="groups",
            )
        return Counts(output=x)

    def describe(self) -> str:
        return f"groups {self.groups}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        self.apply(x, c)
        return (
            *unchanged_steps(x, f"reorders the channels of {self.groups} groups"),
            *no_params_steps("no parameters to learn: a channel shuffle only moves values"),
            Step("FLOPs", "flops", "0", "0", 0, note="a copy: no arithmetic"),
        )


class ChannelSlice(LayerBase):
    """Channels `start` to `stop` (not included) of the input: one half of ShuffleNet's split.
    A view: no params, no arithmetic."""

    kind: Literal["channel_slice"] = Field(description="channel_slice: channels start to stop of the input.")
    start: NonNegative = Field(default=0, description="First channel kept.")
    stop: Positive = Field(description="One past the last channel kept.")
    stem = "slice"
    family = "reshape"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        if not self.start < self.stop <= x[0]:
            raise LayerRuleError(
                f"channel_slice {self.start}:{self.stop} of {x[0]} channels: it must be a non-empty part of them",
                field="stop",
            )
        return Counts(output=(self.stop - self.start, *x[1:]), inplace=True)

    def describe(self) -> str:
        return f"channels {self.start}:{self.stop}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        names = AXIS_NAMES.get(len(x) - 1, ())
        steps = [Step("output C", "output", "stop - start", f"{self.stop} - {self.start}", counts.output[0], axis=0)]
        steps += [
            Step(f"output {n}", "output", "unchanged", str(v), v, axis=i + 1)
            for i, (n, v) in enumerate(zip(names, x[1:], strict=True))
        ]
        return (
            *steps,
            *no_params_steps("no parameters to learn: a slice only selects channels"),
            Step("FLOPs", "flops", "0", "0", 0, note="a view: no arithmetic"),
        )
