"""A Keras config's shape, checked before any layer is imported, and its fields, read with their types checked.

The nesting and the number of layers (calls and nested models counted) are refused past their
limits before the import walks the config. Every field is then read through `Fields` or the
readers of model structure here (input shape, tensor references, a layer's calls), so that a
wrong value is an error naming the layer and the field, never a crash.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeGuard

from cnncalc.core.graph import MAX_ARGUMENT, MAX_LAYERS
from cnncalc.errors import CnncalcError
from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.keras.kinds import MODEL_CLASSES

HINT_FIELD = "fix the model's config, or build and save the model again with Keras"

#: nesting of JSON objects and lists in a config; a real one nests 11 deep (EfficientNetB7; a
#: nested model adds about 4), and the importer's walks stay far from Python's recursion limit
MAX_CONFIG_DEPTH = 64

#: models nested in models (a Functional or Sequential model used as a layer), counted from the top
MAX_MODEL_DEPTH = 8


def check_nesting(data: Any) -> None:
    """Refuse a config nested deeper than MAX_CONFIG_DEPTH, walked without recursion.

    json.loads reads about 1,000 levels before it gives up; that is too deep for the importer's
    own walks, and no real config is deeper than a few dozen.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise InteropError.single(
                f"the Keras config nests deeper than {MAX_CONFIG_DEPTH} objects and lists", hint=HINT_FIELD
            )
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))


def count_layers(config: dict[str, Any]) -> None:
    """Refuse a model of more layers or calls than a network may have, nested models counted, before importing.

    A layer counts once per call (each call of a Functional model's layer is a cnncalc layer);
    a model used as a layer counts its own layers once per call of it (each call imports them
    again), and may be nested MAX_MODEL_DEPTH deep.
    """
    count = 0
    stack: list[tuple[Any, int, int]] = [(config.get("layers"), 1, 1)]
    while stack and count <= MAX_LAYERS:
        layers, depth, times = stack.pop()
        if depth > MAX_MODEL_DEPTH:
            raise InteropError.single(
                f"the Keras model nests models more than {MAX_MODEL_DEPTH} deep", hint="flatten the nested models"
            )
        if not isinstance(layers, list):
            continue  # a wrong type is reported, with its place, when the layers are read
        for layer in layers:
            nodes = layer.get("inbound_nodes") if isinstance(layer, dict) else None
            calls = times * (max(len(nodes), 1) if isinstance(nodes, list) else 1)
            inner = layer.get("config") if isinstance(layer, dict) else None
            if isinstance(inner, dict) and "layers" in inner and layer.get("class_name") in MODEL_CLASSES:
                stack.append((inner["layers"], depth + 1, calls))
            else:
                count += calls
        if count > MAX_LAYERS:
            raise InteropError.single(
                f"the Keras model has more than {MAX_LAYERS:,} layers (calls and nested models counted); "
                f"a network is limited to {MAX_LAYERS:,}",
                hint="import a part of the model",
            )


