"""ONNX in: an exported model's graph as a cnncalc spec (plain data, as a YAML file would hold).

The graph is walked node by node in the order ONNX stores it (topological). Each operator
maps to one cnncalc layer kind; hyper-parameters come from the node's attributes and the
shapes of its constant weights, never from the weights' values, so the imported spec counts
exactly the parameters the model stores. Nodes that only compute shapes (Shape, Gather,
Concat of shape tensors, as exporters write for `x.view(n, -1)`) are skipped; Identity and
a constant-folded batch norm (already inside the Conv's weights) import as they are.

A model file is untrusted input, so the whole graph is screened before any work it could
cause (cnncalc.features.interop.onnx_screen): the node count, every declared tensor size, every
external-data location and every subgraph are checked before shape inference or constant
folding run. Weight values are never read: only small constants (shapes, pads, scales, clip
bounds) are, and only from the file itself, never from external data, so no byte outside the
model file can reach a message. Messages name tensors by name, type and shape, never by value.

The `onnx` package is imported only inside these functions: it is an optional extra.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.core.conventions import Conventions
from cnncalc.core.geometry import same_padding
from cnncalc.errors import Diagnostic
from cnncalc.features.interop.common import InteropError, SpecWriter, check_model_file, clean_name, require, unsupported
from cnncalc.features.interop.onnx_patterns import Fused, call_of, computed_weights, containers, find, outer_reads
from cnncalc.features.interop.onnx_screen import (
    CONTROL_FLOW,
    SHOWN,
    about,
    element_count,
    is_external,
    screen,
    shown,
    text,
)
from cnncalc.layers import MergeBase, kind_class
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.pool import pool_padding_fits

if TYPE_CHECKING:
    from onnx import AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto

#: elements of one constant computed by folding, inputs and outputs each (shapes, pads, scales)
MAX_FOLD_ELEMENTS = 1_000_000
#: nodes of constants evaluated in one import; later ones stay of unknown value
MAX_FOLD_STEPS = 10_000
#: elements computed by all the folds of one import together
MAX_FOLD_TOTAL = 20_000_000

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
    "Sum",
    "Mul",
    "Sub, Div, Pow (with a constant)",
    "RandomUniformLike, RandomUniform, RandomNormalLike, RandomNormal, Bernoulli (a mask that scales the data)",
    "Erf (in GELU's Div-Erf-Add-Mul-Mul)",
    "ReduceMean, ReduceMax (over the spatial axes)",
    "LayerNormalization",
    "Transpose (to channels last and back; in a channel shuffle)",
    "Slice, Split (of the channels)",
    "Concat",
    "Flatten",
    "Reshape",
    "Resize",
    "Upsample",
    "Identity",
    "Pad (constant: folded into a Conv or pooling that reads it; of zeros elsewhere)",
)

#: the ONNX importer's capability table: each cnncalc kind an import can produce -> the operators
#: it is read from; the kinds it never produces, with the reason
ONNX_KINDS: Capabilities[tuple[str, ...]] = Capabilities(
    feature="the ONNX import",
    lacks="operator",
    handlers={
        "conv": ("Conv",),
        "conv_transpose": ("ConvTranspose",),
        "dense": ("Gemm", "MatMul"),
        "max_pool": ("MaxPool",),
        "avg_pool": ("AveragePool",),
        "global_avg_pool": ("GlobalAveragePool", "ReduceMean"),
        "global_max_pool": ("GlobalMaxPool", "ReduceMax"),
        **{kind: (op,) for op, kind in ACTIVATIONS.items() if kind != "relu"},
        "gelu": ("Gelu", "Erf"),
        "relu": ("Relu", "Clip"),
        "relu6": ("Clip",),
        "softmax": ("Softmax",),
        "batch_norm": ("BatchNormalization",),
        "lrn": ("LRN",),
        "dropout": ("Dropout",),
        "add": ("Add", "Sum"),
        "multiply": ("Mul",),
        "concat": ("Concat",),
        "flatten": ("Flatten", "Reshape"),
        "upsample": ("Resize", "Upsample"),
        "layer_norm": ("LayerNormalization",),
        "scale": ("Mul", "Add", "Sub", "Div", "Pow"),
        "channel_shuffle": ("Reshape", "Transpose"),
        "channel_slice": ("Slice", "Split"),
        "pad": ("Pad",),
    },
    unsupported={
        "depthwise_conv": "ONNX has one Conv operator: a depthwise convolution imports as conv with groups",
        "separable_conv": "ONNX writes a separable convolution as two Conv nodes: it imports as two conv layers",
        "locally_connected": "ONNX has no locally connected operator",
        "sum_pool": "the importer does not read LpPool",
        "l2_pool": "the importer does not read LpPool",
        "unflatten": "an ONNX pool keeps its 1x1 axes: no Reshape back to a map is needed",
        "crop": "the importer does not read Slice on the spatial axes",
        "normalize": "ONNX has no Normalization operator: exporters write the standardisation as Sub and Div",
    },
)

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

_ELEM_DTYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16", 3: "int8", 2: "uint8"}


def onnx_to_spec_data(
    path: Path, notes: list[str] | None = None, calls: dict[str, str] | None = None
) -> dict[str, Any]:
    """The spec of the ONNX model at `path`, as plain data for `validate_spec`.

    External data is resolved, for its checks only, inside the model's own folder. What the
    import leaves out (nodes that feed no output) is appended to `notes`, if given.
    """
    onnx = require("onnx", "ONNX import", "onnx")
    check_model_file(path, "an ONNX model")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises its own DecodeError, or others on garbage
        raise InteropError.single(
            f"{path}: not a readable ONNX model ({type(e).__name__})", hint="export it with torch.onnx.export"
        ) from None
    return model_to_spec_data(model, path.stem, folder=path.parent, notes=notes, calls=calls)


def model_to_spec_data(
    model: ModelProto,
    default_name: str = "",
    folder: Path | None = None,
    notes: list[str] | None = None,
    calls: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The spec of an in-memory ONNX model (what `onnx_to_spec_data` reads from a file).

    `folder` is where the model's external data would lie; without it, external locations are
    checked only for their form (relative, no `..`). How the PyTorch model called each layer
    (module, function, operator; read from the node names its exporter wrote) goes to `calls`,
    if given, for the peer presets.
    """
    require("onnx", "ONNX import", "onnx")
    from onnx import shape_inference

    screen(model, folder)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    try:  # on a copy without the weights: inference needs their dims, not a second copy of their bytes
        inferred = shape_inference.infer_shapes(_for_inference(model)).graph
    except Exception:  # a model shape inference cannot follow still imports; shapes come from cnncalc
        inferred = None
    importer = _Importer(model.graph, inferred, default_name, _describe(model), opset)
    data = importer.run()
    if importer.notes:
        data["description"] += "; " + "; ".join(importer.notes)
        if notes is not None:
            notes.extend(importer.notes)
    if calls is not None:
        calls.update(importer.calls)
    return data


