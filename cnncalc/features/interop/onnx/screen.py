"""What an ONNX model file must pass before cnncalc does any work on it.

A model file is untrusted input: the whole graph is screened before shape inference or
constant folding run, so that no later step meets a cost the file chose. The node count,
every declared tensor size, every name, every input (made by a graph input, an initializer or
an earlier node) and every external-data location are checked here; control flow and any
subgraph are refused. External data is never opened: its location must stay, links resolved,
inside the model file's own folder and name a regular file or nothing. Messages name a tensor
by name, type and shape (`about`), never by value.

The `onnx` package is imported only inside these functions: it is an optional extra.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

from cnncalc.features.interop.common import InteropError

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto, TensorProto

#: nodes of one graph, checked before shape inference (a network has at most 20,000 layers, and
#: exporters write a few shape nodes per layer)
MAX_NODES = 100_000
#: elements one declared tensor may have (initializer or value dims): 2^40, far above any real
#: weight, and small enough that every count made from it stays an exact 64-bit integer
MAX_TENSOR_ELEMENTS = 2**40
#: control flow: a subgraph cnncalc would have to run, refused even without its attribute
CONTROL_FLOW = frozenset({"If", "Loop", "Scan", "SequenceMap"})
#: nodes an If branch may hold to be read as PyTorch's squeeze of an axis of unknown size
_SQUEEZE_BRANCH_OPS = frozenset({"Constant", "Squeeze", "Identity"})
SHOWN = 80  # characters of a name from the file shown in a message


def shown(text: str) -> str:
    """A name from the file as a message shows it: quoted, and cut if long."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def element_count(dims: Sequence[int]) -> int:
    """The product of `dims`, stopping once it passes the cap (a hostile list may be long)."""
    total = 1
    for d in dims:
        total *= d
        if total > MAX_TENSOR_ELEMENTS:
            return total
    return total


def _dtype_name(data_type: int) -> str:
    from onnx import TensorProto

    try:
        return str(TensorProto.DataType.Name(data_type)).lower()
    except ValueError:
        return f"type {data_type}"


def about(tensor: TensorProto) -> str:
    """A tensor as messages name it: its name, type and shape, never its values."""
    dims = list(tensor.dims)
    shape = dims if len(dims) <= 8 else [*dims[:8], "..."]
    return f"{shown(tensor.name)} ({_dtype_name(tensor.data_type)}, shape {shape})"


def is_external(tensor: TensorProto) -> bool:
    from onnx import TensorProto

    return bool(tensor.HasField("data_location") and tensor.data_location == TensorProto.EXTERNAL)


def text(value: str | bytes) -> str:
    """A string field of the file; protobuf hands over bytes where the file's text is not UTF-8."""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


# --- screening: everything checked before any work the file could cause -------------------------


def squeeze_branches(node: NodeProto) -> bool:
    """An If whose two branches only squeeze or pass on one tensor: what PyTorch writes for
    `squeeze(dim)` on an axis whose size it did not know. Nothing in it computes; the import
    reads it as a reshape inside a recognised LRN (patterns.py) and refuses it anywhere else."""
    if node.op_type != "If" or len(node.attribute) != 2 or len(node.output) != 1:
        return False
    from onnx import AttributeProto

    for attr in node.attribute:
        if attr.name not in ("then_branch", "else_branch") or attr.type != AttributeProto.GRAPH:
            return False
        branch = attr.g
        if len(branch.node) > 4 or len(branch.output) != 1 or branch.initializer or branch.sparse_initializer:
            return False
        for inner in branch.node:
            if inner.op_type not in _SQUEEZE_BRANCH_OPS or inner.domain not in ("", "ai.onnx"):
                return False
            if any(a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) for a in inner.attribute):
                return False
            if not all(isinstance(t, str) for t in (*inner.input, *inner.output, *(o.name for o in branch.output))):
                return False
    return True


def screen(model: ModelProto, folder: Path | None) -> None:
    """Refuse what no later step may meet: too many nodes, subgraphs, malformed names, oversized
    or negative dims, external data outside the model's folder, inputs nothing makes."""
    graph = model.graph
    if len(graph.node) > MAX_NODES:
        raise InteropError.single(
            f"the ONNX graph has {len(graph.node):,} nodes; cnncalc imports at most {MAX_NODES:,}",
            hint="a network of at most 20,000 layers fits well under this",
        )
    known: set[str] = set()
    for info in (*graph.input, *graph.output, *graph.value_info):
        name = _value_name(info.name, "a graph value")
        for d in info.type.tensor_type.shape.dim:
            if d.HasField("dim_value") and d.dim_value < 0:
                raise InteropError.single(f"value {shown(name)} declares a negative dimension")
    known.update(i.name for i in graph.input)
    for tensor in graph.initializer:
        _check_tensor(tensor, "initializer", folder)
        known.add(tensor.name)
    for sparse in graph.sparse_initializer:
        for part in (sparse.values, sparse.indices):
            _check_tensor(part, "sparse initializer", folder)
        known.add(sparse.values.name)
    for index, node in enumerate(graph.node):
        _screen_node(node, index, known, folder)


