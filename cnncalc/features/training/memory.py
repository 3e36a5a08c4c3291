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
Workspaces of individual kernels and the loss function's own tensors are not modelled.

Pure arithmetic: nothing here imports PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from math import prod
from typing import Literal

from cnncalc.core.graph import build_graph
from cnncalc.core.report import Report
from cnncalc.errors import CnncalcError
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


#: makes a storage: (layer, tag, bytes, description) -> its key
Maker = Callable[[int, str, int, str], tuple[int, str]]


class TrainingError(CnncalcError):
    """A layer kind whose saved tensors are not modelled (exit 2)."""


@dataclass(frozen=True)
class Storage:
    """One tensor's memory: its size and the layer that made it (-1: not an activation)."""

    key: tuple[int, str]
    nbytes: int
    what: str


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
    """Training memory of one step: the parts and the modelled peak, all in bytes."""

    optimizer: str
    batch: int
    rows: tuple[TrainingRow, ...]
    saved_bytes: int  # activations kept for backward, unique storages
    weight_bytes: int  # parameters and buffers (batch norm's running statistics)
    gradient_bytes: int  # one gradient per trainable parameter
    optimizer_bytes: int  # momentum buffer, Adam's two moments and step counters
    forward_peak_bytes: int
    backward_peak_bytes: int

    @property
    def peak_bytes(self) -> int:
        return max(self.forward_peak_bytes, self.backward_peak_bytes)


@dataclass
class _Node:
    """The forward pass of one layer as storages: where its output lives, what it keeps."""

    out: tuple[int, str]  # key of the storage its output lives in
    saved: list[tuple[int, str]]
    param_tensors: int = 0
    param_bytes: int = 0
    buffer_bytes: int = 0
    grad_bytes: int = 0  # its output's gradient


