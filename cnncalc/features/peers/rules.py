"""Each peer tool's counting rules, one call of the model at a time (cnncalc.features.peers.calls).

torchinfo, fvcore, thop and ptflops each count a call by a rule of their own; every rule here
is per sample, and linear in the batch. `TOOLS` states each tool as its documentation does:
its rule, how it differs from cnncalc, its sources and its count of one call.

The rules, with the file of each tool they follow (docs/conventions-presets.md):
torchinfo torchinfo/layer_info.py (calculate_macs) and torchinfo/model_statistics.py;
fvcore fvcore/nn/flop_count.py (the default handles) and fvcore/nn/jit_handles.py;
thop thop/profile.py (register_hooks), thop/vision/basic_hooks.py, thop/vision/calc_func.py;
ptflops ptflops/pytorch_ops.py (MODULES_MAPPING, FUNCTIONAL_MAPPING) and
ptflops/pytorch_engine.py (the functional patches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod

from cnncalc.features.peers.calls import Op, convolution
from cnncalc.layers.base import Shape, per_dim
from cnncalc.layers.pool import Pool
from cnncalc.layers.window import resolve_padding

#: activation modules ptflops hooks (ptflops/pytorch_ops.py MODULES_MAPPING)
_PTFLOPS_ACTIVATION_MODULES = frozenset({"relu", "relu6", "elu", "leaky_relu", "gelu"})
#: activations whose functional form ptflops patches (pytorch_engine.py patch_functional):
#: F.relu, F.elu, F.relu6, F.gelu, F.silu, F.softmax; the export calls these by those names
_PTFLOPS_FUNCTIONS = frozenset({"relu", "elu", "relu6", "gelu", "swish", "softmax"})
#: modules whose forward calls one of ptflops' patched functions, so that a hooked module
#: is counted twice (nn.ReLU calls F.relu; nn.ReLU6 calls F.hardtanh, which is not patched)
_PTFLOPS_MODULE_CALLS_PATCHED = frozenset({"relu", "elu", "gelu", "swish", "softmax"})


def elements(shape: Shape) -> int:
    """The values of one sample's tensor of `shape`."""
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
    if convolution(op):
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
    if convolution(op) or op.kind == "dense":
        return op.macs
    if op.kind == "batch_norm":
        return elements(op.input) * (2 if _affine(op) else 1)
    if op.kind == "layer_norm" and op.call != "operator":
        return elements(op.input) * (5 if _affine(op) else 4)
    two_d = len(op.input) == 3
    # x.mean((2, 3)) traces as aten::mean, which fvcore does not count; a module or F.adaptive_avg_pool2d
    # traces as aten::adaptive_avg_pool2d
    if op.kind in ("global_avg_pool", "adaptive_avg_pool") and two_d and op.call != "operator":
        return elements(op.input)
    if op.kind == "upsample" and two_d:
        return elements(op.output) * (1 if getattr(op.layer, "mode", "nearest") == "nearest" else 4)
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
    if convolution(op):
        return elements(op.output) * op.per_output
    if op.kind == "dense":
        return op.macs
    if op.kind in ("batch_norm", "layer_norm"):
        return 2 * elements(op.input) * (2 if _affine(op) else 1)
    if op.kind == "avg_pool":
        return elements(op.output)
    if op.kind in ("global_avg_pool", "adaptive_avg_pool"):
        out = (op.output[0], *(1,) * (len(op.input) - 1)) if op.kind == "global_avg_pool" else op.output
        taps = 1.0
        for n, m in zip(op.input[1:], out[1:], strict=True):
            taps *= n / m  # thop divides the sizes as doubles
        return int((taps + 1) * elements(out))
    if op.kind == "softmax":
        vectors = elements(op.input) // op.input[0]
        return vectors * (3 * op.input[0] - 1)
    if op.kind == "upsample":
        mode = getattr(op.layer, "mode", "nearest")
        per = 1 if mode == "nearest" else {2: 5, 3: 11, 4: 31}[len(op.input)]  # linear, bilinear, trilinear
        return elements(op.output) * per
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
    if convolution(op) or op.kind == "dense":
        return (op.macs + elements(op.output) if op.biases else op.macs), 0
    if op.kind == "batch_norm":
        return elements(op.input) * (2 if _affine(op) else 1), 0
    if op.call == "operator":
        return 0, 0
    if op.kind == "lrn":
        # F.local_response_norm: input.mul(input), avg_pool2d/3d over the channels padded by size - 1,
        # then .mul(alpha) and .add(k): torch.Tensor.mul and .add are patched, `input / div` is not
        size = int(getattr(op.layer, "size"))  # noqa: B009
        return 0, 3 * elements(op.input) + (op.input[0] + size - 1) * prod(op.input[1:])
    if op.kind in ("sum_pool", "l2_pool"):
        # F.lp_pool1d/2d/3d: avg_poolNd(input.pow(p)), then relu(abs(out)) and .mul(kernel taps)
        return 0, elements(_pooled(op)) + 2 * elements(op.output)
    if op.call == "function":
        return 0, (elements(_pooled(op)) if op.kind in _PTFLOPS_POOLS or op.kind in _PTFLOPS_FUNCTIONS else 0)
    if op.kind in _PTFLOPS_POOLS:
        return elements(_pooled(op)), elements(_pooled(op))
    if op.kind == "upsample":
        return elements(op.output), elements(op.output)
    if op.kind == "layer_norm":
        # bn_flops_counter_hook doubles for `module.affine`, an attribute nn.LayerNorm lacks
        return elements(op.input), 0
    hooked = elements(op.output) if op.kind in _PTFLOPS_ACTIVATION_MODULES else 0
    patched = elements(op.input) if op.kind in _PTFLOPS_MODULE_CALLS_PATCHED else 0
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


__all__ = [
    "TOOLS",
    "elements",
    "fvcore_flops",
    "paper_macs",
    "ptflops_macs",
    "ptflops_parts",
    "thop_macs",
    "torchinfo_mult_adds",
]
