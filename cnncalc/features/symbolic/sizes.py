"""Output sizes as expressions of the input's: one size rule per layer kind (the SIZES table).

Every output size of a sliding window is floor((n + pb + pa - d*(k-1) - 1)/s) + 1 of its
input size n; "same" padding gives ceil(n/s) = floor((n + s - 1)/s); a transposed conv
('same': n*s) and upsampling are polynomials. `walk` applies these rules over a spec's graph,
in the algebra of `polynomials`. The rules live apart from the analysis (`analysis`) so that a
new layer kind's size rule goes into `SIZES`, here, without reading how counts are fitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cnncalc.core.graph import build_graph
from cnncalc.core.report import Report
from cnncalc.errors import CnncalcError
from cnncalc.features.symbolic.polynomials import Expr, symbolic_product
from cnncalc.layers import LayerBase
from cnncalc.layers.base import per_dim
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv, _SlidingLayer
from cnncalc.layers.crop import Crop, crop_pairs
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import Activation, BatchNorm, Dropout, Flatten, LocalResponseNorm
from cnncalc.layers.merge import Add, Concat, Multiply
from cnncalc.layers.pad import Pad, pad_pairs
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.layers.window import resolve_padding
from cnncalc.spec.model import Spec


class SymbolicError(CnncalcError):
    """A network or layer the symbolic walk cannot express (exit 2)."""


Shape = tuple[Expr, ...]


def _sliding(layer: _SlidingLayer | Pool, x: Shape, name: str) -> Shape:
    ndim = len(x) - 1
    kernel = per_dim(layer.kernel, ndim, "kernel")
    raw_stride = layer.kernel if isinstance(layer, Pool) and layer.stride is None else layer.stride
    assert raw_stride is not None
    stride = per_dim(raw_stride, ndim, "stride")
    dilation = per_dim(layer.dilation, ndim, "dilation")
    ceil = isinstance(layer, Pool) and layer.ceil_mode
    if layer.padding == "same":
        return (x[0], *((n + (s - 1)).floordiv(s) for n, s in zip(x[1:], stride, strict=True)))
    pads = resolve_padding(layer.padding, [0] * ndim, kernel, stride, dilation)
    out = [x[0]]
    for n, k, s, d, (pb, pa) in zip(x[1:], kernel, stride, dilation, pads, strict=True):
        span = n + (pb + pa - d * (k - 1) - 1)
        if ceil and s > d * (k - 1) + 1 - pa:
            # ceil mode keeps a last window only if it starts before the right padding (PyTorch):
            # out - 1 = min(ceil(span/s), ceil((n + pb)/s) - 1), and with a stride wider than the
            # window less that padding the second is never the larger, so out counts the window
            # starts before the padding: floor((n + pb - 1)/s) + 1
            out.append((n + (pb - 1)).floordiv(s) + 1)
        elif ceil:
            out.append((span + (s - 1)).floordiv(s) + 1)
        else:
            out.append(span.floordiv(s) + 1)
    return tuple(out)


def _walk_layer(layer: LayerBase, xs: Sequence[Shape], channels: int, name: str) -> Shape:
    """One layer's output shape from its inputs' (channels-first) shapes."""
    c = Expr.const(channels)
    rule = SIZES.lookup(layer, "symbolic sizes cannot follow", name)
    if rule is None:  # the fallback: the input's sizes, checked against concrete analyses
        return (c, *xs[0][1:])
    if isinstance(layer, Add | Multiply):  # broadcast: the sizes of an input that is not 1x1
        one = Expr.const(1)
        return rule(layer, next((x for x in xs if any(d != one for d in x[1:])), xs[0]), c, name)
    return rule(layer, xs[0], c, name)


def _transposed(layer: ConvTranspose, x: Shape, c: Expr, name: str) -> Shape:
    # a transposed conv's padding never depends on the input size ('same' pads the kernel's
    # overhang of the stride), so the layer's own geometry at any size gives it
    k, s, d, op, pads = layer.geometry((1,) * len(x))
    return (
        c,
        *(
            (n - 1) * si + (d_ * (k_ - 1) + o + 1 - pb - pa)
            for n, k_, si, d_, o, (pb, pa) in zip(x[1:], k, s, d, op, pads, strict=True)
        ),
    )


def _slides(layer: _SlidingLayer | Pool, x: Shape, c: Expr, name: str) -> Shape:
    return (c, *_sliding(layer, x, name)[1:])


def _upsampled(layer: Upsample, x: Shape, c: Expr, name: str) -> Shape:
    if layer.size is not None:  # a size given: the same whatever the input's
        return (c, *(Expr.const(n) for n in per_dim(layer.size, len(x) - 1, "size")))
    return (c, *(n * f for n, f in zip(x[1:], per_dim(layer.scale, len(x) - 1, "scale"), strict=True)))


def _global(layer: GlobalPool, x: Shape, c: Expr, name: str) -> Shape:
    return (c, *([Expr.const(1)] * (len(x) - 1))) if layer.keepdims else (c,)


def _flat(layer: Flatten, x: Shape, c: Expr, name: str) -> Shape:
    return (symbolic_product(x),)


def _unflat(layer: Unflatten, x: Shape, c: Expr, name: str) -> Shape:
    return (c, *([Expr.const(1)] * layer.axes))


def _cropped(layer: Crop, x: Shape, c: Expr, name: str) -> Shape:
    pairs = crop_pairs(layer.crop, len(x) - 1)
    return (c, *(n - (a + b) for n, (a, b) in zip(x[1:], pairs, strict=True)))


def _padded(layer: Pad, x: Shape, c: Expr, name: str) -> Shape:
    pairs = pad_pairs(layer.padding, len(x) - 1)
    return (c, *(n + (a + b) for n, (a, b) in zip(x[1:], pairs, strict=True)))


def _vector(layer: Dense, x: Shape, c: Expr, name: str) -> Shape:
    return (c,)


def _same_sizes(layer: LayerBase, x: Shape, c: Expr, name: str) -> Shape:
    """Activations, norms, dropout and the merges: the input's sizes (the channels from the analysis)."""
    return (c, *x[1:])


