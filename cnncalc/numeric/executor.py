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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import prod
from typing import Any, Literal

import numpy as np

from cnncalc.core.graph import Graph, build_graph
from cnncalc.layers import LayerBase
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
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.numeric import conv, pointwise
from cnncalc.numeric.blas import Array, MacCounter
from cnncalc.numeric.conv import DEFAULT_WORKSPACE, Pair, Workspace
from cnncalc.spec.model import Spec
from cnncalc.units import DTYPES

#: what an allocated array is, for counting it under the report's conventions:
#: weight (always a param), bias (a param unless biases are not counted), shift (batch
#: norm's beta: always), state (batch norm's running statistics: a param only as Keras counts),
#: constant (numbers a layer computes with that no convention counts: a fixed mean and std)
Role = Literal["weight", "bias", "shift", "state", "constant"]

#: how a layer's work was done by the layer before it (see `_plan_fusions`): "" not at all;
#: "folded" a batch norm whose scale and shift its convolution applied; "folded+relu" the same,
#: and the ReLU that reads it is applied with its copy; "applied" that ReLU
Fused = Literal["", "folded", "folded+relu", "applied"]

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
    #: arrays computed from the weights of this and other layers at set-up, never counted as
    #: parameters: a convolution's bias with the batch norm after it folded in
    derived: dict[str, Array] = field(default_factory=dict)
    fused: Fused = ""

    def get(self, name: str) -> Array | None:
        found = self.arrays.get(name)
        return None if found is None else found[0]

    def need(self, name: str) -> Array:
        found = self.arrays[name]
        return found[0]

    def elements(self, role: Role) -> int:
        return sum(a.size for a, r in self.arrays.values() if r == role)

    def bias(self) -> Array | None:
        """The bias the forward step adds: a folded one where there is one, else the layer's own."""
        return self.derived.get("bias", self.get("bias"))


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
    output: Array  # the network's output
    init_seconds: float
    forward_seconds: float


@dataclass
class _Context:
    rng: np.random.Generator  # the generator of the layer being set up (see `_init`)
    dtype: np.dtype[Any]
    workspace: Workspace
    inplace: bool
    seed: int = 0


def execute(
    spec: Spec,
    seed: int = 0,
    workspace: int = DEFAULT_WORKSPACE,
    inplace: bool = True,
    progress: Progress | None = None,
    fuse: bool = True,
) -> Execution:
    """Allocate seeded weights and run one forward pass of `spec`'s network, measuring it.

    inplace: activations, dropout and flatten reuse their input's buffer when nothing else
    reads that input, as an inference engine would; otherwise they write a new array (even
    as the last reader: that tensor's other readers are part of the graph's contract).
    fuse: a batch norm that only reads a convolution is folded into its weights and bias, and
    a ReLU after it applied with its copy (see `_plan_fusions`); the values are the same to
    rounding, the arrays allocated and the products run are the same.
    Each layer's weights are drawn from a generator of its own, seeded by (seed, its index),
    so a layer's values do not depend on the order layers are set up in.
    """
    graph = build_graph(spec)
    for node in graph.nodes[1:]:  # a kind without a kernel is refused before anything is allocated
        assert node.layer is not None
        KERNELS.handler(node.layer, "verify cannot run", node.name)
    ctx = _Context(np.random.default_rng(seed), compute_dtype(spec.dtype), Workspace(workspace), inplace, seed)
    scale = element_bytes(spec.dtype)
    with np.errstate(all="ignore"):  # random weights may overflow a float; counts do not care
        return _run(graph, spec, ctx, scale, progress, fuse)


#: whether a run lets NumPy ask the kernel for huge pages (madvise MADV_HUGEPAGE) for its weights
HUGE_PAGES = False


