"""The walk: the graph read node by node, in the order ONNX stores it (topological).

`Importer` puts the operator families together and walks the graph: it finds the nodes some
output depends on (the rest is noted as ignored), reads the input, checks each node against its
operator's schema, routes it (random masks, constants and shape arithmetic, a channels-last
tensor, or the handler named after its operator, `op_<OpType>`), and writes the notes: the runs
read as one layer (patterns.py) and the convs whose batch norm looks folded in (calls.py).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.onnx.base import info_dims
from cnncalc.features.interop.onnx.kinds import ACTIVATIONS
from cnncalc.features.interop.onnx.ops_elementwise import Elementwise
from cnncalc.features.interop.onnx.ops_layout import Layout
from cnncalc.features.interop.onnx.ops_weighted import Weighted
from cnncalc.features.interop.onnx.patterns import Fused, outer_reads
from cnncalc.features.interop.onnx.screen import CONTROL_FLOW, shown

if TYPE_CHECKING:
    from onnx import NodeProto

#: operators on data tensors that combine several of them (the others read one, input 0)
_MERGES = frozenset({"Add", "Sum", "Mul", "Sub", "Div", "Pow", "Concat"})

#: random operators: their values are never made up, but a mask they make may scale the data
#: (stochastic depth exported in training mode): the output is a constant of unknown value
_RANDOM = frozenset({"RandomUniformLike", "RandomNormalLike", "RandomUniform", "RandomNormal", "Bernoulli"})

#: operators a channels-last tensor (after a Transpose to NHWC) may meet: they act per value or,
#: as LayerNormalization and MatMul do, on the last axis, which is then the channels
_CHANNELS_LAST_OK = frozenset(
    {
        *ACTIVATIONS,
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Pow",
        "Dropout",
        "Identity",
        "LayerNormalization",
        "MatMul",
        "Transpose",
    }
)

#: ONNX element types a data input may have, as the spec's dtype
_ELEM_DTYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16", 3: "int8", 2: "uint8"}


class Importer(Layout, Elementwise, Weighted):
    """One import: every operator family, and the walk that routes each node to its handler."""

    def run(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "description": self.description}
        data.update(self.read_input())
        live = self.live()
        plain = self.reached({}) if self.fused else live  # what is dead without the recognised runs
        for index in sorted(live):
            node = self.graph.node[index]
            for t in node.input:
                self.readers.setdefault(t, []).append(node)
            for t in node.output:
                self.makers[t] = node
        dead: list[NodeProto] = []
        for index, node in enumerate(self.graph.node):
            if index not in live:
                if index not in plain:
                    dead.append(node)
                continue
            for output in node.output:
                self.made_by[output] = node
            if index in self.fused:
                self.add_fused(node, self.fused[index])
            else:
                self.checked_node(node)
        for output in self.graph.output:
            if output.name in self.pads:  # the model returns the padded map: the padding is a layer
                self.write_pad(output.name)
            if output.name in self.channels_last:  # the model returns a tensor cnncalc cannot shape
                raise self.unsupported(self.made_by[output.name], "a channels-last tensor as the model's output")
        if dead:
            named = ", ".join(f"{shown(self.label(n))} ({n.op_type})" for n in dead[:5])
            more = f" and {len(dead) - 5} more" if len(dead) > 5 else ""
            self.notes.append(f"ignored {len(dead)} node(s) whose outputs reach no graph output: {named}{more}")
        if not self.writer.layers:
            raise InteropError.single("the ONNX graph has no layer cnncalc can count (only shape or identity nodes)")
        if self.recognised:
            listed = "; ".join(self.recognised[:5]) + (
                f"; and {len(self.recognised) - 5} more" if len(self.recognised) > 5 else ""
            )
            self.notes.append(f"read as one layer each, what the exporter wrote as several nodes: {listed}")
        folded = self.folded_note()
        if folded:
            self.notes.append(folded)
        data["layers"] = self.writer.layers
        return data

    def live(self) -> set[int]:
        """The nodes some graph output depends on: the others compute nothing the model returns.

        A recognised run (self.fused) depends on its input alone, so the constants and shape
        arithmetic only it read are dead with it; a run one of whose inner results a live node
        outside it reads is not one layer after all, and is read node by node."""
        while True:
            live = self.reached(self.fused)
            # an inner node reached from outside the run: its result is read elsewhere
            broken = [at for at, fused in self.fused.items() if at in live and live & (fused.nodes - {at})]
            if not broken:
                return live
            for at in broken:
                del self.fused[at]

    def reached(self, fused: dict[int, Fused]) -> set[int]:
        """The nodes the graph outputs depend on, each run of `fused` reading only its input."""
        made_by = {out: index for index, node in enumerate(self.graph.node) for out in node.output if out}
        live: set[int] = set()
        todo = [made_by[o.name] for o in self.graph.output if o.name in made_by]
        while todo:
            index = todo.pop()
            if index in live:
                continue
            live.add(index)
            run, node = fused.get(index), self.graph.node[index]
            reads = [run.input] if run is not None else [*node.input, *outer_reads(node)]
            todo.extend(made_by[t] for t in reads if t in made_by)
        return live

    def add_fused(self, node: NodeProto, fused: Fused) -> None:
        """A run of nodes recognised as one layer (patterns.py), named after its last node."""
        if fused.input not in self.writer.tensors:
            raise self.unsupported(node, f"its input {self.origin(fused.input)} is not the network's data")
        if fused.input in self.pads:
            self.write_pad(fused.input)
        last = fused.input in self.channels_last
        if last and fused.layer.get("kind") == "lrn":  # across channels: the axis a channels-last tensor moved
            raise self.unsupported(node, "an LRN of a tensor transposed to channels last")
        entry = self.add(node, dict(fused.layer), [fused.input], op_type="Fused")
        if last:  # an element-wise run (swish, hard-swish, GELU) keeps the channels last, as its operators would
            self.channels_last.add(node.output[0])
        self.recognised.append(f"{shown(str(entry['name']))} ({fused.recognised})")

    def folded_note(self) -> str:
        """A note when convs look folded: a weight and a bias both computed by the exporter
        (calls.computed_weights). In eval mode (PyTorch's default) the exporter computes
        them when it folds a batch norm into the conv before it; a note, since the file cannot
        prove what was folded."""
        computed = self.folded
        if not computed:
            return ""
        named = ", ".join(shown(name) for name in computed[:3])
        more = f" and {len(computed) - 3} more" if len(computed) > 3 else ""
        return (
            f"{len(computed)} conv/dense layer(s) ({named}{more}) have a weight and a bias the exporter computed "
            "(named onnx::..., not after a module's parameter): PyTorch's exporter does this when it folds a batch "
            "norm into the layer before it (eval mode, its default), so their batch norms are most likely folded "
            "in; export with training=torch.onnx.TrainingMode.TRAINING to keep batch norm as a layer"
        )

    def checked_node(self, node: NodeProto) -> None:
        """One node, with anything its own checks missed refused as a malformed node, not a crash.

        CNNCALC_DEBUG lets the exception through, so a test run finds what the checks miss.
        """
        try:
            self.node(node)
        except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, OverflowError) as e:
            if os.environ.get("CNNCALC_DEBUG"):
                raise
            raise InteropError.single(
                f"node {shown(self.label(node))} ({node.op_type}) is malformed ({type(e).__name__})",
                hint="the model file is damaged; export it again",
            ) from None

    def read_input(self) -> dict[str, Any]:
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        data_inputs = []
        for info in inputs:
            dims = info_dims(info)
            if dims is not None and len(dims) >= 2 and info.type.tensor_type.elem_type in _ELEM_DTYPES:
                data_inputs.append((info, dims))
        if not data_inputs:
            raise InteropError.single("the ONNX graph has no input with a batch and a feature axis")
        if len(data_inputs) > 1:
            names = ", ".join(shown(i.name) for i, _ in data_inputs[:8])
            raise InteropError.single(
                f"the ONNX graph has {len(data_inputs)} inputs ({names}); a cnncalc spec has one",
                hint="export the model with a single input tensor",
            )
        info, dims = data_inputs[0]
        for other in inputs:  # other graph inputs (buffers exported as inputs) act as constants
            if other is not info:
                self.consts[other.name] = None
                self.const_dims[other.name] = [d if isinstance(d, int) else 1 for d in info_dims(other) or []]
        sample = dims[1:]
        fixed = [d for d in sample if isinstance(d, int) and d > 0]
        if len(fixed) != len(sample):
            listed = [d if isinstance(d, int) else shown(d) for d in dims[:6]]
            raise InteropError.single(
                f"input {shown(info.name)} has dims {listed}: cnncalc needs fixed sizes after the batch axis",
                hint="export with a fixed input size (a dummy input of the real shape, no dynamic axes but batch)",
            )
        if len(sample) > 4:
            raise InteropError.single(f"input {shown(info.name)} has {len(sample)} axes after the batch; at most 4")
        self.writer.tensors[info.name] = "input"
        result: dict[str, Any] = {"input": {"shape": fixed, "layout": "chw"}}
        batch = dims[0]
        if isinstance(batch, int) and batch > 1:
            result["batch"] = batch
        dtype = _ELEM_DTYPES[info.type.tensor_type.elem_type]
        if dtype != "float32":
            result["dtype"] = dtype
        return result

    def schema_check(self, node: NodeProto) -> None:
        """The node's operator exists in its opset, with as many inputs and outputs as ONNX allows."""
        from onnx import defs

        latest = defs.onnx_opset_version()
        version = self.opset if 0 < self.opset <= latest else latest
        try:
            schema = defs.get_schema(node.op_type, version, "")
        except Exception:  # SchemaError: no such operator in this opset
            raise self.unsupported(node, f"ONNX opset {version} has no operator of this name") from None
        inputs, outputs = len(node.input), len(node.output)
        if not schema.min_input <= inputs <= schema.max_input:
            raise InteropError.single(
                f"{self.where(node)} has {inputs} input(s); {node.op_type} takes "
                f"{schema.min_input} to {min(schema.max_input, 2**31 - 1)}",
                hint="the model file is damaged; export it again",
            )
        if not schema.min_output <= outputs <= schema.max_output:
            raise InteropError.single(
                f"{self.where(node)} has {outputs} output(s); {node.op_type} makes "
                f"{schema.min_output} to {min(schema.max_output, 2**31 - 1)}",
                hint="the model file is damaged; export it again",
            )
        for index in range(min(schema.min_input, inputs)):
            if not node.input[index]:
                raise InteropError.single(f"{self.where(node)}: its required input {index} is empty")
        if not node.output[0]:
            raise InteropError.single(f"{self.where(node)}: its first output has no name")

    def node(self, node: NodeProto) -> None:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise self.unsupported(node, f"operator domain {shown(node.domain)}")
        self.schema_check(node)
        if node.output[0] in self.done:  # imported with an earlier node (a GELU's, a shuffle's)
            return
        inputs = list(node.input)
        data_inputs = [t for t in inputs if t and t in self.writer.tensors]
        if op in _RANDOM:
            self.random(node)
            return
        if op == "Constant":
            self.constant(node)
            return
        if op == "Identity" and inputs[0] in self.consts:
            self.consts[node.output[0]] = self.consts[inputs[0]]
            self.const_dims[node.output[0]] = self.const_dims[inputs[0]]
            if inputs[0] in self.initializers:  # the exporter shares equal weights: still a stored one
                self.initializers.add(node.output[0])
            return
        if op == "Shape":
            self.shape_of(node)
            return
        if op in CONTROL_FLOW:  # the screen let through only an If that squeezes, read in a recognised LRN
            raise self.unsupported(node, "control flow (If, Loop, Scan) is not imported")
        if not data_inputs:  # arithmetic on constants and shapes, as exporters write for pads and views
            self.on_constants(node, inputs)
            return
        if any(t in self.channels_last for t in data_inputs):
            self.on_channels_last(node, data_inputs)
            return
        if op not in _MERGES:
            if inputs[0] not in self.writer.tensors:
                raise self.unsupported(node, f"its first input {self.origin(inputs[0])} is not the network's data")
            later = [t for t in inputs[1:] if t in self.writer.tensors]
            if later:
                raise self.unsupported(node, f"its input {shown(later[0])} is data, where ONNX reads a setting")
        if op not in ("Conv", "MaxPool", "AveragePool"):
            for tensor in data_inputs:  # no padding of its own: it reads the padded map as it is
                if tensor in self.pads:
                    self.write_pad(tensor)
        self.dispatch(node)

    def dispatch(self, node: NodeProto) -> None:
        op = node.op_type
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            if op in ACTIVATIONS:
                self.activation(node, ACTIVATIONS[op])
                return
            raise self.unsupported(node)
        handler(node)

    def on_channels_last(self, node: NodeProto, data_inputs: list[str]) -> None:
        """A node reading a tensor transposed to channels last (N, H, W, C): LayerNormalization
        and MatMul act on its channels; element-wise operators keep it so; a Transpose back to
        channels first ends it. Anything else is refused."""
        op = node.op_type
        if op == "ReduceMean" and self.decomposed_layer_norm(node):
            return
        if op not in _CHANNELS_LAST_OK or not all(t in self.channels_last for t in data_inputs):
            raise self.unsupported(
                node,
                "it reads a tensor transposed to channels last, which cnncalc follows only through "
                "element-wise operators, LayerNormalization (or its decomposition below opset 17), "
                "MatMul and a Transpose back",
            )
        if op == "Transpose":
            dims = self.shape(node.input[0])
            rank = len(dims) if dims is not None else 0
            if rank < 3 or self.attrs(node).integers("perm") != [0, rank - 1, *range(1, rank - 1)]:
                raise self.unsupported(node, "a Transpose of a channels-last tensor other than back to channels first")
            self.writer.alias(node.output[0], node.input[0])
            return
        if op == "MatMul":  # a Linear on the channels at each position: a 1x1 convolution
            w = self.weight(node, 1, "weight", rank=2)
            self.share(node, self.add(node, {"kind": "conv", "filters": w[1], "kernel": 1, "bias": False}))
        else:
            self.dispatch(node)
        for output in node.output:
            if output in self.writer.tensors:
                self.channels_last.add(output)