def show(value: Any) -> str:
    """A value from the config as its JSON reads, clipped: for messages, whatever its size."""
    try:
        text = json.dumps(value, allow_nan=True, default=repr)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def type_name(value: Any) -> str:
    """The JSON name of a value's type, for messages: an object, a list, text, a number, ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return show(value)


class _Required:
    """The default of a field that must be given."""


REQUIRED = _Required()


class Fields:
    """One Keras layer's config, read field by field with its type and range checked.

    A value of the wrong type or out of range is an InteropError naming the layer, its class
    and the field, so a hostile or broken config never reaches int() or a dict lookup that
    would fail as a crash.
    """

    def __init__(self, cls: str, name: str, config: dict[str, Any]) -> None:
        self.cls = cls
        self.name = name
        self.config = config

    def error(self, key: str, value: Any, expected: str) -> CnncalcError:
        return InteropError.single(
            f"Keras layer '{self.name}' ({self.cls}): '{key}' is {type_name(value)}; expected {expected}",
            hint=HINT_FIELD,
        )

    def get(self, key: str, default: Any = REQUIRED) -> Any:
        """The raw value of `key`; `default` when absent (an error if none is given)."""
        if key in self.config:
            return self.config[key]
        if isinstance(default, _Required):
            raise InteropError.single(f"Keras layer '{self.name}' ({self.cls}): no '{key}'", hint=HINT_FIELD)
        return default

    def whole(self, key: str, value: Any, minimum: int = 1, maximum: int = MAX_ARGUMENT) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(key, value, f"a whole number from {minimum:,} to {maximum:,}")
        return value

    def integer(self, key: str, default: Any = REQUIRED, minimum: int = 1) -> int:
        return self.whole(key, self.get(key, default), minimum)

    def per_axis(self, key: str, value: Any, rank: int, minimum: int = 1) -> list[int]:
        """One whole number per spatial axis: a list of `rank`, or one number for all."""
        if isinstance(value, list):
            if len(value) != rank:
                raise self.error(key, value, f"{rank} whole number(s), one per spatial axis")
            return [self.whole(key, v, minimum) for v in value]
        return [self.whole(key, value, minimum)] * rank

    def integers(self, key: str, rank: int, default: Any = REQUIRED, minimum: int = 1) -> list[int]:
        return self.per_axis(key, self.get(key, default), rank, minimum)

    def number(self, key: str, default: Any = REQUIRED, low: float = -math.inf, high: float = math.inf) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.error(key, value, f"a number from {low:g} to {high:g}")
        number = float(value)
        if not math.isfinite(number):
            raise self.error(key, value, "a finite number")
        return number

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, value, "true or false")
        return value

    def text(self, key: str, default: Any = REQUIRED) -> str:
        value = self.get(key, default)
        if not isinstance(value, str):
            raise self.error(key, value, "text")
        return value


def is_number(value: Any) -> TypeGuard[int | float]:
    """A finite number of the config that float() takes (not a bool, not an integer past 2**53)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) <= 2**53 if isinstance(value, int) else math.isfinite(value)


def input_dims(value: Any, where: str) -> list[int]:
    """A Keras batch shape [None, d1, ...] as the sizes after the batch, each a positive whole number."""
    if not isinstance(value, list) or len(value) < 2:
        raise InteropError.single(
            f"{where}: the input shape is {type_name(value)}; expected a list [batch, size, ...]",
            hint="build the model with a fixed input shape, e.g. keras.Input((224, 224, 3))",
        )
    dims = value[1:]
    if len(dims) > 4:
        raise InteropError.single(f"input shape {show(value)}: at most 4 axes after the batch")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise InteropError.single(
            f"input shape {show(value)}: cnncalc needs every size but the batch",
            hint="build the model with a fixed input shape, e.g. keras.Input((224, 224, 3))",
        )
    if any(d > MAX_ARGUMENT for d in dims):
        raise InteropError.single(f"input shape {show(value)}: a size is larger than {MAX_ARGUMENT:,}")
    return list(dims)


def reference(value: Any, where: str) -> tuple[str, int, int]:
    """(layer, call, output) of a Keras tensor reference: [name, node_index, tensor_index, ...]."""
    if (
        isinstance(value, list)
        and len(value) >= 3
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_ARGUMENT for v in value[1:3])
    ):
        return value[0], value[1], value[2]
    raise InteropError.single(
        f"{where}: a tensor reference is {show(value)}; expected [layer name, call index, output index]",
        hint=HINT_FIELD,
    )