def _value_name(name: str | bytes, what: str) -> str:
    if not isinstance(name, str):
        raise InteropError.single(f"{what} has a name that is not UTF-8 text", hint="rename it and export again")
    return name


def _check_tensor(tensor: TensorProto, what: str, folder: Path | None) -> None:
    """A declared tensor: a name, dims that are not negative and not beyond the cap, and external
    data (if any) in the model's folder."""
    _value_name(tensor.name, f"an {what}")
    dims = list(tensor.dims)
    if any(d < 0 for d in dims):
        raise InteropError.single(f"{what} {shown(tensor.name)} declares a negative dimension")
    if element_count(dims) > MAX_TENSOR_ELEMENTS:
        raise InteropError.single(
            f"{what} {shown(tensor.name)} declares more than {MAX_TENSOR_ELEMENTS:,} elements",
            hint="no real weight is this large: the file is damaged or hostile",
        )
    if is_external(tensor):
        _check_location(tensor, what, folder)


def _check_location(tensor: TensorProto, what: str, folder: Path | None) -> None:
    """External data of `tensor` must be a relative path that stays in the model's folder, to a
    regular file or to nothing (it is never read: cnncalc needs the dims, not the values)."""
    entries = {e.key: e.value for e in tensor.external_data}
    location = entries.get("location")
    where = f"{what} {shown(text(tensor.name))}"
    if not isinstance(location, str) or not location:
        raise InteropError.single(f"{where} has external data without a (UTF-8) location")
    if "\x00" in location or Path(location).is_absolute() or location.startswith(("/", "\\")):
        raise InteropError.single(
            f"{where} has its external data at an absolute path",
            hint="external data must lie beside the model, named by a relative path",
        )
    parts = location.replace("\\", "/").split("/")
    if ".." in parts or PureWindowsPath(location).drive:
        raise InteropError.single(
            f"{where} has its external data outside the model's folder ('..' in its location)",
            hint="external data must lie beside the model, named by a relative path",
        )
    if folder is None:
        return
    base = folder.resolve()
    target = (base / location).resolve()
    if not target.is_relative_to(base):
        raise InteropError.single(
            f"{where} has its external data outside the model's folder (through a symbolic link)",
            hint="external data must lie beside the model, named by a relative path",
        )
    try:
        mode = target.stat().st_mode
    except OSError:
        return  # missing: its values are not needed, its dims are in the model
    if not stat.S_ISREG(mode):
        raise InteropError.single(f"{where} has its external data in something that is not a regular file")


def _screen_node(node: NodeProto, index: int, known: set[str], folder: Path | None) -> None:
    """One node's names, outputs, inputs and attributes, in the order they are stored.

    The node's label is made only for a message: this runs on every node of the graph.
    """
    from onnx import AttributeProto

    name, op_type, domain = node.name, node.op_type, node.domain
    inputs, outputs = list(node.input), list(node.output)

    def where() -> str:
        first = outputs[0] if outputs and isinstance(outputs[0], str) else f"#{index}"
        return f"node {shown(name or first)} ({op_type or 'no operator'})"

    if not (isinstance(name, str) and isinstance(op_type, str) and isinstance(domain, str)):
        raise InteropError.single(f"node #{index} has a name or operator that is not UTF-8 text")
    if not op_type:
        raise InteropError.single(f"{where()} has no operator type")
    if not any(outputs):
        raise InteropError.single(f"{where()} has no outputs")
    if not all(isinstance(t, str) for t in (*inputs, *outputs)):
        raise InteropError.single(f"{where()} has an input or output whose name is not UTF-8 text")
    for t in inputs:
        if t and t not in known:
            raise InteropError.single(
                f"{where()} reads {shown(t)}, which no graph input, initializer or earlier node makes",
                hint="the graph is damaged, or its nodes are not in execution order",
            )
    squeeze = squeeze_branches(node)
    if op_type in CONTROL_FLOW and not squeeze:
        raise InteropError.single(
            f"{where()}: control flow (If, Loop, Scan) is not imported",
            hint="export the model with the loop unrolled, or with its branch fixed",
        )
    for attr in node.attribute:
        if not isinstance(attr.name, str):
            raise InteropError.single(f"{where()} has an attribute whose name is not UTF-8 text")
        if squeeze:
            for inner in attr.g.node:
                for tensor in (a.t for a in inner.attribute if a.HasField("t")):
                    _check_tensor(tensor, f"tensor in a branch of {where()}:", folder)
            continue
        if attr.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) or attr.HasField("g") or len(attr.graphs):
            raise InteropError.single(
                f"{where()} holds a subgraph (attribute {shown(attr.name)}); cnncalc imports one flat graph",
                hint="export the model with control flow unrolled",
            )
        tensors = [*([attr.t] if attr.HasField("t") else []), *attr.tensors]
        if attr.HasField("sparse_tensor"):
            tensors.append(attr.sparse_tensor.values)
        for tensor in tensors:
            _check_tensor(tensor, f"tensor attribute of {where()}:", folder)
    known.update(outputs)
