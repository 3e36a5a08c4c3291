"""What PyTorch's ONNX exporter writes as several nodes for one layer, read back as that layer.

`torch.onnx.export` has no ONNX operator for some of PyTorch's layers at the opsets people
export at (13 to 20), so it writes their arithmetic out:

- LRN (`nn.LocalResponseNorm`, `F.local_response_norm`): x / (k + alpha * avg_pool(x^2 over
  `size` channels))^beta, as Mul, Reshape, Pad, a 3-D AveragePool, a Squeeze inside an If,
  Reshape, Mul, Add, Pow, Div (at every opset from 13 to 20: ONNX's own LRN is never written);
- SiLU / swish: Sigmoid and Mul(x, sigmoid(x));
- hard-swish below opset 14: HardSigmoid (alpha 1/6, beta 1/2) and Mul(x, hardsigmoid(x));
- GELU below opset 20: 0.5 * x * (1 + erf(x / sqrt 2)), or with `approximate='tanh'`
  0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).

`find` recognises each by its structure and its constants, anchored on the node that makes the
result: every node of the run must read only the run's input, constants, or nodes of the run.
Each recognised run imports as one layer (`Fused`); the import says what it recognised.

The `onnx` package is imported only inside these functions: it is an optional extra.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.onnx.screen import element_count, is_external, squeeze_branches

if TYPE_CHECKING:
    from onnx import GraphProto, NodeProto, TensorProto

#: nodes between the LRN's averaging and its scaling: they only reshape
_RESHAPES = frozenset({"Reshape", "Squeeze", "Unsqueeze", "Identity", "If"})
#: relative tolerance on a constant of a decomposition (the exporter writes float32)
_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Fused:
    """One layer an exporter wrote as several nodes: the cnncalc layer, its input and output
    tensors, the node it is named after, and what was recognised (for the import's notes)."""

    layer: dict[str, Any]
    input: str
    output: str
    name: str
    recognised: str
    #: indices of the graph's nodes the layer replaces (the data path; constants and shape
    #: arithmetic that fed only these become dead and are dropped with them)
    nodes: frozenset[int]


def outer_reads(node: NodeProto) -> set[str]:
    """The tensors of the enclosing graph an If's branches read (none for another node)."""
    found: set[str] = set()
    if node.op_type != "If":
        return found
    for attr in node.attribute:
        made = {out for inner in attr.g.node for out in inner.output}
        found.update(t for inner in attr.g.node for t in inner.input if t and t not in made)
    return found


class _Graph:
    """The graph as the recognisers read it: who makes each tensor, small scalar constants."""

    def __init__(self, graph: GraphProto) -> None:
        self.nodes = list(graph.node)
        self.made_by: dict[str, int] = {}
        for index, node in enumerate(self.nodes):
            for out in node.output:
                if out:
                    self.made_by[out] = index
        self.initializers: dict[str, TensorProto] = {t.name: t for t in graph.initializer}

    def maker(self, tensor: str, *ops: str) -> tuple[int, NodeProto] | None:
        index = self.made_by.get(tensor)
        if index is None or self.nodes[index].op_type not in ops or self.nodes[index].domain not in ("", "ai.onnx"):
            return None
        return index, self.nodes[index]

    def scalar(self, tensor: str) -> float | None:
        """The value of a one-element constant (an initializer or a Constant node), or None."""
        from onnx import AttributeProto, numpy_helper

        stored = self.initializers.get(tensor)
        if stored is None:
            found = self.maker(tensor, "Constant")
            if found is None:
                return None
            attrs = {a.name: a for a in found[1].attribute}
            if "value_float" in attrs and attrs["value_float"].type == AttributeProto.FLOAT:
                return float(attrs["value_float"].f)
            if "value" not in attrs or attrs["value"].type != AttributeProto.TENSOR:
                return None
            stored = attrs["value"].t
        if is_external(stored) or element_count(stored.dims) != 1:
            return None
        try:
            # str() of a numpy scalar is its shortest repr in its own type: float32's 1e-4 is
            # 0.0001 here, not 9.999999747378752e-05 (the exporter stores float32)
            value = float(str(numpy_helper.to_array(stored).reshape(-1)[0]))
        except (ValueError, TypeError, IndexError):  # data that does not fit its dims or type
            return None
        return value if math.isfinite(value) else None

    def constant_operand(self, node: NodeProto) -> tuple[str, float] | None:
        """(the data input, the constant) of a two-input node with one scalar constant input."""
        if len(node.input) != 2:
            return None
        for data, const in ((node.input[0], node.input[1]), (node.input[1], node.input[0])):
            value = self.scalar(const)
            if value is not None and self.scalar(data) is None:
                return data, value
        return None


def _near(value: float | None, wanted: float) -> bool:
    return value is not None and abs(value - wanted) <= _TOLERANCE * max(1.0, abs(wanted))


def _attr(node: NodeProto, name: str, default: Any = None) -> Any:
    from onnx import helper

    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def _lrn(g: _Graph, index: int, div: NodeProto) -> Fused | None:
    """x / (k + alpha * mean of x^2 over `size` channels)^beta, as F.local_response_norm writes it."""
    if len(div.input) != 2:
        return None
    x, denominator = div.input
    path = [index]
    found = g.maker(denominator, "Pow")
    if found is None:
        return None
    path.append(found[0])
    scaled, beta = found[1].input[0], g.scalar(found[1].input[1]) if len(found[1].input) == 2 else None
    step = g.maker(scaled, "Add")
    plus = g.constant_operand(step[1]) if step else None
    if step is None or plus is None:
        return None
    path.append(step[0])
    step = g.maker(plus[0], "Mul")
    times = g.constant_operand(step[1]) if step else None
    if step is None or times is None:
        return None
    path.append(step[0])
    tensor = times[0]
    for _ in range(8):  # the reshapes between the averaging and the scaling
        step = g.maker(tensor, *_RESHAPES)
        if step is None:
            break
        path.append(step[0])
        if step[1].op_type == "If":
            if not squeeze_branches(step[1]) or len(outer_reads(step[1])) != 1:
                return None
            tensor = next(iter(outer_reads(step[1])))
        else:
            tensor = step[1].input[0]
    pool = g.maker(tensor, "AveragePool")
    if pool is None:
        return None
    kernel = list(_attr(pool[1], "kernel_shape") or [])
    strides = list(_attr(pool[1], "strides") or [1] * len(kernel))
    if len(kernel) < 2 or any(k != 1 for k in kernel[1:]) or any(s != 1 for s in strides):
        return None
    path.append(pool[0])
    tensor = pool[1].input[0]
    for _ in range(4):  # Pad of the channel axis, and the reshape that made it a spatial one
        step = g.maker(tensor, "Pad", "Reshape", "Unsqueeze")
        if step is None:
            break
        path.append(step[0])
        tensor = step[1].input[0]
    square = g.maker(tensor, "Mul")
    if square is None or list(square[1].input) != [x, x] or beta is None:
        return None
    path.append(square[0])
    size, alpha, k = int(kernel[0]), times[1], plus[1]
    layer = {"kind": "lrn", "size": size, "alpha": alpha, "beta": beta, "k": k}
    return Fused(layer, x, div.output[0], div.name, f"LRN written as {len(path)} nodes", frozenset(path))


def _gated(g: _Graph, index: int, mul: NodeProto) -> Fused | None:
    """x * sigmoid(x) (swish, SiLU) and x * hardsigmoid(x) with alpha 1/6, beta 1/2 (hard-swish)."""
    if len(mul.input) != 2:
        return None
    for x, gate in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
        found = g.maker(gate, "Sigmoid", "HardSigmoid")
        if found is None or list(found[1].input) != [x]:
            continue
        op = found[1].op_type
        if op == "HardSigmoid":
            alpha, beta = _attr(found[1], "alpha", 0.2), _attr(found[1], "beta", 0.5)  # ONNX's defaults
            if not (_near(alpha, 1 / 6) and _near(beta, 0.5)):
                continue
        kind = "swish" if op == "Sigmoid" else "hard_swish"
        return Fused(
            {"kind": kind}, x, mul.output[0], mul.name, f"{kind} written as {op} and Mul", frozenset({index, found[0]})
        )
    return None


def _reads_only(g: _Graph, tensor: str, x: str, path: list[int], ops: frozenset[str], budget: int = 12) -> bool:
    """`tensor` is computed from x and scalar constants by `ops` alone (at most `budget` nodes)."""
    todo, seen = [tensor], set()
    while todo:
        t = todo.pop()
        if t == x or t in seen or g.scalar(t) is not None:
            continue
        seen.add(t)
        found = g.maker(t, *ops)
        if found is None or len(path) >= budget:
            return False
        path.append(found[0])
        todo.extend(found[1].input)
    return True


def _products(g: _Graph, mul: NodeProto) -> list[tuple[list[str], int | None]]:
    """The ways to read a Mul as a product of three: (a * b) * c or a * (b * c), with the inner
    Mul's index; and the two operands alone, (a, b), for the caller to reject."""
    found: list[tuple[list[str], int | None]] = []
    if len(mul.input) != 2:
        return found
    for inner, outer in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
        step = g.maker(inner, "Mul")
        if step is not None and len(step[1].input) == 2:
            found.append(([*step[1].input, outer], step[0]))
    return found


def _gelu(g: _Graph, index: int, mul: NodeProto) -> Fused | None:
    """0.5 * x * (1 + erf(x / sqrt 2)) and its tanh approximation, the two Muls in any order."""
    for leaves, inner_mul in _products(g, mul):
        halves = [t for t in leaves if _near(g.scalar(t), 0.5)]
        if len(halves) != 1:
            continue
        rest = [t for t in leaves if t != halves[0]]
        if len(rest) != 2:
            continue
        for x, bracket in ((rest[0], rest[1]), (rest[1], rest[0])):
            trail = [index, *([] if inner_mul is None else [inner_mul])]
            form = _gelu_bracket(g, x, bracket, trail)
            if form is not None:
                recognised = f"gelu written out ({form} form)"
                return Fused({"kind": "gelu"}, x, mul.output[0], mul.name, recognised, frozenset(trail))
    return None


def _gelu_bracket(g: _Graph, x: str, bracket: str, trail: list[int]) -> str | None:
    """'erf' or 'tanh' when `bracket` is 1 + erf(x / sqrt 2) or 1 + tanh(...x...); its nodes
    are added to `trail`."""
    step = g.maker(bracket, "Add")
    plus = g.constant_operand(step[1]) if step else None
    if step is None or plus is None or not _near(plus[1], 1.0):
        return None
    inner = g.maker(plus[0], "Erf", "Tanh")
    if inner is None:
        return None
    trail += [step[0], inner[0]]
    argument = inner[1].input[0]
    if inner[1].op_type == "Tanh":
        start = len(trail)
        if not _reads_only(g, argument, x, trail, frozenset({"Mul", "Add", "Pow"})):
            return None
        scalars = [g.scalar(t) for i in trail[start:] for t in g.nodes[i].input]
        constants = (0.044715, math.sqrt(2 / math.pi))
        return "tanh" if all(any(_near(v, w) for v in scalars) for w in constants) else None
    scale = g.maker(argument, "Div", "Mul")
    operand = g.constant_operand(scale[1]) if scale else None
    if scale is None or operand is None or operand[0] != x:
        return None
    wanted = math.sqrt(2) if scale[1].op_type == "Div" else 1 / math.sqrt(2)
    if not _near(operand[1], wanted):
        return None
    trail.append(scale[0])
    return "erf"


_RECOGNISERS: dict[str, tuple[Callable[[_Graph, int, Any], Fused | None], ...]] = {
    "Div": (_lrn,),
    "Mul": (_gelu, _gated),
}


def find(graph: GraphProto) -> dict[int, Fused]:
    """The recognised runs of `graph`, by the index of the node that makes each one's result.

    A run one of whose inner results is read outside it is not one layer: the caller, which
    knows what stays live, reads such a run node by node.
    """
    g = _Graph(graph)
    fused: dict[int, Fused] = {}
    taken: set[int] = set()
    for index in range(len(g.nodes) - 1, -1, -1):  # from the outputs back: an outer pattern first
        node = g.nodes[index]
        if index in taken or node.domain not in ("", "ai.onnx"):
            continue
        for recognise in _RECOGNISERS.get(node.op_type, ()):
            found = recognise(g, index, node)
            if found is not None and not (found.nodes & taken):
                fused[index] = found
                taken |= found.nodes
                break
    return fused