@contextmanager
def small_pages() -> Iterator[None]:
    """Run the body with NumPy's huge-page advice off (unless HUGE_PAGES), then restore it.

    NumPy advises huge pages for every array of 4 MiB or more. Where the kernel compacts
    memory on such a fault (transparent_hugepage/defrag = madvise, a common default), a
    process's first touch of fresh memory stalls: filling 411 MB for the first time took
    0.9 s of system time against 0.17 s in ordinary pages, and a later refill in recycled
    huge pages 0.08 s. Weights are allocated in ordinary pages (the bulk of a run's fresh
    memory, touched once by their fill); activations and the workspace keep huge pages,
    which the convolutions read many times (VGG-16's forward was 15% slower without).
    NumPy builds without the switch are left as they are.
    """
    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if HUGE_PAGES or setter is None:
        yield
        return
    before = setter(False)
    try:
        yield
    finally:
        setter(before)


def _run(graph: Graph, spec: Spec, ctx: _Context, scale: int, progress: Progress | None, fuse: bool) -> Execution:
    nodes = graph.nodes
    readers = graph.reader_counts()  # readers still to run, for freeing
    fan_out = list(readers)  # all readers: an element-wise layer overwrites its input only when it is the one
    plan = _plan_fusions(graph, fan_out, ctx.inplace) if fuse else {}
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
            params[owner] = _init(layer, owner, inputs[0].shape, ctx)
            elements[owner] = _elements(params[owner])
        init_times[owner] += time.perf_counter() - start
        if owner in plan and plan[owner][0] not in params:
            start = time.perf_counter()
            norm, relu = plan[owner]
            _fold(params[owner], nodes[norm].layer, norm, inputs[0].shape[0], ctx, params, relu)
            for j in (norm,) if relu is None else (norm, relu):
                elements[j] = _elements(params[j])
            init_times[norm] += time.perf_counter() - start
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
        freed = []
        for j in {*node.inputs, i}:
            if readers[j] == 0 and j != len(nodes) - 1:
                freed.append(values.pop(j, None))  # freed once its last reader has run; the output stays
        _recycle(freed, values, ctx.workspace)
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
        output=final,
        init_seconds=sum(init_times),
        forward_seconds=forward,
    )


def _init(layer: LayerBase, index: int, input_shape: tuple[int, ...], ctx: _Context) -> ParamSet:
    """Layer `index`'s weights, drawn from its own generator, in ordinary pages (`small_pages`)."""
    ctx.rng = np.random.default_rng((ctx.seed, index))
    with small_pages():
        return init_params(layer, input_shape, ctx)


def _elements(p: ParamSet) -> dict[str, int]:
    return {role: p.elements(role) for role in ("weight", "bias", "shift", "state")}


#: a convolution's index -> the batch norm folded into it, and the ReLU after that batch norm (or None)
Plan = dict[int, tuple[int, int | None]]


def _plan_fusions(graph: Graph, fan_out: Sequence[int], inplace: bool) -> Plan:
    """Which batch norms fold into the convolution before them, and which ReLUs go with them.

    A batch norm folds when it is the only reader of a convolution (or depthwise one) with no
    activation of its own, and neither shares weights with another layer (folding changes the
    convolution's weights). The ReLU that is the batch norm's only reader goes with it when it
    would run in place. What changes is where the arithmetic happens, not what is allocated:
    the convolution writes its output, scaled and shifted; the batch norm still writes a new
    output, a copy (through the ReLU); the ReLU leaves its input as it is, as in place.
    """
    nodes = graph.nodes
    shared = {node.shares for node in nodes if node.shares is not None}
    readers: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        for j in node.inputs:
            readers.setdefault(j, []).append(i)

    def alone(i: int) -> bool:
        return nodes[i].shares is None and i not in shared

    plan: Plan = {}
    for i, node in enumerate(nodes):
        layer = node.layer
        if not isinstance(layer, Conv | DepthwiseConv) or layer.activation not in (None, "linear"):
            continue
        if fan_out[i] != 1 or not alone(i):
            continue
        (norm,) = readers[i]
        if not isinstance(nodes[norm].layer, BatchNorm) or nodes[norm].inputs != (i,) or not alone(norm):
            continue
        relu = None
        if inplace and fan_out[norm] == 1:
            (after,) = readers[norm]
            act = nodes[after].layer
            if isinstance(act, Activation) and act.kind == "relu" and nodes[after].inputs == (norm,):
                relu = after
        plan[i] = (norm, relu)
    return plan


