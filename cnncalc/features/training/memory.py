"""Training memory as PyTorch spends it: what autograd saves, gradients, optimizer state, peak.

The rule of thumb "2 x activations + 4 x params" follows no framework. This module
follows PyTorch (CPU, train mode) layer by layer, as `cnncalc export` writes the
network: which tensors each operation hands to autograd for the backward pass
(`torch.autograd.graph.saved_tensors_hooks` sees exactly these), counted by storage
so that a tensor kept by two operations (a convolution's output that an in-place ReLU
then overwrites and keeps) counts once. Parameters and buffers that operations also
keep (a convolution's weight, batch norm's running statistics) are model state, not
activations, and count once as such.

The peak (see `_peak`): weights and optimizer state are always resident; during the
forward pass the saved tensors accumulate while the tensors nobody saves live until
their last reader; the backward pass visits the layers in reverse, each one holding the
gradient of its output and producing those of its inputs, freeing a saved tensor after
the earliest layer that keeps it has run and an activation gradient after its producer
has run, while parameter gradients accumulate until the optimizer step.
Kernel temporaries (workspaces, scratch) come from `kernels`, at the thread count asked for.

Pure arithmetic: nothing here imports PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod
from typing import Literal

from cnncalc.core.graph import build_graph
from cnncalc.core.report import Report
from cnncalc.errors import CnncalcError
from cnncalc.features.training.kernels import ConvGeometry, Temporaries, conv_temporaries, optimizer_temporaries
from cnncalc.features.training.peak import Node as _Node
from cnncalc.features.training.peak import PeakTerm, Storage, lifetimes, replay
from cnncalc.layers import LayerBase, Shape
from cnncalc.layers.base import per_dim
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
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.layers.window import resolve_padding
from cnncalc.spec.model import Spec

Optimizer = Literal["sgd", "momentum", "adam", "adamw"]
OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam", "adamw")

#: activations whose PyTorch module takes `inplace=True`; an in-place one saves its
#: output, which is its input's storage
INPLACE_ACTIVATIONS = frozenset({"relu", "relu6", "leaky_relu"})
#: activations whose backward reads the output (the rest read the input)
SAVES_OUTPUT = frozenset({"relu", "sigmoid", "tanh", "softmax"})
#: bytes of one max-pooling index (int64)
INDEX_BYTES = 8
#: bytes of batch norm's num_batches_tracked buffer (an int64 scalar)
BN_COUNTER_BYTES = 8
#: bytes of Adam's per-parameter `step` counter (a float32 scalar on CPU)
ADAM_STEP_BYTES = 4
DEVICES: tuple[str, ...] = ("cpu", "cuda")
#: CUDA's caching allocator: every block a multiple of 512 B; requests above 1 MiB come from
#: large segments, sized in multiples of 2 MiB
CUDA_BLOCK = 512
CUDA_SMALL_LIMIT = 1 << 20
CUDA_SEGMENT = 2 << 20


#: makes a storage: (layer, tag, bytes, description) -> its key
Maker = Callable[[int, str, int, str], tuple[int, str]]


class TrainingError(CnncalcError):
    """A layer kind whose saved tensors are not modelled (exit 2)."""


@dataclass(frozen=True)
class TrainingRow:
    """What one layer keeps for its backward pass.

    saved: descriptions of everything it keeps (a storage another layer kept first included);
    saved_bytes: the storages it is the first to keep, so that the rows sum to the total.
    """

    name: str
    kind: str
    saved: tuple[str, ...]
    saved_bytes: int


@dataclass(frozen=True)
class TrainingMemory:
    """Training memory of one step: the parts and the modelled peak, all in bytes.

    The peaks include the resident weights and optimizer state; `peak_terms` are the amounts
    live at the largest one (`peak_at`), which add up to it. On `device="cuda"` every figure
    of the replay is rounded as CUDA's caching allocator rounds, and `workspace_margin_bytes`
    (cuDNN's workspaces, not modelled) is added: an estimate, not a measurement.
    """

    optimizer: str
    batch: int
    rows: tuple[TrainingRow, ...]
    saved_bytes: int  # activations kept for backward, unique storages
    weight_bytes: int  # parameters and buffers (batch norm's running statistics)
    gradient_bytes: int  # one gradient per trainable parameter
    optimizer_bytes: int  # momentum buffer, Adam's two moments and step counters
    forward_peak_bytes: int
    backward_peak_bytes: int
    step_peak_bytes: int = 0  # the optimizer's step
    peak_at: str = ""
    peak_terms: tuple[PeakTerm, ...] = ()
    peak_work: str = ""  # the kernel temporaries at the peak, in words
    device: str = "cpu"
    workspace_margin_bytes: int = 0
    threads: int = 1  # PyTorch's intra-op threads on the CPU

    @property
    def peak_bytes(self) -> int:
        return max(self.forward_peak_bytes, self.backward_peak_bytes, self.step_peak_bytes)

    @property
    def estimate(self) -> bool:
        """Whether the peak is an estimate beyond what was checked against PyTorch's profiler (CUDA)."""
        return self.device != "cpu"


def training_memory(
    spec: Spec, report: Report, optimizer: str = "sgd", device: str = "cpu", threads: int = 1
) -> TrainingMemory:
    """Training memory of `spec` (analysed as `report`) under `optimizer`, on `device` (cpu or cuda),
    with `threads` intra-op threads (which kernel each convolution runs, and its scratch)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}")
    graph = build_graph(spec)
    per_element = report.dtype_bytes * report.batch
    kernel_threads = threads if device == "cpu" else 1  # on CUDA the margin stands for cuDNN's workspaces
    storages: dict[tuple[int, str], Storage] = {}
    nodes: list[_Node] = []
    rounding = cuda_block if device == "cuda" else _exact

    def new(i: int, tag: str, nbytes: int, what: str) -> tuple[int, str]:
        # a layer's output is named after the layer: other layers keep it too
        storages[(i, tag)] = Storage(
            (i, tag), rounding(nbytes), f"{graph.nodes[i].name} {what}" if tag in ("out", "act") else what
        )
        return (i, tag)

    requires_grad = [False]
    for i, node in enumerate(graph.nodes[1:], start=1):
        row = report.rows[i]
        requires_grad.append(row.weights + row.biases > 0 or any(requires_grad[j] for j in node.inputs))
    x0 = report.rows[0].output_shape
    nodes.append(_Node(new(0, "out", prod(x0) * per_element, _shape(x0)), []))
    for i, node in enumerate(graph.nodes[1:], start=1):
        layer = node.layer
        assert layer is not None
        row = report.rows[i]
        ins = [nodes[j].out for j in node.inputs]
        shapes = [report.rows[j].output_shape for j in node.inputs]
        grad_in = bool(node.inputs) and requires_grad[node.inputs[0]]
        step = _Step(
            layer, i, row.output_shape, ins, shapes, row.inplace, per_element, report, new, grad_in, kernel_threads
        )
        nodes.append(_forward(step))
        if node.shares is not None:  # the same module called again: its weights and buffers count once
            nodes[-1].param_tensors = nodes[-1].param_bytes = nodes[-1].buffer_bytes = nodes[-1].largest_tensor = 0
        nodes[-1].grad_bytes = rounding(prod(row.output_shape) * per_element)
        nodes[-1].fwd_extra = rounding(nodes[-1].fwd_extra)
        nodes[-1].bwd_extra = rounding(nodes[-1].bwd_extra)

    rows: list[TrainingRow] = []
    kept: set[tuple[int, str]] = set()
    for i, n in enumerate(nodes[1:], start=1):
        first = [k for k in dict.fromkeys(n.saved) if k not in kept]
        kept.update(first)
        rows.append(
            TrainingRow(
                graph.nodes[i].name,
                report.rows[i].kind,
                tuple(storages[k].what for k in dict.fromkeys(n.saved)),
                sum(storages[k].nbytes for k in first),
            )
        )
    params = sum(n.param_bytes for n in nodes)
    tensors = sum(n.param_tensors for n in nodes)
    state = {"sgd": 0, "momentum": params, "adam": 2 * params + ADAM_STEP_BYTES * tensors}
    state["adamw"] = state["adam"]
    weights = params + sum(n.buffer_bytes for n in nodes)
    out = report.rows[-1].output_shape
    labels = rounding(report.batch * prod(out[1:]) * INDEX_BYTES)
    largest = max((n.largest_tensor for n in nodes), default=0)
    margin = 0
    if device == "cuda":  # cuDNN's workspaces replace oneDNN's: one stated margin instead
        margin = workspace_margin(nodes)
        for n in nodes:
            n.fwd_extra = n.bwd_extra = 0
    peak = replay(
        nodes,
        [list(g.inputs) for g in graph.nodes],
        storages,
        requires_grad,
        (labels, nodes[-1].grad_bytes),
        rounding(optimizer_temporaries(optimizer, largest)),
        [g.name for g in graph.nodes],
    )
    resident = weights + state[optimizer] + margin
    terms: tuple[PeakTerm, ...] = (
        PeakTerm("weights and buffers", weights),
        PeakTerm(f"optimizer state ({optimizer})", state[optimizer]),
    )
    if margin:
        terms += (PeakTerm("cuDNN workspace margin (estimate)", margin),)
    return TrainingMemory(
        optimizer=optimizer,
        batch=report.batch,
        rows=tuple(rows),
        saved_bytes=sum(storages[k].nbytes for k in kept),
        weight_bytes=weights,
        gradient_bytes=params,
        optimizer_bytes=state[optimizer],
        forward_peak_bytes=resident + peak.forward,
        backward_peak_bytes=resident + peak.backward,
        step_peak_bytes=resident + peak.step,
        peak_at=peak.at,
        peak_terms=terms + tuple(t for t in peak.terms if t.nbytes),
        peak_work=peak.work,
        device=device,
        workspace_margin_bytes=margin,
        threads=threads,
    )


def _exact(nbytes: int) -> int:
    return nbytes


def cuda_block(nbytes: int) -> int:
    """Bytes CUDA's caching allocator gives a request: a multiple of 512 B, and of its 2 MiB
    segments for a request above 1 MiB (a large block; what it reserves rather than what the
    tensor uses, so that the figure is what the device must have free)."""
    if nbytes <= 0:
        return 0
    unit = CUDA_SEGMENT if nbytes > CUDA_SMALL_LIMIT else CUDA_BLOCK
    return -(-nbytes // unit) * unit


def workspace_margin(nodes: Sequence[_Node]) -> int:
    """The stated margin for cuDNN's workspaces on CUDA: the largest workspace oneDNN needs on
    CPU for any one layer (cuDNN's algorithms are chosen at run time, their workspaces are not
    modelled), and at least one 2 MiB segment."""
    return max([CUDA_SEGMENT, *(max(n.fwd_extra, n.bwd_extra) for n in nodes)])


def _shape(x: Shape) -> str:
    return "x".join(map(str, x))


def _padded(layer: Conv | DepthwiseConv | SeparableConv | Pool, x: Shape) -> Shape | None:
    """The input as `cnncalc export` pads it with F.pad (uneven padding), or None when the layer pads itself."""
    ndim = len(x) - 1
    kernel = per_dim(layer.kernel, ndim, "kernel")
    stride = layer.kernel if isinstance(layer, Pool) and layer.stride is None else layer.stride
    assert stride is not None
    pads = resolve_padding(
        layer.padding, x[1:], kernel, per_dim(stride, ndim, "stride"), per_dim(layer.dilation, ndim, "dilation")
    )
    if all(b == a for b, a in pads) and not (isinstance(layer, Pool) and layer.kind in ("sum_pool", "l2_pool")):
        return None
    return (x[0], *(n + b + a for n, (b, a) in zip(x[1:], pads, strict=True)))


@dataclass
class _Step:
    """One layer's forward pass being modelled: what its handler in TRAINING reads."""

    layer: LayerBase
    i: int
    out: Shape
    ins: Sequence[tuple[int, str]]
    shapes: Sequence[Shape]
    inplace: bool
    per_element: int
    report: Report
    make: Maker
    grad_in: bool  # whether the (first) input needs a gradient: not the batch itself
    threads: int  # PyTorch's intra-op threads

    @property
    def x(self) -> Shape:
        return self.shapes[0]

    @property
    def size(self) -> int:
        return prod(self.out) * self.per_element

    def output(self, tag: str = "out", what: str = "output") -> tuple[int, str]:
        """A new storage the size of the output."""
        return self.make(self.i, tag, self.size, f"{what} {_shape(self.out)}")

    def input_kept(self, tag: str = "in") -> tuple[int, str]:
        """The input, or the padded copy F.pad makes of it."""
        layer = self.layer
        if isinstance(layer, Conv | DepthwiseConv | SeparableConv | Pool):
            padded = _padded(layer, self.x)
            if padded is not None:
                return self.make(self.i, tag, prod(padded) * self.per_element, f"padded input {_shape(padded)}")
        return self.ins[0]

    def activated(self, node: _Node, fused: str | None) -> _Node:
        """A Keras-style fused activation, applied out of place as F.<function>(...)."""
        if fused is None or fused == "linear":
            return node
        raw = node.out
        node.out = self.make(self.i, "act", self.size, f"{fused} output {_shape(self.out)}")
        node.saved.append(node.out if fused in SAVES_OUTPUT else raw)
        return node

    def weighted(self, node: _Node, tensors: int) -> _Node:
        """`node` with its layer's weights and biases as `tensors` parameter tensors."""
        row = self.report.rows[self.i]
        node.param_tensors, node.param_bytes = tensors, (row.weights + row.biases) * self.report.dtype_bytes
        node.largest_tensor = max(row.weights, row.biases) * self.report.dtype_bytes
        return node

    def pad_copy(self) -> int:
        """Bytes of the F.pad copy of the input (uneven padding): its gradient passes through one
        more tensor of that size in backward."""
        layer = self.layer
        if isinstance(layer, Conv | DepthwiseConv | SeparableConv | Pool):
            padded = _padded(layer, self.x)
            if padded is not None:
                return prod(padded) * self.per_element
        return 0

    def geometry(self, c_out: int, groups: int, x: Shape | None = None, out: Shape | None = None) -> ConvGeometry:
        """The convolution call as PyTorch's kernel sees it (the F.pad copy as its input)."""
        layer = self.layer
        assert isinstance(layer, Conv | DepthwiseConv | SeparableConv | ConvTranspose)
        x = x or self.x
        out = out or self.out
        ndim = len(x) - 1
        kernel = per_dim(layer.kernel, ndim, "kernel")
        stride = per_dim(layer.stride, ndim, "stride")
        dilation = per_dim(layer.dilation, ndim, "dilation")
        padded = None if isinstance(layer, ConvTranspose) else _padded(layer, x)
        if padded is not None:
            x = padded
        if isinstance(layer, ConvTranspose):
            unpadded = layer.padding in (0, "valid")
        else:
            pads = resolve_padding(layer.padding, x[1:], kernel, stride, dilation) if padded is None else ()
            unpadded = all(b == a == 0 for b, a in pads)
        return ConvGeometry(
            batch=self.report.batch,
            c_in=x[0],
            c_out=c_out,
            groups=groups,
            x_spatial=tuple(x[1:]),
            y_spatial=tuple(out[1:]),
            kernel=kernel,
            stride=stride,
            dilation=dilation,
            unpadded=unpadded,
            bias=bool(self.has_bias),
            transposed=isinstance(layer, ConvTranspose),
            dtype=self.report.dtype_bytes,
        )

    def temporaries(self, node: _Node, t: Temporaries, fused: str | None = None) -> _Node:
        """`node` with a kernel's temporaries. A fused activation is an autograd node of its own: its
        backward makes an output-sized gradient, and frees the output-sized tensor it kept, before
        the kernel's backward runs. An F.pad copy's gradient comes after the kernel's."""
        node.fwd_extra, node.bwd_extra, node.work = t.forward, t.backward, t.what
        if fused is not None and fused != "linear":
            node.bwd_extra = max(self.size, node.bwd_extra - self.size)
            node.work += f"; in backward net of the {fused} output ({self.size:,} B) freed before it"
        node.bwd_extra += self.pad_copy()
        return node

    @property
    def has_bias(self) -> int:
        return 1 if self.report.rows[self.i].biases else 0


def _forward(s: _Step) -> _Node:
    """Storages of one layer's forward pass, as PyTorch's operations keep them."""
    rule = TRAINING.handler(s.layer, "the training memory estimate cannot include", s.report.rows[s.i].name)
    return rule(s)


def _conv(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Conv | DepthwiseConv | ConvTranspose)
    n = s.weighted(_Node(s.output(), [s.input_kept()]), 1 + s.has_bias)
    c_in = s.x[0]
    if isinstance(layer, DepthwiseConv):
        geometry = s.geometry(c_in * layer.multiplier, c_in)
    else:
        geometry = s.geometry(layer.filters, layer.groups)
    return s.activated(
        s.temporaries(n, conv_temporaries(geometry, s.grad_in, s.threads), layer.activation), layer.activation
    )


def _separable(s: _Step) -> _Node:
    """A depthwise conv, then a 1x1 conv over its output (the intermediate gradient in between)."""
    layer = s.layer
    assert isinstance(layer, SeparableConv)
    mid = (s.x[0] * layer.multiplier, *s.out[1:])
    depthwise = s.make(s.i, "mid", prod(mid) * s.per_element, f"depthwise output {_shape(mid)}")
    n = s.weighted(_Node(s.output(), [s.input_kept(), depthwise]), 2 + s.has_bias)
    first = conv_temporaries(s.geometry(mid[0], s.x[0], out=mid), s.grad_in, s.threads)
    pointwise = ConvGeometry(
        s.report.batch,
        mid[0],
        s.out[0],
        1,
        tuple(mid[1:]),
        tuple(s.out[1:]),
        (1,) * (len(mid) - 1),
        (1,) * (len(mid) - 1),
        (1,) * (len(mid) - 1),
        True,
        bool(s.has_bias),
        False,
        s.report.dtype_bytes,
    )
    second = conv_temporaries(pointwise, True, s.threads)
    mid_bytes = prod(mid) * s.per_element
    both = Temporaries(
        max(first.forward, mid_bytes + second.forward),
        mid_bytes + max(first.backward, second.backward),
        f"depthwise: {first.what}; pointwise: {second.what}",
    )
    return s.activated(s.temporaries(n, both, layer.activation), layer.activation)


def _dense(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Dense)
    n = s.weighted(_Node(s.output(), [s.ins[0]]), 1 + s.has_bias)
    n = s.temporaries(n, Temporaries(0, 0, "matrix products, no temporaries"), layer.activation)
    return s.activated(n, layer.activation)


def _activation(s: _Step) -> _Node:
    kind = s.layer.kind
    if s.inplace and kind in INPLACE_ACTIVATIONS:
        if kind == "relu6":  # PyTorch's relu6_ keeps a copy of its result
            return _Node(s.ins[0], [s.output("copy", "copy of output")])
        return _Node(s.ins[0], [s.ins[0]])
    o = s.output()
    return _Node(o, [o if kind in SAVES_OUTPUT else s.ins[0]])


def _dropout(s: _Step) -> _Node:
    # on CPU, dropout multiplies by a mask of the activations' dtype and keeps the mask; it is
    # out of place, as nn.Dropout's default (in place, it would overwrite a ReLU's kept output)
    mask = s.output("mask", "mask")
    return _Node(s.output(), [mask])


def _batch_norm(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, BatchNorm)
    c, dtype = s.x[0], s.report.dtype_bytes
    stats = s.make(s.i, "stats", 2 * c * dtype, f"batch mean and inverse std {c}+{c}")
    n = _Node(s.output(), [s.ins[0], stats])
    n.bwd_extra, n.work = prod(s.x) * s.per_element, "batch norm backward: one input-sized temporary"
    learned = layer.affine * (layer.scale + layer.center)  # gamma and beta, either of them, or none
    n.param_tensors, n.param_bytes = learned, learned * c * dtype
    n.largest_tensor = c * dtype if learned else 0
    n.buffer_bytes = 2 * c * dtype + BN_COUNTER_BYTES
    return n


def _pool(s: _Step) -> _Node:
    o = s.output()
    kept = [s.input_kept()]
    if s.layer.kind == "max_pool":
        indices = prod(s.out) * s.report.batch * INDEX_BYTES
        kept.append(s.make(s.i, "idx", indices, f"int64 indices {_shape(s.out)}"))
    n = _Node(o, kept)
    n.bwd_extra, n.work = s.pad_copy(), "the padded input's gradient" if s.pad_copy() else ""
    return n


def _global_pool(s: _Step) -> _Node:
    o = s.output()
    if s.layer.kind == "global_max_pool":
        idx = s.make(s.i, "idx", s.out[0] * s.report.batch * INDEX_BYTES, f"int64 indices {s.out[0]}")
        return _Node(o, [s.ins[0], idx])
    return _Node(o, [])  # the mean over positions keeps nothing


def _flatten(s: _Step) -> _Node:
    return _Node(s.ins[0], [], routes=("alias",))  # a view, and so is its gradient


def _lrn(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, LocalResponseNorm)
    # x * x padded along channels, averaged, then (k + alpha * avg) ** beta: the padded
    # squares, the base and the result of the power are kept
    padded = (s.x[0] + layer.size - 1, *s.x[1:])
    kept = [
        s.ins[0],
        s.make(s.i, "sq", prod(padded) * s.per_element, f"padded squares {_shape(padded)}"),
        s.output("base", "k + alpha*avg"),
        s.output("pow", "divisor"),
    ]
    n = _Node(s.output(), kept)
    # the backward of the chain (division, power, average, square): input-sized gradients in turn
    n.bwd_extra, n.work = 3 * prod(s.x) * s.per_element + prod(padded) * s.per_element, "LRN's chain of gradients"
    return n


def _layer_norm(s: _Step) -> _Node:
    # F.layer_norm on the channels-last view keeps its input (the view), the weight and bias,
    # and a mean and an inverse deviation per position, in the activations' dtype
    positions = prod(s.out[1:]) if len(s.out) > 1 else 1
    stats = s.make(
        s.i, "stats", 2 * positions * s.per_element, f"mean and inverse std per position, {positions}+{positions}"
    )
    return s.weighted(_Node(s.output(), [s.ins[0], stats]), 2 if s.report.rows[s.i].weights else 0)


def _scale(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Scale)
    if layer.learned:  # a per-channel weight, exported as a 1x1 depthwise conv: it keeps its input
        return s.weighted(_Node(s.output(), [s.ins[0]]), 1)
    # with a Python number, add, subtract, multiply and divide keep nothing; power keeps its input
    return _Node(s.output(), [s.ins[0]] if layer.op == "power" else [])


def _channel_slice(s: _Step) -> _Node:
    return _Node(s.ins[0], [])  # a view of the input's channels


def _multiply(s: _Step) -> _Node:
    return _Node(s.output(), list(s.ins))


def _keeps_nothing(s: _Step) -> _Node:
    """Normalization by constants, a channel shuffle and a zero padding: their backward needs
    none of their tensors (a constant divisor is no activation; a padding's gradient is the
    incoming one with the borders cut off), only the incoming gradient."""
    return _Node(s.output(), [])


def _passes_gradient(s: _Step) -> _Node:
    """Add and concat: their backward hands their output's gradient on (views of it), allocating nothing."""
    return _Node(s.output(), [], routes=("alias",) * len(s.ins))


def _upsample(s: _Step) -> _Node:
    n = _Node(s.output(), [])
    n.fwd_extra = prod(s.x) * s.per_element + s.size
    n.work = "upsampling: a copy of the input and a second output-sized buffer"
    return n


#: training memory's capability table: what each layer class keeps for its backward pass
TRAINING: Capabilities[Callable[[_Step], _Node]] = Capabilities(
    feature="the training memory model",
    lacks="rule",
    handlers={
        Conv: _conv,
        DepthwiseConv: _conv,
        ConvTranspose: _conv,
        SeparableConv: _separable,
        Dense: _dense,
        Activation: _activation,
        Dropout: _dropout,
        BatchNorm: _batch_norm,
        Pool: _pool,
        GlobalPool: _global_pool,
        Flatten: _flatten,
        LocalResponseNorm: _lrn,
        Multiply: _multiply,
        Add: _passes_gradient,
        Concat: _passes_gradient,
        Upsample: _upsample,
        Unflatten: _flatten,
        Crop: _flatten,
        Pad: _keeps_nothing,
        Normalize: _keeps_nothing,
        LayerNorm: _layer_norm,
        Scale: _scale,
        ChannelShuffle: _keeps_nothing,
        ChannelSlice: _channel_slice,
    },
    unsupported={
        "sum_pool": "what PyTorch's LPPool (sum pooling) keeps for backward is not modelled",
        "l2_pool": "what PyTorch's LPPool (L2 pooling) keeps for backward is not modelled",
        LocallyConnected: "PyTorch has no locally connected module: what it keeps for backward is not modelled",
    },
    error=TrainingError,
)


__all__ = [
    "DEVICES",
    "OPTIMIZERS",
    "TRAINING",
    "PeakTerm",
    "Storage",
    "TrainingError",
    "TrainingMemory",
    "TrainingRow",
    "lifetimes",
    "training_memory",
]
