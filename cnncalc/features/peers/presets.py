"""Counting presets: each peer tool's totals, reproduced from cnncalc's rows.

torchinfo, fvcore, thop and ptflops disagree on the same network by a few percent, and
Keras counts other params than PyTorch. None is wrong: each counts by its own rules, and
each rule is simple once it is written down. A preset is one tool's rules, applied to
the network as PyTorch runs it; `evaluate` gives that tool's figures to the digit.

What a PyTorch counting tool sees is not the spec but the calls the model makes: each
layer a module, a function (`F.relu(x)`) or a tensor operator (`x + y`). Module hooks
see only modules, so where a network calls a function the tool counts nothing. `calls`
lists those calls as `cnncalc export --to pytorch` writes the network (every layer a
module, a learned scale a depthwise 1x1 nn.Conv; a Keras-style `activation:` a function;
merges, channel slices and fixed scales operators; PEERS says which). For the bundled
networks written in torchvision's layout, `TORCHVISION` names where torchvision's own
module tree differs in a way a tool sees, and `evaluate` says so in its notes.

The rules, with the file of each tool they follow (docs/conventions-presets.md):
torchinfo torchinfo/layer_info.py (calculate_macs) and torchinfo/model_statistics.py;
fvcore fvcore/nn/flop_count.py (the default handles) and fvcore/nn/jit_handles.py;
thop thop/profile.py (register_hooks), thop/vision/basic_hooks.py, thop/vision/calc_func.py;
ptflops ptflops/pytorch_ops.py (MODULES_MAPPING, FUNCTIONAL_MAPPING) and
ptflops/pytorch_engine.py (the functional patches).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Literal

from cnncalc.features.interop.onnx.calls import FOLDED
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
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.registry import layer_classes
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.layers.window import resolve_padding

if TYPE_CHECKING:
    from cnncalc.core.report import LayerRow, Report
    from cnncalc.spec.model import Spec

#: how the model calls a layer: an nn.Module, a torch.nn.functional function, a tensor operator
Call = Literal["module", "function", "operator"]

#: the preset names, in the order `--convention all` lists them
PRESETS: tuple[str, ...] = ("cnncalc", "torchinfo", "fvcore", "thop", "ptflops", "keras", "paper")

#: activation modules ptflops hooks (ptflops/pytorch_ops.py MODULES_MAPPING)
_PTFLOPS_ACTIVATION_MODULES = frozenset({"relu", "relu6", "elu", "leaky_relu", "gelu"})
#: activations whose functional form ptflops patches (pytorch_engine.py patch_functional):
#: F.relu, F.elu, F.relu6, F.gelu, F.silu, F.softmax; the export calls these by those names
_PTFLOPS_FUNCTIONS = frozenset({"relu", "elu", "relu6", "gelu", "swish", "softmax"})
#: modules whose forward calls one of ptflops' patched functions, so that a hooked module
#: is counted twice (nn.ReLU calls F.relu; nn.ReLU6 calls F.hardtanh, which is not patched)
_PTFLOPS_MODULE_CALLS_PATCHED = frozenset({"relu", "elu", "gelu", "swish", "softmax"})


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


def _unmodelled(ops: Sequence[Op]) -> list[str]:
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


@dataclass(frozen=True)
class Figure:
    """One number a tool prints, under the tool's own name for it."""

    label: str
    value: int
    #: how the tool shows it (e.g. "177.83" MB), when it shows it rounded
    shown: str = ""


@dataclass(frozen=True)
class PresetResult:
    """A preset's totals: params, the tool's count, FLOPs and memory as that tool states them.

    macs is the tool's headline count (torchinfo's mult-adds, fvcore's "flops", thop's and
    ptflops' MACs); flops is None where the tool reports none, and memory where it has no
    memory figure. per_layer gives each row's share of `macs`, so a difference is traced.
    """

    preset: str
    tool: str
    params: int
    macs: int | None
    flops: int | None
    memory: int | None
    memory_label: str
    figures: tuple[Figure, ...]
    rule: str
    differs: str
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    per_layer: tuple[tuple[str, int], ...] = ()


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


def _convolution(op: Op) -> bool:
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


# --- the rules of each tool (per sample; every one is linear in the batch) --------------------


def _elements(shape: Shape) -> int:
    return prod(shape)


def _affine(op: Op) -> bool:
    return bool(getattr(op.layer, "affine", True))