def _fold(
    conv_params: ParamSet,
    norm: LayerBase | None,
    index: int,
    batch: int,
    ctx: _Context,
    params: dict[int, ParamSet],
    relu: int | None,
) -> None:
    """Set up the batch norm `index` now and fold it into the convolution's weights and bias.

    w' = w x scale per filter, b' = b x scale + shift, with scale = gamma / sqrt(var + eps)
    and shift = beta - mean x scale: then conv(x; w', b') = batch_norm(conv(x; w, b)). The
    batch norm's own arrays are allocated and counted as they would be; b' is derived.
    """
    assert isinstance(norm, BatchNorm)
    w = conv_params.need("weight")
    p = _init(norm, index, (batch, w.shape[0]), ctx)
    factor, shift = pointwise.batch_norm_affine(
        p.need("running_mean"), p.need("running_var"), p.get("gamma"), p.get("beta"), norm.epsilon
    )
    bias = conv_params.get("bias")
    if bias is not None:
        shift = shift + bias * factor
    w *= factor.astype(w.dtype).reshape((-1,) + (1,) * (w.ndim - 1))
    conv_params.derived["bias"] = shift.astype(w.dtype)
    p.fused = "folded" if relu is None else "folded+relu"
    params[index] = p
    if relu is not None:
        params[relu] = ParamSet(fused="applied")


def _recycle(freed: Sequence[Array | None], values: dict[int, Array], ws: Workspace) -> None:
    """Hand the buffers of freed tensors to the workspace for later outputs of their size,
    unless a tensor still held is (a view of) the same memory, as an in-place activation's is."""
    if not any(a is not None for a in freed):
        return
    held = {id(_buffer(a)) for a in values.values()}
    for a in freed:
        if a is None:
            continue
        owner = _buffer(a)
        if id(owner) not in held:
            held.add(id(owner))
            ws.release(owner)


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
    kernel = KERNELS.handler(layer, "verify cannot run", layer.name or layer.kind)
    if kernel.init is not None:
        c = input_shape[1] if len(input_shape) > 1 else 0
        kernel.init(layer, input_shape, c, ctx, p)
    return p