def _describe(model: ModelProto) -> str:
    opsets = ", ".join(f"{text(o.domain) or 'ai.onnx'} {o.version}" for o in model.opset_import[:8])
    producer = f"{text(model.producer_name)[:80]} {text(model.producer_version)[:40]}".strip()
    return f"imported from ONNX (opset {opsets}" + (f"; produced by {producer})" if producer else ")")


def _for_inference(model: ModelProto) -> ModelProto:
    """The model as shape inference needs it: large or external initializers turned into typed
    graph inputs, so that inference neither copies the weights nor looks for external files."""
    from onnx import ModelProto, helper

    light = ModelProto()
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    graph = light.graph
    graph.node.extend(model.graph.node)
    graph.input.extend(model.graph.input)
    graph.output.extend(model.graph.output)
    graph.value_info.extend(model.graph.value_info)
    inputs = {i.name for i in model.graph.input}
    for tensor in model.graph.initializer:
        if not is_external(tensor) and element_count(tensor.dims) <= MAX_FOLD_ELEMENTS:
            graph.initializer.append(tensor)
        elif tensor.name not in inputs:
            graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    return light


def _dims(info: ValueInfoProto) -> list[int | str] | None:
    """The dims of a value: ints where fixed, the symbol (or '?') where not; None if unknown."""
    tensor = info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (text(d.dim_param) or "?") for d in tensor.shape.dim]


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


