"""How the PyTorch model called each layer, read from the node names its exporter wrote.

PyTorch's exporter names a node after the module path it ran in (`/layer1/layer1.0/relu/Relu`)
and names a weight it computed by constant folding `onnx::Conv_N` rather than after a module's
parameter. From these names alone this tells a leaf module from a function or tensor arithmetic,
which the peer presets need (a counting tool's module hooks see only modules), and spots a
conv whose weight and bias hold a batch norm folded in (eval mode, the exporter's default).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onnx import NodeProto


#: the call of a conv or dense layer whose weight and bias the exporter computed (ONNX names
#: them onnx::Conv_N, not after a module's parameter): a batch norm folded into it, in eval mode
FOLDED = "folded"
#: operators that are tensor arithmetic in PyTorch (`x + y`, `torch.cat`, `x.mean`, reshapes):
#: no counting tool's module hook sees them
_OPERATORS = frozenset({"Add", "Sum", "Mul", "Concat", "Flatten", "Reshape", "ReduceMean", "ReduceMax"})
#: operators only a module with weights writes (nn.Conv, nn.Linear, nn.BatchNorm)
_WEIGHTED = frozenset({"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization"})


def scope(name: str) -> str | None:
    """The module path PyTorch's exporter wrote into a node's name, without the operator:
    '/layer1/layer1.0/relu/Relu' -> 'layer1/layer1.0/relu', '/Relu_1' -> ''; None for a name
    that is not of that form (another exporter, or a hand-made graph)."""
    if not name.startswith("/") or name.endswith("/"):
        return None
    return name[1:].rpartition("/")[0]


def containers(names: Iterable[str]) -> set[str]:
    """Every module path that holds another module: the proper prefixes of the nodes' scopes."""
    found: set[str] = set()
    for name in names:
        path = scope(name)
        while path:
            path = path.rpartition("/")[0]
            if path in found:
                break
            found.add(path)
    return found


def computed_weights(node: NodeProto) -> bool:
    """A Conv or Gemm with a bias whose weight and bias the exporter computed by constant
    folding: PyTorch names a parameter it stores as it is after the module's attribute
    (`layer1.0.conv1.weight`), one it computed `onnx::Conv_193`."""
    inputs = list(node.input)
    return node.op_type in ("Conv", "Gemm") and len(inputs) > 2 and all(t.startswith("onnx::") for t in inputs[1:3])


def call_of(name: str, op_type: str, holders: set[str], folded: bool = False) -> str | None:
    """How the model called the layer a node (or a run anchored on it) imports as: 'module'
    (the node sits in a module that holds no other module: a leaf such as nn.ReLU), 'function'
    (it sits directly in a container's forward or at the top: F.relu, F.adaptive_avg_pool2d),
    'operator' (tensor arithmetic), FOLDED (a module whose weights hold a folded batch norm), or
    None where the name does not say."""
    path = scope(name)
    if path is None:
        return None
    if op_type in _OPERATORS:
        return "operator"
    if op_type in _WEIGHTED:
        return FOLDED if folded else "module"
    return "module" if path and path not in holders else "function"