def _init_conv(layer: Conv, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    nd = len(input_shape) - 2
    kernel = axes(layer.kernel, nd)
    shape = (layer.filters, c // layer.groups, *kernel)
    if conv.prefers_tap_major(kernel, axes(layer.stride, nd), layer.groups, c):
        flat = _uniform(ctx, (prod(shape),), -1.0, 1.0)
        flat *= float(np.sqrt(6 / prod(shape[1:])))
        p.arrays["weight"] = (conv.tap_major_weights(shape, flat), "weight")
    else:
        _weight(p, ctx, "weight", shape)
    _bias(p, ctx, layer.bias, (layer.filters,), (c // layer.groups) * prod(kernel))


def _init_depthwise(layer: DepthwiseConv, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    kernel = axes(layer.kernel, len(input_shape) - 2)
    _weight(p, ctx, "weight", (c * layer.multiplier, 1, *kernel))
    _bias(p, ctx, layer.bias, (c * layer.multiplier,), prod(kernel))


def _init_separable(layer: SeparableConv, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    nd = len(input_shape) - 2
    kernel = axes(layer.kernel, nd)
    mid = c * layer.multiplier
    _weight(p, ctx, "depthwise", (mid, 1, *kernel))
    _weight(p, ctx, "pointwise", (layer.filters, mid, *(1,) * nd))
    _bias(p, ctx, layer.bias, (layer.filters,), mid)


def _init_transposed(layer: ConvTranspose, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    kernel = axes(layer.kernel, len(input_shape) - 2)
    _weight(p, ctx, "weight", (c, layer.filters // layer.groups, *kernel), fan_in=c * prod(kernel))
    _bias(p, ctx, layer.bias, (layer.filters,), c * prod(kernel))


def _init_local(layer: LocallyConnected, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    kernel = axes(layer.kernel, len(input_shape) - 2)
    grid = _grid(layer, input_shape[2:], kernel)
    _weight(p, ctx, "weight", (prod(grid), layer.filters, c * prod(kernel)))
    _bias(p, ctx, layer.bias, (layer.filters, *grid), c * prod(kernel))


def _init_dense(layer: Dense, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    features = prod(input_shape[1:])
    _weight(p, ctx, "weight", (layer.units, features))
    _bias(p, ctx, layer.bias, (layer.units,), features)


def _init_batch_norm(layer: BatchNorm, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    if layer.affine and layer.scale:
        p.arrays["gamma"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
    if layer.affine and layer.center:
        p.arrays["beta"] = (_uniform(ctx, (c,), -0.1, 0.1), "shift")
    p.arrays["running_mean"] = (_uniform(ctx, (c,), -0.1, 0.1), "state")
    p.arrays["running_var"] = (_uniform(ctx, (c,), 0.5, 1.5), "state")


def _init_normalize(layer: Normalize, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    """Mean and variance per channel; Keras's adapt() keeps them with a count, all three as weights."""
    p.arrays["mean"] = (_uniform(ctx, (c,), -0.1, 0.1), "state" if layer.stored else "constant")
    p.arrays["variance"] = (_uniform(ctx, (c,), 0.5, 1.5), "state" if layer.stored else "constant")
    if layer.stored:
        p.arrays["count"] = (np.ones((1,), dtype=ctx.dtype), "state")


def _init_layer_norm(layer: LayerNorm, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    if layer.affine:
        p.arrays["gamma"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
        p.arrays["beta"] = (_uniform(ctx, (c,), -0.1, 0.1), "shift")


def _init_scale(layer: Scale, input_shape: tuple[int, ...], c: int, ctx: _Context, p: ParamSet) -> None:
    if layer.learned:
        p.arrays["weight"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")


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
    kernel = KERNELS.handler(layer, "verify cannot run", layer.name or layer.kind)
    return kernel.forward(layer, inputs, p, counter, ctx, inplace)


#: kernel, stride, (before, after) padding and dilation per spatial axis
_Window = tuple[tuple[int, ...], tuple[int, ...], tuple[Pair, ...], tuple[int, ...]]


def _window(layer: Conv | DepthwiseConv | SeparableConv | LocallyConnected | Pool, x: Array) -> _Window:
    """kernel, stride, paddings and dilation per spatial axis of a sliding layer on `x`."""
    nd = x.ndim - 2
    kernel = axes(layer.kernel, nd)
    raw_stride = layer.kernel if isinstance(layer, Pool) and layer.stride is None else layer.stride
    assert raw_stride is not None
    stride = axes(raw_stride, nd)
    dilation = axes(layer.dilation, nd)
    return kernel, stride, paddings(layer.padding, x.shape[2:], kernel, stride, dilation), dilation


def _run_conv(
    layer: Conv, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    _, stride, pads, dilation = _window(layer, x)
    w, b, ws, act = p.need("weight"), p.bias(), ctx.workspace, layer.activation
    return conv.conv(x, w, b, stride, pads, dilation, layer.groups, counter, ws, act)


def _run_depthwise(
    layer: DepthwiseConv, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    _, stride, pads, dilation = _window(layer, x)
    w, b, ws, act = p.need("weight"), p.bias(), ctx.workspace, layer.activation
    return conv.conv(x, w, b, stride, pads, dilation, x.shape[1], counter, ws, act)


def _run_separable(
    layer: SeparableConv, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    nd = x.ndim - 2
    ws = ctx.workspace
    _, stride, pads, dilation = _window(layer, x)
    mid = conv.conv(x, p.need("depthwise"), None, stride, pads, dilation, x.shape[1], counter, ws)
    ones = (1,) * nd
    pointwise_weights, b = p.need("pointwise"), p.get("bias")
    return conv.conv(mid, pointwise_weights, b, ones, ((0, 0),) * nd, ones, 1, counter, ws, layer.activation)


def _run_transposed(
    layer: ConvTranspose, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    nd = x.ndim - 2
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
        ctx.workspace,
    )
    return _fused(out, layer.activation)


def _run_local(
    layer: LocallyConnected, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    kernel, stride, pads, dilation = _window(layer, x)
    w, b = p.need("weight"), p.get("bias")
    out = conv.locally_connected(x, w, b, kernel, stride, pads, dilation, counter, ctx.workspace)
    return _fused(out, layer.activation)


def _run_dense(
    layer: Dense, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return _fused(conv.dense(inputs[0], p.need("weight"), p.get("bias"), counter), layer.activation)


def _run_pool(
    layer: Pool, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    kernel, stride, pads, dilation = _window(layer, inputs[0])
    return conv.pool(inputs[0], layer.kind, kernel, stride, pads, dilation, layer.ceil_mode, ctx.workspace)


def _run_global_pool(
    layer: GlobalPool, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return conv.global_pool(inputs[0], layer.kind, layer.keepdims)


def _run_activation(
    layer: Activation, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    if p.fused == "applied":  # the batch norm before it applied it (see `_plan_fusions`); in place
        return inputs[0]
    return pointwise.activation(inputs[0], layer.kind, layer.negative_slope, inplace=inplace)


def _run_dropout(
    layer: Dropout, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return inputs[0] if inplace else inputs[0].copy()  # identity at inference


def _run_flatten(
    layer: Flatten, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    flat = inputs[0].reshape(inputs[0].shape[0], -1)
    return flat if inplace else flat.copy()


def _run_unflatten(
    layer: Unflatten, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    view = x.reshape(x.shape[0], x.shape[1], *(1,) * layer.axes)
    return view if inplace else view.copy()


def _run_crop(
    layer: Crop, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    pairs = crop_pairs(layer.crop, x.ndim - 2)
    view = x[(slice(None), slice(None), *(slice(a, n - b) for n, (a, b) in zip(x.shape[2:], pairs, strict=True)))]
    return view if inplace else view.copy()


def _run_normalize(
    layer: Normalize, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    std = np.sqrt(p.need("variance")).astype(x.dtype).reshape(shape)
    mean = p.need("mean").astype(x.dtype).reshape(shape)
    out: Array = np.subtract(x, mean, out=ctx.workspace.output(x.shape, x.dtype))
    np.divide(out, std, out=out)
    return out


def _run_batch_norm(
    layer: BatchNorm, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    mean, var, into = p.need("running_mean"), p.need("running_var"), ctx.workspace.output(x.shape, x.dtype)
    if p.fused == "folded+relu":  # the convolution scaled and shifted x (see `_plan_fusions`)
        return np.maximum(x, 0, out=into)
    if p.fused == "folded":
        np.copyto(into, x)
        return into
    return pointwise.batch_norm(x, mean, var, p.get("gamma"), p.get("beta"), layer.epsilon, into)


def _run_lrn(
    layer: LocalResponseNorm, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return pointwise.lrn(inputs[0], layer.size, layer.alpha, layer.beta, layer.k)


def _run_layer_norm(
    layer: LayerNorm, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return pointwise.layer_norm(inputs[0], p.get("gamma"), p.get("beta"), layer.epsilon)


def _run_scale(
    layer: Scale, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return pointwise.scale(inputs[0], layer.op, layer.value, p.get("weight"))


def _run_channel_shuffle(
    layer: ChannelShuffle, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return pointwise.channel_shuffle(inputs[0], layer.groups)


def _run_channel_slice(
    layer: ChannelSlice, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    part = inputs[0][:, layer.start : layer.stop]
    return part if inplace else part.copy()


def _run_upsample(
    layer: Upsample, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    nd = x.ndim - 2
    if layer.size is not None:
        sizes = axes(layer.size, nd)
    else:
        sizes = tuple(n * f for n, f in zip(x.shape[2:], axes(layer.scale, nd), strict=True))
    return pointwise.upsample(x, sizes, layer.mode)


def _run_add(
    layer: Add, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    x = inputs[0]
    same = all(a.shape == x.shape and a.dtype == x.dtype for a in inputs)
    return pointwise.add(inputs, ctx.workspace.output(x.shape, x.dtype) if same else None)


def _run_multiply(
    layer: Multiply, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return pointwise.multiply(inputs)


def _run_concat(
    layer: Concat, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: _Context, inplace: bool
) -> Array:
    return pointwise.concat(inputs)


#: a layer's forward step: (layer, inputs, weights, MAC counter, context, may overwrite its input) -> output
Forward = Callable[[Any, Sequence[Array], ParamSet, MacCounter, _Context, bool], Array]
#: allocating a layer's weights: (layer, batched input shape, input channels, context, into)
Init = Callable[[Any, tuple[int, ...], int, _Context, ParamSet], None]


@dataclass(frozen=True)
class Kernel:
    """How the numeric core runs one layer class: its forward step and, if it has weights, their allocation."""

    forward: Forward
    init: Init | None = None


#: the numeric core's capability table: every layer class it runs, and how
KERNELS: Capabilities[Kernel] = Capabilities(
    feature="the numeric core",
    lacks="kernel",
    handlers={
        Conv: Kernel(_run_conv, _init_conv),
        DepthwiseConv: Kernel(_run_depthwise, _init_depthwise),
        SeparableConv: Kernel(_run_separable, _init_separable),
        ConvTranspose: Kernel(_run_transposed, _init_transposed),
        LocallyConnected: Kernel(_run_local, _init_local),
        Dense: Kernel(_run_dense, _init_dense),
        Pool: Kernel(_run_pool),
        GlobalPool: Kernel(_run_global_pool),
        Activation: Kernel(_run_activation),
        Dropout: Kernel(_run_dropout),
        Flatten: Kernel(_run_flatten),
        BatchNorm: Kernel(_run_batch_norm, _init_batch_norm),
        LocalResponseNorm: Kernel(_run_lrn),
        LayerNorm: Kernel(_run_layer_norm, _init_layer_norm),
        Scale: Kernel(_run_scale, _init_scale),
        ChannelShuffle: Kernel(_run_channel_shuffle),
        ChannelSlice: Kernel(_run_channel_slice),
        Upsample: Kernel(_run_upsample),
        Add: Kernel(_run_add),
        Multiply: Kernel(_run_multiply),
        Concat: Kernel(_run_concat),
        Unflatten: Kernel(_run_unflatten),
        Crop: Kernel(_run_crop),
        Normalize: Kernel(_run_normalize, _init_normalize),
    },
)


def _fused(out: Array, name: str | None) -> Array:
    """A Keras-style `activation:` applied in place on the layer's fresh output."""
    return out if name is None or name == "linear" else pointwise.activation(out, name, inplace=True)


__all__ = [
    "DEFAULT_WORKSPACE",
    "KERNELS",
    "Execution",
    "Kernel",
    "LayerMeasure",
    "ParamSet",
    "compute_dtype",
    "element_bytes",
    "execute",
]
