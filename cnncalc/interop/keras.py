"""Keras in, without Keras: a model's JSON config (a .keras zip's config.json, or model.to_json())
as a cnncalc spec (plain data, as a YAML file would hold).

The config says everything cnncalc counts: layer classes, hyper-parameters and, for a
Functional model, which layer reads which. Both Keras 3 (`inbound_nodes` of `args` with
`keras_history`) and Keras 2 (nested lists) are read. Shapes are channels last, as Keras
writes them; a Dense layer must read a vector (Keras applies it per position otherwise).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from cnncalc.interop.common import InteropError, SpecWriter, check_model_file, clean_name, unsupported

MAX_CONFIG_BYTES = 64 * 1024 * 1024

#: Keras activation names -> cnncalc kinds (None: the identity)
ACTIVATIONS: dict[str, str | None] = {
    "linear": None,
    "relu": "relu",
    "relu6": "relu6",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "swish": "swish",
    "silu": "swish",
    "hard_swish": "hard_swish",
    "hard_silu": "hard_swish",
    "hard_sigmoid": "hard_sigmoid",
    "softplus": "softplus",
}

SUPPORTED_LAYERS: tuple[str, ...] = (
    "InputLayer",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "Conv2DTranspose",
    "MaxPooling1D/2D/3D",
    "AveragePooling1D/2D/3D",
    "GlobalAveragePooling1D/2D/3D",
    "GlobalMaxPooling1D/2D/3D",
    "Dense",
    "Flatten",
    "BatchNormalization",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "Softmax",
    "Dropout",
    "Add",
    "Multiply",
    "Concatenate",
    "ZeroPadding1D/2D/3D",
    "UpSampling1D/2D/3D",
)


def keras_to_spec_data(path: Path) -> dict[str, Any]:
    """The spec of a Keras model file (.keras zip, or a model.to_json() file) as plain data."""
    check_model_file(path, "a Keras model")
    return keras_config_to_spec_data(_read_config(path), path.stem)


def looks_like_keras_json(path: Path) -> bool:
    """A readable JSON file whose top level is a Keras model config (not, say, a spec in JSON)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return False
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    return isinstance(data, dict) and "class_name" in data and isinstance(data.get("config"), dict)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise InteropError.single(f"{path}: a zip without config.json, not a .keras model") from None
                if info.file_size > MAX_CONFIG_BYTES:
                    raise InteropError.single(f"{path}: config.json is {info.file_size:,} bytes; too large")
                text = archive.read(info).decode("utf-8")
        else:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                raise InteropError.single(f"{path}: {path.stat().st_size:,} bytes; too large for a model config")
            text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InteropError.single(
            f"{path}: not a readable Keras model ({type(e).__name__})",
            hint="save the model with model.save('model.keras'), or write model.to_json() to a file",
        ) from None
    if not isinstance(data, dict) or "class_name" not in data or not isinstance(data.get("config"), dict):
        raise InteropError.single(f"{path}: not a Keras model config (no class_name and config)")
    return data


def keras_config_to_spec_data(model: dict[str, Any], default_name: str = "") -> dict[str, Any]:
    """The spec of a Keras model config (the dict of json.loads(model.to_json()))."""
    kind = model.get("class_name")
    config = model["config"]
    name = clean_name(str(config.get("name", ""))) or clean_name(default_name) or "network"
    importer = _Importer(name)
    if kind == "Sequential":
        importer.sequential(config)
    elif kind in ("Functional", "Model"):
        importer.functional(config)
    else:
        raise InteropError.single(f"a Keras {kind} model: only Sequential and Functional models import")
    return importer.result()


def _tensors(value: Any) -> list[tuple[str, int, int]]:
    """Every tensor a Keras 3 call reads: the keras_history of each __keras_tensor__ in its args."""
    found: list[tuple[str, int, int]] = []
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            found.append((str(history[0]), int(history[1]), int(history[2])))
        else:
            for item in value.values():
                found += _tensors(item)
    elif isinstance(value, list):
        for item in value:
            found += _tensors(item)
    return found


def _calls(layer: dict[str, Any]) -> list[list[tuple[str, int, int]]]:
    """The inputs of each call of a Functional model's layer, Keras 3 or Keras 2 format."""
    calls: list[list[tuple[str, int, int]]] = []
    for node in layer.get("inbound_nodes", []):
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            calls.append(_tensors(node.get("args", [])))
        else:  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            calls.append([(str(t[0]), int(t[1]), int(t[2])) for t in node])
    return calls


def _per_axis(value: Any, ndim: int) -> list[int]:
    return [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)] * ndim


