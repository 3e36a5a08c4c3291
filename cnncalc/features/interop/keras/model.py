"""The Keras import's entry points, and the walk over a model's layers.

`keras_to_spec_data` reads a file (archive.py), `keras_config_to_spec_data` a parsed config:
its shape is checked (config.py), then a Sequential model's layers are imported in order and a
Functional model's calls once their inputs exist; a model used as a layer is imported in its
place. A layer Keras freezes (`trainable=False`, or inside a frozen model) is written
`trainable: false` when it has weights, so that the split of the params is Keras's.
"""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any

from cnncalc.features.interop.common import InteropError, check_model_file, clean_name
from cnncalc.features.interop.keras.archive import HINT_FILE, read_config
from cnncalc.features.interop.keras.config import (
    HINT_FIELD,
    Fields,
    check_nesting,
    count_layers,
    input_layer_name,
    layer_calls,
    layer_entry,
    output_layer_name,
    show,
    type_name,
)
from cnncalc.features.interop.keras.kinds import MODEL_CLASSES, OPERATIONS, learns
from cnncalc.features.interop.keras.state import Call, Padding, Scope
from cnncalc.features.interop.keras.translate import Translation


def keras_to_spec_data(path: Path) -> dict[str, Any]:
    """The spec of a Keras model file (.keras zip, or a model.to_json() file) as plain data."""
    check_model_file(path, "a Keras model")
    return keras_config_to_spec_data(read_config(path), path.stem)


def keras_config_to_spec_data(model: dict[str, Any], default_name: str = "") -> dict[str, Any]:
    """The spec of a Keras model config (the dict of json.loads(model.to_json()))."""
    if not isinstance(model, dict) or not isinstance(model.get("config"), dict):
        raise InteropError.single("not a Keras model config (no class_name and config)", hint=HINT_FILE)
    check_nesting(model)
    kind = model.get("class_name")
    config = model["config"]
    count_layers(config)
    given = config.get("name", "")
    if not isinstance(given, str):
        raise InteropError.single(f"the Keras model's 'name' is {show(given)}; expected text", hint=HINT_FIELD)
    name = clean_name(given) or clean_name(default_name) or "network"
    importer = Importer(name)
    top = Scope(frozen=config.get("trainable") is False)  # model.trainable = False
    if kind == "Sequential":
        importer.sequential(config, top)
    elif kind in ("Functional", "Model"):
        importer.functional(config, top)
    else:
        raise InteropError.single(f"a Keras {show(kind)} model: only Sequential and Functional models import")
    return importer.result()


#: what a layer's handling may raise on a config no check foresaw: a backstop that names the layer
_SLIPS = (KeyError, TypeError, ValueError, IndexError, AttributeError)

#: the scope of the model's own layers: no prefix, not frozen (a default shared by every call, as Scope is frozen)
_OUTERMOST = Scope()