def _broadcast(shapes: Sequence[Sequence[int]]) -> list[int] | None:
    """The numpy broadcast of `shapes`, or None where they do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for shape in shapes:
        for i, d in enumerate(shape, start=rank - len(shape)):
            if d != out[i] and 1 not in (d, out[i]):
                return None
            out[i] = max(out[i], d) if d != 0 and out[i] != 0 else 0
    return out


class _Attrs:
    """A node's attributes, each read with its type and range checked.

    A malformed attribute (a float where ONNX wants ints, a missing required one, a stride of
    0) is the file's fault: it is refused naming the node and the attribute.
    """

    def __init__(self, node: NodeProto, where: str) -> None:
        self.where = where
        self.by_name: dict[str, AttributeProto] = {}
        for attr in node.attribute:
            if attr.name in self.by_name:
                raise self.error(attr.name, "is given twice")
            self.by_name[attr.name] = attr

    def error(self, name: str, problem: str) -> InteropError:
        message = f"{self.where}: attribute {shown(name)} {problem}"
        return InteropError([Diagnostic(message, hint="the model file is damaged; export it again")])

    def get(self, name: str, kind: int, required: bool) -> AttributeProto | None:
        from onnx import AttributeProto

        attr = self.by_name.get(name)
        if attr is None:
            if required:
                raise self.error(name, "is missing (ONNX requires it)")
            return None
        if attr.type != kind:
            wanted = AttributeProto.AttributeType.Name(kind).lower()
            raise self.error(name, f"is not of type {wanted}")
        return attr

    def has(self, name: str) -> bool:
        return name in self.by_name

    def integer(self, name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.INT, False)
        value = default if attr is None else int(attr.i)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise self.error(name, f"is {value}; it must be {bounds}")
        return value

    def integers(
        self, name: str, minimum: int | None = None, length: int | None = None, required: bool = False
    ) -> list[int]:
        """The list (empty if absent and not required), every value at least `minimum`."""
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.INTS, required)
        values = [] if attr is None else list(attr.ints)
        if attr is not None and length is not None and len(values) != length:
            raise self.error(name, f"has {len(values)} values; {length} expected")
        if minimum is not None and any(v < minimum for v in values):
            raise self.error(name, f"has a value below {minimum}")
        return values

    def number(self, name: str, default: float) -> float:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.FLOAT, False)
        value = default if attr is None else float(attr.f)
        if not math.isfinite(value):
            raise self.error(name, "is not a finite number")
        return value

    def numbers(self, name: str) -> list[float] | None:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.FLOATS, False)
        return None if attr is None else list(attr.floats)

    def text(self, name: str, default: str) -> str:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.STRING, False)
        if attr is None:
            return default
        try:
            return str(attr.s.decode("utf-8"))
        except UnicodeDecodeError:
            raise self.error(name, "is not UTF-8 text") from None


class _Importer:
    def __init__(
        self, graph: GraphProto, inferred: GraphProto | None, default_name: str, description: str, opset: int
    ) -> None:
        self.graph = graph
        self.opset = opset
        # exporters name every graph alike (main_graph, torch_jit): the file's name says more
        self.name = clean_name(default_name) or clean_name(text(graph.name)) or "network"
        self.description = description
        self.notes: list[str] = []
        self.writer = SpecWriter()
        self.consts: dict[str, TensorProto | None] = {i.name: i for i in graph.initializer}
        self.const_dims: dict[str, list[int]] = {i.name: list(i.dims) for i in graph.initializer}
        self.shape_only: set[str] = set()  # tensors computed from shapes, not from data
        self.made_by: dict[str, NodeProto] = {}  # tensor -> the node that makes it
        # declared and inferred value infos, by name (the file's own first); dims read when asked
        self.infos: dict[str, ValueInfoProto] = {}
        found = (inferred.value_info, inferred.output) if inferred is not None else ()
        for infos in (graph.input, graph.value_info, graph.output, *found):
            for info in infos:
                if info.name not in self.infos and info.type.tensor_type.HasField("shape"):
                    self.infos[info.name] = info
        self.owners: dict[str, str] = {}  # weight initializer -> layer that first used it
        self.pads: dict[str, list[int]] = {}  # output of a Pad not written as a layer -> its spatial pads (ONNX order)
        self.pad_nodes: dict[str, NodeProto] = {}  # output of a Pad -> the Pad
        self.fold_steps = 0
        self.fold_total = 0
        self.initializers = {i.name for i in graph.initializer}  # stored tensors: a model's weights
        self.channels_last: set[str] = set()  # data tensors transposed to NHWC (ConvNeXt's blocks)
        self.done: set[str] = set()  # outputs of nodes imported with an earlier one (GELU, shuffle)
        self.readers: dict[str, list[NodeProto]] = {}  # tensor -> the live nodes that read it
        self.makers: dict[str, NodeProto] = {}  # tensor -> the live node that makes it
        self.derived: dict[str, list[int]] = {}  # layer name -> its output dims (after the batch)
        self.shuffles: dict[str, tuple[str, int, int]] = {}  # inside a channel shuffle: (input, groups, step)
        self.containers: set[str] = set()  # every dotted prefix of a layer name written (layer1, layer1.0)
        # what the exporter wrote as several nodes for one layer (onnx_patterns), by its last node
        self.fused: dict[int, Fused] = find(graph)
        self.holders = containers(node.name for node in graph.node)  # module paths that hold modules
        self.recognised: list[str] = []  # the layers read from such runs, for the notes
        self.calls: dict[str, str] = {}  # layer -> how the PyTorch model called it, where names say
        self.folded: list[str] = []  # layers whose weight and bias the exporter computed
        from cnncalc.core.graph import MAX_LAYERS  # the spec's own cap, checked as layers are written

        self.max_layers = MAX_LAYERS

    # --- the walk --------------------------------------------------------------------------

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
        """A run of nodes recognised as one layer (onnx_patterns), named after its last node."""
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
        (onnx_patterns.computed_weights). In eval mode (PyTorch's default) the exporter computes
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
            dims = _dims(info)
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
                self.const_dims[other.name] = [d if isinstance(d, int) else 1 for d in _dims(other) or []]
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

    def label(self, node: NodeProto) -> str:
        return str(node.name or node.output[0])

    def where(self, node: NodeProto) -> str:
        return f"node {shown(self.label(node))} ({node.op_type})"

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

    def decomposed_layer_norm(self, node: NodeProto) -> bool:
        """A layer norm over the channels of a channels-last tensor as exporters write it below
        opset 17: mean = ReduceMean(x); d = x - mean; var = ReduceMean(d ^ 2); d / Sqrt(var + eps),
        then, if affine, * weight + bias (C values each). One `layer_norm` layer."""
        x, axes = node.input[0], self.attrs(node).integers("axes")
        dims = self.shape(x) or []
        rank = len(dims)
        if rank < 3 or axes is None or [a % rank for a in axes] != [rank - 1] or self.has_input(node, 1):
            return False
        sub = self.reader(node.output[0], "Sub")
        if sub is None or list(sub.input) != [x, node.output[0]]:
            return False
        readers = self.readers.get(sub.output[0], [])
        square = next((n for n in readers if n.op_type == "Pow" and n.input[0] == sub.output[0]), None)
        var = self.reader(square.output[0], "ReduceMean") if square is not None else None
        plus = self.reader(var.output[0], "Add") if var is not None else None
        root = self.reader(plus.output[0], "Sqrt") if plus is not None else None
        div = self.reader(root.output[0], "Div") if root is not None else None
        if square is None or var is None or plus is None or root is None or div is None or len(readers) != 2:
            return False
        if list(div.input) != [sub.output[0], root.output[0]] or self.attrs(var).integers("axes") != axes:
            return False
        epsilon = self.scalar_value(next((t for t in plus.input if t != var.output[0]), ""))
        if self.scalar_value(square.input[1]) != 2 or epsilon is None or not 0 < epsilon < 1:
            return False
        parts, end = [sub, square, var, plus, root, div], div.output[0]
        layer: dict[str, Any] = {"kind": "layer_norm"}
        times = self.reader(end, "Mul")
        shift = self.reader(times.output[0], "Add") if times is not None else None
        channels = dims[-1]
        affine = times is not None and shift is not None and self.per_channel(times, end, channels)
        if affine and times is not None and shift is not None and self.per_channel(shift, times.output[0], channels):
            parts, end = [*parts, times, shift], shift.output[0]
        if end == div.output[0]:
            layer["affine"] = False
        if abs(epsilon - 1e-5) > 1e-12:
            layer["epsilon"] = epsilon
        self.done.update(t for n in parts for t in n.output)
        self.add(node, layer, [x], output=end)
        self.channels_last.add(end)
        return True

    def per_channel(self, node: NodeProto, data: str, channels: Any) -> bool:
        """Whether `node` combines `data` with a stored vector of `channels` values."""
        other = [t for t in node.input if t != data]
        if len(other) != 1 or len(node.input) != 2 or other[0] not in self.initializers:
            return False
        return self.const_dims.get(other[0]) == [channels]

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

    def reshaped(self, node: NodeProto, elements: int) -> list[int] | None:
        """A Reshape's output dims after the batch, all known: inferred, or read from its target
        (one -1 taking what is left of the `elements` per sample)."""
        dims = self.shape(node.output[0])
        if (dims is None or not all(isinstance(d, int) and d > 0 for d in dims[1:])) and self.has_input(node, 1):
            target = self.ints(node.input[1])
            if target is not None and target[1:].count(-1) == 1:
                rest = math.prod(d for d in target[1:] if d != -1)
                if rest > 0 and elements % rest == 0:
                    target = [d if d != -1 else elements // rest for d in target]
            dims = list(target) if target is not None else None
        if dims is None or not all(isinstance(d, int) and d > 0 for d in dims[1:]):
            return None
        return [int(d) for d in dims[1:]]

    def reader(self, tensor: str, op: str) -> NodeProto | None:
        """The one node that reads `tensor`, if it is an `op` and the tensor is no graph output."""
        readers = self.readers.get(tensor, [])
        if len(readers) != 1 or readers[0].op_type != op or any(o.name == tensor for o in self.graph.output):
            return None
        return readers[0]

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

    def origin(self, tensor: str) -> str:
        """A tensor, and the node that made it, for a message."""
        maker = self.made_by.get(tensor)
        if maker is None:
            return shown(tensor)
        return f"{shown(tensor)} (made by {self.where(maker)})"

    def unsupported(self, node: NodeProto, why: str = "") -> InteropError:
        return unsupported(node.op_type, self.label(node)[:SHOWN], self.writer, ", ".join(SUPPORTED_OPS), why)

    # --- helpers -----------------------------------------------------------------------------

    def attrs(self, node: NodeProto) -> _Attrs:
        return _Attrs(node, self.where(node))

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
            out = _broadcast(shapes)
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
            out = _broadcast([first, wanted[1]])
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

    def weight(self, node: NodeProto, index: int, what: str, rank: int | None = None, least: int = 0) -> list[int]:
        """Dims of the constant input `index` (a weight); refuses a weight computed at run time, or
        of the wrong rank (exactly `rank`, or at least `least`)."""
        name = node.input[index] if len(node.input) > index else ""
        if name not in self.const_dims:
            raise self.unsupported(node, f"its {what} is not a constant of the model")
        dims = self.const_dims[name]
        if (rank is not None and len(dims) != rank) or len(dims) < least:
            wanted = f"rank {rank}" if rank is not None else f"rank at least {least}"
            raise InteropError.single(
                f"{self.where(node)}: its {what} {shown(name)} has rank {len(dims)}; {wanted} expected",
                hint="the model file is damaged; export it again",
            )
        if any(d < 1 for d in dims):
            raise InteropError.single(f"{self.where(node)}: its {what} {shown(name)} has an empty dimension")
        return dims

    def has_input(self, node: NodeProto, index: int) -> bool:
        return len(node.input) > index and node.input[index] != ""

    def shape(self, tensor: str) -> list[int | str] | None:
        """The dims of a tensor: ONNX's inference, or, where that lost them (a size computed from
        shapes it does not follow), those of the cnncalc layer that makes it."""
        info = self.infos.get(tensor)
        dims = None if info is None else _dims(info)
        if dims is not None and all(isinstance(d, int) and d > 0 for d in dims[1:]):
            return dims
        layer = self.writer.tensors.get(tensor)
        derived = self.derived.get(layer) if layer is not None and tensor not in self.channels_last else None
        return [dims[0] if dims else 1, *derived] if derived is not None else dims

    def derive(self, layer: dict[str, Any], sources: list[str], name: str) -> None:
        """The output dims of a layer just written, by cnncalc's own rules, for `shape`."""
        cls = kind_class(str(layer["kind"]))
        shapes = [self.shape(t) for t in sources]
        if cls is None or any(d is None or not all(isinstance(v, int) and v > 0 for v in d[1:]) for d in shapes):
            return
        try:
            made = cls.model_validate({k: v for k, v in layer.items() if k not in ("name", "from", "shares")})
            inputs = [tuple(int(v) for v in d[1:]) for d in shapes if d is not None]
            counts = (
                made.merge(inputs, Conventions())
                if isinstance(made, MergeBase)
                else made.apply(inputs[0], Conventions())
            )
        except Exception:  # the spec's validation reports it later, naming the layer
            return
        self.derived[name] = list(counts.output)

    def wanted(self, node: NodeProto) -> str:
        """A readable name: PyTorch's module path (/layer1/layer1.0/conv1/Conv -> layer1.0.conv1)."""
        name = node.name
        if not name.startswith("/"):
            return clean_name(name)
        segments: list[str] = []
        for part in name[:1000].strip("/").split("/")[:-1]:
            # a scope repeats its parent's attribute name: layer1 / layer1.0, downsample / downsample.0
            if segments and part.startswith(segments[-1] + "."):
                segments[-1] = part
            else:
                segments.append(part)
        path = ".".join(segments)
        # a module that already named a layer, or a container of earlier layers (the add of a
        # residual block): the operator's name goes after the path
        if path and (path in self.writer.used or path in self.containers):
            return f"{path}.{node.op_type.lower()}"
        return path

    def add(
        self,
        node: NodeProto,
        layer: dict[str, Any],
        sources: list[str] | None = None,
        op_type: str = "",
        output: str = "",
    ) -> dict[str, Any]:
        """Write one layer; refused past the network's layer cap, before the spec would be."""
        if len(self.writer.layers) >= self.max_layers:
            raise InteropError.single(
                f"the ONNX graph has more than {self.max_layers:,} layers; a cnncalc network has at most "
                f"{self.max_layers:,}"
            )
        inputs = sources if sources is not None else [node.input[0]]
        entry = self.writer.add(layer, inputs, [output or node.output[0]], self.wanted(node))
        if not all(t in self.channels_last for t in inputs):
            self.derive(layer, inputs, entry["name"])
        parts = str(entry["name"]).split(".")
        self.containers.update(".".join(parts[:i]) for i in range(1, len(parts)))
        folded = computed_weights(node)
        if folded:
            self.folded.append(str(entry["name"]))
        call = call_of(node.name, op_type or node.op_type, self.holders, folded)
        if call is not None:
            self.calls[str(entry["name"])] = call
        return entry

    def share(self, node: NodeProto, entry: dict[str, Any], index: int = 1) -> None:
        """A weight used by an earlier layer too: the layer shares its weights (counted once)."""
        weight = node.input[index]
        if weight in self.owners:
            entry["shares"] = self.owners[weight]
        else:
            self.owners[weight] = entry["name"]

    def spatial(self, node: NodeProto, attrs: _Attrs, kernel: Sequence[int], pool: bool = False) -> dict[str, Any]:
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
            padding = _pads(pads, ndim)
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
            padding = _pads([a for _, a in pairs] + [b for b, _ in pairs], ndim)
        else:
            raise attrs.error("auto_pad", "is none of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
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

    def conv_common(self, node: NodeProto, attrs: _Attrs, w: list[int]) -> tuple[list[int], int]:
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
            layer["output_padding"] = _one(output_padding)
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

    def op_BatchNormalization(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        for index, what in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")):
            self.weight(node, index, what)
        epsilon = self.attrs(node).number("epsilon", 1e-5)
        layer: dict[str, Any] = {"kind": "batch_norm"}
        if abs(epsilon - 1e-5) > 1e-12:
            layer["epsilon"] = epsilon
        self.add(node, layer)

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
        self.add(node, {"kind": "pad", "padding": _pads(pads, len(pads) // 2)})

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
            if _broadcast([known, const_dims]) != known:
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

    def op_Transpose(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """To channels last (ConvNeXt's permute before its LayerNorm and Linear): followed, and
        ended by the Transpose back; any other permutation is refused."""
        dims = self.shape(node.input[0])
        rank = len(dims) if dims is not None else 0
        if rank < 3 or self.attrs(node).integers("perm") != [0, *range(2, rank), 1]:
            raise self.unsupported(node, "a Transpose other than to channels last (or in a channel shuffle)")
        self.writer.alias(node.output[0], node.input[0])
        self.channels_last.add(node.output[0])

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

    def channel_range(self, node: NodeProto) -> int:
        """The channels of the node's data input, a known size."""
        dims = self.shape(node.input[0])
        if dims is None or len(dims) < 2 or not isinstance(dims[1], int) or dims[1] < 1:
            raise self.unsupported(node, "an input whose channels are not of a known size")
        return dims[1]

    def op_Slice(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """A slice of the channels (ShuffleNet's x.chunk(2, dim=1)), with step 1."""
        channels = self.channel_range(node)
        rank = len(self.shape(node.input[0]) or [])
        attrs = self.attrs(node)
        if self.opset < 10:
            starts, ends = attrs.integers("starts"), attrs.integers("ends")
            axes: list[int] | None = attrs.integers("axes") or list(range(len(starts)))
            steps: list[int] | None = [1] * len(starts)
        else:
            starts, ends = self.ints(node.input[1]) or [], self.ints(node.input[2]) or []
            axes = self.ints(node.input[3]) if self.has_input(node, 3) else list(range(len(starts)))
            steps = self.ints(node.input[4]) if self.has_input(node, 4) else [1] * len(starts)
        if axes is None or steps is None or not (len(starts) == len(ends) == len(axes) == len(steps) == 1):
            raise self.unsupported(node, "a slice whose starts, ends, axes and steps are not constants of one axis")
        if not -rank <= axes[0] < rank or axes[0] % rank != 1 or steps[0] != 1:
            raise self.unsupported(node, "a slice of other axes than the channels, or with a step")
        start, stop = (min(max(v + channels if v < 0 else v, 0), channels) for v in (starts[0], ends[0]))
        if start >= stop:
            raise self.unsupported(node, "an empty slice of the channels")
        self.add(node, {"kind": "channel_slice", "start": start, "stop": stop})

    def op_Split(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """A split of the channels into parts: one channel_slice per output."""
        channels = self.channel_range(node)
        rank = len(self.shape(node.input[0]) or [])
        attrs = self.attrs(node)
        axis = attrs.integer("axis", 0)
        if not -rank <= axis < rank or axis % rank != 1:
            raise self.unsupported(node, "a split of other axes than the channels")
        sizes: list[int] | None = attrs.integers("split") or None
        if sizes is None and self.has_input(node, 1):
            sizes = self.ints(node.input[1])
            if sizes is None:
                raise self.unsupported(node, "split sizes that are not constants")
        parts = len(node.output)
        if sizes is None:
            if channels % parts:
                raise self.unsupported(node, f"a split of {channels} channels in {parts} unequal parts")
            sizes = [channels // parts] * parts
        if len(sizes) != parts or sum(sizes) != channels or any(s < 1 for s in sizes):
            raise self.unsupported(node, "split sizes that do not divide the channels")
        start = 0
        for size, output in zip(sizes, node.output, strict=True):
            if output:
                self.add(node, {"kind": "channel_slice", "start": start, "stop": start + size}, output=output)
            start += size

    def channel_shuffle(self, node: NodeProto) -> bool:
        """ShuffleNet's channel shuffle: Reshape to (N, g, C/g, ...), Transpose the two, Reshape
        back: one `channel_shuffle` layer, written at the last Reshape (whose target the exporter
        computes after the Transpose). Returns whether `node` is one of the three."""
        source = node.input[0]
        if source in self.shuffles:  # the Reshape back: the shuffle's output
            original, groups, stage = self.shuffles[source]
            sizes = [int(d) for d in (self.shape(original) or [])[1:] if isinstance(d, int)]
            if stage != 2 or self.reshaped(node, math.prod(sizes)) != sizes:
                raise self.unsupported(node, "a reshape after a channel shuffle's Transpose to another shape")
            self.add(node, {"kind": "channel_shuffle", "groups": groups}, [original])
            return True
        source_dims = self.shape(source)
        swap = self.reader(node.output[0], "Transpose")
        back = self.reader(swap.output[0], "Reshape") if swap is not None else None
        if source_dims is None or swap is None or back is None:
            return False
        dims = [1, *(d for d in source_dims[1:] if isinstance(d, int) and d > 0)]  # the batch may be symbolic
        if len(dims) != len(source_dims):
            return False
        rank = len(dims)
        grid = self.reshaped(node, math.prod(int(d) for d in dims[1:]))
        if grid is None or len(grid) != rank or grid[0] * grid[1] != dims[1] or grid[2:] != dims[2:]:
            return False
        if self.attrs(swap).integers("perm") != [0, 2, 1, *range(3, rank + 1)]:
            return False
        self.writer.alias(node.output[0], source)
        self.writer.alias(swap.output[0], source)
        self.shuffles[node.output[0]] = (source, grid[0], 1)
        self.shuffles[swap.output[0]] = (source, grid[0], 2)
        self.done.update(swap.output)
        return True

    def op_Concat(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        tensors = [t for t in node.input if t]
        consts = [t for t in tensors if t not in self.writer.tensors]
        if consts:
            raise self.unsupported(node, f"a constant among the tensors concatenated, {self.origin(consts[0])}")
        if len(tensors) == 1:  # a concat of one tensor (DenseNet's first layer of a block) is the tensor
            self.writer.alias(node.output[0], tensors[0])
            return
        dims = self.shape(tensors[0])
        axis = self.attrs(node).integer("axis", 1)
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
        axis = self.attrs(node).integer("axis", 1)
        if axis != 1:
            raise self.unsupported(node, f"Flatten at axis {axis} (only axis 1 keeps the batch)")
        self._to_vector(node)

    def op_Reshape(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        if self.channel_shuffle(node):
            return
        out = self.shape(node.output[0])
        target = self.values(node.input[1]) if self.has_input(node, 1) else None
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
            layer["size"] = _one(size)  # sizes given, not a whole factor of the input's (33 to 65)
        elif scales[0] != 1 or scales[1] != 1 or any(f != int(f) or f < 1 or f > 2**31 - 1 for f in factors):
            raise self.unsupported(node, f"scales that are not whole factors on the spatial axes ({source})")
        else:
            layer["scale"] = _one([int(f) for f in factors])
        if mode != "nearest":
            layer["mode"] = "bilinear"
        self.add(node, layer)

    def about(self, name: str) -> str:
        """A constant input as a message names it: name, type and shape, or only the name."""
        tensor = self.consts.get(name)
        return about(tensor) if tensor is not None else shown(name)
