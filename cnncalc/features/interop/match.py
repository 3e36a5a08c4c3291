"""Does a spec still match its model? Both analysed, then compared layer by layer.

Layers are paired by kind along the network (difflib's alignment of the two kind
sequences), after leaving out the layers that neither change a shape nor hold a weight
(activations, dropout, flatten, softmax): an exported model writes those as separate
nodes where a spec may fuse them (`activation: relu`) or leave them implicit (a dense
layer flattens its input). Names are shown but never required to agree.

An exporter also rewrites a network without changing what it computes, and each such
rewrite is recognised by a stated rule, said in the result, and accounted for in the totals:

- batch norm folded into the conv or dense layer before it (PyTorch's exporter in eval mode,
  its default): a batch norm that reads a conv or dense layer read by nothing else, on the
  side that has more batch norms, when folding all such batch norms leaves both sides with as
  many; the folded layer then has the conv's weights and one bias per output channel;
- a repeated computation computed once (the same layer kind and settings, the same weights,
  the same inputs: PyTorch's exporter merges them, as in a siamese network's two towers);
- a separable conv written as two convs (a depthwise, then a 1x1 pointwise);
- a global pool written as a MaxPool or AveragePool whose window is the whole map;
- a pool that leaves the map as it is (window 1, stride 1, no padding: PyTorch writes an
  adaptive pool to the size it already has this way), skipped like an activation.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from math import prod
from typing import Any

from cnncalc.core.graph import build_graph
from cnncalc.core.report import LayerRow, Report
from cnncalc.core.walk import analyze
from cnncalc.layers.base import LayerBase, per_dim
from cnncalc.layers.registry import family_kinds
from cnncalc.spec.model import Spec

#: families of kinds with no weights that keep their input's shape, or only flatten it:
#: exporters write them differently (fused, functional, or not at all) without changing a number
TRANSPARENT_FAMILIES = ("activation", "regularization", "reshape")


def transparent_kinds() -> set[str]:
    """The kinds of TRANSPARENT_FAMILIES, read from the registry when asked."""
    return {kind for family in TRANSPARENT_FAMILIES for kind in family_kinds(family)}


#: kinds that are the same computation whatever the file calls them
_SAME_AS = {"depthwise_conv": "conv"}
#: what a batch norm folds into
_FOLDS_INTO = frozenset({"conv", "depthwise_conv", "dense"})
#: the totals a recognised rewrite may account for
_COUNTED = ("params", "trainable_params", "macs")


@dataclass(frozen=True)
class LayerMatch:
    """One pair of layers (or a layer present on one side only) and how they differ."""

    kind: str
    spec_name: str | None
    model_name: str | None
    spec_shape: tuple[int, ...] | None
    model_shape: tuple[int, ...] | None
    spec_params: int | None
    model_params: int | None
    #: what an exporter rewrote here, recognised (empty when nothing was)
    recognised: str = ""

    @property
    def problems(self) -> list[str]:
        if self.spec_name is None:
            return ["only in the model"]
        if self.model_name is None:
            return ["only in the spec"]
        found = []
        if self.spec_shape != self.model_shape:
            found.append("shape")
        if self.spec_params != self.model_params:
            found.append("params")
        return found


@dataclass(frozen=True)
class Recognised:
    """A rewrite of the network an exporter makes without changing what it computes."""

    rule: str  # batch_norm_folded, computed_once, separable_as_two_convs, global_pool_as_pool, identity_pool
    side: str  # "spec" or "model": the side whose layers were read as the other side writes them
    layers: tuple[str, ...]
    text: str
    #: what the rewrite changes in the totals of its side: params, trainable_params, macs
    changes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchResult:
    """The comparison of a spec with a model: per layer, and the totals that a budget checks."""

    spec: Report
    model: Report
    layers: tuple[LayerMatch, ...]
    recognised: tuple[Recognised, ...] = ()

    def totals(self) -> dict[str, tuple[Any, Any]]:
        s, m = self.spec, self.model
        return {
            "input_shape": (s.input_shape, m.input_shape),
            "output_shape": (s.rows[-1].output_shape, m.rows[-1].output_shape),
            "params": (s.totals.params, m.totals.params),
            "trainable_params": (s.totals.trainable_params, m.totals.trainable_params),
            "macs": (s.totals.macs, m.totals.macs),
        }

    def explained(self) -> dict[str, int]:
        """model - spec, per total, that the recognised rewrites account for."""
        out = dict.fromkeys(_COUNTED, 0)
        for r in self.recognised:
            for key, change in r.changes.items():
                out[key] += change if r.side == "spec" else -change
        return out

    def agrees(self, key: str) -> bool:
        a, b = self.totals()[key]
        return bool(a == b or (key in _COUNTED and a + self.explained()[key] == b))

    @property
    def ok(self) -> bool:
        return all(not layer.problems for layer in self.layers) and all(self.agrees(key) for key in self.totals())

    def to_json(self) -> dict[str, Any]:
        explained = self.explained()
        return {
            "match": self.ok,
            "spec": self.spec.name,
            "model": self.model.name,
            "totals": {
                key: {
                    "spec": _plain(a),
                    "model": _plain(b),
                    "equal": a == b,
                    "explained_difference": explained.get(key, 0),
                    "agree": self.agrees(key),
                }
                for key, (a, b) in self.totals().items()
            },
            "recognised": [
                {"rule": r.rule, "side": r.side, "layers": list(r.layers), "text": r.text, "changes": r.changes}
                for r in self.recognised
            ],
            "layers": [
                {
                    "kind": layer.kind,
                    "spec": None
                    if layer.spec_name is None
                    else _side(layer.spec_name, layer.spec_shape, layer.spec_params),
                    "model": None
                    if layer.model_name is None
                    else _side(layer.model_name, layer.model_shape, layer.model_params),
                    "problems": layer.problems,
                    "recognised": layer.recognised,
                }
                for layer in self.layers
            ],
        }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _side(name: str, shape: tuple[int, ...] | None, params: int | None) -> dict[str, Any]:
    return {"name": name, "output_shape": list(shape or ()), "params": params}


@dataclass
class _Entry:
    """One layer as compared: the kind it is paired by, its name, shape and params."""

    key: str
    kind: str
    name: str
    shape: tuple[int, ...]
    params: int
    row: LayerRow
    layer: LayerBase | None
    recognised: str = ""


class _Side:
    """One side's layers, as compared, with the rewrites recognised on it."""

    def __init__(self, spec: Spec, report: Report, side: str) -> None:
        self.side = side
        self.report = report
        graph = build_graph(spec)
        self.layers = {row.name: node.layer for node, row in zip(graph.nodes, report.rows, strict=True)}
        self.readers: dict[str, list[str]] = {}
        for row in report.rows:
            for name in row.inputs:
                self.readers.setdefault(name, []).append(row.name)
        self.rows = {row.name: row for row in report.rows}
        self.recognised: list[Recognised] = []
        self.entries = self._entries()

    def _entries(self) -> list[_Entry]:
        transparent = transparent_kinds()
        once = self._computed_once()
        entries: list[_Entry] = []
        for row in self.report.rows[1:]:
            layer = self.layers.get(row.name)
            if row.kind in transparent or row.name in once:
                continue
            if row.kind == "concat" and [self.rows[r].kind for r in self.readers.get(row.name, [])] == ["concat"]:
                continue  # an exporter may merge nested concatenations into one: the channels are the same
            if _identity_pool(row, layer):
                self.recognised.append(
                    Recognised(
                        "identity_pool",
                        self.side,
                        (row.name,),
                        f"{row.kind} {row.name!r} leaves the map as it is (window 1, stride 1): PyTorch writes an "
                        "adaptive pool to the size the map already has this way; skipped",
                    )
                )
                continue
            if row.kind == "separable_conv" and layer is not None:
                entries += _separable(row, layer)
                continue
            key = _SAME_AS.get(row.kind, row.kind)
            recognised = ""
            if row.kind in ("max_pool", "avg_pool") and _whole_map(row, layer):
                key = "global_" + row.kind
                recognised = f"a global pool written as a {row.kind} over the whole {_shape(row.input_shape[1:])} map"
            entries.append(_Entry(key, row.kind, row.name, _shape_of(row, key), row.params, row, layer, recognised))
        return entries

    def _computed_once(self) -> set[str]:
        """Rows that repeat an earlier row: same kind and settings, same weights, same inputs.

        They compute the same values, so an exporter computes them once; they are left out of
        the comparison and said, with their MACs."""
        canonical: dict[str, str] = {}
        seen: dict[tuple[Any, ...], str] = {}
        repeats: dict[str, str] = {}
        for row in self.report.rows[1:]:
            weights = row.shared_with or (row.name if row.weights or row.biases or row.params else None)
            key = (row.kind, row.summary, weights, tuple(canonical.get(i, i) for i in row.inputs))
            first = seen.get(key)
            if first is None:
                seen[key] = row.name
                canonical[row.name] = row.name
            else:
                canonical[row.name] = first
                repeats[row.name] = first
        if repeats:
            macs = sum(self.rows[name].macs for name in repeats)
            shown = ", ".join(f"{name!r} (= {first!r})" for name, first in list(repeats.items())[:4])
            more = f" and {len(repeats) - 4} more" if len(repeats) > 4 else ""
            self.recognised.append(
                Recognised(
                    "computed_once",
                    self.side,
                    tuple(repeats),
                    f"{len(repeats)} layer(s) of the {self.side} repeat an earlier one with the same weights and "
                    f"inputs, and an exporter computes them once: {shown}{more}",
                    {"macs": -macs, "params": -sum(self.rows[n].params for n in repeats)},
                )
            )
        return set(repeats)

    def batch_norms(self) -> list[_Entry]:
        return [e for e in self.entries if e.kind == "batch_norm"]

    def foldable(self) -> list[tuple[_Entry, _Entry]]:
        """(batch norm, the conv or dense it folds into): the layer before is read by it alone and
        applies no activation of its own."""
        by_name = {e.name: e for e in self.entries}
        found = []
        for bn in self.batch_norms():
            if len(bn.row.inputs) != 1:
                continue
            before = by_name.get(bn.row.inputs[0])
            if before is None or before.kind not in _FOLDS_INTO or self.readers.get(before.name) != [bn.name]:
                continue
            if getattr(before.layer, "activation", None) not in (None, "linear"):
                continue
            found.append((bn, before))
        return found

    def fold(self, pairs: list[tuple[_Entry, _Entry]]) -> None:
        """Read each batch norm as folded into the layer before: gone, and that layer with one
        bias per output channel."""
        params = trainable = macs = 0
        for bn, before in pairs:
            bias = before.shape[0] - before.row.biases  # the folded layer has one bias per output channel
            before.params = before.row.weights + before.shape[0]
            before.recognised = f"batch norm {bn.name!r} folded in"
            params += bias - bn.row.params
            trainable += bias - bn.row.trainable_params
            macs -= bn.row.macs
        folded = {id(bn) for bn, _ in pairs}
        self.entries = [e for e in self.entries if id(e) not in folded]
        names = ", ".join(f"{bn.name!r} into {before.name!r}" for bn, before in pairs[:4])
        more = f" and {len(pairs) - 4} more" if len(pairs) > 4 else ""
        self.recognised.append(
            Recognised(
                "batch_norm_folded",
                self.side,
                tuple(bn.name for bn, _ in pairs),
                f"{len(pairs)} batch norm(s) of the {self.side} folded into the conv or dense layer before them, "
                f"as PyTorch's exporter does in eval mode: {names}{more} ({params:+,} params)",
                {"params": params, "trainable_params": trainable, "macs": macs},
            )
        )