def training_memory(spec: Spec, report: Report, optimizer: str = "sgd") -> TrainingMemory:
    """Training memory of `spec` (analysed as `report`) under `optimizer`."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    graph = build_graph(spec)
    per_element = report.dtype_bytes * report.batch
    storages: dict[tuple[int, str], Storage] = {}
    nodes: list[_Node] = []

    def new(i: int, tag: str, nbytes: int, what: str) -> tuple[int, str]:
        # a layer's output is named after the layer: other layers keep it too
        storages[(i, tag)] = Storage(
            (i, tag), nbytes, f"{graph.nodes[i].name} {what}" if tag in ("out", "act") else what
        )
        return (i, tag)

    x0 = report.rows[0].output_shape
    nodes.append(_Node(new(0, "out", prod(x0) * per_element, _shape(x0)), []))
    for i, node in enumerate(graph.nodes[1:], start=1):
        layer = node.layer
        assert layer is not None
        row = report.rows[i]
        ins = [nodes[j].out for j in node.inputs]
        shapes = [report.rows[j].output_shape for j in node.inputs]
        nodes.append(_forward(layer, i, row.output_shape, ins, shapes, row.inplace, per_element, report, new))
        if node.shares is not None:  # the same module called again: its weights and buffers count once
            nodes[-1].param_tensors = nodes[-1].param_bytes = nodes[-1].buffer_bytes = 0
        nodes[-1].grad_bytes = prod(row.output_shape) * per_element

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
    forward, backward = _peak(nodes, [list(g.inputs) for g in graph.nodes], storages)
    resident = weights + state[optimizer]
    return TrainingMemory(
        optimizer=optimizer,
        batch=report.batch,
        rows=tuple(rows),
        saved_bytes=sum(storages[k].nbytes for k in kept),
        weight_bytes=weights,
        gradient_bytes=params,
        optimizer_bytes=state[optimizer],
        forward_peak_bytes=resident + forward,
        backward_peak_bytes=resident + backward,
    )


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
        return node

    @property
    def has_bias(self) -> int:
        return 1 if self.report.rows[self.i].biases else 0


def _forward(
    layer: LayerBase,
    i: int,
    out: Shape,
    ins: Sequence[tuple[int, str]],
    shapes: Sequence[Shape],
    inplace: bool,
    per_element: int,
    report: Report,
    make: Maker,
) -> _Node:
    """Storages of one layer's forward pass, as PyTorch's operations keep them."""
    rule = TRAINING.handler(layer, "the training memory estimate cannot include", report.rows[i].name)
    return rule(_Step(layer, i, out, ins, shapes, inplace, per_element, report, make))


def _conv(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Conv | DepthwiseConv | ConvTranspose)
    n = s.weighted(_Node(s.output(), [s.input_kept()]), 1 + s.has_bias)
    return s.activated(n, layer.activation)


def _separable(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, SeparableConv)
    mid = (s.x[0] * layer.multiplier, *s.out[1:])
    depthwise = s.make(s.i, "mid", prod(mid) * s.per_element, f"depthwise output {_shape(mid)}")
    n = s.weighted(_Node(s.output(), [s.input_kept(), depthwise]), 2 + s.has_bias)
    return s.activated(n, layer.activation)


def _dense(s: _Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Dense)
    return s.activated(s.weighted(_Node(s.output(), [s.ins[0]]), 1 + s.has_bias), layer.activation)


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
    learned = layer.affine * (layer.scale + layer.center)  # gamma and beta, either of them, or none
    n.param_tensors, n.param_bytes = learned, learned * c * dtype
    n.buffer_bytes = 2 * c * dtype + BN_COUNTER_BYTES
    return n


def _pool(s: _Step) -> _Node:
    o = s.output()
    kept = [s.input_kept()]
    if s.layer.kind == "max_pool":
        indices = prod(s.out) * s.report.batch * INDEX_BYTES
        kept.append(s.make(s.i, "idx", indices, f"int64 indices {_shape(s.out)}"))
    return _Node(o, kept)


def _global_pool(s: _Step) -> _Node:
    o = s.output()
    if s.layer.kind == "global_max_pool":
        idx = s.make(s.i, "idx", s.out[0] * s.report.batch * INDEX_BYTES, f"int64 indices {s.out[0]}")
        return _Node(o, [s.ins[0], idx])
    return _Node(o, [])  # the mean over positions keeps nothing


def _flatten(s: _Step) -> _Node:
    return _Node(s.ins[0], [])  # a view


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
    return _Node(s.output(), kept)


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
    return _Node(s.output(), [])


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
        Add: _keeps_nothing,
        Concat: _keeps_nothing,
        Upsample: _keeps_nothing,
        Unflatten: _flatten,
        Crop: _flatten,
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


Lifetimes = tuple[dict[tuple[int, str], int], dict[tuple[int, str], int], dict[tuple[int, str], int]]


def lifetimes(nodes: Sequence[_Node], inputs: Sequence[Sequence[int]]) -> Lifetimes:
    """Per storage: the earliest layer that saves it for backward, the last layer that reads it
    (the network's output: past the end, the loss reads it) and the layer that makes it."""
    n = len(nodes)
    saved_by: dict[tuple[int, str], int] = {}
    last_read: dict[tuple[int, str], int] = {}
    for i, node in enumerate(nodes):
        for k in node.saved:
            saved_by.setdefault(k, i)
        for j in inputs[i]:
            last_read[nodes[j].out] = max(last_read.get(nodes[j].out, 0), i)
    last_read[nodes[-1].out] = n
    created: dict[tuple[int, str], int] = {}
    for i, node in enumerate(nodes):
        for k in (node.out, *node.saved):
            created.setdefault(k, i)
    return saved_by, last_read, created


def _peak(
    nodes: Sequence[_Node], inputs: Sequence[Sequence[int]], storages: dict[tuple[int, str], Storage]
) -> tuple[int, int]:
    """Largest activation-side bytes live (forward, backward), without weights and optimizer state."""
    n = len(nodes)
    saved_by, last_read, created = lifetimes(nodes, inputs)
    # forward: a storage lives from the layer that makes it until its last reader, or to the
    # end of the pass when saved. Each lifetime is an interval of layers: added where it starts,
    # taken off after it ends, and the live bytes at each layer are the running sum (linear in
    # the layers; summing every storage at every layer took 30 s for 10,000 of them)
    change = [0] * (n + 1)
    for k, s in storages.items():
        start = created.get(k, n)
        end = n - 1 if k in saved_by else min(last_read.get(k, start), n - 1)
        if start <= end:
            change[start] += s.nbytes
            change[end + 1] -= s.nbytes
    forward = max(accumulate(change[:n]), default=0)
    # backward: layer t's step holds the saved storages of layers <= t, the gradient of every
    # output j <= t whose first consumer (in reverse) has run, and the parameter gradients of layers >= t
    last_reader = [n] * n
    for i in range(n):
        for j in inputs[i]:
            last_reader[j] = i if last_reader[j] == n else max(last_reader[j], i)
    saved_from = [0] * (n + 1)  # saved bytes first kept at layer t
    for k, s in storages.items():
        if k in saved_by:
            saved_from[saved_by[k]] += s.nbytes
    grads_change = [0] * (n + 1)  # output j's gradient is held for steps t in [j, last_reader[j]]
    for j in range(1, n):
        grads_change[j] += nodes[j].grad_bytes
        grads_change[min(last_reader[j], n - 1) + 1] -= nodes[j].grad_bytes
    saved = list(accumulate(saved_from[:n]))
    grads = list(accumulate(grads_change[:n]))
    params = list(accumulate(node.param_bytes for node in reversed(nodes)))[::-1]  # layers >= t
    backward = max((saved[t] + grads[t] + params[t] for t in range(1, n)), default=0)
    return forward, backward


__all__ = ["OPTIMIZERS", "TRAINING", "TrainingError", "TrainingMemory", "TrainingRow", "training_memory"]
