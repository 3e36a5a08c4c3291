"""Operators that slide a window or change the spatial size: pooling, global pooling and the
reductions that are one, Pad, Resize and Upsample.

`spatial` reads a sliding window's stride, padding and dilation for Conv and the pools alike,
and joins a Pad before into the layer's own padding where the layer can take it; a Pad no
layer takes is written as a `pad` layer of its own (`write_pad`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cnncalc.core.geometry import same_padding
from cnncalc.features.interop.onnx.attrs import Attrs, one_value, pads_spelled
from cnncalc.features.interop.onnx.constants import Constants
from cnncalc.features.interop.onnx.screen import shown
from cnncalc.layers.pool import pool_padding_fits

if TYPE_CHECKING:
    from onnx import NodeProto


class Windows(Constants):
    """Pooling, reductions over the spatial axes, padding and resizing."""

    def spatial(self, node: NodeProto, attrs: Attrs, kernel: Sequence[int], pool: bool = False) -> dict[str, Any]:
        """stride, padding and dilation of a sliding window, in cnncalc's spelling; a Pad before
        joins the layer's own padding where the layer can take it (a `pad` layer where not)."""
        ndim = len(kernel)
        dims = self.shape(node.input[0])
        if ndim == 0 or (dims is not None and len(dims) != ndim + 2):
            raise attrs.error("kernel_shape", f"has {ndim} values for an input of rank {len(dims or [])}")
        if any(k < 1 for k in kernel):
            raise attrs.error("kernel_shape", "has a value below 1")
        strides = attrs.integers("strides", 1, ndim) or [1] * ndim
        dilations = attrs.integers("dilations", 1, ndim) or [1] * ndim
        pads = attrs.integers("pads", 0, 2 * ndim)
        auto_pad = attrs.text("auto_pad", "NOTSET")
        if node.input[0] in self.pads:  # a Pad before: its padding joins the layer's own
            extra = self.pads[node.input[0]]
            if len(extra) != 2 * ndim:
                raise self.unsupported(node, "a Pad of another rank before it")
            joined = [a + b for a, b in zip(pads or [0] * 2 * ndim, extra, strict=True)]
            pairs = list(zip(joined[:ndim], joined[ndim:], strict=True))
            if auto_pad not in ("NOTSET", "") or (pool and not pool_padding_fits(pairs, kernel)):
                self.write_pad(node.input[0])
            else:
                pads = joined
        padding: Any
        if auto_pad in ("NOTSET", ""):
            padding = pads_spelled(pads, ndim)
        elif auto_pad == "VALID":
            padding = 0
        elif auto_pad == "SAME_UPPER":
            padding = "same"
        elif auto_pad == "SAME_LOWER":  # as 'same' with the extra pixel before
            if dims is None or not all(isinstance(d, int) and d > 0 for d in dims[2:]):
                raise self.unsupported(node, "auto_pad SAME_LOWER on an input of unknown size")
            pairs = [
                same_padding(int(n), k, s, d) for n, k, s, d in zip(dims[2:], kernel, strides, dilations, strict=True)
            ]
            padding = pads_spelled([a for _, a in pairs] + [b for b, _ in pairs], ndim)
        else:
            raise attrs.error("auto_pad", "is none of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
        result: dict[str, Any] = {"kernel": one_value(kernel)}
        result["stride"] = one_value(strides)
        if padding != 0:
            result["padding"] = padding
        if any(d != 1 for d in dilations):
            result["dilation"] = one_value(dilations)
        return result

    def _pool(self, node: NodeProto, kind: str) -> None:
        attrs = self.attrs(node)
        kernel = attrs.integers("kernel_shape", 1, required=True)
        layer: dict[str, Any] = {"kind": kind, **self.spatial(node, attrs, kernel, pool=True)}
        if attrs.integer("ceil_mode", 0, 0, 1):
            layer["ceil_mode"] = True
        self.add(node, layer)

    def op_MaxPool(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._pool(node, "max_pool")

    def op_AveragePool(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        # count_include_pad changes the values averaged, not the shape or the cost counted
        self._pool(node, "avg_pool")

    def op_GlobalAveragePool(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self.add(node, {"kind": "global_avg_pool", "keepdims": True})

    def op_GlobalMaxPool(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self.add(node, {"kind": "global_max_pool", "keepdims": True})

    def _reduce(self, node: NodeProto, kind: str) -> None:
        """A mean or max over every spatial axis (MnasNet's x.mean([2, 3])): a global pool."""
        attrs = self.attrs(node)
        keepdims = attrs.integer("keepdims", 1, 0, 1)
        dims = self.shape(node.input[0])
        axes: list[int] | None = attrs.integers("axes") if attrs.has("axes") else None
        if axes is None and self.has_input(node, 1):  # opset 18: the axes are an input
            axes = self.ints(node.input[1])
        if dims is None or len(dims) < 3 or axes is None:
            raise self.unsupported(node, "a reduction whose axes or input rank are not known constants")
        rank = len(dims)
        if not all(-rank <= a < rank for a in axes) or sorted({a % rank for a in axes}) != list(range(2, rank)):
            raise self.unsupported(node, "a reduction over other axes than all the spatial ones (a global pool)")
        self.add(node, {"kind": kind, "keepdims": bool(keepdims)})

    def op_ReduceMean(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._reduce(node, "global_avg_pool")

    def op_ReduceMax(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._reduce(node, "global_max_pool")

    def op_Pad(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        mode = attrs.text("mode", "constant")
        if mode != "constant":
            raise self.unsupported(node, f"Pad mode {shown(mode)} (only constant padding imports)")
        pads = (
            attrs.integers("pads")
            if attrs.has("pads")
            else self.ints(node.input[1])
            if self.has_input(node, 1)
            else None
        )
        dims = self.shape(node.input[0])
        if pads is None or dims is None:
            raise self.unsupported(node, "pads that are not constants of the model")
        rank = len(dims)
        if self.has_input(node, 3):  # opset 18: pads only for the listed axes
            axes = self.ints(node.input[3])
            if axes is None or len(pads) != 2 * len(axes) or not all(-rank <= a < rank for a in axes):
                raise self.unsupported(node, "axes that are not constants matching the pads")
            full = [0] * 2 * rank
            for i, axis in enumerate(a % rank for a in axes):
                full[axis], full[rank + axis] = pads[i], pads[len(axes) + i]
            pads = full
        if len(pads) != 2 * rank:
            raise self.unsupported(node, f"{len(pads)} pads for an input of rank {rank}")
        if any(pads[:2]) or any(pads[rank : rank + 2]) or any(p < 0 for p in pads):
            raise self.unsupported(node, "padding of the batch or channel axes, or negative padding")
        self.pads[node.output[0]] = [int(p) for p in pads[2:rank] + pads[rank + 2 :]]
        self.pad_nodes[node.output[0]] = node
        self.writer.alias(node.output[0], node.input[0])

    def write_pad(self, tensor: str) -> None:
        """A Pad's output read by a layer that cannot take the padding as its own (or returned by
        the model): the Pad as a `pad` layer. Only a padding of zeros is one; a Pad of another
        constant is imported only where a Conv or pooling takes it (its count does not change)."""
        node = self.pad_nodes[tensor]
        value: Any = self.attrs(node).number("value", 0.0)  # below opset 11 an attribute, then input 2
        if self.has_input(node, 2):
            found = self.values(node.input[2])
            value = found[0] if found is not None and len(found) == 1 else None
        if value != 0:
            shown_value = "not a constant of the model" if value is None else f"{value}, not 0"
            raise self.unsupported(
                node, f"its constant is {shown_value}, and a layer other than a Conv or pooling reads it"
            )
        pads = self.pads.pop(tensor)
        self.add(node, {"kind": "pad", "padding": pads_spelled(pads, len(pads) // 2)})

    def op_Resize(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        if self.opset < 11:  # opset 10: (X, scales), no roi and no sizes
            self._resize(node, scales_at=1, sizes_at=-1)
        else:
            self._resize(node, scales_at=2, sizes_at=3)

    def op_Upsample(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._resize(node, scales_at=1, sizes_at=-1)

    def _resize(self, node: NodeProto, scales_at: int, sizes_at: int) -> None:
        """Whole scale factors on the spatial axes; the scales are read, never shown."""
        attrs = self.attrs(node)
        mode = attrs.text("mode", "nearest")
        if mode not in ("nearest", "linear", "bilinear"):
            raise self.unsupported(node, f"mode {shown(mode)} (nearest and linear import)")
        dims = self.shape(node.input[0])
        scales: list[Any] | None = attrs.numbers("scales")
        source = "its scales attribute"
        if scales is None and self.has_input(node, scales_at):
            scales = self.values(node.input[scales_at])
            source = self.about(node.input[scales_at])
        size: list[int] | None = None
        if not scales and sizes_at > 0 and self.has_input(node, sizes_at):
            sizes = self.values(node.input[sizes_at])
            source = self.about(node.input[sizes_at])
            if sizes and dims and len(sizes) == len(dims) and all(isinstance(d, int) and d > 0 for d in dims[1:]):
                # the batch may be symbolic: Shape reads it as 1, and a resize keeps it
                scales = [1, *(s / int(d) for s, d in zip(sizes[1:], dims[1:], strict=True))]
                if all(isinstance(s, int) and 1 <= s <= 2**31 - 1 for s in sizes[2:]):
                    size = [int(s) for s in sizes[2:]]
        if not scales or len(scales) < 3 or (dims is not None and len(scales) != len(dims)):
            raise self.unsupported(node, f"scales or sizes that are not constants of the model's rank ({source})")
        if not all(isinstance(f, int | float) and math.isfinite(f) for f in scales):
            raise self.unsupported(node, f"scales that are not finite numbers ({source})")
        factors = scales[2:]
        layer: dict[str, Any] = {"kind": "upsample"}
        if size is not None and scales[0] == 1 and scales[1] == 1 and any(f != int(f) for f in factors):
            layer["size"] = one_value(size)  # sizes given, not a whole factor of the input's (33 to 65)
        elif scales[0] != 1 or scales[1] != 1 or any(f != int(f) or f < 1 or f > 2**31 - 1 for f in factors):
            raise self.unsupported(node, f"scales that are not whole factors on the spatial axes ({source})")
        else:
            layer["scale"] = one_value([int(f) for f in factors])
        if mode != "nearest":
            layer["mode"] = "bilinear"
        self.add(node, layer)
