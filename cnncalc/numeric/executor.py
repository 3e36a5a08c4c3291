"""Run a network on arrays: seeded weights, one forward pass, and what it measured.

The graph (cnncalc.core.graph) gives the execution order and who reads whom; everything
else is read from the arrays: an output's shape is the shape of the array a kernel
returned, a layer's parameters are the arrays allocated for it, its MACs are counted
from the matrix products it ran (blas.MacCounter), and activation memory is the sum
of the distinct buffers that layer outputs hold while they are still to be read.
Only hyper-parameters (kernel, stride, padding as written, filters, ...) come from the
layer models; no symbolic rule of cnncalc.layers is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any, Literal

import numpy as np

from cnncalc.core.graph import Graph, build_graph
from cnncalc.layers import LayerBase
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
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
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.resample import Upsample
from cnncalc.numeric import conv, pointwise
from cnncalc.numeric.blas import Array, MacCounter
from cnncalc.numeric.conv import DEFAULT_WORKSPACE, Pair, Workspace
from cnncalc.spec.model import Spec
from cnncalc.units import DTYPES

#: what an allocated array is, for counting it under the report's conventions:
#: weight (always a param), bias (a param unless biases are not counted), shift (batch
#: norm's beta: always), state (batch norm's running statistics: a param only as Keras counts)
Role = Literal["weight", "bias", "shift", "state"]

#: bytes per element of the dtypes NumPy has no type for; the others come from np.dtype
_NO_NUMPY_TYPE = {name: info.bytes for name, info in DTYPES.items() if info.numpy is None}

Progress = Callable[[int, int, str], None]


def element_bytes(dtype: str) -> int:
    """Bytes one element of `dtype` takes in memory (what activation bytes are counted in)."""
    return _NO_NUMPY_TYPE.get(dtype) or np.dtype(dtype).itemsize


def compute_dtype(dtype: str) -> np.dtype[Any]:
    """The type arithmetic runs in: float64 as asked, float32 for every other dtype.

    NumPy has no bfloat16 or float8, and its float16 and integer products do not use
    BLAS; shapes, counts and memory do not depend on the values, and memory is still
    counted at the spec's element size.
    """
    return np.dtype(np.float64 if dtype == "float64" else np.float32)


@dataclass
class ParamSet:
    """The arrays of one layer's weights, each with its role."""

    arrays: dict[str, tuple[Array, Role]] = field(default_factory=dict)

    def get(self, name: str) -> Array | None:
        found = self.arrays.get(name)
        return None if found is None else found[0]

    def need(self, name: str) -> Array:
        found = self.arrays[name]
        return found[0]

    def elements(self, role: Role) -> int:
        return sum(a.size for a, r in self.arrays.values() if r == role)


@dataclass(frozen=True)
class LayerMeasure:
    """What one layer did, as measured (row 0 is the input)."""

    name: str
    kind: str
    shape: tuple[int, ...]  # one sample's output, channels-first
    batch: int
    elements: dict[str, int]  # allocated param elements by role (0 for layers that share)
    macs: int
    new_bytes: int  # bytes of the new output buffer at the spec's element size; 0 if in place or a view
    live_bytes: int  # activation bytes live right after this layer ran
    seconds: float  # the forward computation
    init_seconds: float  # allocating and filling its weights


@dataclass(frozen=True)
class Execution:
    layers: tuple[LayerMeasure, ...]
    peak_bytes: int
    compute_dtype: str
    finite: bool  # whether the network's output has no inf or nan
    init_seconds: float
    forward_seconds: float


@dataclass
class _Context:
    rng: np.random.Generator
    dtype: np.dtype[Any]
    workspace: Workspace
    inplace: bool


