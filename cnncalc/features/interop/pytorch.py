"""PyTorch out: a spec as the source of a readable `nn.Module` a student can train.

The module is written from the expanded graph (cnncalc.core.graph: blocks instantiated,
repeats unrolled, `from:` resolved) and from the analysis (every layer's input shape),
so it has exactly the layers cnncalc counts: one attribute per layer, named after the
layer, and one line of `forward` per layer. A layer that `shares` another's weights calls
the same attribute. Shapes are channels first, as PyTorch's.

Nothing here imports PyTorch: the output is text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

from cnncalc.core.graph import build_graph
from cnncalc.core.walk import analyze
from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.identifiers import class_identifier, python_identifier, python_literal
from cnncalc.layers import LayerBase, Shape
from cnncalc.layers.base import per_dim
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.crop import Crop, crop_pairs
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
from cnncalc.layers.pad import Pad, pad_pairs
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.layers.window import resolve_padding
from cnncalc.spec.model import Spec

#: activation kind -> the function applied to an expression ({} is the input)
FUNCTIONS: dict[str, str] = {
    "relu": "F.relu({})",
    "relu6": "F.relu6({})",
    "leaky_relu": "F.leaky_relu({})",
    "elu": "F.elu({})",
    "selu": "F.selu({})",
    "gelu": "F.gelu({})",
    "sigmoid": "torch.sigmoid({})",
    "tanh": "torch.tanh({})",
    "softmax": "F.softmax({}, dim=1)",
    "swish": "F.silu({})",
    "hard_swish": "F.hardswish({})",
    "hard_sigmoid": "F.hardsigmoid({})",
    "softplus": "F.softplus({})",
    "linear": "{}",
}
#: activation kind -> its module
MODULES: dict[str, str] = {
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "elu": "nn.ELU()",
    "selu": "nn.SELU()",
    "gelu": "nn.GELU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
    "swish": "nn.SiLU()",
    "hard_swish": "nn.Hardswish()",
    "hard_sigmoid": "nn.Hardsigmoid()",
    "softplus": "nn.Softplus()",
}
#: what a max pool pads with, so that padding never wins the max
NEG_INF = 'float("-inf")'


class ExportError(InteropError):
    """A spec holds a layer PyTorch has no module for (exit 2)."""


@dataclass(frozen=True)
class _Code:
    """One layer: its module (None for a plain expression) and its call on the input variables."""

    module: str | None
    call: Callable[[str, Sequence[str]], str]  # (attribute, input variables) -> expression


def _tuple(values: Sequence[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else "(" + ", ".join(map(str, values)) + ")"


def _padding(
    layer: Conv | DepthwiseConv | SeparableConv | Pool,
    x: Shape,
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[str, tuple[int, ...] | None]:
    """(padding argument, F.pad tuple or None): symmetric padding goes to the layer, the rest to F.pad."""
    pads = resolve_padding(layer.padding, x[1:], kernel, stride, dilation)
    if all(b == a for b, a in pads):
        return _tuple([b for b, _ in pads]), None
    flat: list[int] = []
    for before, after in reversed(pads):  # F.pad starts from the last axis
        flat += [before, after]
    return "0", tuple(flat)


def _padded(var: str, pad: tuple[int, ...] | None, value: str = "") -> str:
    if pad is None:
        return var
    return f"F.pad({var}, {pad}{', value=' + value if value else ''})"


def _activated(expr: str, activation: str | None) -> str:
    return expr if activation is None else FUNCTIONS[activation].format(expr)


def _args(*positional: str, **options: str | None) -> str:
    parts = list(positional) + [f"{k}={v}" for k, v in options.items() if v is not None]
    return ", ".join(parts)


def _conv_window(
    layer: Conv | DepthwiseConv | SeparableConv, x: Shape
) -> tuple[tuple[int, ...], dict[str, str | None], tuple[int, ...] | None]:
    """The kernel, nn.ConvNd's window arguments (stride, padding, dilation; None where PyTorch's
    default holds) and the F.pad tuple for the padding nn.ConvNd cannot take."""
    ndim = len(x) - 1
    k = per_dim(layer.kernel, ndim, "kernel")
    s = per_dim(layer.stride, ndim, "stride")
    d = per_dim(layer.dilation, ndim, "dilation")
    padding, pad = _padding(layer, x, k, s, d)
    window = {
        "stride": _tuple(s) if s != (1,) * ndim else None,
        "padding": padding if padding != "0" else None,
        "dilation": _tuple(d) if d != (1,) * ndim else None,
    }
    return k, window, pad


def _conv(layer: Conv | DepthwiseConv, x: Shape) -> _Code:
    ndim = len(x) - 1
    k, window, pad = _conv_window(layer, x)
    if isinstance(layer, DepthwiseConv):
        out, groups = x[0] * layer.multiplier, x[0]
    else:
        out, groups = layer.filters, layer.groups
    module = f"nn.Conv{ndim}d(" + _args(
        str(x[0]),
        str(out),
        _tuple(k),
        **window,
        groups=str(groups) if groups != 1 else None,
        bias=None if layer.bias else "False",
    )
    return _Code(module + ")", lambda a, v: _activated(f"self.{a}({_padded(v[0], pad)})", layer.activation))


def _separable(layer: SeparableConv, x: Shape) -> _Code:
    ndim = len(x) - 1
    k, window, pad = _conv_window(layer, x)
    mid = x[0] * layer.multiplier
    depthwise = f"nn.Conv{ndim}d(" + _args(str(x[0]), str(mid), _tuple(k), **window, groups=str(x[0]), bias="False")
    pointwise = f"nn.Conv{ndim}d({mid}, {layer.filters}, 1" + ("" if layer.bias else ", bias=False") + ")"
    module = f"nn.Sequential({depthwise}), {pointwise})"
    return _Code(module, lambda a, v: _activated(f"self.{a}({_padded(v[0], pad)})", layer.activation))


def _transposed(layer: ConvTranspose, x: Shape) -> _Code:
    ndim = len(x) - 1
    k, s, d, op, pads = layer.geometry(x)
    extra = tuple(a - b for b, a in pads)
    if any(e < 0 for e in extra):
        raise ExportError.single(f"{layer.kind}: padding {pads} has more before than after; PyTorch cannot")
    # PyTorch pads both sides alike; padding after beyond that is taken off through output_padding
    padding = tuple(b for b, _ in pads)
    if any(e > 0 for e in extra):
        raise ExportError.single(f"{layer.kind}: asymmetric padding {pads} has no nn.ConvTranspose equivalent")
    module = f"nn.ConvTranspose{ndim}d(" + _args(
        str(x[0]),
        str(layer.filters),
        _tuple(k),
        stride=_tuple(s) if s != (1,) * ndim else None,
        padding=_tuple(padding) if any(padding) else None,
        output_padding=_tuple(op) if any(op) else None,
        groups=str(layer.groups) if layer.groups != 1 else None,
        bias=None if layer.bias else "False",
        dilation=_tuple(d) if d != (1,) * ndim else None,
    )
    return _Code(module + ")", lambda a, v: _activated(f"self.{a}({v[0]})", layer.activation))


def _pool(layer: Pool, x: Shape) -> _Code:
    ndim = len(x) - 1
    k = per_dim(layer.kernel, ndim, "kernel")
    s = per_dim(layer.stride if layer.stride is not None else layer.kernel, ndim, "stride")
    d = per_dim(layer.dilation, ndim, "dilation")
    padding, pad = _padding(layer, x, k, s, d)
    ceil = "True" if layer.ceil_mode else None
    strides = _tuple(s) if s != k else None
    if layer.kind == "max_pool":
        module = f"nn.MaxPool{ndim}d(" + _args(
            _tuple(k),
            stride=strides,
            padding=padding if padding != "0" else None,
            dilation=_tuple(d) if d != (1,) * ndim else None,
            ceil_mode=ceil,
        )
        return _Code(module + ")", lambda a, v: f"self.{a}({_padded(v[0], pad, NEG_INF)})")
    if d != (1,) * ndim:
        raise ExportError.single(f"{layer.kind} with dilation has no PyTorch module")
    if layer.kind == "avg_pool":
        module = f"nn.AvgPool{ndim}d(" + _args(
            _tuple(k), stride=strides, padding=padding if padding != "0" else None, ceil_mode=ceil
        )
        return _Code(module + ")", lambda a, v: f"self.{a}({_padded(v[0], pad)})")
    # sum and L2 pooling: PyTorch's power-average pool with p = 1 and p = 2; it takes no padding
    p = 1 if layer.kind == "sum_pool" else 2
    if padding != "0":
        pad = tuple(v for b in reversed(resolve_padding(layer.padding, x[1:], k, s, d)) for v in b)
    module = f"nn.LPPool{ndim}d({p}, " + _args(_tuple(k), stride=strides, ceil_mode=ceil)
    return _Code(module + ")", lambda a, v: f"self.{a}({_padded(v[0], pad)})")


def _code(layer: LayerBase, inputs: Sequence[Shape], name: str) -> _Code:
    """The PyTorch form of one layer, given the shapes it reads."""
    write = EXPORT.handler(layer, "export cannot write", name)
    return write(layer, inputs[0])


def _global_pool(layer: GlobalPool, x: Shape) -> _Code:
    kind = "Avg" if layer.kind == "global_avg_pool" else "Max"
    module = f"nn.Adaptive{kind}Pool{len(x) - 1}d(1)"
    if layer.keepdims:
        return _Code(module, lambda a, v: f"self.{a}({v[0]})")
    return _Code(module, lambda a, v: f"torch.flatten(self.{a}({v[0]}), 1)")


def _dense(layer: Dense, x: Shape) -> _Code:
    module = f"nn.Linear({prod(x)}, {layer.units}" + ("" if layer.bias else ", bias=False") + ")"
    flat = len(x) == 1

    def dense(a: str, v: Sequence[str]) -> str:
        vector = v[0] if flat else f"torch.flatten({v[0]}, 1)"
        return _activated(f"self.{a}({vector})", layer.activation)

    return _Code(module, dense)


def _flatten(layer: Flatten, x: Shape) -> _Code:
    return _Code(None, lambda a, v: f"torch.flatten({v[0]}, 1)")


def _activation(layer: Activation, x: Shape) -> _Code:
    module = f"nn.LeakyReLU({layer.negative_slope})" if layer.kind == "leaky_relu" else MODULES[layer.kind]
    return _Code(module, lambda a, v: f"self.{a}({v[0]})")


def _dropout(layer: Dropout, x: Shape) -> _Code:
    return _Code(f"nn.Dropout({layer.rate})", lambda a, v: f"self.{a}({v[0]})")


def _unflatten(layer: Unflatten, x: Shape) -> _Code:
    ones = ", 1" * layer.axes
    return _Code(None, lambda a, v: f"{v[0]}.reshape(-1, {x[0]}{ones})")


def _crop(layer: Crop, x: Shape) -> _Code:
    pairs = crop_pairs(layer.crop, len(x) - 1)
    cuts = ", ".join(f"{a}:{n - b}" for n, (a, b) in zip(x[1:], pairs, strict=True))
    return _Code(None, lambda a, v: f"{v[0]}[:, :, {cuts}]")


def _pad(layer: Pad, x: Shape) -> _Code:
    # nn.ZeroPad1d/2d/3d take F.pad's order: the last axis first, before then after
    pairs = pad_pairs(layer.padding, len(x) - 1)
    sides = tuple(v for pair in reversed(pairs) for v in pair)
    return _Code(f"nn.ZeroPad{len(x) - 1}d({_tuple(sides)})", lambda a, v: f"self.{a}({v[0]})")


def _batch_norm(layer: BatchNorm, x: Shape) -> _Code:
    if layer.affine and layer.scale != layer.center:
        learned = "scale" if layer.scale else "center"
        raise ExportError.single(
            f"batch_norm learning only its {learned}: nn.BatchNorm learns both gamma and beta or neither",
            hint="write affine: true or affine: false (Keras's scale=False batch norm has no PyTorch module)",
        )
    dims = {1: 1, 2: 1, 3: 2, 4: 3}[len(x)]
    module = f"nn.BatchNorm{dims}d(" + _args(
        str(x[0]),
        eps=repr(layer.epsilon) if layer.epsilon != 1e-5 else None,
        affine=None if layer.affine else "False",
    )
    return _Code(module + ")", lambda a, v: f"self.{a}({v[0]})")


def _lrn(layer: LocalResponseNorm, x: Shape) -> _Code:
    module = f"nn.LocalResponseNorm({layer.size}, alpha={layer.alpha!r}, beta={layer.beta!r}, k={layer.k!r})"
    return _Code(module, lambda a, v: f"self.{a}({v[0]})")


def _layer_norm(layer: LayerNorm, x: Shape) -> _Code:
    module = "nn.LayerNorm(" + _args(
        str(x[0]),
        eps=repr(layer.epsilon) if layer.epsilon != 1e-5 else None,
        elementwise_affine=None if layer.affine else "False",
    )
    if len(x) == 1:
        return _Code(module + ")", lambda a, v: f"self.{a}({v[0]})")
    rank = len(x) + 1
    last = _tuple_text((0, *range(2, rank), 1))
    first = _tuple_text((0, rank - 1, *range(1, rank - 1)))
    # the channels moved last for nn.LayerNorm, and back (as ConvNeXt's blocks do)
    return _Code(module + ")", lambda a, v: f"self.{a}({v[0]}.permute{last}).permute{first}")


def _tuple_text(values: Sequence[int]) -> str:
    return "(" + ", ".join(map(str, values)) + ")"


def _scale(layer: Scale, x: Shape) -> _Code:
    if layer.learned:
        if layer.op != "multiply" or len(x) < 2:
            raise ExportError.single(f"scale: a learned {layer.op} per channel has no PyTorch module")
        # one learned factor per channel is a depthwise 1x1 convolution without bias: C weights
        module = f"nn.Conv{len(x) - 1}d({x[0]}, {x[0]}, 1, groups={x[0]}, bias=False)"
        return _Code(module, lambda a, v: f"self.{a}({v[0]})")
    op = {"multiply": "*", "add": "+", "subtract": "-", "divide": "/", "power": "**"}[layer.op]
    return _Code(None, lambda a, v: f"({v[0]} {op} {layer.value!r})")


def _channel_shuffle(layer: ChannelShuffle, x: Shape) -> _Code:
    return _Code(f"nn.ChannelShuffle({layer.groups})", lambda a, v: f"self.{a}({v[0]})")


def _channel_slice(layer: ChannelSlice, x: Shape) -> _Code:
    return _Code(None, lambda a, v: f"{v[0]}[:, {layer.start}:{layer.stop}]")


def _upsample(layer: Upsample, x: Shape) -> _Code:
    ndim = len(x) - 1
    mode = "nearest" if layer.mode == "nearest" else {1: "linear", 2: "bilinear", 3: "trilinear"}[ndim]
    if layer.size is not None:
        size = per_dim(layer.size, ndim, "size")
        return _Code(f"nn.Upsample(size={_tuple(size)}, mode={mode!r})", lambda a, v: f"self.{a}({v[0]})")
    scale = per_dim(layer.scale, ndim, "scale")
    factor = f"{float(scale[0])!r}" if len(set(scale)) == 1 else str(tuple(float(f) for f in scale))
    module = f"nn.Upsample(scale_factor={factor}, mode={mode!r})"
    return _Code(module, lambda a, v: f"self.{a}({v[0]})")


def _add(layer: Add, x: Shape) -> _Code:
    return _Code(None, lambda a, v: " + ".join(v))


def _multiply(layer: Multiply, x: Shape) -> _Code:
    return _Code(None, lambda a, v: " * ".join(v))


def _concat(layer: Concat, x: Shape) -> _Code:
    return _Code(None, lambda a, v: f"torch.cat([{', '.join(v)}], dim=1)")


#: the PyTorch export's capability table: each layer class -> its code, given the shape it reads
EXPORT: Capabilities[Callable[[Any, Shape], _Code]] = Capabilities(
    feature="the PyTorch export",
    lacks="PyTorch module",
    handlers={
        Conv: _conv,
        DepthwiseConv: _conv,
        SeparableConv: _separable,
        ConvTranspose: _transposed,
        Pool: _pool,
        GlobalPool: _global_pool,
        Dense: _dense,
        Flatten: _flatten,
        Activation: _activation,
        Dropout: _dropout,
        BatchNorm: _batch_norm,
        LocalResponseNorm: _lrn,
        Upsample: _upsample,
        Add: _add,
        Multiply: _multiply,
        Concat: _concat,
        Unflatten: _unflatten,
        Crop: _crop,
        Pad: _pad,
        LayerNorm: _layer_norm,
        Scale: _scale,
        ChannelShuffle: _channel_shuffle,
        ChannelSlice: _channel_slice,
    },
    unsupported={
        LocallyConnected: "PyTorch has no locally connected layer (torch.nn has no such module)",
        Normalize: "a spec keeps no mean and std to write: standardise the input before the model",
    },
    error=ExportError,
)


def export_pytorch(spec: Spec, trace: bool = False) -> str:
    """The source of a module class for `spec`, with `build_<name>()` and the shapes in comments.

    trace=True also stores every layer's output in `self.trace[name]` during forward, so a
    test can compare each layer's shape with cnncalc's; the module is otherwise the same.
    """
    graph = build_graph(spec)
    report = analyze(spec)
    rows = report.rows
    readers: list[list[int]] = [[] for _ in graph.nodes]
    for i, node in enumerate(graph.nodes):
        for j in node.inputs:
            readers[j].append(i)
    taken: set[str] = set()
    attrs: dict[int, str] = {}
    ctor_lines: list[str] = []
    body: list[str] = []
    variables: dict[int, str] = {}
    last = len(graph.nodes) - 1
    names: set[str] = set()

    def variable(i: int) -> str:
        if i != last and readers[i] == [i + 1]:
            return "x"
        return python_identifier(graph.nodes[i].name, names) if i else "inp"

    variables[0] = variable(0)
    if variables[0] != "x":
        body.append(f"{variables[0]} = x")
    for i, node in enumerate(graph.nodes[1:], start=1):
        layer = node.layer
        assert layer is not None
        inputs = [rows[j].output_shape for j in node.inputs]
        code = _code(layer, inputs, node.name)
        if node.shares is not None and node.shares in attrs:
            attr = attrs[node.shares]  # the same module, called again: its weights count once
        else:
            attr = python_identifier(node.name, taken) if code.module is not None else ""
            attrs[i] = attr
        if code.module is not None and node.shares is None:
            shape = "x".join(map(str, rows[i].output_shape))
            named = "" if attr == node.name else f"{python_literal(node.name)} "
            ctor_lines.append(f"self.{attr} = {code.module}  # {named}-> {shape}")
            if not layer.trainable:  # a frozen layer: its weights get no gradient
                ctor_lines.append(f"self.{attr}.requires_grad_(False)")
        elif node.shares is not None and code.module is not None:
            ctor_lines.append(f"# {python_literal(node.name)} shares the weights of self.{attr}")
        expression = code.call(attr, [variables[j] for j in node.inputs])
        variables[i] = variable(i)
        body.append(f"{variables[i]} = {expression}")
        if trace:
            body.append(f"self.trace[{python_literal(node.name)}] = {variables[i]}")
    outputs = [variables[i] for i in range(1, len(graph.nodes)) if not readers[i]]
    body.append(f"return {outputs[0]}" if len(outputs) == 1 else f"return {', '.join(outputs)}")
    totals = report.totals
    return _source(spec, (totals.params, totals.trainable_params), ctor_lines, body, trace, len(outputs))


def _source(spec: Spec, params: tuple[int, int], ctor: list[str], body: list[str], trace: bool, outputs: int) -> str:
    """The module's source; `params`: (all, trainable), as PyTorch counts them."""
    cls = class_identifier(spec.name)
    shape = ", ".join(map(str, spec.input.channels_first()))
    total, trainable = params
    header = [
        f'"""{cls}: a network as a PyTorch module, written by `cnncalc export` from its cnncalc spec.',
        "",
        f"Input: a batch of shape (N, {shape}), channels first. Parameters: {total:,}",
        "(as sum(p.numel() for p in model.parameters())).",
        *(
            [f"Trainable: {trainable:,}; the layers written `trainable: false` are frozen (requires_grad_(False))."]
            if trainable != total
            else []
        ),
        "Names are the spec's made into Python identifiers; a comment gives the original where it differs.",
        '"""',
        f"# network: {python_literal(spec.name)}",
        "",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        "",
        f"class {cls}(nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
    ]
    if trace:
        header.append("        self.trace: dict[str, torch.Tensor] = {}")
    lines = header + [f"        {line}" for line in ctor]
    returns = "torch.Tensor" if outputs == 1 else f"tuple[{', '.join(['torch.Tensor'] * outputs)}]"
    lines += ["", f"    def forward(self, x: torch.Tensor) -> {returns}:"]
    lines += [f"        {line}" for line in body]
    lines += [
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {cls}()",
        f"    print(sum(p.numel() for p in model.parameters()), model(torch.zeros(1, {shape})))"
        if outputs > 1
        else f"    print(model(torch.zeros(1, {shape})).shape, sum(p.numel() for p in model.parameters()))",
    ]
    return "\n".join(lines) + "\n"