def _one(values: list[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else values


class _Importer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.writer = SpecWriter()
        self.input: dict[str, Any] | None = None
        self.rank: dict[str, int] = {}  # tensor -> spatial axes (0 for a vector)
        self.pads: dict[str, list[list[int]]] = {}  # output of ZeroPadding -> [before, after] per axis
        self.owners: dict[str, str] = {}  # Keras layer -> cnncalc layer of its first call
        self.channels_first = False

    def result(self) -> dict[str, Any]:
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

    # --- model structure ------------------------------------------------------------------

    def set_input(self, tensor: str, batch_shape: list[Any], data_format: str | None = None) -> None:
        dims = batch_shape[1:]
        if not dims or not all(isinstance(d, int) and d > 0 for d in dims):
            raise InteropError.single(
                f"input shape {batch_shape}: cnncalc needs every size but the batch",
                hint="build the model with a fixed input shape, e.g. keras.Input((224, 224, 3))",
            )
        if len(dims) > 4:
            raise InteropError.single(f"input shape {batch_shape}: at most 4 axes after the batch")
        layout = "chw" if data_format == "channels_first" else "hwc"
        self.input = {"input": {"shape": dims, "layout": layout}}
        self.writer.tensors[tensor] = "input"
        self.rank[tensor] = len(dims) - 1

    def sequential(self, config: dict[str, Any]) -> None:
        layers = config.get("layers", [])
        previous = "input_tensor"
        for index, layer in enumerate(layers):
            cls, layer_config = layer.get("class_name"), layer.get("config", {})
            if index == 0 or self.input is None:
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                shape = shape or config.get("build_input_shape")
                if shape is not None and self.input is None:
                    self.set_input(previous, list(shape), layer_config.get("data_format"))
            if cls == "InputLayer":
                continue
            if self.input is None:
                raise InteropError.single("the Sequential model has no input shape", hint="start it with keras.Input")
            out = f"{layer_config.get('name', cls)}:{index}"
            self.layer(layer, [previous], out)
            previous = out

    def functional(self, config: dict[str, Any]) -> None:
        inputs = config.get("input_layers", [])
        if isinstance(inputs, list) and inputs and isinstance(inputs[0], str):
            inputs = [inputs]  # one input, written without the outer list
        if len(inputs) != 1:
            raise InteropError.single(f"the Keras model has {len(inputs)} inputs; a cnncalc spec has one")
        pending: list[tuple[dict[str, Any], list[str], str]] = []
        for layer in config.get("layers", []):
            cls, layer_config = layer.get("class_name"), layer.get("config", {})
            name = str(layer.get("name") or layer_config.get("name"))
            if cls == "InputLayer":
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                if name != inputs[0][0] or shape is None:
                    raise InteropError.single(f"input layer '{name}' is not the model's one input with a shape")
                self.set_input(f"{name}:0:0", list(shape))
                continue
            for call, sources in enumerate(_calls(layer)):
                pending.append((layer, [f"{n}:{i}:{t}" for n, i, t in sources], f"{name}:{call}:0"))
        # a layer called twice is listed once, its second call maybe reading later layers: run
        # each call once its inputs exist (the order of the list where the graph allows)
        while pending:
            ready = [p for p in pending if all(t in self.writer.tensors for t in p[1])]
            if not ready:
                layer, tensors, out = pending[0]
                missing = next(t for t in tensors if t not in self.writer.tensors)
                raise InteropError.single(f"layer '{out.split(':')[0]}' reads {missing}, which no layer makes")
            layer, tensors, out = ready[0]
            pending.remove(ready[0])
            self.layer(layer, tensors, out)

    # --- layers ---------------------------------------------------------------------------

    def unsupported(self, cls: str, name: str, why: str = "") -> InteropError:
        return unsupported(cls, name, self.writer, ", ".join(SUPPORTED_LAYERS), why)

    def add(self, layer: dict[str, Any], inputs: list[str], out: str, wanted: str, keras_name: str) -> None:
        entry = self.writer.add(layer, inputs, [out], wanted)
        if keras_name in self.owners and layer["kind"] not in _NO_WEIGHTS:
            entry["shares"] = self.owners[keras_name]
        self.owners.setdefault(keras_name, entry["name"])

    def layer(self, layer: dict[str, Any], inputs: list[str], out: str) -> None:
        cls = str(layer.get("class_name"))
        config = layer.get("config", {})
        name = str(config.get("name") or layer.get("name") or cls)
        if config.get("data_format") == "channels_first":
            self.channels_first = True
        rank = self.rank[inputs[0]]
        padded = [t for t in inputs if t in self.pads]
        base = cls.rstrip("D").rstrip("123") if cls[-2:] in ("1D", "2D", "3D") else cls
        if padded and base not in ("Conv", "MaxPooling", "AveragePooling", "DepthwiseConv", "SeparableConv"):
            raise self.unsupported(cls, name, "it reads a ZeroPadding output (only a conv or pooling may)")
        if base in ("Model", "Sequential", "Functional"):
            raise self.unsupported(cls, name, "a model nested in a model")
        spec, out_rank = self.convert(cls, base, name, config, inputs, rank)
        if spec is None:  # the identity: linear activation, a padding folded into the next layer
            self.writer.alias(out, inputs[0])
            self.rank[out] = rank
            if base == "ZeroPadding":
                self.pads[out] = self.zero_padding(config, rank)
            return
        self.add(spec, inputs if spec["kind"] in ("add", "multiply", "concat") else inputs[:1], out, name, name)
        self.rank[out] = out_rank

    def zero_padding(self, config: dict[str, Any], rank: int) -> list[list[int]]:
        padding = config.get("padding", 1)
        if isinstance(padding, int):
            return [[padding, padding]] * rank
        pairs: list[list[int]] = []
        for p in padding:
            pairs.append([int(p), int(p)] if isinstance(p, int) else [int(p[0]), int(p[1])])
        return pairs

    def window(
        self, cls: str, name: str, config: dict[str, Any], source: str, rank: int, kernel_key: str
    ) -> dict[str, Any]:
        """kernel, stride, padding and dilation of a conv or pooling, with a ZeroPadding before folded in."""
        kernel = _per_axis(config[kernel_key], rank)
        stride_value = config.get("strides")
        if stride_value is None:  # a pooling's stride defaults to its window, a conv's to 1
            stride_value = config[kernel_key] if kernel_key == "pool_size" else 1
        strides = _per_axis(stride_value, rank)
        padding_mode = str(config.get("padding", "valid")).lower()
        result: dict[str, Any] = {"kernel": _one(kernel), "stride": _one(strides)}
        extra = self.pads.get(source)
        if padding_mode == "same":
            if extra:
                raise self.unsupported(cls, name, "ZeroPadding before a layer with padding='same'")
            result["padding"] = "same"
        elif padding_mode != "valid":
            raise self.unsupported(cls, name, f"padding='{padding_mode}'")
        elif extra:
            result["padding"] = (
                extra[0][0] if all(p == extra[0] for p in extra) and extra[0][0] == extra[0][1] else extra
            )
        dilation = _per_axis(config.get("dilation_rate", 1), rank)
        if any(d != 1 for d in dilation):
            result["dilation"] = _one(dilation)
        return result

    def convert(
        self, cls: str, base: str, name: str, config: dict[str, Any], inputs: list[str], rank: int
    ) -> tuple[dict[str, Any] | None, int]:
        """(cnncalc layer, spatial axes of its output), or (None, rank) for the identity."""
        source = inputs[0]
        activation = self.activation(cls, name, config.get("activation"))
        fused = {"activation": activation} if activation else {}
        bias = {} if config.get("use_bias", True) else {"bias": False}
        if base in ("Conv", "DepthwiseConv", "SeparableConv", "MaxPooling", "AveragePooling") and rank == 0:
            raise self.unsupported(cls, name, "it reads a vector (no spatial axes)")
        if base == "Conv" and cls != "Conv2DTranspose":
            layer = {"kind": "conv", "filters": int(config["filters"])}
            layer.update(self.window(cls, name, config, source, rank, "kernel_size"))
            if int(config.get("groups", 1)) != 1:
                layer["groups"] = int(config["groups"])
            return {**layer, **bias, **fused}, rank
        if cls in ("Conv2DTranspose", "Conv1DTranspose", "Conv3DTranspose"):
            return self.transposed(cls, name, config, source, rank, bias, fused), rank
        if base == "DepthwiseConv":
            layer = {"kind": "depthwise_conv", "multiplier": int(config.get("depth_multiplier", 1))}
            layer.update(self.window(cls, name, config, source, rank, "kernel_size"))
            return {**layer, **bias, **fused}, rank
        if base == "SeparableConv":
            layer = {"kind": "separable_conv", "filters": int(config["filters"])}
            layer["multiplier"] = int(config.get("depth_multiplier", 1))
            layer.update(self.window(cls, name, config, source, rank, "kernel_size"))
            return {**layer, **bias, **fused}, rank
        if base in ("MaxPooling", "AveragePooling"):
            kind = "max_pool" if base == "MaxPooling" else "avg_pool"
            return {"kind": kind, **self.window(cls, name, config, source, rank, "pool_size")}, rank
        if base in ("GlobalAveragePooling", "GlobalMaxPooling"):
            kind = "global_avg_pool" if base == "GlobalAveragePooling" else "global_max_pool"
            keep = bool(config.get("keepdims", False))
            return ({"kind": kind, "keepdims": True} if keep else {"kind": kind}), rank if keep else 0
        if cls == "Dense":
            if rank != 0:
                raise self.unsupported(cls, name, "Dense on a feature map applies per position; add Flatten first")
            return {"kind": "dense", "units": int(config["units"]), **bias, **fused}, 0
        if cls == "Flatten":
            return ({"kind": "flatten"}, 0) if rank else (None, 0)
        if cls == "BatchNormalization":
            return self.batch_norm(cls, name, config, rank), rank
        if cls == "Activation":
            return ({"kind": activation} if activation else None), rank
        if cls in ("ReLU", "LeakyReLU", "Softmax", "ELU"):
            return self.activation_layer(cls, name, config), rank
        if cls in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"):
            return {"kind": "dropout", "rate": float(config.get("rate", 0.5))}, rank
        if cls in ("Add", "Multiply"):
            return {"kind": cls.lower() if cls == "Add" else "multiply"}, rank
        if cls == "Concatenate":
            axis = int(config.get("axis", -1))
            if not self.is_channel_axis(axis, rank):
                raise self.unsupported(cls, name, f"concatenation along axis {axis} (cnncalc concatenates channels)")
            return {"kind": "concat"}, rank
        if base == "ZeroPadding":
            return None, rank
        if base == "UpSampling":
            layer = {"kind": "upsample", "scale": _one(_per_axis(config.get("size", 2), rank))}
            if config.get("interpolation", "nearest") != "nearest":
                layer["mode"] = "bilinear"
            return layer, rank
        raise self.unsupported(cls, name)

    def transposed(
        self,
        cls: str,
        name: str,
        config: dict[str, Any],
        source: str,
        rank: int,
        bias: dict[str, Any],
        fused: dict[str, Any],
    ) -> dict[str, Any]:
        layer: dict[str, Any] = {"kind": "conv_transpose", "filters": int(config["filters"])}
        window = self.window(cls, name, config, source, rank, "kernel_size")
        layer.update(window)
        kernel = _per_axis(config["kernel_size"], rank)
        strides = _per_axis(config.get("strides") or 1, rank)
        given = config.get("output_padding")
        if given is not None:
            output_padding = _per_axis(given, rank)
        elif window.get("padding") == "same":
            output_padding = [0] * rank
        else:  # Keras 'valid': output n*s + max(k - s, 0); PyTorch's rule needs the difference as output padding
            output_padding = [max(s - k, 0) for k, s in zip(kernel, strides, strict=True)]
        if any(output_padding):
            layer["output_padding"] = _one(output_padding)
        return {**layer, **bias, **fused}

    def batch_norm(self, cls: str, name: str, config: dict[str, Any], rank: int) -> dict[str, Any]:
        axis = config.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if not isinstance(axis, int) or not self.is_channel_axis(axis, rank):
            raise self.unsupported(cls, name, f"normalisation over axis {axis} (cnncalc normalises channels)")
        center, scale = bool(config.get("center", True)), bool(config.get("scale", True))
        if center != scale:
            raise self.unsupported(cls, name, "center and scale differ (cnncalc's batch norm learns both or neither)")
        layer: dict[str, Any] = {"kind": "batch_norm", "epsilon": float(config.get("epsilon", 1e-3))}
        if not center:
            layer["affine"] = False
        return layer

    def is_channel_axis(self, axis: int, rank: int) -> bool:
        """Whether Keras `axis` (counting the batch) is the channels of a tensor with `rank` spatial axes."""
        channel = 1 if self.channels_first or rank == 0 else rank + 1
        return axis == channel or (axis == -1 and channel == rank + 1)

    def activation(self, cls: str, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, dict):  # a serialised activation: {"class_name": ..., "config": {"name": ...}}
            value = value.get("config", {}).get("name") or value.get("class_name")
        key = str(value).lower()
        if key not in ACTIVATIONS:
            raise self.unsupported(cls, name, f"activation '{value}'")
        return ACTIVATIONS[key]

    def activation_layer(self, cls: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
        if cls == "Softmax":
            return {"kind": "softmax"}
        if cls == "ELU":
            return {"kind": "elu"}
        if cls == "LeakyReLU":
            slope = config.get("negative_slope", config.get("alpha", 0.3))
            return {"kind": "leaky_relu", "negative_slope": float(slope)}
        max_value, slope = config.get("max_value"), float(config.get("negative_slope", 0.0) or 0.0)
        if max_value == 6 and not slope:
            return {"kind": "relu6"}
        if max_value is None and slope:
            return {"kind": "leaky_relu", "negative_slope": slope}
        if max_value is None:
            return {"kind": "relu"}
        raise self.unsupported(cls, name, f"ReLU with max_value={max_value}")


#: kinds without weights: a second call of the Keras layer is simply another layer
_NO_WEIGHTS = {"add", "multiply", "concat", "flatten", "dropout", "max_pool", "avg_pool", "upsample"}