def torchinfo_mult_adds(op: Op) -> int:
    """torchinfo/layer_info.py calculate_macs: every parameter of a module times the output
    positions for a convolution ("Conv" in the class name, a learned scale's depthwise 1x1 conv
    too), once per sample otherwise; so biases count, batch norm and layer norm count their
    2 x C parameters, and nothing without parameters (LRN, pools, shuffles, activations)."""
    if op.call != "module" or op.params == 0:
        return 0
    if _convolution(op):
        return op.params * prod(op.output[1:])
    return op.params


def fvcore_flops(op: Op) -> int:
    """fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS, traced (modules and functions alike):
    aten::_convolution and aten::linear/addmm count one per multiply-add, without bias (a
    learned scale's depthwise 1x1 conv one per value); aten::batch_norm in eval counts 2 per
    element with affine, 1 without; aten::layer_norm (jit_handles.py norm_flop_counter) 5 per
    element with a weight, 4 without; adaptive_avg_pool2d 1 per input element;
    upsample_nearest2d 1 and upsample_bilinear2d 4 per output element; every other operator is
    skipped: activations, max pooling, adds and multiplies (so a fixed scale), softmax, and
    what nn.LocalResponseNorm and nn.LPPool run (mul, avg_pool2d/3d, pow, relu)."""
    if _convolution(op) or op.kind == "dense":
        return op.macs
    if op.kind == "batch_norm":
        return _elements(op.input) * (2 if _affine(op) else 1)
    if op.kind == "layer_norm" and op.call != "operator":
        return _elements(op.input) * (5 if _affine(op) else 4)
    two_d = len(op.input) == 3
    # x.mean((2, 3)) traces as aten::mean, which fvcore does not count; a module or F.adaptive_avg_pool2d
    # traces as aten::adaptive_avg_pool2d
    if op.kind in ("global_avg_pool", "adaptive_avg_pool") and two_d and op.call != "operator":
        return _elements(op.input)
    if op.kind == "upsample" and two_d:
        return _elements(op.output) * (1 if getattr(op.layer, "mode", "nearest") == "nearest" else 4)
    return 0


def thop_macs(op: Op) -> int:
    """thop/profile.py register_hooks on leaf modules, thop/vision/basic_hooks.py and
    calc_func.py: a conv counts output elements x (input channels / groups) x kernel taps
    (no bias; a transposed conv too, on its output; a learned scale's depthwise 1x1 conv 1 per
    value); nn.Linear in_features per output (no bias); batch norm and layer norm
    (count_normalization) 2 per element, twice that with affine (LayerNorm's
    elementwise_affine); ReLU, ReLU6, max pooling, dropout 0; an average pool 1 per output; an
    adaptive (global) average pool (taps + 1) per output; nn.Softmax 3n - 1 per vector;
    nn.Upsample 1 (nearest) or 11 (bilinear) per output. Modules it has no hook for count 0
    (nn.LocalResponseNorm, nn.LPPool, nn.ChannelShuffle, the other activations), and so do
    functions and tensor operators."""
    if op.call != "module":
        return 0
    if _convolution(op):
        return _elements(op.output) * op.per_output
    if op.kind == "dense":
        return op.macs
    if op.kind in ("batch_norm", "layer_norm"):
        return 2 * _elements(op.input) * (2 if _affine(op) else 1)
    if op.kind == "avg_pool":
        return _elements(op.output)
    if op.kind in ("global_avg_pool", "adaptive_avg_pool"):
        out = (op.output[0], *(1,) * (len(op.input) - 1)) if op.kind == "global_avg_pool" else op.output
        taps = 1.0
        for n, m in zip(op.input[1:], out[1:], strict=True):
            taps *= n / m  # thop divides the sizes as doubles
        return int((taps + 1) * _elements(out))
    if op.kind == "softmax":
        vectors = _elements(op.input) // op.input[0]
        return vectors * (3 * op.input[0] - 1)
    if op.kind == "upsample":
        mode = getattr(op.layer, "mode", "nearest")
        per = 1 if mode == "nearest" else {2: 5, 3: 11, 4: 31}[len(op.input)]  # linear, bilinear, trilinear
        return _elements(op.output) * per
    return 0


#: the pools whose module and functional form ptflops counts 1 per input element
_PTFLOPS_POOLS = frozenset({"max_pool", "avg_pool", "global_avg_pool", "global_max_pool", "adaptive_avg_pool"})


