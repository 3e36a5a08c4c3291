"""Operators with weights: Conv, ConvTranspose, Gemm and MatMul, BatchNormalization and
LayerNormalization.

Hyper-parameters come from the attributes and from the dims of the stored weights, never from
their values, so the imported layer counts exactly the parameters the model stores; a weight
another layer used first is shared (counted once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.onnx.attrs import Attrs, one_value
from cnncalc.features.interop.onnx.ops_window import Windows

if TYPE_CHECKING:
    from onnx import NodeProto


class Weighted(Windows):
    """Layers with stored weights; Conv and ConvTranspose read their window through `spatial`."""

    def conv_common(self, node: NodeProto, attrs: Attrs, w: list[int]) -> tuple[list[int], int]:
        """kernel and groups of a Conv or ConvTranspose, checked against the weight's dims."""
        kernel = attrs.integers("kernel_shape", 1, len(w) - 2) or w[2:]
        groups = attrs.integer("group", 1, 1, 2**31 - 1)
        return kernel, groups

    def op_Conv(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        w = self.weight(node, 1, "weight", least=3)
        kernel, groups = self.conv_common(node, attrs, w)
        layer: dict[str, Any] = {"kind": "conv", "filters": w[0]}
        layer.update({k: v for k, v in self.spatial(node, attrs, kernel).items() if (k, v) != ("stride", 1)})
        if groups != 1:
            layer["groups"] = groups
        if not self.has_input(node, 2):
            layer["bias"] = False
        self.share(node, self.add(node, layer))

    def op_ConvTranspose(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        if attrs.integers("output_shape"):
            raise self.unsupported(node, "the output_shape attribute (give pads and output_padding instead)")
        w = self.weight(node, 1, "weight", least=3)
        kernel, groups = self.conv_common(node, attrs, w)
        layer: dict[str, Any] = {"kind": "conv_transpose", "filters": w[1] * groups}
        layer.update({k: v for k, v in self.spatial(node, attrs, kernel).items() if (k, v) != ("stride", 1)})
        if groups != 1:
            layer["groups"] = groups
        output_padding = attrs.integers("output_padding", 0, len(kernel))
        if any(output_padding):
            layer["output_padding"] = one_value(output_padding)
        if not self.has_input(node, 2):
            layer["bias"] = False
        self.share(node, self.add(node, layer))

    def op_Gemm(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        if attrs.integer("transA", 0, 0, 1):
            raise self.unsupported(node, "transA=1 (the input transposed)")
        dims = self.shape(node.input[0])
        if dims is not None and len(dims) != 2:
            raise self.unsupported(node, f"an input of rank {len(dims)} (Gemm reads a batch of vectors)")
        w = self.weight(node, 1, "weight", rank=2)
        layer: dict[str, Any] = {"kind": "dense", "units": w[0] if attrs.integer("transB", 0, 0, 1) else w[1]}
        if not self.has_input(node, 2):
            layer["bias"] = False
        else:
            self.weight(node, 2, "bias")
        self.share(node, self.add(node, layer))

    def op_MatMul(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        w = self.weight(node, 1, "weight")
        if len(w) != 2:
            raise self.unsupported(node, f"a weight of rank {len(w)} (only a matrix imports as a dense layer)")
        dims = self.shape(node.input[0])
        if dims is not None and len(dims) != 2:
            raise self.unsupported(node, f"an input of rank {len(dims)} (only a batch of vectors)")
        self.share(node, self.add(node, {"kind": "dense", "units": w[1], "bias": False}))

    def op_BatchNormalization(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        for index, what in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")):
            self.weight(node, index, what)
        epsilon = self.attrs(node).number("epsilon", 1e-5)
        layer: dict[str, Any] = {"kind": "batch_norm"}
        if abs(epsilon - 1e-5) > 1e-12:
            layer["epsilon"] = epsilon
        self.add(node, layer)

    def op_LayerNormalization(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        dims = self.shape(node.input[0])
        rank = len(dims) if dims is not None else 0
        axis = self.attrs(node).integer("axis", -1)
        on_channels = node.input[0] in self.channels_last or rank == 2
        if rank < 2 or axis % rank != rank - 1 or not on_channels:
            raise self.unsupported(node, "a layer norm over other axes than the channels")
        self.weight(node, 1, "scale")
        if not self.has_input(node, 2):
            raise self.unsupported(node, "a layer norm without a bias")
        self.weight(node, 2, "bias")
        layer: dict[str, Any] = {"kind": "layer_norm"}
        epsilon = self.attrs(node).number("epsilon", 1e-5)
        if abs(epsilon - 1e-5) > 1e-12:
            layer["epsilon"] = epsilon
        self.add(node, layer)
