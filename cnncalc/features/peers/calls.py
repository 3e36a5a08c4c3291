"""The model of the exported module's calls: what a PyTorch counting tool sees of a network.

What a PyTorch counting tool sees is not the spec but the calls the model makes: each
layer a module, a function (`F.relu(x)`) or a tensor operator (`x + y`). Module hooks
see only modules, so where a network calls a function the tool counts nothing. `calls`
lists those calls as `cnncalc export --to pytorch` writes the network (every layer a
module, a learned scale a depthwise 1x1 nn.Conv; a Keras-style `activation:` a function;
merges, channel slices and fixed scales operators; PEERS says which). For the bundled
networks written in torchvision's layout, `TORCHVISION` names where torchvision's own
module tree differs in a way a tool sees, and cnncalc.features.peers.presets's `evaluate`
says so in its notes. Each tool's rules over these calls are cnncalc.features.peers.rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Literal

from cnncalc.layers.base import LayerBase, Shape, per_dim
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.crop import Crop
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import (
    Activation,
    BatchNorm,
    ChannelShuffle,
    ChannelSlice,
    Dropout,
    Flatten,
    LayerNorm,
    LocalResponseNorm,
    Scale,
)
from cnncalc.layers.merge import Add, Concat, Multiply
from cnncalc.layers.pad import Pad
from cnncalc.layers.pool import GlobalPool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.registry import layer_classes
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten

if TYPE_CHECKING:
    from cnncalc.core.report import Report
    from cnncalc.spec.model import Spec

#: how the model calls a layer: an nn.Module, a torch.nn.functional function, a tensor operator
Call = Literal["module", "function", "operator"]


def _scale_call(layer: LayerBase) -> Call:
    """How the export writes a scale: a learned one as nn.ConvNd(C, C, 1, groups=C, bias=False),
    a module the tools hook as a convolution; a fixed one as `x * c` (`+`, `-`, `/`, `**`), a
    tensor operator no tool sees (ptflops patches torch.Tensor.mul and .add, not `*` and `+`)."""
    return "module" if getattr(layer, "learned", False) else "operator"


#: the peer presets' capability table: the kinds each preset counts by a rule of its own, and
#: how the exported model calls them (a module, or a tensor operator a module hook never sees;
#: for a scale, it depends on the layer); a Keras-style `activation:` is a function call. The
#: tools count anything else as zero, and a note says which kinds of the network were not modelled
PEERS: Capabilities[Call | Callable[[LayerBase], Call]] = Capabilities(
    feature="the peer tools' presets",
    lacks="counting rule",
    handlers={
        Conv: "module",
        DepthwiseConv: "module",
        SeparableConv: "module",
        ConvTranspose: "module",
        Dense: "module",
        BatchNorm: "module",
        LayerNorm: "module",
        LocalResponseNorm: "module",
        "max_pool": "module",
        "avg_pool": "module",
        "sum_pool": "module",
        "l2_pool": "module",
        GlobalPool: "module",
        Upsample: "module",
        Dropout: "module",
        Activation: "module",
        Scale: _scale_call,
        ChannelShuffle: "module",
        ChannelSlice: "operator",
        Flatten: "operator",
        Add: "operator",
        Multiply: "operator",
        Concat: "operator",
        Unflatten: "operator",
        Crop: "operator",
        Pad: "module",
        Normalize: "operator",
    },
    unsupported={
        LocallyConnected: "PyTorch has no locally connected module for the tools to hook",
    },
    fallback="counted as 0 by every tool, with a note naming the kind",
)


def _modelled() -> frozenset[str]:
    """The kinds with a rule: those PEERS covers, and the adaptive pool torchvision inserts."""
    covered = {kind for cls in layer_classes() for kind in cls.kinds() if PEERS.covers(cls, kind)}
    return frozenset({"adaptive_avg_pool", *covered})


def unmodelled(ops: Sequence[Op]) -> list[str]:
    """The kinds of `ops` no rule covers, each with PEERS's reason where it gives one: a kind
    registered from outside cnncalc, or one the export cannot write."""
    modelled = _modelled()
    found: dict[str, str | None] = {}
    for op in ops:
        if op.kind not in modelled:
            found[op.kind] = PEERS.reason(type(op.layer), op.kind) if op.layer is not None else None
    return [f"{kind} ({reason})" if reason else kind for kind, reason in sorted(found.items())]


@dataclass(frozen=True)
class Op:
    """One call of the PyTorch model: what a counting tool's hook or handle receives.

    Shapes are one sample's, channels first; weights and biases are the module's own
    (a layer that shares another's weights has them too, but `owns_params` is False).
    """

    row: str
    kind: str
    call: Call
    input: Shape
    output: Shape
    weights: int = 0
    biases: int = 0
    owns_params: bool = True
    macs: int = 0
    layer: LayerBase | None = None
    #: conv: input channels per group x kernel taps of the module (thop's per-output factor)
    per_output: int = 0

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class Structure:
    """Where a network's PyTorch module tree differs from the spec in a way a tool sees."""

    note: str
    #: the call of a Keras-style `activation:` (torchvision writes nn.ReLU modules)
    fused_activation: Call = "function"
    #: rows the network calls as functions instead of modules
    functions: frozenset[str] = frozenset()
    #: rows the network does not have
    dropped: frozenset[str] = frozenset()
    #: row name -> a module the network runs after it: (kind, output size per spatial axis)
    inserted: tuple[tuple[str, str, tuple[int, ...]], ...] = ()
    #: rows the network computes with a tensor operator or method (`x.mean((2, 3))`)
    operators: frozenset[str] = frozenset()
    #: pooling rows that are an adaptive average pool to the size the map already has
    adaptive: frozenset[str] = frozenset()


#: the bundled specs written in torchvision's layout, where torchvision's modules differ
TORCHVISION: dict[str, Structure] = {
    "vgg16": Structure(
        note=(
            "torchvision's vgg16 applies each ReLU as an nn.ReLU module (the spec fuses them as "
            "`activation: relu`), has an AdaptiveAvgPool2d((7, 7)) after pool5 (the identity at "
            "224x224) and ends at fc8's logits (no softmax): counted as torchvision's module tree runs"
        ),
        fused_activation="module",
        dropped=frozenset({"prob"}),
        inserted=(("pool5", "adaptive_avg_pool", (7, 7)),),
    ),
    "mobilenet-v2": Structure(
        note=(
            "torchvision's mobilenet_v2 pools with nn.functional.adaptive_avg_pool2d, not a module "
            "(the spec's avgpool): counted as a function call, which module hooks do not see"
        ),
        functions=frozenset({"avgpool"}),
    ),
}


#: torchvision-layout networks whose calls were compared with torchvision's module tree: the
#: two above, and the ResNets (one module per layer; `out += identity` and its one `relu`
#: module called twice give the same calls as the export's)
CHECKED = frozenset({*TORCHVISION, "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"})

UNCHECKED_NOTE = (
    "this spec follows torchvision's layout, but whether torchvision calls some of its layers as "
    "functions (which module hooks do not see) was not checked: counted as `cnncalc export` writes it"
)


# --- the calls of the model ------------------------------------------------------------------


def calls(spec: Spec, report: Report, structure: Structure | None = None) -> tuple[Op, ...]:
    """The model's calls in execution order, as the PyTorch export writes it (or as
    `structure` says the network's own module tree runs it)."""
    from cnncalc.core.graph import build_graph

    s = structure or Structure(note="")
    graph = build_graph(spec)
    owners = {row.name: row for row in report.rows}
    ops: list[Op] = []
    for node, row in zip(graph.nodes[1:], report.rows[1:], strict=True):
        layer = node.layer
        assert layer is not None
        if row.name in s.dropped:
            continue
        weights, biases = row.weights, row.biases
        if row.shared_with is not None:
            owner = owners[row.shared_with]
            weights, biases = owner.weights, owner.biases
        call: Call = (
            "function" if row.name in s.functions else "operator" if row.name in s.operators else _exported_call(layer)
        )
        kind = "adaptive_avg_pool" if row.name in s.adaptive else layer.kind
        x, y = row.input_shape, row.output_shape
        if layer.kind == "separable_conv":
            ops += _separable(row.name, layer, x, y, row.shared_with is None)
        else:
            # a learned scale runs as a depthwise 1x1 conv: one multiply-add per value (cnncalc's FLOPs)
            macs = prod(y) if layer.kind == "scale" and call == "module" else row.macs // report.batch
            owns = row.shared_with is None
            ops.append(Op(row.name, kind, call, x, y, weights, biases, owns, macs, layer, _per_output(layer, x)))
        activation = getattr(layer, "activation", None)
        if isinstance(activation, str) and activation != "linear":
            ops.append(Op(row.name, activation, s.fused_activation, y, y))
        for after, kind, size in s.inserted:
            if after == row.name:
                out = (y[0], *size)
                ops.append(Op(f"{after} (torchvision's {kind})", kind, "module", y, out))
    return tuple(ops)


def _exported_call(layer: LayerBase) -> Call:
    """How `cnncalc export` calls `layer` (PEERS's handler); a kind PEERS has no rule for is
    written as a module."""
    handler = PEERS.get(layer)
    if handler is None:
        return "module"
    return handler if isinstance(handler, str) else handler(layer)


#: the kinds written as nn.ConvNd or nn.ConvTransposeNd
_CONVS = frozenset({"conv", "depthwise_conv", "conv_transpose"})


def convolution(op: Op) -> bool:
    """Whether the tools see `op` as a convolution module: the conv kinds, and a learned scale
    the export writes as nn.ConvNd(C, C, 1, groups=C, bias=False)."""
    return op.kind in _CONVS or (op.kind == "scale" and op.call == "module")


def _per_output(layer: LayerBase, x: Shape) -> int:
    """Input channels per group x kernel taps: what thop multiplies each output element by (1
    for a learned scale: a depthwise 1x1 conv)."""
    if layer.kind == "scale":
        return 1
    if layer.kind not in _CONVS:
        return 0
    ndim = len(x) - 1
    kernel = prod(per_dim(getattr(layer, "kernel"), ndim, "kernel"))  # noqa: B009
    groups = x[0] if layer.kind == "depthwise_conv" else int(getattr(layer, "groups"))  # noqa: B009
    return x[0] // groups * kernel


def _separable(name: str, layer: LayerBase, x: Shape, y: Shape, owns: bool) -> list[Op]:
    """A separable conv as the export writes it: a depthwise and a pointwise nn.Conv."""
    multiplier = int(getattr(layer, "multiplier"))  # noqa: B009
    ndim = len(x) - 1
    kernel = prod(per_dim(getattr(layer, "kernel"), ndim, "kernel"))  # noqa: B009
    mid = x[0] * multiplier
    positions = prod(y[1:])
    biases = y[0] if getattr(layer, "bias") else 0  # noqa: B009
    return [
        Op(
            name, "conv", "module", x, (mid, *y[1:]), mid * kernel, 0, owns, positions * mid * kernel, per_output=kernel
        ),
        Op(name, "conv", "module", (mid, *y[1:]), y, mid * y[0], biases, owns, positions * mid * y[0], per_output=mid),
    ]


__all__ = [
    "CHECKED",
    "PEERS",
    "TORCHVISION",
    "UNCHECKED_NOTE",
    "Call",
    "Op",
    "Structure",
    "calls",
    "convolution",
    "unmodelled",
]
