"""The importer's state and the helpers every operator family shares.

`ImporterBase` holds what the walk learns as it goes (the constants, the shapes, the layers
written and the tensors they make) and the few ways a handler reads and writes it: a node's
name for messages, its weights' dims, a tensor's shape (ONNX's inference, or cnncalc's own
rules where inference lost it), and `add`, the one place a layer is written. The operator
families (ops_*.py) and the constant folding (constants.py) build on it; walk.py puts them
together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cnncalc.core.conventions import Conventions
from cnncalc.features.interop.common import InteropError, SpecWriter, clean_name, unsupported
from cnncalc.features.interop.onnx.attrs import Attrs
from cnncalc.features.interop.onnx.calls import call_of, computed_weights, containers
from cnncalc.features.interop.onnx.kinds import SUPPORTED_OPS
from cnncalc.features.interop.onnx.patterns import Fused, find
from cnncalc.features.interop.onnx.screen import SHOWN, about, shown, text
from cnncalc.layers import MergeBase, kind_class

if TYPE_CHECKING:
    from onnx import GraphProto, NodeProto, TensorProto, ValueInfoProto


def info_dims(info: ValueInfoProto) -> list[int | str] | None:
    """The dims of a value: ints where fixed, the symbol (or '?') where not; None if unknown."""
    tensor = info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (text(d.dim_param) or "?") for d in tensor.shape.dim]


def broadcast(shapes: Sequence[Sequence[int]]) -> list[int] | None:
    """The numpy broadcast of `shapes`, or None where they do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for shape in shapes:
        for i, d in enumerate(shape, start=rank - len(shape)):
            if d != out[i] and 1 not in (d, out[i]):
                return None
            out[i] = max(out[i], d) if d != 0 and out[i] != 0 else 0
    return out


class ImporterBase:
    """What the walk knows of the graph so far, and the helpers every operator handler uses."""

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
        # what the exporter wrote as several nodes for one layer (patterns.py), by its last node
        self.fused: dict[int, Fused] = find(graph)
        self.holders = containers(node.name for node in graph.node)  # module paths that hold modules
        self.recognised: list[str] = []  # the layers read from such runs, for the notes
        self.calls: dict[str, str] = {}  # layer -> how the PyTorch model called it, where names say
        self.folded: list[str] = []  # layers whose weight and bias the exporter computed
        from cnncalc.core.graph import MAX_LAYERS  # the spec's own cap, checked as layers are written

        self.max_layers = MAX_LAYERS

    def label(self, node: NodeProto) -> str:
        return str(node.name or node.output[0])

    def where(self, node: NodeProto) -> str:
        return f"node {shown(self.label(node))} ({node.op_type})"

    def unsupported(self, node: NodeProto, why: str = "") -> InteropError:
        return unsupported(node.op_type, self.label(node)[:SHOWN], self.writer, ", ".join(SUPPORTED_OPS), why)

    def origin(self, tensor: str) -> str:
        """A tensor, and the node that made it, for a message."""
        maker = self.made_by.get(tensor)
        if maker is None:
            return shown(tensor)
        return f"{shown(tensor)} (made by {self.where(maker)})"

    def attrs(self, node: NodeProto) -> Attrs:
        return Attrs(node, self.where(node))

    def has_input(self, node: NodeProto, index: int) -> bool:
        return len(node.input) > index and node.input[index] != ""

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

    def shape(self, tensor: str) -> list[int | str] | None:
        """The dims of a tensor: ONNX's inference, or, where that lost them (a size computed from
        shapes it does not follow), those of the cnncalc layer that makes it."""
        info = self.infos.get(tensor)
        dims = None if info is None else info_dims(info)
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

    def reader(self, tensor: str, op: str) -> NodeProto | None:
        """The one node that reads `tensor`, if it is an `op` and the tensor is no graph output."""
        readers = self.readers.get(tensor, [])
        if len(readers) != 1 or readers[0].op_type != op or any(o.name == tensor for o in self.graph.output):
            return None
        return readers[0]

    def flat(self, tensor: str) -> bool:
        dims = self.shape(tensor)
        return dims is not None and len(dims) == 2

    def about(self, name: str) -> str:
        """A constant input as a message names it: name, type and shape, or only the name."""
        tensor = self.consts.get(name)
        return about(tensor) if tensor is not None else shown(name)
