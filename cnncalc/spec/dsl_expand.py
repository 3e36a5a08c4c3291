"""A parsed layer item turned into spec data: defaults left out, fields in YAML's order, repeats expanded.

The last step of the one-line DSL (`cnncalc.spec.dsl`): the parser (`dsl_parser`) reads an item
into a `ParsedLayer` (its fields and the offset of each); here it becomes the plain dicts a YAML
spec gives, `2x conv1:conv3-64` as two layers named conv1_1 and conv1_2, and every path of
every copy is mapped to where it was written, so errors found later still point at the item.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnncalc.errors import Location
from cnncalc.layers import REGISTRY
from cnncalc.spec.dsl_words import is_pool
from cnncalc.spec.model import Path, SourceMap

#: fields in the order a person writes them in YAML
_FIELD_ORDER = (
    "filters", "units", "kernel", "stride", "padding", "dilation", "groups", "multiplier", "output_padding",
    "ceil_mode", "keepdims", "rate", "size", "alpha", "beta", "k", "affine", "epsilon", "negative_slope",
    "bias", "activation",
)  # fmt: skip


@dataclass
class ParsedLayer:
    """One parsed layer item before it is expanded: its fields and where each was written."""

    kind: str
    name: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    #: path below ("layers", i) -> offset in the string
    where: dict[Path, int] = field(default_factory=dict)


def drop_defaults(layer: ParsedLayer) -> None:
    """Leave out what equals the kind's default, so the YAML says only what matters."""
    model = REGISTRY[layer.kind]
    for name in list(layer.fields):
        pool = is_pool(layer.kind)
        if name == "padding" and not pool:
            continue  # the DSL's conv default differs from the spec's: always say it
        value = layer.fields[name]
        default = layer.fields.get("kernel", 2) if name == "stride" and pool else None
        if default is None:
            default = model.model_fields[name].default
        if type(value) is type(default) and value == default:
            del layer.fields[name]


def expand(
    layer: ParsedLayer,
    repeat: int,
    start: int,
    layers: list[dict[str, Any]],
    loc: Callable[[int], Location],
    source_map: SourceMap,
) -> None:
    """Append the layer `repeat` times, numbering a repeated name, and map every path
    (`start`: where its item begins; `loc`: an offset's location)."""
    order = sorted(layer.fields, key=lambda n: _FIELD_ORDER.index(n) if n in _FIELD_ORDER else len(_FIELD_ORDER))
    fields = {name: layer.fields[name] for name in order}
    item_loc = loc(start)
    where = {path: loc(offset) for path, offset in layer.where.items()}
    for r in range(repeat):
        i = len(layers)
        data: dict[str, Any] = {"kind": layer.kind}
        if layer.name is not None:
            data["name"] = _numbered(layer.name, r + 1) if repeat > 1 else layer.name
        data.update(copy.deepcopy(fields))  # no shared lists: the YAML would get anchors
        layers.append(data)
        source_map.values[("layers", i)] = item_loc
        for path, location in where.items():
            source_map.values[("layers", i, *path)] = location
            if len(path) == 1:
                source_map.keys[("layers", i, *path)] = location


def _numbered(name: str, n: int) -> str:
    """conv1 -> conv1_1 (Caffe's VGG names); block1_conv -> block1_conv1 (Keras's)."""
    return f"{name}_{n}" if name[-1:].isdigit() else f"{name}{n}"


__all__ = ["ParsedLayer", "drop_defaults", "expand"]
