"""Operators that keep their input's shape: the activations (Clip as ReLU or ReLU6), Softmax,
Dropout, LRN, Identity, and arithmetic: Add, Sum and Mul of tensors, and Add, Sub, Mul, Div
and Pow with a constant (a `scale` layer).

Two runs of arithmetic the exporter writes for one layer are read here as the walk meets
them: GELU written out with Erf, and a Conv's or MatMul's bias added by a separate Add.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.onnx.base import broadcast
from cnncalc.features.interop.onnx.constants import Constants
from cnncalc.features.interop.onnx.screen import about, element_count, shown

if TYPE_CHECKING:
    from onnx import NodeProto


class Elementwise(Constants):
    """Activations, value-wise arithmetic and the layers that keep their input's shape."""

    def activation(self, node: NodeProto, kind: str) -> None:
        layer: dict[str, Any] = {"kind": kind}
        if kind == "leaky_relu":
            layer["negative_slope"] = self.attrs(node).number("alpha", 0.01)
        self.add(node, layer)

    def op_Clip(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """Clip to [0, 6] is ReLU6 and Clip from 0 is ReLU; the bounds are read, never shown."""
        attrs = self.attrs(node)
        low: Any = attrs.number("min", -math.inf) if attrs.has("min") else None
        high: Any = attrs.number("max", math.inf) if attrs.has("max") else None
        named = [f"attribute {n}" for n in ("min", "max") if attrs.has(n)]
        for index, bound in ((1, "low"), (2, "high")):
            if self.has_input(node, index):
                name = node.input[index]
                tensor = self.consts.get(name)
                named.append(about(tensor) if tensor is not None else shown(name))
                found = self.values(name)
                if not found or len(found) != 1:
                    raise self.unsupported(node, f"a bound that is not a known scalar constant ({named[-1]})")
                if bound == "low":
                    low = found[0]
                else:
                    high = found[0]
        if low == 0 and high == 6:
            self.add(node, {"kind": "relu6"})
        elif low == 0 and high is None:
            self.add(node, {"kind": "relu"})
        else:
            bounds = ", ".join(named) or "no bounds"
            raise self.unsupported(node, f"a Clip whose bounds are not [0, 6] (bounds: {bounds}; only ReLU6 imports)")

    def op_Softmax(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        dims = self.shape(node.input[0])
        axis = self.attrs(node).integer("axis", 1 if self.opset < 13 else -1)  # the default moved in opset 13
        rank = len(dims) if dims is not None else None
        if rank is not None and (rank == 0 or axis % rank != 1):
            raise self.unsupported(node, f"softmax over axis {axis} (cnncalc's softmax is over the features)")
        self.add(node, {"kind": "softmax"})

    def op_LRN(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        if not attrs.has("size"):
            raise attrs.error("size", "is missing (ONNX requires it)")
        self.add(
            node,
            {
                "kind": "lrn",
                "size": attrs.integer("size", 1, 1, 2**31 - 1),
                "alpha": attrs.number("alpha", 1e-4),
                "beta": attrs.number("beta", 0.75),
                "k": attrs.number("bias", 1.0),
            },
        )

    def op_Dropout(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        rate: Any = self.attrs(node).number("ratio", 0.5)
        if self.has_input(node, 1):
            found = self.values(node.input[1])
            rate = found[0] if found and len(found) == 1 else 0.5
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise self.unsupported(node, "a dropout ratio that is not a number in [0, 1)")
        self.add(node, {"kind": "dropout", "rate": round(float(rate), 6)})

    def op_Identity(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self.writer.alias(node.output[0], node.input[0])

    def _merge(self, node: NodeProto, kind: str) -> None:
        tensors = [t for t in node.input if t]
        consts = [t for t in tensors if t not in self.writer.tensors]
        if consts:
            if kind == "add" and self.fold_bias(node, tensors, consts):
                return
            self.scale(node, kind, tensors, consts)
            return
        if kind not in ("add", "multiply"):
            raise self.unsupported(node, f"{node.op_type} of two tensors of the network's data (only with a constant)")
        self.add(node, {"kind": kind}, tensors)

    def scale(self, node: NodeProto, op: str, tensors: list[str], consts: list[str]) -> None:
        """Data and a constant, value by value: a `scale` layer. A stored tensor (initializer) of
        one value per channel is a learned scale (ConvNeXt's layer scale: C params); any other
        constant (a scalar, a stochastic depth's mask) is fixed, with no params."""
        data = [t for t in tensors if t in self.writer.tensors]
        if len(data) != 1 or len(consts) != 1:
            raise self.unsupported(node, f"{node.op_type} of {len(tensors)} operands, {len(consts)} of them constant")
        if op == "divide" and self.gelu(node, data[0]):
            return
        const = consts[0]
        dims = self.shape(data[0])
        const_dims = self.const_dims.get(const)
        if const_dims is None:  # computed at run time (a random mask): its dims as inferred
            inferred = self.shape(const)
            if inferred is None or not all(isinstance(d, int) and d > 0 for d in inferred):
                raise self.unsupported(node, f"a constant operand {self.origin(const)} of unknown shape")
            const_dims = [int(d) for d in inferred]
        size = element_count(const_dims)
        learned = const in self.initializers and size > 1
        if dims is not None:
            known = [d if isinstance(d, int) and d > 0 else 1 for d in dims]
            if broadcast([known, const_dims]) != known:
                raise self.unsupported(
                    node,
                    f"{node.op_type} with a constant operand {self.origin(const)} of shape {const_dims} "
                    "that does not fit the data's shape",
                )
            channels = dims[-1] if data[0] in self.channels_last else dims[1] if len(dims) > 1 else None
            if size > 1 and size != channels:
                raise self.unsupported(
                    node,
                    f"{node.op_type} with a constant operand {self.origin(const)} of shape {const_dims} "
                    "that is neither one value nor one value per channel",
                )
        layer: dict[str, Any] = {"kind": "scale", "op": op}
        if learned:
            layer["learned"] = True
        self.add(node, layer, [data[0]])

    def gelu(self, node: NodeProto, x: str) -> bool:
        """GELU as exporters write it without a Gelu operator: x / sqrt(2) -> Erf -> + 1 -> x * .
        -> * 0.5, imported as one `gelu` layer."""
        if node.input[0] != x:
            return False
        erf = self.reader(node.output[0], "Erf")
        plus = self.reader(erf.output[0], "Add") if erf is not None else None
        times = self.reader(plus.output[0], "Mul") if plus is not None else None
        half = self.reader(times.output[0], "Mul") if times is not None else None
        if erf is None or plus is None or times is None or half is None or x not in times.input:
            return False
        if not any(self.constant_like(t) for t in plus.input) or not any(self.constant_like(t) for t in half.input):
            return False
        self.done.update(t for n in (erf, plus, times, half) for t in n.output)
        self.add(node, {"kind": "gelu"}, [x], output=half.output[0])
        if x in self.channels_last:
            self.channels_last.add(half.output[0])
        return True

    def fold_bias(self, node: NodeProto, tensors: list[str], consts: list[str]) -> bool:
        """MatMul (or Conv without bias) then Add of a constant vector: one layer with a bias."""
        data = [t for t in tensors if t in self.writer.tensors]
        if len(data) != 1 or len(consts) != 1 or consts[0] not in self.const_dims:
            return False
        producer = self.writer.tensors[data[0]]
        last = self.writer.layers[-1] if self.writer.layers else None
        if last is None or last["name"] != producer or last.get("bias", True) or last.get("shares"):
            return False
        size = element_count(self.const_dims[consts[0]])
        units = last.get("units", last.get("filters"))
        if last["kind"] not in ("dense", "conv") or size != units:
            return False
        del last["bias"]
        self.writer.alias(node.output[0], data[0])
        return True

    def op_Add(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._merge(node, "add")

    def op_Sum(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._merge(node, "add")

    def op_Mul(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._merge(node, "multiply")

    def op_Sub(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._merge(node, "subtract")

    def op_Div(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._merge(node, "divide")

    def op_Pow(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._merge(node, "power")