def _pooled(op: Op) -> Shape:
    """The map a pooling call reads, as the export writes it: the layer's input, padded first by
    F.pad where nn.MaxPool/nn.AvgPool cannot pad (before and after differ) and for nn.LPPool
    (which takes no padding)."""
    layer = op.layer
    if not isinstance(layer, Pool):
        return op.input
    ndim = len(op.input) - 1
    kernel = per_dim(layer.kernel, ndim, "kernel")
    stride = per_dim(layer.stride if layer.stride is not None else layer.kernel, ndim, "stride")
    pads = resolve_padding(layer.padding, op.input[1:], kernel, stride, per_dim(layer.dilation, ndim, "dilation"))
    if op.kind in ("max_pool", "avg_pool") and all(before == after for before, after in pads):
        return op.input
    return (op.input[0], *(n + before + after for n, (before, after) in zip(op.input[1:], pads, strict=True)))


def ptflops_parts(op: Op) -> tuple[int, int]:
    """(module hooks, patched functions) of ptflops_macs, per sample: ptflops divides the
    first by the batch and not the second (ptflops/pytorch_engine.py get_flops_pytorch)."""
    if _convolution(op) or op.kind == "dense":
        return (op.macs + _elements(op.output) if op.biases else op.macs), 0
    if op.kind == "batch_norm":
        return _elements(op.input) * (2 if _affine(op) else 1), 0
    if op.call == "operator":
        return 0, 0
    if op.kind == "lrn":
        # F.local_response_norm: input.mul(input), avg_pool2d/3d over the channels padded by size - 1,
        # then .mul(alpha) and .add(k): torch.Tensor.mul and .add are patched, `input / div` is not
        size = int(getattr(op.layer, "size"))  # noqa: B009
        return 0, 3 * _elements(op.input) + (op.input[0] + size - 1) * prod(op.input[1:])
    if op.kind in ("sum_pool", "l2_pool"):
        # F.lp_pool1d/2d/3d: avg_poolNd(input.pow(p)), then relu(abs(out)) and .mul(kernel taps)
        return 0, _elements(_pooled(op)) + 2 * _elements(op.output)
    if op.call == "function":
        return 0, (_elements(_pooled(op)) if op.kind in _PTFLOPS_POOLS or op.kind in _PTFLOPS_FUNCTIONS else 0)
    if op.kind in _PTFLOPS_POOLS:
        return _elements(_pooled(op)), _elements(_pooled(op))
    if op.kind == "upsample":
        return _elements(op.output), _elements(op.output)
    if op.kind == "layer_norm":
        # bn_flops_counter_hook doubles for `module.affine`, an attribute nn.LayerNorm lacks
        return _elements(op.input), 0
    hooked = _elements(op.output) if op.kind in _PTFLOPS_ACTIVATION_MODULES else 0
    patched = _elements(op.input) if op.kind in _PTFLOPS_MODULE_CALLS_PATCHED else 0
    return hooked, patched


def ptflops_macs(op: Op, batch: int) -> int:
    """ptflops (pytorch backend, functional counting on, its default): module hooks from
    ptflops/pytorch_ops.py MODULES_MAPPING plus the patched torch.nn.functional calls of
    FUNCTIONAL_MAPPING. A conv or nn.Linear counts its multiply-adds and one add per output
    for the bias; batch norm 2 per element with affine, 1 without; ReLU/ReLU6/ELU/LeakyReLU/
    GELU modules 1 per element; pooling modules 1 per input element (the map F.pad padded,
    where the export pads before the pool); nn.Upsample 1 per output; nn.LayerNorm 1 per
    element (bn_flops_counter_hook doubles only for an `affine` attribute, which LayerNorm
    does not have). A module whose forward calls a patched function is counted again: nn.ReLU
    (F.relu), nn.MaxPool2d (F.max_pool2d), nn.AdaptiveAvgPool2d, nn.Upsample (F.interpolate),
    nn.Softmax; nn.ReLU6 calls F.hardtanh, which is not patched. nn.LocalResponseNorm and
    nn.LPPool have no hook, but the patched calls inside their functions count (torch.nn.
    functional's local_response_norm and lp_poolNd; torch.Tensor.mul and .add are patched by
    patch_tensor_ops). A function call alone counts its input once; `x + y` and `x * c`
    (Tensor.__add__, __mul__) are not patched: 0.

    ptflops reports per image: the module hooks' sum over the batch divided by it, but the
    functions' counts for the whole batch."""
    modules, functions = ptflops_parts(op)
    return modules + functions * batch