def execute(
    spec: Spec,
    seed: int = 0,
    workspace: int = DEFAULT_WORKSPACE,
    inplace: bool = True,
    progress: Progress | None = None,
) -> Execution:
    """Allocate seeded weights and run one forward pass of `spec`'s network, measuring it.

    inplace: activations, dropout and flatten reuse their input's buffer when nothing else
    reads that input, as an inference engine would; otherwise they write a new array (even
    as the last reader: that tensor's other readers are part of the graph's contract).
    """
    graph = build_graph(spec)
    ctx = _Context(np.random.default_rng(seed), compute_dtype(spec.dtype), Workspace(workspace), inplace)
    scale = element_bytes(spec.dtype)
    with np.errstate(all="ignore"):  # random weights may overflow a float; counts do not care
        return _run(graph, spec, ctx, scale, progress)


def _run(graph: Graph, spec: Spec, ctx: _Context, scale: int, progress: Progress | None) -> Execution:
    nodes = graph.nodes
    readers = graph.reader_counts()  # readers still to run, for freeing
    fan_out = list(readers)  # all readers: an element-wise layer overwrites its input only when it is the one
    x = ctx.rng.standard_normal((spec.batch, *spec.input.channels_first()), dtype=ctx.dtype)
    values: dict[int, Array] = {0: x}
    params: dict[int, ParamSet] = {}
    elements: dict[int, dict[str, int]] = {}
    init_times = [0.0] * len(nodes)
    live = _live_bytes(values, scale)
    measures: list[LayerMeasure] = [
        LayerMeasure("input", "input", x.shape[1:], x.shape[0], {}, 0, _bytes(x, scale), live, 0.0, 0.0)
    ]
    peak = live
    forward = 0.0
    for i, node in enumerate(nodes[1:], start=1):
        layer = node.layer
        assert layer is not None
        inputs = [values[j] for j in node.inputs]
        owner = i if node.shares is None else node.shares
        start = time.perf_counter()
        if owner not in params:
            params[owner] = init_params(layer, inputs[0].shape, ctx)
            elements[owner] = {role: params[owner].elements(role) for role in ("weight", "bias", "shift", "state")}
        init_times[owner] += time.perf_counter() - start
        counter = MacCounter()
        sole_reader = len(node.inputs) == 1 and fan_out[node.inputs[0]] == 1
        start = time.perf_counter()
        out = forward_layer(layer, inputs, params[owner], counter, ctx, ctx.inplace and sole_reader)
        seconds = time.perf_counter() - start
        forward += seconds
        bases = {id(_buffer(a)) for a in inputs}
        values[i] = out
        live = _live_bytes(values, scale)
        peak = max(peak, live)
        measures.append(
            LayerMeasure(
                node.name,
                layer.kind,
                out.shape[1:],
                out.shape[0],
                {},
                counter.macs,
                0 if id(_buffer(out)) in bases else _bytes(out, scale),
                live,
                seconds,
                0.0,
            )
        )
        for j in node.inputs:
            readers[j] -= 1
        for j in {*node.inputs, i}:
            if readers[j] == 0 and j != len(nodes) - 1:
                values.pop(j, None)  # freed once its last reader has run; the output stays
        if progress is not None:
            progress(i, len(nodes) - 1, node.name)
    final = values[len(nodes) - 1]
    layers = tuple(
        LayerMeasure(
            m.name,
            m.kind,
            m.shape,
            m.batch,
            elements.get(i, {}),
            m.macs,
            m.new_bytes,
            m.live_bytes,
            m.seconds,
            init_times[i],
        )
        for i, m in enumerate(measures)
    )
    return Execution(
        layers=layers,
        peak_bytes=peak,
        compute_dtype=str(ctx.dtype),
        finite=bool(np.isfinite(final).all()),
        init_seconds=sum(init_times),
        forward_seconds=forward,
    )


def _buffer(a: Array) -> Array:
    """The array that owns a's memory (a itself, or the base of the view it is)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _bytes(a: Array, scale: int) -> int:
    """Bytes of a's whole buffer, at `scale` bytes per element."""
    owner = _buffer(a)
    return owner.size * scale