def _identity_pool(row: LayerRow, layer: LayerBase | None) -> bool:
    if row.kind not in ("avg_pool", "max_pool") or layer is None or row.output_shape != row.input_shape:
        return False
    ndim = len(row.input_shape) - 1
    kernel = per_dim(getattr(layer, "kernel", 1), ndim, "kernel")
    return all(k == 1 for k in kernel)


def _whole_map(row: LayerRow, layer: LayerBase | None) -> bool:
    """A pool whose one window is the whole input map, without padding."""
    if layer is None or any(n != 1 for n in row.output_shape[1:]) or not _unpadded(getattr(layer, "padding", 0)):
        return False
    ndim = len(row.input_shape) - 1
    kernel = per_dim(getattr(layer, "kernel", 1), ndim, "kernel")
    return tuple(kernel) == tuple(row.input_shape[1:])


def _unpadded(padding: Any) -> bool:
    if isinstance(padding, list | tuple):
        return all(_unpadded(p) for p in padding)
    return padding in (0, None, "valid")


def _separable(row: LayerRow, layer: LayerBase) -> list[_Entry]:
    """A separable conv as two convs: a depthwise (no bias), then a 1x1 pointwise with the bias."""
    x, y = row.input_shape, row.output_shape
    mid = x[0] * int(getattr(layer, "multiplier", 1))
    taps = prod(per_dim(getattr(layer, "kernel", 1), len(x) - 1, "kernel"))
    depthwise = _Entry("conv", row.kind, f"{row.name} (depthwise)", (mid, *y[1:]), mid * taps, row, layer)
    pointwise = _Entry("conv", row.kind, f"{row.name} (pointwise)", y, row.params - mid * taps, row, layer)
    return [depthwise, pointwise]


