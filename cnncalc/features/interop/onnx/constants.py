"""Constants of the graph: small ones folded, large ones known by their dims only.

Exporters compute shapes, pads and scales in the graph (Shape, Gather, Concat of shape
tensors, as they write for `x.view(n, -1)`). What is small is evaluated with ONNX's reference
evaluator, each fold's size predicted from its inputs first and every fold counted against
the caps below, so that a hostile file cannot make cnncalc compute much; weights are never
read, only their dims. Random operators never get a value: a mask of one value per sample
(stochastic depth exported in training mode) is a constant of unknown value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.onnx.base import ImporterBase, broadcast
from cnncalc.features.interop.onnx.screen import about, element_count, is_external, shown

if TYPE_CHECKING:
    from onnx import NodeProto

#: elements of one constant computed by folding, inputs and outputs each (shapes, pads, scales)
MAX_FOLD_ELEMENTS = 1_000_000

#: nodes of constants evaluated in one import; later ones stay of unknown value
MAX_FOLD_STEPS = 10_000

#: elements computed by all the folds of one import together
MAX_FOLD_TOTAL = 20_000_000

#: operators folded on constants, by how their output size follows from their inputs
_ELEMENTWISE = frozenset(
    [
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Pow",
        "Mod",
        "Min",
        "Max",
        "Mean",
        "Sum",
        "Equal",
        "Less",
        "Greater",
        "LessOrEqual",
        "GreaterOrEqual",
        "And",
        "Or",
        "Xor",
        "Not",
        "Neg",
        "Abs",
        "Floor",
        "Ceil",
        "Round",
        "Sqrt",
        "Reciprocal",
        "Exp",
        "Log",
        "Sign",
        "Relu",
        "Sigmoid",
        "Tanh",
        "Where",
        "Cast",
        "CastLike",
        "Identity",
        "Clip",
        "IsNaN",
        "IsInf",
        "BitShift",
    ]
)

_NOT_LARGER = frozenset(
    [
        "Reshape",
        "Flatten",
        "Squeeze",
        "Unsqueeze",
        "Transpose",
        "Slice",
        "ReduceSum",
        "ReduceProd",
        "ReduceMax",
        "ReduceMin",
        "ReduceMean",
        "ArgMax",
        "ArgMin",
        "Shape",
        "Size",
        "Split",
    ]
)

_EXPANDING = frozenset({"Concat", "Gather", "ConstantOfShape", "Range", "Expand", "Tile", "Pad", "NonZero"})

FOLDED_OPS: frozenset[str] = _ELEMENTWISE | _NOT_LARGER | _EXPANDING

#: operators whose output dims follow from their input's dims alone (a weight transposed or cast)
_DIMS_ONLY = frozenset({"Transpose", "Cast", "CastLike", "Identity"})


class Constants(ImporterBase):
    """Nodes of constants: folded, known by their dims, or shape arithmetic of unknown value."""

    def on_constants(self, node: NodeProto, inputs: list[str]) -> None:
        """A node none of whose inputs is data: folded if small, else of unknown value (a shape
        computed at run time). Random values and unknown operators are refused: the network's data
        would otherwise meet a value cnncalc made up."""
        op = node.op_type
        if op not in FOLDED_OPS:
            reason = "it makes random values" if op.startswith("Random") else "cnncalc does not compute it on constants"
            raise self.unsupported(node, f"none of its inputs is the network's data, and {reason}")
        if all(not t or self.consts.get(t) is not None for t in inputs) and self.fold(node):
            return
        if self.dims_only(node):
            return
        if all(not t or t in self.consts or t in self.shape_only for t in inputs):
            self.shape_only.update(node.output)
            return
        raise self.unsupported(node, "none of its inputs comes from the network's input")

    def random(self, node: NodeProto) -> None:
        """A random mask of one value per sample (stochastic depth exported in training mode):
        its values are never made up; the output is a constant of unknown value that only a
        `scale` reads. Any other random tensor is refused, as are random values made from the
        network's data (they would turn data into a constant)."""
        data = [t for t in node.input if t in self.writer.tensors]
        if data:
            raise self.unsupported(node, f"it makes random values from the network's data {shown(data[0])}")
        for output in node.output:
            dims = self.shape(output)
            if dims is None or not all(isinstance(d, int) and d > 0 for d in dims) or any(d != 1 for d in dims[1:]):
                raise self.unsupported(
                    node,
                    "none of its inputs is the network's data, and it makes random values "
                    "(only a mask of one value per sample, as a stochastic depth's, imports)",
                )
            self.consts[output] = None
            self.const_dims[output] = [int(d) for d in dims]
            self.shape_only.add(output)

    def constant(self, node: NodeProto) -> None:
        from onnx import AttributeProto, TensorProto, helper

        if len(node.attribute) != 1:
            raise InteropError.single(f"{self.where(node)} has {len(node.attribute)} attributes; a Constant has one")
        attr = node.attribute[0]
        output = node.output[0]
        if attr.name == "value" and attr.type == AttributeProto.TENSOR:
            self.consts[output] = attr.t
            self.const_dims[output] = list(attr.t.dims)
            return
        # value_float(s) / value_int(s): small scalars or lists (Clip bounds, shapes), never weights
        kinds = {
            "value_float": (AttributeProto.FLOAT, TensorProto.FLOAT),
            "value_floats": (AttributeProto.FLOATS, TensorProto.FLOAT),
            "value_int": (AttributeProto.INT, TensorProto.INT64),
            "value_ints": (AttributeProto.INTS, TensorProto.INT64),
        }
        if attr.name in kinds:
            kind, data_type = kinds[attr.name]
            if attr.type != kind:
                raise self.attrs(node).error(attr.name, "does not have the type its name says")
            values: list[Any] = {
                AttributeProto.FLOAT: [attr.f],
                AttributeProto.FLOATS: list(attr.floats),
                AttributeProto.INT: [attr.i],
                AttributeProto.INTS: list(attr.ints),
            }[kind]
            dims = [len(values)] if kind in (AttributeProto.FLOATS, AttributeProto.INTS) else []
            self.consts[output] = helper.make_tensor(output, data_type, dims, values)
            self.const_dims[output] = dims
            return
        self.consts[output] = None  # a string or sparse constant: its value is not read
        self.const_dims[output] = []

    def shape_of(self, node: NodeProto) -> None:
        """Shape of a tensor of fixed size is a constant (the batch taken as 1); else shape arithmetic."""
        from onnx import TensorProto, helper

        dims = self.shape(node.input[0])
        if dims is None or not all(isinstance(d, int) and d > 0 for d in dims[1:]):
            self.shape_only.update(node.output)
            return
        values = [d if isinstance(d, int) and d > 0 else 1 for d in dims]
        attrs = self.attrs(node)
        values = values[attrs.integer("start", 0) : attrs.integer("end", len(values))]
        tensor = helper.make_tensor(node.output[0], TensorProto.INT64, [len(values)], values)
        self.consts[node.output[0]] = tensor
        self.const_dims[node.output[0]] = [len(values)]

    def array(self, name: str) -> Any | None:
        """The value of a small constant in the file, or None: unknown, external data (never read),
        or too large to be a shape, a pad or a scale."""
        tensor = self.consts.get(name)
        if tensor is None or is_external(tensor):
            return None
        elements = element_count(tensor.dims)
        if elements > MAX_FOLD_ELEMENTS:
            return None
        from onnx import numpy_helper

        stored = len(tensor.raw_data) or max(
            len(tensor.float_data),
            len(tensor.int32_data),
            len(tensor.int64_data),
            len(tensor.double_data),
            len(tensor.uint64_data),
            len(tensor.string_data),
        )
        try:
            if stored > 16 * max(elements, 1):
                raise ValueError("more data than its dims hold")
            value = numpy_helper.to_array(tensor)
            if value.size != elements:
                raise ValueError("data and dims disagree")
        except Exception:  # numpy and onnx raise several kinds on data that does not fit its dims
            raise InteropError.single(
                f"constant {about(tensor)} holds data that does not match its type and shape",
                hint="the model file is damaged; export it again",
            ) from None
        return value

    def values(self, name: str) -> list[Any] | None:
        """The values of a small constant (shapes, scales, pads), or None if not known."""
        value = self.array(name)
        return None if value is None else list(value.reshape(-1).tolist())

    def ints(self, name: str) -> list[int] | None:
        """The values of a small integer constant, or None if not known or not whole numbers."""
        found = self.values(name)
        if found is None or not all(isinstance(v, int) and not isinstance(v, bool) for v in found):
            return None
        return [int(v) for v in found]

    def fold(self, node: NodeProto) -> bool:
        """Compute a node of small constants (ONNX's reference evaluator), as an exporter's
        constant folding would. The output's size is predicted from the inputs before anything
        runs; a node too large to predict or beyond the caps keeps an unknown value."""
        from onnx import numpy_helper
        from onnx.reference import ReferenceEvaluator

        arrays: list[Any | None] = []
        for t in node.input:
            value = self.array(t) if t else None
            if t and value is None:
                return False
            arrays.append(value)
        inputs = sum(int(a.size) for a in arrays if a is not None)
        if inputs > MAX_FOLD_ELEMENTS:
            return False
        size = self.fold_size(node, arrays)
        if size is None:
            return False
        if size > MAX_FOLD_ELEMENTS:
            raise InteropError.single(
                f"{self.where(node)} computes a constant of more than {MAX_FOLD_ELEMENTS:,} elements",
                hint="cnncalc computes only small constants (shapes, pads, scales); the file is damaged or hostile",
            )
        if self.fold_steps >= MAX_FOLD_STEPS or self.fold_total + inputs + size > MAX_FOLD_TOTAL:
            return False
        self.fold_steps += 1
        self.fold_total += inputs + size
        feeds = {t: a for t, a in zip(node.input, arrays, strict=True) if t and a is not None}
        try:
            results = ReferenceEvaluator(node).run(None, feeds)
            tensors = [numpy_helper.from_array(value, name) for name, value in zip(node.output, results, strict=False)]
        except Exception:  # an operator the evaluator lacks, or inputs it refuses: the output stays unknown
            return False
        for tensor in tensors:
            if tensor.name and element_count(tensor.dims) <= MAX_FOLD_ELEMENTS:
                self.consts[tensor.name] = tensor
                self.const_dims[tensor.name] = list(tensor.dims)
        return True

    def fold_size(self, node: NodeProto, arrays: list[Any | None]) -> int | None:
        """Elements of the node's output, from its inputs' shapes and small values; None if the
        operator's output cannot be predicted (it is then not folded)."""
        op = node.op_type
        shapes: list[list[int]] = [[int(d) for d in a.shape] for a in arrays if a is not None]
        first: list[int] = shapes[0] if arrays and arrays[0] is not None else []
        if op in _ELEMENTWISE:
            out = broadcast(shapes)
            return None if out is None else math.prod(out)
        if op in _NOT_LARGER:
            return max((math.prod(s) for s in shapes), default=1) + len(first)
        if op == "Concat":
            return sum(math.prod(s) for s in shapes)
        if op == "NonZero":
            return max(len(first), 1) * math.prod(first)
        if op == "Gather" and len(arrays) == 2 and arrays[1] is not None and first:
            axis = self.attrs(node).integer("axis", 0, -len(first), len(first) - 1) % len(first)
            return math.prod(first[:axis]) * int(arrays[1].size) * math.prod(first[axis + 1 :])
        wanted = [self.ints(t) if t else None for t in node.input]
        if op == "ConstantOfShape":
            shape = wanted[0] if wanted else []
            return None if shape is None or any(d < 0 for d in shape) else math.prod(shape)
        if op == "Range":
            bounds = [a.reshape(-1).tolist() for a in arrays if a is not None and a.size == 1]
            if len(bounds) != 3:
                return None
            start, limit, delta = (float(b[0]) for b in bounds)
            if not all(math.isfinite(v) for v in (start, limit, delta)) or delta == 0:
                return None
            return max(math.ceil((limit - start) / delta), 0)
        if op == "Expand" and len(wanted) == 2 and wanted[1] is not None and all(d >= 0 for d in wanted[1]):
            out = broadcast([first, wanted[1]])
            return None if out is None else math.prod(out)
        if op == "Tile" and len(wanted) == 2 and wanted[1] is not None and len(wanted[1]) == len(first):
            if any(r < 0 for r in wanted[1]):
                return None
            return math.prod(d * r for d, r in zip(first, wanted[1], strict=True))
        if op == "Pad" and len(wanted) >= 2 and wanted[1] is not None and len(wanted) < 4:
            pads = wanted[1]
            if len(pads) != 2 * len(first):
                return None
            sizes = [d + pads[i] + pads[i + len(first)] for i, d in enumerate(first)]
            return None if any(s < 0 for s in sizes) else math.prod(sizes)
        return None

    def dims_only(self, node: NodeProto) -> bool:
        """A weight transposed or cast (its value too large or not read): a constant of known dims."""
        source = node.input[0] if node.input else ""
        if node.op_type not in _DIMS_ONLY or source not in self.const_dims:
            return False
        dims = self.const_dims[source]
        if node.op_type == "Transpose":
            perm = self.attrs(node).integers("perm") or list(range(len(dims)))[::-1]
            if sorted(perm) != list(range(len(dims))):
                raise self.attrs(node).error("perm", f"is not a permutation of the {len(dims)} axes")
            dims = [dims[p] for p in perm]
        self.consts[node.output[0]] = None
        self.const_dims[node.output[0]] = list(dims)
        return True

    def scalar_value(self, tensor: str) -> float | None:
        """The value of a one-element constant made by a stored tensor or a Constant node
        (perhaps one the walk has not reached yet), or None."""
        from onnx import numpy_helper

        value = self.consts.get(tensor)
        maker = self.makers.get(tensor)
        if value is None and maker is not None and maker.op_type == "Constant" and len(maker.attribute) == 1:
            attr = maker.attribute[0]
            if attr.name == "value" and attr.HasField("t"):
                value = attr.t
            elif attr.name in ("value_float", "value_int"):
                return float(attr.f if attr.name == "value_float" else attr.i)
        if value is None or is_external(value) or element_count(value.dims) != 1:
            return None
        try:
            found = numpy_helper.to_array(value).reshape(-1)
        except (ValueError, TypeError):
            return None
        number = float(found[0]) if found.size == 1 and found.dtype.kind in "fiu" else None
        return number if number is not None and math.isfinite(number) else None

    def constant_like(self, tensor: str) -> bool:
        """A stored tensor, or one a Constant node makes (perhaps later in the walk)."""
        maker = self.makers.get(tensor)
        return tensor in self.consts or (maker is not None and maker.op_type == "Constant")
