"""ONNX in: an exported model's graph as a cnncalc spec (plain data, as a YAML file would hold).

The graph is walked node by node in the order ONNX stores it (topological). Each operator
maps to one cnncalc layer kind; hyper-parameters come from the node's attributes and the
shapes of its constant weights, never from the weights' values, so the imported spec counts
exactly the parameters the model stores. Nodes that only compute shapes (Shape, Gather,
Concat of shape tensors, as exporters write for `x.view(n, -1)`) are skipped; Identity and
a constant-folded batch norm (already inside the Conv's weights) import as they are.

The `onnx` package is imported only inside these functions: it is an optional extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.geometry import same_padding
from cnncalc.interop.common import InteropError, SpecWriter, check_model_file, clean_name, require, unsupported

if TYPE_CHECKING:
    from onnx import GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto

ACTIVATIONS: dict[str, str] = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "Elu": "elu",
    "Selu": "selu",
    "Gelu": "gelu",
    "Softplus": "softplus",
    "HardSigmoid": "hard_sigmoid",
    "HardSwish": "hard_swish",
    "Swish": "swish",
}

#: every operator the importer reads, for the docs and for the error message
SUPPORTED_OPS: tuple[str, ...] = (
    "Conv",
    "ConvTranspose",
    "Gemm",
    "MatMul",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    *ACTIVATIONS,
    "Clip",
    "Softmax",
    "BatchNormalization",
    "LRN",
    "Dropout",
    "Add",
    "Mul",
    "Concat",
    "Flatten",
    "Reshape",
    "Resize",
    "Upsample",
    "Identity",
    "Pad (before a Conv or pooling)",
)

_ELEM_DTYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16", 3: "int8", 2: "uint8"}


def onnx_to_spec_data(path: Path) -> dict[str, Any]:
    """The spec of the ONNX model at `path`, as plain data for `validate_spec`."""
    onnx = require("onnx", "ONNX import", "onnx")
    check_model_file(path, "an ONNX model")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises its own DecodeError, or others on garbage
        raise InteropError.single(
            f"{path}: not a readable ONNX model ({type(e).__name__})", hint="export it with torch.onnx.export"
        ) from None
    return model_to_spec_data(model, path.stem)


def model_to_spec_data(model: ModelProto, default_name: str = "") -> dict[str, Any]:
    """The spec of an in-memory ONNX model (what `onnx_to_spec_data` reads from a file)."""
    require("onnx", "ONNX import", "onnx")
    from onnx import shape_inference

    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:  # a model shape inference cannot follow still imports; shapes come from cnncalc
        inferred = model
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    return _Importer(inferred.graph, default_name, _describe(model), opset).run()


def _describe(model: ModelProto) -> str:
    opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    producer = f"{model.producer_name} {model.producer_version}".strip()
    return f"imported from ONNX (opset {opsets}" + (f"; produced by {producer})" if producer else ")")


def _dims(info: ValueInfoProto) -> list[int | str] | None:
    """The dims of a value: ints where fixed, the symbol (or '?') where not; None if unknown."""
    tensor = info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim]


def _pads(pads: Sequence[int], ndim: int) -> int | list[int] | list[list[int]]:
    """ONNX pads [b1, b2, ..., e1, e2, ...] in the shortest cnncalc spelling."""
    if not pads:
        return 0
    before, after = list(pads[:ndim]), list(pads[ndim:])
    if before == after:
        return before[0] if len(set(before)) == 1 else before
    return [[b, a] for b, a in zip(before, after, strict=True)]


def _one(values: Sequence[int]) -> int | list[int]:
    """(3, 3) -> 3; (3, 5) -> [3, 5]."""
    return values[0] if len(set(values)) == 1 else list(values)


class _Importer:
    def __init__(self, graph: GraphProto, default_name: str, description: str, opset: int) -> None:
        self.graph = graph
        self.opset = opset
        # exporters name every graph alike (main_graph, torch_jit): the file's name says more
        self.name = clean_name(default_name) or clean_name(graph.name) or "network"
        self.description = description
        self.writer = SpecWriter()
        self.consts: dict[str, TensorProto | None] = {i.name: i for i in graph.initializer}
        self.const_dims: dict[str, list[int]] = {i.name: list(i.dims) for i in graph.initializer}
        self.shape_only: set[str] = set()  # tensors computed from shapes, not from data
        self.shapes: dict[str, list[int | str]] = {}
        for info in (*graph.input, *graph.value_info, *graph.output):
            dims = _dims(info)
            if dims is not None:
                self.shapes[info.name] = dims
        self.owners: dict[str, str] = {}  # weight initializer -> layer that first used it
        self.pads: dict[str, list[int]] = {}  # output of a Pad -> its spatial pads (ONNX order)

    # --- the walk --------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "description": self.description}
        data.update(self.read_input())
        for node in self.graph.node:
            self.node(node)
        if not self.writer.layers:
            raise InteropError.single("the ONNX graph has no layer cnncalc can count (only shape or identity nodes)")
        data["layers"] = self.writer.layers
        return data

    def read_input(self) -> dict[str, Any]:
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        data_inputs = []
        for info in inputs:
            dims = _dims(info)
            if dims is not None and len(dims) >= 2 and info.type.tensor_type.elem_type in _ELEM_DTYPES:
                data_inputs.append((info, dims))
        if not data_inputs:
            raise InteropError.single("the ONNX graph has no input with a batch and a feature axis")
        if len(data_inputs) > 1:
            names = ", ".join(i.name for i, _ in data_inputs)
            raise InteropError.single(
                f"the ONNX graph has {len(data_inputs)} inputs ({names}); a cnncalc spec has one",
                hint="export the model with a single input tensor",
            )
        info, dims = data_inputs[0]
        for other in inputs:  # other graph inputs (buffers exported as inputs) act as constants
            if other is not info:
                self.consts[other.name] = None
                self.const_dims[other.name] = [d if isinstance(d, int) else 1 for d in _dims(other) or []]
        sample = dims[1:]
        fixed = [d for d in sample if isinstance(d, int) and d > 0]
        if len(fixed) != len(sample):
            raise InteropError.single(
                f"input '{info.name}' has dims {dims}: cnncalc needs fixed sizes after the batch axis",
                hint="export with a fixed input size (a dummy input of the real shape, no dynamic axes but batch)",
            )
        if len(sample) > 4:
            raise InteropError.single(f"input '{info.name}' has {len(sample)} axes after the batch; at most 4")
        self.writer.tensors[info.name] = "input"
        result: dict[str, Any] = {"input": {"shape": fixed, "layout": "chw"}}
        batch = dims[0]
        if isinstance(batch, int) and batch > 1:
            result["batch"] = batch
        dtype = _ELEM_DTYPES[info.type.tensor_type.elem_type]
        if dtype != "float32":
            result["dtype"] = dtype
        return result

    def node(self, node: NodeProto) -> None:
        op = node.op_type
        inputs = list(node.input)
        data_inputs = [t for t in inputs if t and t in self.writer.tensors]
        if node.domain not in ("", "ai.onnx"):
            raise self.unsupported(node, f"operator domain '{node.domain}'")
        if op == "Constant":
            self.constant(node)
            return
        if op == "Identity" and inputs[0] in self.consts:
            self.consts[node.output[0]] = self.consts[inputs[0]]
            self.const_dims[node.output[0]] = self.const_dims[inputs[0]]
            return
        if op == "Shape":
            self.shape_of(node)
            return
        if not data_inputs:  # arithmetic on constants and shapes, as exporters write for pads and views
            if all(not t or self.consts.get(t) is not None for t in inputs) and self.fold(node):
                return
            if all(not t or t in self.consts or t in self.shape_only for t in inputs):
                self.shape_only.update(node.output)
                return
            raise self.unsupported(node, "none of its inputs comes from the network's input")
        padded = [t for t in data_inputs if t in self.pads]
        if padded and op not in ("Conv", "MaxPool", "AveragePool"):
            raise self.unsupported(node, "it reads a Pad's output (a Pad imports only before a Conv or pooling)")
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            if op in ACTIVATIONS:
                self.activation(node, ACTIVATIONS[op])
                return
            raise self.unsupported(node)
        handler(node)

    def unsupported(self, node: NodeProto, why: str = "") -> InteropError:
        return unsupported(node.op_type, node.name or node.output[0], self.writer, ", ".join(SUPPORTED_OPS), why)

    # --- helpers -----------------------------------------------------------------------------

    def attrs(self, node: NodeProto) -> dict[str, Any]:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def constant(self, node: NodeProto) -> None:
        from onnx import helper

        attrs = {a.name: a for a in node.attribute}
        if "value" in attrs:
            tensor = helper.get_attribute_value(attrs["value"])
            self.consts[node.output[0]] = tensor
            self.const_dims[node.output[0]] = list(tensor.dims)
        else:  # value_float(s) / value_int(s): small scalars or lists (Clip bounds, shapes), never weights
            from onnx import TensorProto

            name, attr = next(iter(attrs.items()))
            value = helper.get_attribute_value(attr)
            values = value if isinstance(value, list) else [value]
            dims = [len(values)] if isinstance(value, list) else []
            if name in ("value_float", "value_floats", "value_int", "value_ints"):
                kind = TensorProto.FLOAT if "float" in name else TensorProto.INT64
                self.consts[node.output[0]] = helper.make_tensor(node.output[0], kind, dims, values)
            else:
                self.consts[node.output[0]] = None
            self.const_dims[node.output[0]] = dims

    def shape_of(self, node: NodeProto) -> None:
        """Shape of a tensor of fixed size is a constant (the batch taken as 1); else shape arithmetic."""
        from onnx import TensorProto, helper

        dims = self.shape(node.input[0])
        if dims is None or not all(isinstance(d, int) and d > 0 for d in dims[1:]):
            self.shape_only.update(node.output)
            return
        values = [d if isinstance(d, int) and d > 0 else 1 for d in dims]
        attrs = self.attrs(node)
        values = values[attrs.get("start", 0) : attrs.get("end", len(values))]
        tensor = helper.make_tensor(node.output[0], TensorProto.INT64, [len(values)], values)
        self.consts[node.output[0]] = tensor
        self.const_dims[node.output[0]] = [len(values)]

    def fold(self, node: NodeProto) -> bool:
        """Compute a node of constants (ONNX's reference evaluator), as an exporter's constant folding would."""
        from onnx import numpy_helper
        from onnx.reference import ReferenceEvaluator

        feeds = {}
        for t in node.input:
            tensor = self.consts.get(t) if t else None
            if t and tensor is not None:
                feeds[t] = numpy_helper.to_array(tensor)
        try:
            results = ReferenceEvaluator(node).run(None, feeds)
        except Exception:  # an operator the evaluator lacks: its output stays unknown
            return False
        for name, value in zip(node.output, results, strict=False):
            if name:
                self.consts[name] = numpy_helper.from_array(value, name)
                self.const_dims[name] = list(value.shape)
        return True

    def values(self, name: str) -> list[Any] | None:
        """The values of a small constant (shapes, scales, pads), or None if not known."""
        tensor = self.consts.get(name)
        if tensor is None:
            return None
        from onnx import numpy_helper

        return list(numpy_helper.to_array(tensor).reshape(-1).tolist())

    def weight(self, node: NodeProto, index: int, what: str) -> list[int]:
        """Dims of the constant input `index` (a weight); refuses a weight computed at run time."""
        name = node.input[index] if len(node.input) > index else ""
        if name not in self.const_dims:
            raise self.unsupported(node, f"its {what} is not a constant of the model")
        return self.const_dims[name]

    def has_input(self, node: NodeProto, index: int) -> bool:
        return len(node.input) > index and node.input[index] != ""

    def shape(self, tensor: str) -> list[int | str] | None:
        return self.shapes.get(tensor)

    def wanted(self, node: NodeProto) -> str:
        """A readable name: PyTorch's module path (/layer1/layer1.0/conv1/Conv -> layer1.0.conv1)."""
        name = node.name
        if not name.startswith("/"):
            return clean_name(name)
        segments: list[str] = []
        for part in name.strip("/").split("/")[:-1]:
            # a scope repeats its parent's attribute name: layer1 / layer1.0, downsample / downsample.0
            if segments and part.startswith(segments[-1] + "."):
                segments[-1] = part
            else:
                segments.append(part)
        path = ".".join(segments)
        # a module that already named a layer, or a container of earlier layers (the add of a
        # residual block): the operator's name goes after the path
        if path and (path in self.writer.used or any(u.startswith(path + ".") for u in self.writer.used)):
            return f"{path}.{node.op_type.lower()}"
        return path

    def add(self, node: NodeProto, layer: dict[str, Any], sources: list[str] | None = None) -> dict[str, Any]:
        inputs = sources if sources is not None else [node.input[0]]
        return self.writer.add(layer, inputs, [node.output[0]], self.wanted(node))

    def share(self, node: NodeProto, entry: dict[str, Any], index: int = 1) -> None:
        """A weight used by an earlier layer too: the layer shares its weights (counted once)."""
        weight = node.input[index]
        if weight in self.owners:
            entry["shares"] = self.owners[weight]
        else:
            self.owners[weight] = entry["name"]

    def spatial(self, node: NodeProto, attrs: dict[str, Any], kernel: Sequence[int]) -> dict[str, Any]:
        """stride, padding and dilation of a sliding window, in cnncalc's spelling."""
        ndim = len(kernel)
        if node.input[0] in self.pads:  # a Pad before: its padding joins the layer's own
            extra = self.pads[node.input[0]]
            auto_pad = attrs.get("auto_pad", b"NOTSET")
            if auto_pad not in (b"NOTSET", "NOTSET", b"", ""):
                raise self.unsupported(node, "a Pad before a layer with auto_pad")
            own = list(attrs.get("pads") or [0] * 2 * ndim)
            attrs = {**attrs, "pads": [a + b for a, b in zip(own, extra, strict=True)]}
        strides = list(attrs.get("strides") or [1] * ndim)
        dilations = list(attrs.get("dilations") or [1] * ndim)
        auto_pad = attrs.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
        padding: Any
        if auto_pad in ("NOTSET", ""):
            padding = _pads(list(attrs.get("pads") or []), ndim)
        elif auto_pad == "VALID":
            padding = 0
        elif auto_pad == "SAME_UPPER":
            padding = "same"
        else:  # SAME_LOWER: as 'same' with the extra pixel before
            dims = self.shape(node.input[0])
            if dims is None or not all(isinstance(d, int) for d in dims[2:]):
                raise self.unsupported(node, "auto_pad SAME_LOWER on an input of unknown size")
            pairs = [
                same_padding(int(n), k, s, d) for n, k, s, d in zip(dims[2:], kernel, strides, dilations, strict=True)
            ]
            padding = _pads([a for _, a in pairs] + [b for b, _ in pairs], ndim)
        result: dict[str, Any] = {"kernel": _one(kernel)}
        result["stride"] = _one(strides)
        if padding != 0:
            result["padding"] = padding
        if any(d != 1 for d in dilations):
            result["dilation"] = _one(dilations)
        return result

    def flat(self, tensor: str) -> bool:
        dims = self.shape(tensor)
        return dims is not None and len(dims) == 2

    # --- operators ---------------------------------------------------------------------------

    def op_Conv(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        w = self.weight(node, 1, "weight")
        kernel = list(attrs.get("kernel_shape") or w[2:])
        layer: dict[str, Any] = {"kind": "conv", "filters": w[0]}
        layer.update({k: v for k, v in self.spatial(node, attrs, kernel).items() if (k, v) != ("stride", 1)})
        groups = int(attrs.get("group", 1))
        if groups != 1:
            layer["groups"] = groups
        if not self.has_input(node, 2):
            layer["bias"] = False
        self.share(node, self.add(node, layer))

    def op_ConvTranspose(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        if attrs.get("output_shape"):
            raise self.unsupported(node, "the output_shape attribute (give pads and output_padding instead)")
        w = self.weight(node, 1, "weight")
        groups = int(attrs.get("group", 1))
        kernel = list(attrs.get("kernel_shape") or w[2:])
        layer: dict[str, Any] = {"kind": "conv_transpose", "filters": w[1] * groups}
        layer.update({k: v for k, v in self.spatial(node, attrs, kernel).items() if (k, v) != ("stride", 1)})
        if groups != 1:
            layer["groups"] = groups
        output_padding = list(attrs.get("output_padding") or [])
        if any(output_padding):
            layer["output_padding"] = _one(output_padding)
        if not self.has_input(node, 2):
            layer["bias"] = False
        self.share(node, self.add(node, layer))

    def op_Gemm(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        if attrs.get("transA", 0):
            raise self.unsupported(node, "transA=1 (the input transposed)")
        w = self.weight(node, 1, "weight")
        if len(w) != 2:
            raise self.unsupported(node, f"a weight of rank {len(w)}")
        layer: dict[str, Any] = {"kind": "dense", "units": w[0] if attrs.get("transB", 0) else w[1]}
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

    def _pool(self, node: NodeProto, kind: str) -> None:
        attrs = self.attrs(node)
        kernel = list(attrs["kernel_shape"])
        layer: dict[str, Any] = {"kind": kind, **self.spatial(node, attrs, kernel)}
        if attrs.get("ceil_mode", 0):
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

    def activation(self, node: NodeProto, kind: str) -> None:
        layer: dict[str, Any] = {"kind": kind}
        if kind == "leaky_relu":
            layer["negative_slope"] = float(self.attrs(node).get("alpha", 0.01))
        self.add(node, layer)

    def op_Clip(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        low: Any = attrs.get("min")
        high: Any = attrs.get("max")
        for index, bound in ((1, "low"), (2, "high")):
            if self.has_input(node, index):
                found = self.values(node.input[index])
                if found is None:
                    raise self.unsupported(node, "a bound that is not a constant")
                if bound == "low":
                    low = found[0]
                else:
                    high = found[0]
        if low == 0 and high == 6:
            self.add(node, {"kind": "relu6"})
        elif low == 0 and high is None:
            self.add(node, {"kind": "relu"})
        else:
            raise self.unsupported(node, f"Clip to [{low}, {high}] (only [0, 6], ReLU6, imports)")

    def op_Softmax(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        dims = self.shape(node.input[0])
        axis = int(self.attrs(node).get("axis", 1 if self.opset < 13 else -1))  # the default moved in opset 13
        rank = len(dims) if dims is not None else None
        if rank is not None and axis % rank != 1:
            raise self.unsupported(node, f"softmax over axis {axis} (cnncalc's softmax is over the features)")
        self.add(node, {"kind": "softmax"})

    def op_BatchNormalization(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        for index, what in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")):
            self.weight(node, index, what)
        epsilon = float(self.attrs(node).get("epsilon", 1e-5))
        layer: dict[str, Any] = {"kind": "batch_norm"}
        if abs(epsilon - 1e-5) > 1e-12:
            layer["epsilon"] = epsilon
        self.add(node, layer)

    def op_LRN(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        self.add(
            node,
            {
                "kind": "lrn",
                "size": int(attrs["size"]),
                "alpha": float(attrs.get("alpha", 1e-4)),
                "beta": float(attrs.get("beta", 0.75)),
                "k": float(attrs.get("bias", 1.0)),
            },
        )

    def op_Dropout(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        rate: Any = self.attrs(node).get("ratio", 0.5)
        if self.has_input(node, 1):
            found = self.values(node.input[1])
            rate = found[0] if found else 0.5
        self.add(node, {"kind": "dropout", "rate": round(float(rate), 6)})

    def op_Pad(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        attrs = self.attrs(node)
        mode = attrs.get("mode", b"constant")
        if mode not in (b"constant", "constant"):
            raise self.unsupported(node, f"Pad mode {mode!r} (only constant padding imports)")
        pads = list(attrs["pads"]) if "pads" in attrs else self.values(node.input[1]) if len(node.input) > 1 else None
        dims = self.shape(node.input[0])
        if pads is None or dims is None:
            raise self.unsupported(node, "pads that are not constants of the model")
        rank = len(dims)
        if self.has_input(node, 3):  # opset 18: pads only for the listed axes
            axes = [a % rank for a in self.values(node.input[3]) or []]
            full = [0] * 2 * rank
            for i, axis in enumerate(axes):
                full[axis], full[rank + axis] = pads[i], pads[len(axes) + i]
            pads = full
        if any(pads[:2]) or any(pads[rank : rank + 2]) or any(p < 0 for p in pads):
            raise self.unsupported(node, "padding of the batch or channel axes, or negative padding")
        self.pads[node.output[0]] = [int(p) for p in pads[2:rank] + pads[rank + 2 :]]
        self.writer.alias(node.output[0], node.input[0])

    def op_Identity(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self.writer.alias(node.output[0], node.input[0])

    def _merge(self, node: NodeProto, kind: str) -> None:
        tensors = [t for t in node.input if t]
        consts = [t for t in tensors if t not in self.writer.tensors]
        if consts:
            if kind == "add" and self.fold_bias(node, tensors, consts):
                return
            raise self.unsupported(node, f"{node.op_type} with a constant operand (only tensor {kind}s import)")
        self.add(node, {"kind": kind}, tensors)

    def fold_bias(self, node: NodeProto, tensors: list[str], consts: list[str]) -> bool:
        """MatMul (or Conv without bias) then Add of a constant vector: one layer with a bias."""
        data = [t for t in tensors if t in self.writer.tensors]
        if len(data) != 1 or len(consts) != 1 or consts[0] not in self.const_dims:
            return False
        producer = self.writer.tensors[data[0]]
        last = self.writer.layers[-1] if self.writer.layers else None
        if last is None or last["name"] != producer or last.get("bias", True) or last.get("shares"):
            return False
        size = 1
        for d in self.const_dims[consts[0]]:
            size *= d
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

    def op_Concat(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        tensors = [t for t in node.input if t]
        if any(t not in self.writer.tensors for t in tensors):
            raise self.unsupported(node, "a constant among the tensors concatenated")
        dims = self.shape(tensors[0])
        axis = int(self.attrs(node).get("axis", 1))
        if axis < 0 and dims is not None:
            axis += len(dims)
        if axis != 1:
            raise self.unsupported(node, f"concatenation along axis {axis} (cnncalc concatenates channels, axis 1)")
        self.add(node, {"kind": "concat"}, tensors)

    def _to_vector(self, node: NodeProto) -> None:
        if self.flat(node.input[0]):
            self.writer.alias(node.output[0], node.input[0])
        else:
            self.add(node, {"kind": "flatten"})

    def op_Flatten(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        axis = int(self.attrs(node).get("axis", 1))
        if axis != 1:
            raise self.unsupported(node, f"Flatten at axis {axis} (only axis 1 keeps the batch)")
        self._to_vector(node)

    def op_Reshape(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        out = self.shape(node.output[0])
        target = self.values(node.input[1]) if len(node.input) > 1 else None
        if (out is not None and len(out) == 2) or (target is not None and len(target) == 2):
            self._to_vector(node)
            return
        raise self.unsupported(node, "a reshape to anything but a batch of vectors")

    def op_Resize(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        if self.opset < 11:  # opset 10: (X, scales), no roi and no sizes
            self._resize(node, scales_at=1, sizes_at=-1)
        else:
            self._resize(node, scales_at=2, sizes_at=3)

    def op_Upsample(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        self._resize(node, scales_at=1, sizes_at=-1)

    def _resize(self, node: NodeProto, scales_at: int, sizes_at: int) -> None:
        attrs = self.attrs(node)
        mode = attrs.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        if mode not in ("nearest", "linear", "bilinear"):
            raise self.unsupported(node, f"mode '{mode}' (nearest and linear import)")
        scales: list[Any] | None = list(attrs["scales"]) if "scales" in attrs else None
        if scales is None and self.has_input(node, scales_at):
            scales = self.values(node.input[scales_at])
        if not scales and sizes_at > 0 and self.has_input(node, sizes_at):
            sizes = self.values(node.input[sizes_at])
            dims = self.shape(node.input[0])
            if sizes and dims and all(isinstance(d, int) and d > 0 for d in dims):
                scales = [s / int(d) for s, d in zip(sizes, dims, strict=True)]
        if not scales or len(scales) < 3:
            raise self.unsupported(node, "scales or sizes that are not constants of the model")
        factors = scales[2:]
        if scales[0] != 1 or scales[1] != 1 or any(f != int(f) or f < 1 for f in factors):
            raise self.unsupported(node, f"scales {scales} (only whole factors on the spatial axes)")
        layer: dict[str, Any] = {"kind": "upsample", "scale": _one([int(f) for f in factors])}
        if mode != "nearest":
            layer["mode"] = "bilinear"
        self.add(node, layer)
