"""Run a network on arrays: seeded weights, one forward pass, and what it measured.

The graph (cnncalc.core.graph) gives the execution order and who reads whom; everything
else is read from the arrays: an output's shape is the shape of the array a kernel
returned, a layer's parameters are the arrays allocated for it, its MACs are counted
from the matrix products it ran (blas.MacCounter), and activation memory is the sum
of the distinct buffers that layer outputs hold while they are still to be read.
Only hyper-parameters (kernel, stride, padding as written, filters, ...) come from the
layer models; no symbolic rule of cnncalc.layers is called.

This module runs the loop and measures it, and plans which batch norms fold into the
convolution before them; a layer's weights are allocated in `cnncalc.numeric.params`, and
its forward step is looked up in the `KERNELS` table of `cnncalc.numeric.kernels`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnncalc.core.graph import Graph, build_graph
from cnncalc.layers import LayerBase
from cnncalc.layers.conv import Conv, DepthwiseConv
from cnncalc.layers.elementwise import Activation, BatchNorm
from cnncalc.numeric import pointwise
from cnncalc.numeric.blas import Array, MacCounter
from cnncalc.numeric.kernels import KERNELS, forward_layer, init_params
from cnncalc.numeric.params import Context, ParamSet
from cnncalc.numeric.workspace import DEFAULT_WORKSPACE, Workspace
from cnncalc.spec.model import Spec
from cnncalc.units import DTYPES

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
    ctx = Context(np.random.default_rng(seed), compute_dtype(spec.dtype), Workspace(workspace), inplace, seed)
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


def _run(graph: Graph, spec: Spec, ctx: Context, scale: int, progress: Progress | None, fuse: bool) -> Execution:
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


def _init(layer: LayerBase, index: int, input_shape: tuple[int, ...], ctx: Context) -> ParamSet:
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
    ctx: Context,
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


__all__ = [
    "Execution",
    "LayerMeasure",
    "Progress",
    "compute_dtype",
    "element_bytes",
    "execute",
]