def paper_macs(op: Op) -> int:
    """The papers' count (He et al.'s "FLOPs", Simonyan & Zisserman's, Howard et al.'s
    "Mult-Adds"): the multiply-adds of convolutions and fully connected layers only."""
    return op.macs if op.kind in ("conv", "depthwise_conv", "conv_transpose", "dense") else 0


# --- the presets -------------------------------------------------------------------------------


def _batched(rule: Callable[[Op], int]) -> Callable[[Op, int], int]:
    """A per-sample rule, for the whole batch."""
    return lambda op, batch: rule(op) * batch


@dataclass(frozen=True)
class _Tool:
    """A counting tool as its documentation states it.

    Its rule, how it differs from cnncalc, the sources that say so and, where its counting is
    known exactly, its count of one call (so a table can show the tool's own figure)."""

    tool: str
    rule: str
    differs: str
    sources: tuple[str, ...]
    #: the tool's count of one call, for the whole batch as the tool reports it
    count: Callable[[Op, int], int] | None = None
    flops_per_mac: int | None = None


TOOLS: dict[str, _Tool] = {
    "cnncalc": _Tool(
        "cnncalc",
        "MACs = multiply-adds of conv/dense (bias adds excluded); FLOPs = 2 x MACs + bias adds + "
        "element-wise work (per kind, cnncalc.core.conventions); params = weights + biases",
        "FLOPs count every element-wise operation at its own cost",
        ("cnncalc/core/conventions.py", "cnncalc/layers/"),
    ),
    "torchinfo": _Tool(
        "torchinfo",
        "mult-adds = every parameter x output positions for a conv, x 1 for other modules "
        "(biases and batch norm's 2C count); forward/backward pass size = 2 x the outputs of "
        "modules with parameters; MB = 10^6 bytes",
        "counts bias adds and batch norm's parameters; ignores modules without parameters",
        ("TylerYep/torchinfo:torchinfo/layer_info.py", "TylerYep/torchinfo:torchinfo/model_statistics.py"),
        _batched(torchinfo_mult_adds),
    ),
    "fvcore": _Tool(
        "fvcore",
        "flops = one per multiply-add of conv/linear (no bias), batch norm 2 per element (eval, "
        "affine), layer norm 5 (4 without affine), adaptive_avg_pool2d 1 per input, upsampling 1 "
        "or 4 per output; all else 0",
        "adds batch norm and average pooling; calls a multiply-add one flop",
        ("facebookresearch/fvcore:fvcore/nn/flop_count.py", "facebookresearch/fvcore:fvcore/nn/jit_handles.py"),
        _batched(fvcore_flops),
        1,
    ),
    "thop": _Tool(
        "thop",
        "MACs of conv/linear (no bias), batch and layer norm 4 per element (2 x 2 with affine), "
        "adaptive average pool (taps + 1) per output; ReLU, max pooling, modules without a hook "
        "(LRN, LPPool, channel shuffle), functions and operators 0",
        "counts batch norm at 4 per element; nothing it has no module hook for",
        (
            "Lyken17/pytorch-OpCounter:thop/profile.py",
            "Lyken17/pytorch-OpCounter:thop/vision/basic_hooks.py",
            "Lyken17/pytorch-OpCounter:thop/vision/calc_func.py",
        ),
        _batched(thop_macs),
        2,
    ),
    "ptflops": _Tool(
        "ptflops",
        "MACs of conv/linear + bias adds, batch norm 2 per element, layer norm 1, activation and "
        "pooling modules 1 per element, and again for the torch.nn.functional call inside nn.ReLU "
        "and the pools (patched functions); LRN and LPPool by the patched calls inside them; "
        "`x + y` 0",
        "counts bias adds, activations and pooling, some twice (module hook + patched function)",
        (
            "sovrasov/flops-counter.pytorch:ptflops/pytorch_ops.py",
            "sovrasov/flops-counter.pytorch:ptflops/pytorch_engine.py",
        ),
        ptflops_macs,
        2,
    ),
    "keras": _Tool(
        "keras",
        "params = trainable + non-trainable, batch norm's moving mean and variance (2 x C) "
        "included; size = params x dtype bytes in binary MB (2^20); no MACs",
        "batch norm's moving statistics are params (non-trainable)",
        ("keras-team/keras:keras/src/utils/summary_utils.py",),
    ),
    "paper": _Tool(
        "paper",
        "multiply-adds of convolutions and fully connected layers only (no bias, no batch norm, "
        "no element-wise work), reported as FLOPs as He et al. 2015 do",
        "only conv and fc multiply-adds; calls them FLOPs",
        ("He et al. 2015 (arXiv:1512.03385) Table 1", "Simonyan & Zisserman 2014 (arXiv:1409.1556)"),
        _batched(paper_macs),
        1,
    ),
}


