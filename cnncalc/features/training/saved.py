"""What each layer kind keeps for its backward pass, as PyTorch's operations keep it.

This is the per-kind half of the training memory model (`memory` is the other: the step as a
whole and its peak). It follows PyTorch (CPU, train mode) layer by layer, as `cnncalc export`
writes the network: which tensors each operation hands to autograd for the backward pass
(`torch.autograd.graph.saved_tensors_hooks` sees exactly these), as storages, so that a tensor
kept by two operations (a convolution's output that an in-place ReLU then overwrites and
keeps) is one storage. It lives apart so that a new layer kind's rule goes into `TRAINING`,
here, without reading the replay of the whole step.

Pure arithmetic: nothing here imports PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod

from cnncalc.core.report import Report
from cnncalc.errors import CnncalcError
from cnncalc.features.training.kernels import ConvGeometry, Temporaries, conv_temporaries
from cnncalc.features.training.peak import Node as _Node
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

#: activations whose PyTorch module takes `inplace=True`; an in-place one saves its
#: output, which is its input's storage
INPLACE_ACTIVATIONS = frozenset({"relu", "relu6", "leaky_relu"})
#: activations whose backward reads the output (the rest read the input)
SAVES_OUTPUT = frozenset({"relu", "sigmoid", "tanh", "softmax"})
#: bytes of one max-pooling index (int64)
INDEX_BYTES = 8
#: bytes of batch norm's num_batches_tracked buffer (an int64 scalar)
BN_COUNTER_BYTES = 8


#: makes a storage: (layer, tag, bytes, description) -> its key
Maker = Callable[[int, str, int, str], tuple[int, str]]


class TrainingError(CnncalcError):
    """A layer kind whose saved tensors are not modelled (exit 2)."""


def shape_text(x: Shape) -> str:
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
class Step:
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
    trains: bool = True  # whether the layer's weights are trained (not `trainable: false`)

    @property
    def x(self) -> Shape:
        return self.shapes[0]

    @property
    def size(self) -> int:
        return prod(self.out) * self.per_element

    def output(self, tag: str = "out", what: str = "output") -> tuple[int, str]:
        """A new storage the size of the output."""
        return self.make(self.i, tag, self.size, f"{what} {shape_text(self.out)}")

    def input_kept(self, tag: str = "in") -> tuple[int, str]:
        """The input, or the padded copy F.pad makes of it."""
        layer = self.layer
        if isinstance(layer, Conv | DepthwiseConv | SeparableConv | Pool):
            padded = _padded(layer, self.x)
            if padded is not None:
                return self.make(self.i, tag, prod(padded) * self.per_element, f"padded input {shape_text(padded)}")
        return self.ins[0]

    def activated(self, node: _Node, fused: str | None) -> _Node:
        """A Keras-style fused activation, applied out of place as F.<function>(...)."""
        if fused is None or fused == "linear":
            return node
        raw = node.out
        node.out = self.make(self.i, "act", self.size, f"{fused} output {shape_text(self.out)}")
        node.saved.append(node.out if fused in SAVES_OUTPUT else raw)
        return node

    def weighted(self, node: _Node, tensors: int) -> _Node:
        """`node` with its layer's weights and biases as `tensors` parameter tensors; frozen ones
        (`trainable: false`) are resident only: no gradient, no optimizer state."""
        row = self.report.rows[self.i]
        return self.params(
            node,
            tensors,
            (row.weights + row.biases) * self.report.dtype_bytes,
            max(row.weights, row.biases) * self.report.dtype_bytes,
        )

    def params(self, node: _Node, tensors: int, nbytes: int, largest: int) -> _Node:
        """`node` with `tensors` parameter tensors of `nbytes` in all, the largest of `largest`."""
        if self.trains:
            node.param_tensors, node.param_bytes, node.largest_tensor = tensors, nbytes, largest
        else:
            node.frozen_bytes = nbytes
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


def forward(s: Step) -> _Node:
    """Storages of one layer's forward pass, as PyTorch's operations keep them."""
    rule = TRAINING.handler(s.layer, "the training memory estimate cannot include", s.report.rows[s.i].name)
    return rule(s)


def _conv(s: Step) -> _Node:
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


def _separable(s: Step) -> _Node:
    """A depthwise conv, then a 1x1 conv over its output (the intermediate gradient in between)."""
    layer = s.layer
    assert isinstance(layer, SeparableConv)
    mid = (s.x[0] * layer.multiplier, *s.out[1:])
    depthwise = s.make(s.i, "mid", prod(mid) * s.per_element, f"depthwise output {shape_text(mid)}")
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


def _dense(s: Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Dense)
    # the input is kept for the weight's gradient only: a frozen layer's matrix product keeps nothing
    # (a convolution's backward is one operation for both gradients: it keeps its input, frozen or not)
    n = s.weighted(_Node(s.output(), [s.ins[0]] if s.trains else []), 1 + s.has_bias)
    n = s.temporaries(n, Temporaries(0, 0, "matrix products, no temporaries"), layer.activation)
    return s.activated(n, layer.activation)


def _activation(s: Step) -> _Node:
    kind = s.layer.kind
    if s.inplace and kind in INPLACE_ACTIVATIONS:
        if kind == "relu6":  # PyTorch's relu6_ keeps a copy of its result
            return _Node(s.ins[0], [s.output("copy", "copy of output")])
        return _Node(s.ins[0], [s.ins[0]])
    o = s.output()
    return _Node(o, [o if kind in SAVES_OUTPUT else s.ins[0]])


def _dropout(s: Step) -> _Node:
    # on CPU, dropout multiplies by a mask of the activations' dtype and keeps the mask; it is
    # out of place, as nn.Dropout's default (in place, it would overwrite a ReLU's kept output)
    mask = s.output("mask", "mask")
    return _Node(s.output(), [mask])


def _batch_norm(s: Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, BatchNorm)
    c, dtype = s.x[0], s.report.dtype_bytes
    stats = s.make(s.i, "stats", 2 * c * dtype, f"batch mean and inverse std {c}+{c}")
    n = _Node(s.output(), [s.ins[0], stats])
    n.bwd_extra, n.work = prod(s.x) * s.per_element, "batch norm backward: one input-sized temporary"
    learned = layer.affine * (layer.scale + layer.center)  # gamma and beta, either of them, or none
    s.params(n, learned, learned * c * dtype, c * dtype if learned else 0)
    n.buffer_bytes = 2 * c * dtype + BN_COUNTER_BYTES
    return n


def _pool(s: Step) -> _Node:
    o = s.output()
    kept = [s.input_kept()]
    if s.layer.kind == "max_pool":
        indices = prod(s.out) * s.report.batch * INDEX_BYTES
        kept.append(s.make(s.i, "idx", indices, f"int64 indices {shape_text(s.out)}"))
    n = _Node(o, kept)
    n.bwd_extra, n.work = s.pad_copy(), "the padded input's gradient" if s.pad_copy() else ""
    return n


def _global_pool(s: Step) -> _Node:
    o = s.output()
    if s.layer.kind == "global_max_pool":
        idx = s.make(s.i, "idx", s.out[0] * s.report.batch * INDEX_BYTES, f"int64 indices {s.out[0]}")
        return _Node(o, [s.ins[0], idx])
    return _Node(o, [])  # the mean over positions keeps nothing


def _flatten(s: Step) -> _Node:
    return _Node(s.ins[0], [], routes=("alias",))  # a view, and so is its gradient


def _lrn(s: Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, LocalResponseNorm)
    # x * x padded along channels, averaged, then (k + alpha * avg) ** beta: the padded
    # squares, the base and the result of the power are kept
    padded = (s.x[0] + layer.size - 1, *s.x[1:])
    kept = [
        s.ins[0],
        s.make(s.i, "sq", prod(padded) * s.per_element, f"padded squares {shape_text(padded)}"),
        s.output("base", "k + alpha*avg"),
        s.output("pow", "divisor"),
    ]
    n = _Node(s.output(), kept)
    # the backward of the chain (division, power, average, square): input-sized gradients in turn
    n.bwd_extra, n.work = 3 * prod(s.x) * s.per_element + prod(padded) * s.per_element, "LRN's chain of gradients"
    return n


def _layer_norm(s: Step) -> _Node:
    # F.layer_norm on the channels-last view keeps its input (the view), the weight and bias,
    # and a mean and an inverse deviation per position, in the activations' dtype
    positions = prod(s.out[1:]) if len(s.out) > 1 else 1
    stats = s.make(
        s.i, "stats", 2 * positions * s.per_element, f"mean and inverse std per position, {positions}+{positions}"
    )
    return s.weighted(_Node(s.output(), [s.ins[0], stats]), 2 if s.report.rows[s.i].weights else 0)


def _scale(s: Step) -> _Node:
    layer = s.layer
    assert isinstance(layer, Scale)
    if layer.learned:  # a per-channel weight, exported as a 1x1 depthwise conv: it keeps its input
        return s.weighted(_Node(s.output(), [s.ins[0]]), 1)
    # with a Python number, add, subtract, multiply and divide keep nothing; power keeps its input
    return _Node(s.output(), [s.ins[0]] if layer.op == "power" else [])


def _channel_slice(s: Step) -> _Node:
    return _Node(s.ins[0], [])  # a view of the input's channels


def _multiply(s: Step) -> _Node:
    return _Node(s.output(), list(s.ins))


def _keeps_nothing(s: Step) -> _Node:
    """Normalization by constants, a channel shuffle and a zero padding: their backward needs
    none of their tensors (a constant divisor is no activation; a padding's gradient is the
    incoming one with the borders cut off), only the incoming gradient."""
    return _Node(s.output(), [])


def _passes_gradient(s: Step) -> _Node:
    """Add and concat: their backward hands their output's gradient on (views of it), allocating nothing."""
    return _Node(s.output(), [], routes=("alias",) * len(s.ins))


def _upsample(s: Step) -> _Node:
    n = _Node(s.output(), [])
    n.fwd_extra = prod(s.x) * s.per_element + s.size
    n.work = "upsampling: a copy of the input and a second output-sized buffer"
    return n


#: training memory's capability table: what each layer class keeps for its backward pass
TRAINING: Capabilities[Callable[[Step], _Node]] = Capabilities(
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
    "BN_COUNTER_BYTES",
    "INDEX_BYTES",
    "INPLACE_ACTIVATIONS",
    "SAVES_OUTPUT",
    "TRAINING",
    "Maker",
    "Step",
    "TrainingError",
    "forward",
    "shape_text",
]