#: symbolic sizes' capability table: how each layer class's output sizes follow its input's
SIZES: Capabilities[Callable[[Any, Shape, Expr, str], Shape]] = Capabilities(
    feature="the symbolic walk",
    lacks="size rule",
    handlers={
        ConvTranspose: _transposed,
        Conv: _slides,
        DepthwiseConv: _slides,
        SeparableConv: _slides,
        LocallyConnected: _slides,
        Pool: _slides,
        Upsample: _upsampled,
        GlobalPool: _global,
        Flatten: _flat,
        Unflatten: _unflat,
        Crop: _cropped,
        Pad: _padded,
        Normalize: _same_sizes,
        Dense: _vector,
        Concat: _same_sizes,
        Add: _same_sizes,
        Multiply: _same_sizes,
        Activation: _same_sizes,
        BatchNorm: _same_sizes,
        Dropout: _same_sizes,
        LocalResponseNorm: _same_sizes,
    },
    fallback=(
        "the input's sizes, checked against the concrete analysis at four input sizes; "
        "a kind that changes them is refused, naming it"
    ),
    error=SymbolicError,
)


class InexactError(Exception):
    """A floor that does not come out exact (when walking for the period)."""


def walk(spec: Spec, reference: Report | None, symbols: Mapping[int, Expr], exact: bool = False) -> list[Shape]:
    """Channels-first output shapes of every row, axis i of the input set to symbols[i]
    (exact: stop with InexactError at the first floor that stays). The channels come from
    `reference`, a concrete analysis; without one they are 1 (spatial sizes never read them)."""
    graph = build_graph(spec)
    x0 = spec.input.channels_first()
    shapes: list[Shape] = [tuple(symbols.get(i, Expr.const(n)) for i, n in enumerate(x0))]
    for i, node in enumerate(graph.nodes[1:], start=1):
        assert node.layer is not None
        channels = reference.rows[i].output_shape[0] if reference is not None else 1
        shapes.append(_walk_layer(node.layer, [shapes[j] for j in node.inputs], channels, node.name))
        if exact and any(e.floors() for e in shapes[-1]):
            raise InexactError
    return shapes


__all__ = ["SIZES", "InexactError", "Shape", "SymbolicError", "walk"]