class Importer(Translation):
    """One import: a model's layers walked, each call translated in turn."""

    def result(self) -> dict[str, Any]:
        for tensor, padding in list(self.pads.items()):  # a model's output padded: the padding is a layer
            if not padding.read and tensor in self.pads:
                self.write_padding(tensor)
        if self.input is None:
            raise InteropError.single("the Keras model has no input shape", hint="build it with keras.Input(shape)")
        if not self.writer.layers:
            raise InteropError.single("the Keras model has no layer cnncalc can count")
        if self.channels_first:  # Keras wrote the input shape channels first too
            self.input["input"]["layout"] = "chw"
        return {
            "name": self.name,
            "description": "imported from a Keras model config",
            **self.input,
            "layers": self.writer.layers,
        }

    @staticmethod
    def layer_list(config: dict[str, Any]) -> list[Any]:
        layers = config.get("layers", [])
        if not isinstance(layers, list):
            raise InteropError.single(
                f"the Keras model's 'layers' is {type_name(layers)}; expected a list", hint=HINT_FIELD
            )
        return layers

    def sequential(self, config: dict[str, Any], scope: Scope = _OUTERMOST, source: str | None = None) -> str:
        """Import a Sequential model's layers in order; nested (`source` given), return its output tensor."""
        previous = source or "input_tensor"
        for index, item in enumerate(self.layer_list(config)):
            cls, name, layer_config = layer_entry(item, index, need_name=False)
            if source is None and (index == 0 or self.input is None):
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                shape = shape or config.get("build_input_shape")
                if shape is not None and self.input is None:
                    where = f"Keras layer '{name}' ({cls})"
                    self.set_input(previous, shape, where, layer_config.get("data_format"))
            if cls == "InputLayer":
                continue
            if self.input is None:
                raise InteropError.single("the Sequential model has no input shape", hint="start it with keras.Input")
            out = f"{scope.tensors}{name}:{index}"
            self.layer(Call(Fields(cls, name, layer_config), [previous], out, scope=scope))
            previous = out
        return previous

    def functional(self, config: dict[str, Any], scope: Scope = _OUTERMOST, source: str | None = None) -> str:
        """Import a Functional model's calls; nested (`source` given), return its output tensor."""
        layers = self.layer_list(config)
        input_name = input_layer_name(config)
        calls: list[Call] = []
        names: set[str] = set()
        for index, item in enumerate(layers):
            cls, name, layer_config = layer_entry(item, index, need_name=True)
            if name in names:
                raise InteropError.single(f"two layers of the Keras model are named '{name}'", hint=HINT_FIELD)
            names.add(name)
            if cls == "InputLayer":
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                if name != input_name or shape is None:
                    raise InteropError.single(f"input layer '{name}' is not the model's one input with a shape")
                if source is None:
                    self.set_input(f"{name}:0:0", shape, f"Keras layer '{name}' ({cls})")
                else:
                    self.same(f"{scope.tensors}{name}:0:0", source)
                continue
            fields = Fields(cls, name, layer_config)
            for call, (sources, numbers) in enumerate(layer_calls(item, name)):
                inputs = [f"{scope.tensors}{n}:{i}:{t}" for n, i, t in sources]
                calls.append(Call(fields, inputs, f"{scope.tensors}{name}:{call}:0", numbers, call, scope))
        self.run(calls)
        if source is None:
            return ""
        name, call, tensor = output_layer_name(config)
        out = f"{scope.tensors}{name}:{call}:{tensor}"
        if out not in self.writer.tensors:
            raise InteropError.single(f"the nested Keras model's output {name} is made by no layer", hint=HINT_FIELD)
        return out

    def run(self, calls: list[Call]) -> None:
        """Import each call once its inputs exist, in the order of the list where the graph allows.

        A layer called twice is listed once, its second call maybe reading later layers. Each
        call counts the inputs it still waits for, and each tensor lists the calls waiting for
        it; a heap of the ready calls' positions hands out the earliest first, so the order is
        the list's wherever it can be, and the whole walk is linear (but for the heap's log).
        """
        waiting: dict[str, list[int]] = {}
        missing: list[int] = []
        ready: list[int] = []
        for position, item in enumerate(calls):
            absent = {t for t in item.inputs if t not in self.writer.tensors}
            missing.append(len(absent))
            for tensor in absent:
                waiting.setdefault(tensor, []).append(position)
            if not absent:
                ready.append(position)
        heapq.heapify(ready)
        done = 0
        while ready:
            position = heapq.heappop(ready)
            self.layer(calls[position])
            done += 1
            for waiter in waiting.pop(calls[position].out, []):
                missing[waiter] -= 1
                if missing[waiter] == 0:
                    heapq.heappush(ready, waiter)
        if done < len(calls):
            stuck = calls[next(p for p, count in enumerate(missing) if count)]
            absent_tensor = next(t for t in stuck.inputs if t not in self.writer.tensors)
            raise InteropError.single(f"layer '{stuck.fields.name}' reads {absent_tensor}, which no layer makes")

    def layer(self, item: Call) -> None:
        """Import one call of a layer; whatever slipped past the field checks still names the layer."""
        fields = item.fields
        if not item.inputs:
            raise InteropError.single(f"Keras layer '{fields.name}' ({fields.cls}): a call that reads no tensor")
        try:
            self.convert_call(item)
        except _SLIPS as e:
            raise InteropError.single(
                f"Keras layer '{fields.name}' ({fields.cls}): a config cnncalc cannot read ({type(e).__name__})",
                hint=HINT_FIELD,
            ) from None

    def convert_call(self, item: Call) -> None:
        fields, inputs, out = item.fields, item.inputs, item.out
        cls, name = fields.cls, fields.name
        data_format = fields.get("data_format", None)
        if data_format not in (None, "channels_last", "channels_first"):
            raise fields.error("data_format", data_format, "'channels_last' or 'channels_first'")
        if data_format == "channels_first":
            self.channels_first = True
        rank = self.rank[inputs[0]]
        base = cls.rstrip("D").rstrip("123") if cls[-2:] in ("1D", "2D", "3D") else cls
        if base == "Cropping":
            self.cropping(item, rank)
            return
        if base not in ("Conv", "MaxPooling", "AveragePooling", "DepthwiseConv", "SeparableConv"):
            for tensor in inputs:  # a layer without padding of its own reads the padded map as it is
                if tensor in self.pads:
                    self.write_padding(tensor)
        if cls in MODEL_CLASSES:
            self.nested(item)
            return
        owner = f"{item.scope.owners}{name}"
        if cls in OPERATIONS or cls in ("CustomScaleLayer", "Rescaling", "Reshape"):
            specs, out_rank = self.operation(item, rank)
        else:
            spec, out_rank = self.convert(fields, base, inputs, rank)
            specs = [] if spec is None else [spec]
        if not specs:  # the identity: linear activation, a padding folded into the next layer
            self.same(out, inputs[0])
            if base == "ZeroPadding":
                self.pads[out] = Padding(inputs[0], self.zero_padding(fields, rank), name, f"{owner}#1")
            return
        if item.scope.frozen or not fields.flag("trainable", True):
            for spec in filter(learns, specs):  # Keras counts all of a frozen layer's weights as non-trainable
                spec["trainable"] = False
        source = inputs
        for step, spec in enumerate(specs, 1):  # a layer written as several: the last one carries its name
            last = step == len(specs)
            made = out if last else f"{out}#{step}"
            wanted = name if last else f"{name}_{spec['kind']}"
            reads = [source[0] if r is None else r for r in spec.pop("reads", [])]
            merge = spec["kind"] in ("add", "multiply", "concat")
            self.add(spec, reads or (source if merge else source[:1]), made, wanted, f"{owner}#{step}")
            self.rank[made] = out_rank
            source = [made]

    def nested(self, item: Call) -> None:
        """A model called as a layer: its layers imported in its place, reading the call's input."""
        fields = item.fields
        if len(item.inputs) != 1:
            raise self.unsupported(fields.cls, fields.name, f"a nested model called on {len(item.inputs)} inputs")
        scope = item.scope.inner(fields.name, item.call, not fields.flag("trainable", True))
        if fields.cls == "Sequential":
            made = self.sequential(fields.config, scope, item.inputs[0])
        else:
            made = self.functional(fields.config, scope, item.inputs[0])
        self.same(item.out, made)
