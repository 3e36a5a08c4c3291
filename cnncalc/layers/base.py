"""What every layer kind shares: the pydantic base, the integer types, the result record.

Shapes are per sample and channels-first inside cnncalc: (C, *spatial) for a feature
map, (N,) for a flat vector. The layout a user writes (HWC or CHW) is translated at
the edges only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ModelWrapValidatorHandler, PrivateAttr, model_validator

from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """One number of a layer, worked out as the lecture does it by hand.

    `formula` is the rule in symbols, `expression` the same rule with this layer's numbers
    filled in, and `value` what it comes to. Both are written in the small arithmetic
    language of cnncalc.core.algebra (+ - * /, parentheses, floor(), ceil(), max()), so
    the tests can evaluate every expression and check it gives `value`, and that `value`
    is the Report's number: an explanation cannot drift from the rule that computes it.

    field names the Report number the step gives: "output" (one axis of the channels-first
    output shape, `axis`), "inputs" (a dense layer's flattened inputs), "weights", "biases",
    "non_trainable", "params", "macs" or "flops" (both per sample; the FLOPs as the
    counting conventions state them: 2 x MACs, one add per bias, and the element-wise work).
    """

    quantity: str
    field: str
    formula: str
    expression: str
    value: int
    note: str = ""
    axis: int | None = None


#: largest integer a spec may hold: refuses absurd sizes before any arithmetic.
MAX_INT = 2**31 - 1

Positive = Annotated[int, Field(strict=True, ge=1, le=MAX_INT)]
NonNegative = Annotated[int, Field(strict=True, ge=0, le=MAX_INT)]
PerDim = Positive | list[Positive]
ActivationKind = Literal[
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "swish",
    "hard_swish",
    "hard_sigmoid",
    "softplus",
]
#: `activation:` on a conv or dense layer may also be `linear` (the identity, as in Keras);
#: as a layer kind, `linear` means a dense layer (PyTorch's nn.Linear)
ActivationName = ActivationKind | Literal["linear"]


@dataclass(frozen=True)
class Counts:
    """What one layer does to one sample: its output and what it costs.

    macs and flops are per sample; the analysis multiplies them by the batch.
    inplace: the output overwrites (or is a view of) the input, so no new memory.
    """

    output: Shape
    weights: int = 0
    biases: int = 0
    non_trainable: int = 0
    macs: int = 0
    flops: int = 0
    inplace: bool = False
    warnings: tuple[str, ...] = ()
    #: per spatial axis (effective kernel, stride, padding before) of a sliding window,
    #: for the receptive-field recurrence; None for layers that keep positions (1, 1, 0)
    window: tuple[tuple[int, int, int], ...] | None = None
    #: the output no longer has positions of the input (dense, global pool, flatten,
    #: upsampling): receptive fields stop here
    ends_receptive_field: bool = False


Refs = str | list[str]


@dataclass(frozen=True)
class DslWord:
    """How a layer kind is written in the one-line DSL (cnncalc.spec.dsl).

    word: the word's letters, lower case without '_' (`maxpool`); the parser folds what
    people type the same way. grammar: what may follow the letters, one of the DSL's
    forms: "conv" (`<k>-<filters>`), "dwconv" (`<k>`), "pool" (`[<k>][/<stride>]`),
    "units" (`-<units>`), "rate" (`[-<rate>]`), "size" (`[<size>]`), "none".
    options: the DSL option keys the word takes (`s`, `p`, `act`, `nobias`, ...).
    padding: the DSL's default padding, always written (VGG's conv3-64 keeps the size).
    example: shown in the list of layers when a word is not known.
    """

    word: str
    kind: str
    form: str
    grammar: str = "none"
    options: tuple[str, ...] = ()
    padding: str | int | None = None
    example: str = ""


class LayerBase(BaseModel):
    """Fields every layer accepts; subclasses add their hyper-parameters and rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    kind: str = Field(description="The layer kind (docs/kinds.md), e.g. conv, max_pool, dense, relu.")
    name: str | None = Field(
        default=None,
        description="Label shown in reports; defaults to the kind and a running number (conv1, conv2, ...).",
        examples=["CONV1"],
        max_length=200,
    )
    id: str | None = Field(
        default=None, description="Handle other layers use in `from:`.", max_length=200, examples=["main", "shortcut"]
    )
    from_: Refs | None = Field(
        default=None,
        alias="from",
        description="The layer(s) this one reads, by id or name; `input` is the network's (or block's) input. "
        "Defaults to the layer before.",
        examples=["conv1", ["main", "shortcut"]],
    )
    shares: str | None = Field(
        default=None,
        description="Reuse the weights of this layer (by id or name): its params count once.",
        examples=["tower_a.conv1"],
    )
    when: bool = Field(
        default=True, description="In a block: false makes this layer the identity (e.g. `when: $project`)."
    )
    trainable: bool = Field(
        default=True,
        description="false freezes the layer's weights (transfer learning: Keras's `layer.trainable = False`, "
        "PyTorch's `requires_grad_(False)`): they count as non-trainable params and get no gradient "
        "or optimizer state. Only a layer with weights takes it.",
    )

    #: stem of default names, e.g. "conv" -> conv1, conv2
    stem: ClassVar[str] = "layer"

    # --- what the kind registry (cnncalc.layers.registry) reads: everything about a kind, here ---

    #: other spellings of this class's kinds (PyTorch, Keras, the slides) -> the canonical kind
    aliases: ClassVar[dict[str, str]] = {}
    #: how the kinds are written in the one-line DSL
    dsl_words: ClassVar[tuple[DslWord, ...]] = ()
    #: words of an answer sheet's row label (lower case letters only: "maxpooling") -> the kinds
    #: of this class the word may mean
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: the group the lecture counts it in: "conv" (the "convolutional layers" of a total row),
    #: "pool", "dense", "activation", "norm", "merge", "reshape", ...
    family: ClassVar[str] = "other"
    #: non-trainable state per channel (batch norm's running mean and variance: 2)
    state_per_channel: ClassVar[int] = 0
    #: the common mistakes (cnncalc.features.grade.mistakes) a student can make with the kind's rule,
    #: beyond the bias, which every kind is checked for
    sheet_mistakes: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        """The canonical kind names this class validates (its `kind` Literal)."""
        return tuple(get_args(cls.model_fields["kind"].annotation))

    #: aliases that also name the number of spatial axes (conv1d: 1): a layer written so
    #: refuses an input of another rank, as the framework's class of that name does
    alias_ranks: ClassVar[dict[str, int]] = {}

    #: (alias, spatial axes) when the kind was written with one of `alias_ranks`
    _ranked: tuple[str, int] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _canonical_kind(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        ranked = None
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            written = fold_kind(data["kind"])
            if written in cls.alias_ranks:
                ranked = (written, cls.alias_ranks[written])
            data = {**data, "kind": canonical_kind(data["kind"])}
        layer = handler(data)
        if ranked is not None:
            layer._ranked = ranked
        return layer

    def check_rank(self, x: Shape) -> None:
        """Refuse an input whose spatial axes differ from those the kind's spelling names."""
        if self._ranked is None or len(x) < 2:
            return
        alias, rank = self._ranked
        if len(x) - 1 != rank:
            axes = ", ".join(("C", *AXIS_NAMES[rank]))
            raise LayerRuleError(
                f"{alias} needs an input with {rank} spatial {'axis' if rank == 1 else 'axes'} ({axes}), "
                f"got {len(x) - 1}",
                field="kind",
                hint=f"write kind: {self.kind} to follow the input's rank, or fix the input shape",
            )

    def default_stem(self) -> str:
        return self.stem

    def apply(self, x: Shape, c: Conventions) -> Counts:
        """Output shape and costs of this layer on input shape `x`."""
        raise NotImplementedError

    def describe(self) -> str:
        """Hyper-parameters in the short form of the lecture tables."""
        return ""

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        """The numbers of `apply(x, c)` as steps a student can redo (see Step).

        Every kind overrides this with its formulas; this fallback states the numbers
        without a formula, so that a kind added later is still explained, if tersely.
        """
        counts = self.apply(x, c)
        names = ("C", *AXIS_NAMES[len(counts.output) - 1]) if len(counts.output) > 1 else ("units",)
        steps = [
            Step(f"output {name}", "output", "rule of the layer", str(n), n, axis=axis)
            for axis, (name, n) in enumerate(zip(names, counts.output, strict=True))
        ]
        params = counts.weights + counts.biases + counts.non_trainable
        steps.append(Step("params", "params", "rule of the layer", str(params), params))
        steps.append(Step("MACs", "macs", "rule of the layer", str(counts.macs), counts.macs))
        steps.append(Step("FLOPs", "flops", "rule of the layer", str(counts.flops), counts.flops))
        return tuple(steps)


#: other spellings people use (PyTorch, Keras, the slides) -> canonical kind; filled from each
#: class's `aliases` by cnncalc.layers.registry.register_kind, never written by hand
ALIASES: dict[str, str] = {}


def fold_kind(kind: str) -> str:
    """A kind as written, in the one spelling aliases are looked up by: lower case, '_' for '-'."""
    return kind.strip().lower().replace("-", "_")


def canonical_kind(kind: str) -> str:
    """The registered kind for a kind or one of its aliases (case-insensitive)."""
    key = fold_kind(kind)
    return ALIASES.get(key, key)


AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def spatial_rank(x: Shape, kind: str) -> int:
    """Number of spatial axes of `x`, refusing a flat input where a map is needed."""
    if len(x) < 2:
        raise LayerRuleError(
            f"{kind} needs a feature map with spatial axes, got a flat vector of {x[0]}",
            hint="a flatten or dense layer earlier in the spec removed the spatial axes; move this layer before it",
        )
    return len(x) - 1


def per_dim(value: int | Sequence[int], ndim: int, field: str) -> tuple[int, ...]:
    """Broadcast an int to every spatial axis, or check a list has one value per axis."""
    if isinstance(value, int):
        return (value,) * ndim
    if len(value) != ndim:
        raise LayerRuleError(
            f"'{field}' has {len(value)} values but the input has {ndim} spatial axes",
            field=field,
            hint=f"give one value or {ndim} values",
        )
    return tuple(value)


def check_declared(declared: int | None, actual: int, field: str, what: str) -> None:
    """A layer may state its expected input (as PyTorch code does); it must agree."""
    if declared is not None and declared != actual:
        raise LayerRuleError(
            f"'{field}' is {declared} but the input has {actual} {what}",
            field=field,
            hint=f"set {field}: {actual}",
        )


def activation_flops(name: str | None, elements: int, c: Conventions) -> int:
    """FLOPs of a fused (Keras-style `activation:`) function over the output."""
    return 0 if name is None else c.activation_flops[name] * elements


def weighted_flops(macs: int, out_elements: int, biased: bool, activation: str | None, c: Conventions) -> int:
    """FLOPs of a layer with weights: a multiply and an add per MAC, one add per output
    element for the bias (when counted), and the fused activation over the output.

    The one place conv, dense and their variants state the rule of the counting conventions.
    """
    return 2 * macs + (out_elements if biased else 0) + activation_flops(activation, out_elements, c)
