"""Does a spec still match its model? Both analysed, then compared layer by layer.

Layers are paired by kind along the network (difflib's alignment of the two kind
sequences), after leaving out the layers that neither change a shape nor hold a weight
(activations, dropout, flatten, softmax): an exported model writes those as separate
nodes where a spec may fuse them (`activation: relu`) or leave them implicit (a dense
layer flattens its input). Names are shown but never required to agree.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from cnncalc.core.report import LayerRow, Report
from cnncalc.core.walk import analyze
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
class MatchResult:
    """The comparison of a spec with a model: per layer, and the totals that a budget checks."""

    spec: Report
    model: Report
    layers: tuple[LayerMatch, ...]

    def totals(self) -> dict[str, tuple[Any, Any]]:
        s, m = self.spec, self.model
        return {
            "input_shape": (s.input_shape, m.input_shape),
            "output_shape": (s.rows[-1].output_shape, m.rows[-1].output_shape),
            "params": (s.totals.params, m.totals.params),
            "trainable_params": (s.totals.trainable_params, m.totals.trainable_params),
            "macs": (s.totals.macs, m.totals.macs),
        }

    @property
    def ok(self) -> bool:
        return all(not layer.problems for layer in self.layers) and all(a == b for a, b in self.totals().values())

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.ok,
            "spec": self.spec.name,
            "model": self.model.name,
            "totals": {
                key: {"spec": _plain(a), "model": _plain(b), "equal": a == b} for key, (a, b) in self.totals().items()
            },
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
                }
                for layer in self.layers
            ],
        }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _side(name: str, shape: tuple[int, ...] | None, params: int | None) -> dict[str, Any]:
    return {"name": name, "output_shape": list(shape or ()), "params": params}


def _counted(report: Report) -> list[LayerRow]:
    """The rows compared: not the transparent kinds, nor a concat that only feeds another concat
    (an exporter may merge nested concatenations into one; the channels are the same)."""
    readers: dict[str, list[str]] = {}
    for row in report.rows:
        for name in row.inputs:
            readers.setdefault(name, []).append(row.kind)
    transparent = transparent_kinds()
    return [
        row
        for row in report.rows[1:]
        if row.kind not in transparent and not (row.kind == "concat" and readers.get(row.name) == ["concat"])
    ]


def _key(row: LayerRow) -> str:
    return _SAME_AS.get(row.kind, row.kind)


def match(spec: Spec, model: Spec) -> MatchResult:
    """Compare `spec` with `model` (usually imported from an ONNX or Keras file)."""
    ours, theirs = analyze(spec), analyze(model)
    a, b = _counted(ours), _counted(theirs)
    matcher = difflib.SequenceMatcher(None, [_key(r) for r in a], [_key(r) for r in b], autojunk=False)
    pairs: list[LayerMatch] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [_pair(a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        pairs += [_pair(a[i], None) for i in range(i1, i2)]
        pairs += [_pair(None, b[j]) for j in range(j1, j2)]
    return MatchResult(ours, theirs, tuple(pairs))


def _shape_of(row: LayerRow) -> tuple[int, ...]:
    """The output shape, a global pool's kept 1x1 axes dropped (PyTorch keeps them, a spec need not)."""
    return row.output_shape[:1] if row.kind.startswith("global_") else row.output_shape


def _pair(s: LayerRow | None, m: LayerRow | None) -> LayerMatch:
    row = s or m
    assert row is not None
    return LayerMatch(
        kind=row.kind,
        spec_name=s.name if s else None,
        model_name=m.name if m else None,
        spec_shape=_shape_of(s) if s else None,
        model_shape=_shape_of(m) if m else None,
        spec_params=s.trainable_params + s.non_trainable_params if s else None,
        model_params=m.trainable_params + m.non_trainable_params if m else None,
    )