def _live_bytes(values: dict[int, Array], scale: int) -> int:
    """Activation memory held now: each distinct buffer once, however many views share it."""
    owners = {id(_buffer(a)): _buffer(a) for a in values.values()}
    return sum(a.size for a in owners.values()) * scale


# --- hyper-parameters, resolved from the layer models --------------------------------------------


def axes(value: int | Sequence[int], nd: int) -> tuple[int, ...]:
    """One int for every spatial axis, or the list given (one per axis)."""
    if isinstance(value, int):
        return (value,) * nd
    if len(value) != nd:
        raise ValueError(f"{list(value)} gives {len(value)} values for {nd} spatial axes")
    return tuple(value)


def paddings(
    padding: str | int | Sequence[int | Sequence[int]],
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[Pair, ...]:
    """(before, after) per axis from any spelling; 'same' as TensorFlow (extra pixel after)."""
    nd = len(sizes)
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        pairs: list[Pair] = []
        for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
            positions = -(-n // s)
            total = max((positions - 1) * s + d * (k - 1) + 1 - n, 0)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    if isinstance(padding, int):
        return ((padding, padding),) * nd
    assert not isinstance(padding, str)
    if len(padding) != nd:
        raise ValueError(f"padding {padding} has {len(padding)} entries for {nd} spatial axes")
    return tuple((p, p) if isinstance(p, int) else (p[0], p[1]) for p in padding)


def _transposed_paddings(layer: ConvTranspose, nd: int, sizes: Sequence[int]) -> tuple[Pair, ...]:
    """A transposed conv's 'same' makes the output input x stride (PyTorch-style cropping)."""
    kernel = axes(layer.kernel, nd)
    stride = axes(layer.stride, nd)
    dilation = axes(layer.dilation, nd)
    if layer.padding != "same":
        return paddings(layer.padding, sizes, kernel, stride, dilation)
    extra = axes(layer.output_padding, nd)
    pairs: list[Pair] = []
    for k, s, d, op in zip(kernel, stride, dilation, extra, strict=True):
        total = d * (k - 1) + 1 + op - s
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


# --- weights ---------------------------------------------------------------------------------------


def init_params(layer: LayerBase, input_shape: tuple[int, ...], ctx: _Context) -> ParamSet:
    """Seeded random weights for `layer` on a batched input of `input_shape`.

    Weights are uniform in +-sqrt(6 / fan_in) (He's uniform init), biases in
    +-1/sqrt(fan_in) (PyTorch's default): values stay in range through deep networks.
    """
    p = ParamSet()
    c = input_shape[1] if len(input_shape) > 1 else 0
    nd = len(input_shape) - 2
    if isinstance(layer, Conv):
        kernel = axes(layer.kernel, nd)
        shape = (layer.filters, c // layer.groups, *kernel)
        if conv.prefers_tap_major(kernel, axes(layer.stride, nd), layer.groups, c):
            flat = _uniform(ctx, (prod(shape),), -1.0, 1.0)
            flat *= float(np.sqrt(6 / prod(shape[1:])))
            p.arrays["weight"] = (conv.tap_major_weights(shape, flat), "weight")
        else:
            _weight(p, ctx, "weight", shape)
        _bias(p, ctx, layer.bias, (layer.filters,), (c // layer.groups) * prod(kernel))
    elif isinstance(layer, DepthwiseConv):
        kernel = axes(layer.kernel, nd)
        _weight(p, ctx, "weight", (c * layer.multiplier, 1, *kernel))
        _bias(p, ctx, layer.bias, (c * layer.multiplier,), prod(kernel))
    elif isinstance(layer, SeparableConv):
        kernel = axes(layer.kernel, nd)
        mid = c * layer.multiplier
        _weight(p, ctx, "depthwise", (mid, 1, *kernel))
        _weight(p, ctx, "pointwise", (layer.filters, mid, *(1,) * nd))
        _bias(p, ctx, layer.bias, (layer.filters,), mid)
    elif isinstance(layer, ConvTranspose):
        kernel = axes(layer.kernel, nd)
        _weight(p, ctx, "weight", (c, layer.filters // layer.groups, *kernel), fan_in=c * prod(kernel))
        _bias(p, ctx, layer.bias, (layer.filters,), c * prod(kernel))
    elif isinstance(layer, LocallyConnected):
        kernel = axes(layer.kernel, nd)
        grid = _grid(layer, input_shape[2:], kernel)
        _weight(p, ctx, "weight", (prod(grid), layer.filters, c * prod(kernel)))
        _bias(p, ctx, layer.bias, (layer.filters, *grid), c * prod(kernel))
    elif isinstance(layer, Dense):
        features = prod(input_shape[1:])
        _weight(p, ctx, "weight", (layer.units, features))
        _bias(p, ctx, layer.bias, (layer.units,), features)
    elif isinstance(layer, BatchNorm):
        if layer.affine:
            p.arrays["gamma"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
            p.arrays["beta"] = (_uniform(ctx, (c,), -0.1, 0.1), "shift")
        p.arrays["running_mean"] = (_uniform(ctx, (c,), -0.1, 0.1), "state")
        p.arrays["running_var"] = (_uniform(ctx, (c,), 0.5, 1.5), "state")
    elif isinstance(layer, LayerNorm):
        if layer.affine:
            p.arrays["gamma"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
            p.arrays["beta"] = (_uniform(ctx, (c,), -0.1, 0.1), "shift")
    elif isinstance(layer, Scale) and layer.learned:
        p.arrays["weight"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
    return p


def _grid(layer: LocallyConnected, sizes: Sequence[int], kernel: Sequence[int]) -> tuple[int, ...]:
    """Output positions of a locally connected layer: the windows that fit, read off a view.

    The view is of a zero-stride array of the padded size, so nothing is allocated.
    """
    nd = len(sizes)
    stride = axes(layer.stride, nd)
    dilation = axes(layer.dilation, nd)
    pads = paddings(layer.padding, sizes, kernel, stride, dilation)
    shape = tuple(n + a + b for n, (a, b) in zip(sizes, pads, strict=True))
    view = conv.windows(np.broadcast_to(np.float32(0), shape), kernel, stride, dilation)
    return tuple(view.shape[:nd])


def _uniform(ctx: _Context, shape: tuple[int, ...], low: float, high: float) -> Array:
    a = ctx.rng.random(shape, dtype=ctx.dtype)  # in place from here on: no float64 temporary
    a *= high - low
    a += low
    return a


def _weight(p: ParamSet, ctx: _Context, name: str, shape: tuple[int, ...], fan_in: int | None = None) -> None:
    fan = fan_in if fan_in is not None else prod(shape[1:])
    bound = float(np.sqrt(6 / max(fan, 1)))
    p.arrays[name] = (_uniform(ctx, shape, -bound, bound), "weight")


def _bias(p: ParamSet, ctx: _Context, present: bool, shape: tuple[int, ...], fan_in: int) -> None:
    if present:
        bound = float(1 / np.sqrt(max(fan_in, 1)))
        p.arrays["bias"] = (_uniform(ctx, shape, -bound, bound), "bias")


# --- the forward step of each layer kind ----------------------------------------------------------


def forward_layer(
    layer: LayerBase, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    """The output of `layer` on `inputs`; `inplace` lets an element-wise layer overwrite its input."""
    x = inputs[0]
    nd = x.ndim - 2
    ws = ctx.workspace
    if isinstance(layer, Conv | DepthwiseConv | SeparableConv):
        kernel = axes(layer.kernel, nd)
        stride = axes(layer.stride, nd)
        dilation = axes(layer.dilation, nd)
        pads = paddings(layer.padding, x.shape[2:], kernel, stride, dilation)
        act = layer.activation
        if isinstance(layer, Conv):
            return conv.conv(x, p.need("weight"), p.get("bias"), stride, pads, dilation, layer.groups, counter, ws, act)
        if isinstance(layer, DepthwiseConv):
            return conv.conv(x, p.need("weight"), p.get("bias"), stride, pads, dilation, x.shape[1], counter, ws, act)
        mid = conv.conv(x, p.need("depthwise"), None, stride, pads, dilation, x.shape[1], counter, ws)
        ones = (1,) * nd
        return conv.conv(mid, p.need("pointwise"), p.get("bias"), ones, ((0, 0),) * nd, ones, 1, counter, ws, act)
    if isinstance(layer, ConvTranspose):
        out = conv.conv_transpose(
            x,
            p.need("weight"),
            p.get("bias"),
            axes(layer.stride, nd),
            _transposed_paddings(layer, nd, x.shape[2:]),
            axes(layer.dilation, nd),
            axes(layer.output_padding, nd),
            layer.groups,
            counter,
            ws,
        )
        return _fused(out, layer.activation)
    if isinstance(layer, LocallyConnected):
        kernel = axes(layer.kernel, nd)
        stride = axes(layer.stride, nd)
        dilation = axes(layer.dilation, nd)
        pads = paddings(layer.padding, x.shape[2:], kernel, stride, dilation)
        out = conv.locally_connected(x, p.need("weight"), p.get("bias"), kernel, stride, pads, dilation, counter, ws)
        return _fused(out, layer.activation)
    if isinstance(layer, Dense):
        return _fused(conv.dense(x, p.need("weight"), p.get("bias"), counter), layer.activation)
    if isinstance(layer, Pool):
        kernel = axes(layer.kernel, nd)
        stride = axes(layer.kernel if layer.stride is None else layer.stride, nd)
        dilation = axes(layer.dilation, nd)
        pads = paddings(layer.padding, x.shape[2:], kernel, stride, dilation)
        return conv.pool(x, layer.kind, kernel, stride, pads, dilation, layer.ceil_mode)
    if isinstance(layer, GlobalPool):
        return conv.global_pool(x, layer.kind, layer.keepdims)
    if isinstance(layer, Activation):
        return pointwise.activation(x, layer.kind, layer.negative_slope, inplace=inplace)
    if isinstance(layer, Dropout):
        return x if inplace else x.copy()  # identity at inference
    if isinstance(layer, Flatten):
        flat = x.reshape(x.shape[0], -1)
        return flat if inplace else flat.copy()
    if isinstance(layer, BatchNorm):
        return pointwise.batch_norm(
            x, p.need("running_mean"), p.need("running_var"), p.get("gamma"), p.get("beta"), layer.epsilon
        )
    if isinstance(layer, LocalResponseNorm):
        return pointwise.lrn(x, layer.size, layer.alpha, layer.beta, layer.k)
    if isinstance(layer, LayerNorm):
        return pointwise.layer_norm(x, p.get("gamma"), p.get("beta"), layer.epsilon)
    if isinstance(layer, Scale):
        return pointwise.scale(x, layer.op, layer.value, p.get("weight"))
    if isinstance(layer, ChannelShuffle):
        return pointwise.channel_shuffle(x, layer.groups)
    if isinstance(layer, ChannelSlice):
        part = x[:, layer.start : layer.stop]
        return part if inplace else part.copy()
    if isinstance(layer, Upsample):
        return pointwise.upsample(x, axes(layer.scale, nd), layer.mode)
    if isinstance(layer, Add):
        return pointwise.add(inputs)
    if isinstance(layer, Multiply):
        return pointwise.multiply(inputs)
    if isinstance(layer, Concat):
        return pointwise.concat(inputs)
    raise NotImplementedError(f"the numeric core has no kernel for layer kind {layer.kind!r}")


def _fused(out: Array, name: str | None) -> Array:
    """A Keras-style `activation:` applied in place on the layer's fresh output."""
    return out if name is None or name == "linear" else pointwise.activation(out, name, inplace=True)


__all__ = ["DEFAULT_WORKSPACE", "Execution", "LayerMeasure", "ParamSet", "compute_dtype", "element_bytes", "execute"]