def _tensors(value: Any, where: str) -> list[tuple[str, int, int]]:
    """Every tensor a Keras 3 call reads: the keras_history of each __keras_tensor__ in its args.

    Walked with a stack, in order, so that no nesting reaches Python's recursion limit.
    """
    found: list[tuple[str, int, int]] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "__keras_tensor__":
                config = item.get("config")
                history = config.get("keras_history") if isinstance(config, dict) else None
                found.append(reference(history, where))
            else:
                stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def layer_calls(layer: dict[str, Any], name: str) -> list[tuple[list[tuple[str, int, int]], list[float]]]:
    """The inputs of each call of a Functional model's layer, Keras 3 or Keras 2 format, each with
    the numbers it is called with: `x + 3.0` is a call of Keras 3's add operation on (x, 3.0), and
    of Keras 2's TFOpLambda on x with {"y": 3.0}."""
    nodes = layer.get("inbound_nodes", [])
    where = f"Keras layer '{name}'"
    if not isinstance(nodes, list):
        raise InteropError.single(f"{where}: 'inbound_nodes' is {type_name(nodes)}; expected a list", hint=HINT_FIELD)
    calls: list[tuple[list[tuple[str, int, int]], list[float]]] = []
    for node in nodes:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            args = node.get("args", [])
            numbers = [float(a) for a in args if is_number(a)] if isinstance(args, list) else []
            calls.append((_tensors(args, where), numbers))
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            extra = [t[3].get("y") for t in node if isinstance(t, list) and len(t) > 3 and isinstance(t[3], dict)]
            calls.append(([reference(t, where) for t in node], [float(y) for y in extra if is_number(y)]))
        else:
            raise InteropError.single(
                f"{where}: a node of 'inbound_nodes' is {type_name(node)}; expected an object or a list",
                hint=HINT_FIELD,
            )
    return calls


def input_layer_name(config: dict[str, Any]) -> str:
    """The name of a Functional model's one input layer: input_layers [[name, 0, 0]] or [name, 0, 0]."""
    inputs = config.get("input_layers", [])
    if isinstance(inputs, list) and inputs and isinstance(inputs[0], str):
        inputs = [inputs]  # one input, written without the outer list
    if not isinstance(inputs, list):
        raise InteropError.single(
            f"the Keras model's 'input_layers' is {type_name(inputs)}; expected a list", hint=HINT_FIELD
        )
    if len(inputs) != 1:
        raise InteropError.single(f"the Keras model has {len(inputs)} inputs; a cnncalc spec has one")
    return reference(inputs[0], "the Keras model's 'input_layers'")[0]


def output_layer_name(config: dict[str, Any]) -> tuple[str, int, int]:
    """The one output of a Functional model used as a layer: output_layers [[name, 0, 0]] or [name, 0, 0]."""
    outputs = config.get("output_layers", [])
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], str):
        outputs = [outputs]
    if not isinstance(outputs, list) or len(outputs) != 1:
        shown = f"{len(outputs)} outputs" if isinstance(outputs, list) else f"'output_layers' {type_name(outputs)}"
        raise InteropError.single(f"a nested Keras model has {shown}; one is imported", hint=HINT_FIELD)
    return reference(outputs[0], "the nested Keras model's 'output_layers'")


def layer_entry(layer: Any, index: int, need_name: bool) -> tuple[str, str, dict[str, Any]]:
    """(class, name, config) of the model's layer `index`, each of the right type.

    The name is the layer's own (Keras 2 Functional), else its config's; a Functional model
    connects layers by name, so there it must be given, while a Sequential layer may go without.
    """
    where = f"layer {index} of the Keras model"
    if not isinstance(layer, dict):
        raise InteropError.single(f"{where} is {type_name(layer)}; expected an object", hint=HINT_FIELD)
    cls = layer.get("class_name")
    if not isinstance(cls, str) or not cls:
        shown = "no class_name" if cls is None else f"class_name {show(cls)}"
        raise InteropError.single(f"{where} has {shown}; expected the layer class as text", hint=HINT_FIELD)
    config = layer.get("config", {})
    if not isinstance(config, dict):
        raise InteropError.single(
            f"{where} ({cls}): 'config' is {type_name(config)}; expected an object", hint=HINT_FIELD
        )
    name = layer.get("name") or config.get("name")
    if name is None and not need_name:
        name = cls
    if not isinstance(name, str) or not name:
        raise InteropError.single(f"{where} ({cls}): the name is {show(name)}; expected text", hint=HINT_FIELD)
    return cls, name, config


def one_value(values: list[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else values