def evaluate(spec: Spec, preset: str, torchvision: bool = True) -> PresetResult:
    """`preset`'s totals for `spec`. torchvision=True counts a bundled torchvision-layout
    network as torchvision's module tree runs it (TORCHVISION) and notes where that differs;
    False counts the network as `cnncalc export --to pytorch` writes it."""
    from cnncalc.core.conventions import Conventions
    from cnncalc.core.walk import analyze

    tool = TOOLS[preset]
    report = analyze(spec, Conventions(bn_running_stats=preset == "keras"))
    structure = _structure(spec, report) if torchvision else None
    imported = spec.imported_calls
    notes = [structure.note] if structure is not None else []
    if structure is None and imported is not None:
        structure, found = _imported(spec, report, imported, preset)
        notes += found
    if torchvision and spec.name not in CHECKED and "torchvision" in (spec.description or "").lower():
        notes.append(UNCHECKED_NOTE)
    totals = report.totals
    if preset == "cnncalc":
        memory = totals.activation_bytes + totals.param_bytes
        return PresetResult(
            preset,
            tool.tool,
            totals.params,
            totals.macs,
            totals.flops,
            memory,
            "activations + params",
            (),
            tool.rule,
            tool.differs,
            tool.sources,
            (),
        )
    if preset == "keras":
        size = totals.params * report.dtype_bytes
        nbytes = report.dtype_bytes
        keras: tuple[Figure, ...] = (
            Figure("Total params", totals.params, keras_size(size)),
            Figure("Trainable params", totals.trainable_params, keras_size(totals.trainable_params * nbytes)),
            Figure(
                "Non-trainable params", totals.non_trainable_params, keras_size(totals.non_trainable_params * nbytes)
            ),
        )
        return PresetResult(
            preset,
            tool.tool,
            totals.params,
            None,
            None,
            size,
            "params size",
            keras,
            tool.rule,
            tool.differs,
            tool.sources,
            (),
        )
    ops = calls(spec, report, structure)
    assert tool.count is not None
    per_layer: dict[str, int] = {}
    for op in ops:
        per_layer[op.row] = per_layer.get(op.row, 0) + tool.count(op, report.batch)
    count = sum(per_layer.values())
    unmodelled = _unmodelled(ops)
    if unmodelled:
        notes.append(f"not exact: kinds not modelled for {tool.tool}, counted as 0: {'; '.join(unmodelled)}")
    params = sum(op.params for op in _unique_modules(ops))
    figures, tool_memory, memory_label = _figures(preset, ops, report, params, count)
    return PresetResult(
        preset,
        tool.tool,
        params,
        count,
        count * tool.flops_per_mac if tool.flops_per_mac is not None else None,
        tool_memory,
        memory_label,
        figures,
        tool.rule,
        tool.differs,
        tool.sources,
        tuple(notes),
        tuple(per_layer.items()),
    )


def keras_size(nbytes: int) -> str:
    """A size as Keras's model.summary() shows it: steps of 1024 named B, KB, MB, GB, TB, PB
    (keras/src/utils/summary_utils.py readable_memory_size).

    >>> keras_size(102_440_608)
    '97.69 MB'
    """
    value = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value / 1024 < 1:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"


def _unique_modules(ops: Sequence[Op]) -> list[Op]:
    return [op for op in ops if op.call == "module" and op.owns_params]