def match(spec: Spec, model: Spec) -> MatchResult:
    """Compare `spec` with `model` (usually imported from an ONNX or Keras file)."""
    ours, theirs = analyze(spec), analyze(model)
    a, b = _Side(spec, ours, "spec"), _Side(model, theirs, "model")
    for one, other in ((a, b), (b, a)):
        pairs = one.foldable()
        if pairs and len(one.batch_norms()) - len(pairs) == len(other.batch_norms()):
            one.fold(pairs)
            break
    _say_separable(a, b)
    matcher = difflib.SequenceMatcher(None, [e.key for e in a.entries], [e.key for e in b.entries], autojunk=False)
    pairs_out: list[LayerMatch] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs_out += [_pair(a.entries[i], b.entries[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        pairs_out += [_pair(a.entries[i], None) for i in range(i1, i2)]
        pairs_out += [_pair(None, b.entries[j]) for j in range(j1, j2)]
    return MatchResult(ours, theirs, tuple(pairs_out), tuple(a.recognised + b.recognised))


def _say_separable(a: _Side, b: _Side) -> None:
    """A separable conv on one side only: said as written as two convs on the other."""
    for one, other in ((a, b), (b, a)):
        if any(e.kind == "separable_conv" for e in other.entries):
            continue
        names = tuple(dict.fromkeys(e.row.name for e in one.entries if e.kind == "separable_conv"))
        if names:
            listed = ", ".join(repr(n) for n in names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            one.recognised.append(
                Recognised(
                    "separable_as_two_convs",
                    one.side,
                    names,
                    f"{len(names)} separable conv(s) of the {one.side} compared as the two convs an export writes "
                    f"(a depthwise conv, then a 1x1 pointwise conv with the bias): {listed}",
                )
            )


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _shape_of(row: LayerRow, key: str) -> tuple[int, ...]:
    """The output shape, a global pool's kept 1x1 axes dropped (PyTorch keeps them, a spec need not)."""
    return row.output_shape[:1] if key.startswith("global_") else row.output_shape


def _pair(s: _Entry | None, m: _Entry | None) -> LayerMatch:
    entry = s or m
    assert entry is not None
    notes = [e.recognised for e in (s, m) if e is not None and e.recognised]
    return LayerMatch(
        kind=entry.key,
        spec_name=s.name if s else None,
        model_name=m.name if m else None,
        spec_shape=s.shape if s else None,
        model_shape=m.shape if m else None,
        spec_params=s.params if s else None,
        model_params=m.params if m else None,
        recognised="; ".join(notes),
    )