def _figures(
    preset: str, ops: Sequence[Op], report: Report, params: int, count: int
) -> tuple[tuple[Figure, ...], int | None, str]:
    """The figures the tool prints, in its words."""
    if preset == "torchinfo":
        per_element = report.dtype_bytes * report.batch
        input_bytes = prod(report.input_shape) * per_element
        passes = 2 * sum(_elements(op.output) for op in ops if op.call == "module" and op.params) * per_element
        param_bytes = params * report.dtype_bytes
        total = input_bytes + passes + param_bytes
        figures = (
            Figure("Total params", params),
            Figure("Total mult-adds", count),
            Figure("Input size (MB)", input_bytes, f"{input_bytes / 1e6:.2f}"),
            Figure("Forward/backward pass size (MB)", passes, f"{passes / 1e6:.2f}"),
            Figure("Params size (MB)", param_bytes, f"{param_bytes / 1e6:.2f}"),
            Figure("Estimated Total Size (MB)", total, f"{total / 1e6:.2f}"),
        )
        return figures, total, "estimated total size"
    label = {"fvcore": "flops", "thop": "MACs", "ptflops": "MACs", "paper": "FLOPs (multiply-adds)"}[preset]
    counts: tuple[Figure, ...] = (Figure("params", params), Figure(label, count))
    if preset in ("thop", "ptflops"):
        counts += (Figure("FLOPs (2 x MACs)", 2 * count),)
    return counts, None, ""


def _imported(spec: Spec, report: Report, imported: dict[str, str], preset: str) -> tuple[Structure, list[str]]:
    """How the model a spec was imported from calls its layers, and the notes that say so.

    PyTorch's exporter names each node after the module that ran it, so an ONNX file says which
    layers were modules (a node in a module that holds no other module), functions (a node
    directly in a container's forward, or at the top: F.relu, F.adaptive_avg_pool2d) and tensor
    operators (`x + y`, `x.mean((2, 3))`). An average pool of window 1 and stride 1 is what the
    exporter writes for an adaptive pool to the size the map already has: the tools see the
    adaptive pool. What the file cannot say is noted: counts there are not exact."""
    graph_layers = {row.name: row for row in report.rows[1:]}
    functions = frozenset(name for name, call in imported.items() if call == "function")
    operators = frozenset(name for name, call in imported.items() if call == "operator")
    adaptive = frozenset(name for name, row in graph_layers.items() if _keeps_map(row) and name in imported)
    notes: list[str] = []
    if not imported:
        notes.append(
            "not exact: the model's node names do not say how its layers were called (the file was not written "
            "by PyTorch's exporter): counted as `cnncalc export` writes each layer, as a module"
        )
    else:
        shown = ", ".join(sorted(functions)[:4]) + (f" and {len(functions) - 4} more" if len(functions) > 4 else "")
        notes.append(
            "counted as the model calls its layers, read from the node names PyTorch's exporter wrote"
            + (f"; called as functions, which module hooks do not see: {shown}" if functions else "")
            + (
                f"; {len(adaptive)} average pool(s) of window 1 counted as the adaptive pools they were"
                if adaptive
                else ""
            )
        )
        unknown = [name for name in graph_layers if name not in imported]
        if unknown:
            notes.append(
                f"not exact: the node names do not say how {len(unknown)} layer(s) were called "
                f"({', '.join(unknown[:3])}{' ...' if len(unknown) > 3 else ''}): counted as modules"
            )
    folded = sorted(name for name, call in imported.items() if call == FOLDED)
    if folded and preset not in ("paper",):
        notes.append(
            f"not exact: {len(folded)} conv/dense layer(s) hold a batch norm the exporter folded in (eval mode): the "
            f"PyTorch model runs those batch norms as modules, on convs without a bias, and {TOOLS[preset].tool} "
            "counts them there; export with training=torch.onnx.TrainingMode.TRAINING for its exact figures"
        )
    return Structure(note="", functions=functions, operators=operators, adaptive=adaptive), notes


def _keeps_map(row: LayerRow) -> bool:
    """An average pool that leaves the map as it is: window 1, stride 1 (what an adaptive pool to
    the map's own size exports as)."""
    return row.kind == "avg_pool" and row.input_shape == row.output_shape and row.summary.startswith("f=1, s=1")


def _structure(spec: Spec, report: Report) -> Structure | None:
    """torchvision's differences for a bundled torchvision-layout spec whose rows they name."""
    structure = TORCHVISION.get(spec.name)
    if structure is None:
        return None
    names = {row.name for row in report.rows}
    named = structure.functions | structure.dropped | {after for after, _, _ in structure.inserted}
    return structure if named <= names else None


def evaluate_all(spec: Spec, torchvision: bool = True) -> tuple[PresetResult, ...]:
    """Every preset's totals, in PRESETS order."""
    return tuple(evaluate(spec, name, torchvision) for name in PRESETS)


__all__ = [
    "PEERS",
    "PRESETS",
    "TOOLS",
    "TORCHVISION",
    "Figure",
    "Op",
    "PresetResult",
    "Structure",
    "calls",
    "evaluate",
    "evaluate_all",
]
