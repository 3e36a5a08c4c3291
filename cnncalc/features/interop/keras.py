"""Keras in, without Keras: a model's JSON config (a .keras zip's config.json, or model.to_json())
as a cnncalc spec (plain data, as a YAML file would hold).

The config says everything cnncalc counts: layer classes, hyper-parameters and, for a
Functional model, which layer reads which. Both Keras 3 (`inbound_nodes` of `args` with
`keras_history`) and Keras 2 (nested lists) are read. Shapes are channels last, as Keras
writes them; a Dense layer must read a vector (Keras applies it per position otherwise).

A model file is untrusted input: the archive's directory, its entries' declared sizes and
config.json's compression ratio are checked before anything is decompressed, the config's
size before it is parsed, its nesting and its number of layers before any layer is
imported, and every field a layer has is checked for its type and range where it is read,
so that a wrong value is an error naming the layer and the field, never a crash.
"""

from __future__ import annotations

import heapq
import json
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from cnncalc.core.graph import MAX_ARGUMENT, MAX_LAYERS
from cnncalc.errors import CnncalcError
from cnncalc.features.interop.common import InteropError, SpecWriter, check_model_file, clean_name, unsupported
from cnncalc.layers.capabilities import Capabilities
from cnncalc.spec.loader import read_text_file

#: largest config read, as a .json file or as a .keras archive's config.json: the largest real
#: Keras application measured, EfficientNetB7, has a 758,863-byte to_json() (ConvNeXtXLarge:
#: 256,521), and parsing JSON costs about 25x its size in memory, so 8 MiB is a 10x margin
#: that still parses in well under a second
MAX_CONFIG_BYTES = 8 * 1024 * 1024
#: nesting of JSON objects and lists in a config; a real one nests 11 deep (EfficientNetB7; a
#: nested model adds about 4), and the importer's walks stay far from Python's recursion limit
MAX_CONFIG_DEPTH = 64
#: models nested in models (a Functional or Sequential model used as a layer), counted from the top
MAX_MODEL_DEPTH = 8
#: entries of a .keras archive (Keras writes 3: config.json, metadata.json, model.weights.h5)
MAX_ARCHIVE_ENTRIES = 10_000
#: bytes of a .keras archive's central directory, read whole by zipfile before any entry
MAX_ARCHIVE_DIRECTORY_BYTES = 4 * 1024 * 1024
#: declared uncompressed size of all entries of a .keras archive together (the weights
#: included, which cnncalc never reads): 8x the largest model file read
MAX_ARCHIVE_BYTES = 16 * 1024**3
#: compression ratio above which a config.json larger than MIN_RATIO_CHECK_BYTES is refused
#: unread: Keras stores config.json uncompressed (1:1), a very repetitive config deflates about
#: 25:1, a zip bomb (whitespace, or one value repeated) by 1000:1
MAX_CONFIG_RATIO = 100
#: configs smaller than this are read whatever their ratio (a tiny config may compress well)
MIN_RATIO_CHECK_BYTES = 1024 * 1024

HINT_FILE = "save the model with model.save('model.keras'), or write model.to_json() to a file"
HINT_FIELD = "fix the model's config, or build and save the model again with Keras"

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


#: the Keras importer's capability table: each cnncalc kind an import can produce -> the Keras
#: layers it is read from (a layer's `activation:` argument gives the activations too); the
#: kinds it never produces, with the reason
KERAS_KINDS: Capabilities[tuple[str, ...]] = Capabilities(
    feature="the Keras import",
    lacks="layer",
    handlers={
        "conv": ("Conv1D", "Conv2D", "Conv3D"),
        "depthwise_conv": ("DepthwiseConv2D",),
        "separable_conv": ("SeparableConv2D",),
        "conv_transpose": ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"),
        "max_pool": ("MaxPooling1D/2D/3D",),
        "avg_pool": ("AveragePooling1D/2D/3D",),
        "global_avg_pool": ("GlobalAveragePooling1D/2D/3D",),
        "global_max_pool": ("GlobalMaxPooling1D/2D/3D",),
        "dense": ("Dense",),
        "flatten": ("Flatten",),
        "batch_norm": ("BatchNormalization",),
        **{kind: ("Activation",) for kind in ACTIVATIONS.values() if kind is not None},
        "relu": ("Activation", "ReLU"),
        "relu6": ("Activation", "ReLU"),
        "leaky_relu": ("Activation", "LeakyReLU", "ReLU"),
        "elu": ("Activation", "ELU"),
        "softmax": ("Activation", "Softmax"),
        "dropout": ("Dropout", "SpatialDropout1D/2D/3D"),
        "add": ("Add",),
        "multiply": ("Multiply",),
        "concat": ("Concatenate",),
        "upsample": ("UpSampling1D/2D/3D",),
    },
    unsupported={
        "locally_connected": "Keras 3 has no LocallyConnected layers",
        "lrn": "Keras has no local response normalization layer",
        "sum_pool": "Keras has no sum pooling layer",
        "l2_pool": "Keras has no L2 pooling layer",
        "layer_norm": "the Keras importer does not read LayerNormalization yet",
        "scale": "the Keras importer does not read Rescaling or arithmetic with a constant yet",
        "channel_shuffle": "Keras has no channel shuffle layer",
        "channel_slice": "the Keras importer does not read a slice of the channels",
    },
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
        data = json.loads(read_text_file(path, "a Keras model config", MAX_CONFIG_BYTES, InteropError))
    except (CnncalcError, OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "class_name" in data and isinstance(data.get("config"), dict)


def _read_config(path: Path) -> dict[str, Any]:
    """The parsed config of a .keras archive or a .json file, each bound checked before the work it bounds."""
    if zipfile.is_zipfile(path):
        text = _read_archive(path)
    else:
        with path.open("rb") as stream:
            if stream.read(4) == b"PK\x03\x04":  # a zip's first entry, but no directory at the end
                raise InteropError.single(f"{path}: a truncated or damaged zip archive", hint=HINT_FILE)
        text = _read_json_file(path)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise InteropError.single(f"{path}: not a readable Keras model ({type(e).__name__})", hint=HINT_FILE) from None
    if not isinstance(data, dict) or "class_name" not in data or not isinstance(data.get("config"), dict):
        raise InteropError.single(f"{path}: not a Keras model config (no class_name and config)", hint=HINT_FILE)
    return data


def _read_json_file(path: Path) -> str:
    """A model.to_json() file, through the project's one reader of text files (regular files only, bounded)."""
    try:
        return read_text_file(path, "a Keras model config", MAX_CONFIG_BYTES, InteropError)
    except InteropError as e:  # name the file: the reader's location is the path, kept in the message
        raise InteropError.single(f"{path}: {e.diagnostics[0].message}", hint=HINT_FILE) from None


def _directory_size(path: Path) -> tuple[int, int] | None:
    """(entries, bytes) of a zip's central directory, as its end record declares them (Zip64 too).

    zipfile reads and parses the whole directory when it opens an archive, whatever the
    entry count says, so its declared size and count are checked here first; None where no
    end record is found (zipfile then refuses the file itself).
    """
    with path.open("rb") as stream:
        size = stream.seek(0, 2)
        tail_size = min(size, 22 + 0xFFFF + 20)  # end record, longest comment, Zip64 locator
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
        if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # Zip64: the record before says
            (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
            if offset < size:
                stream.seek(offset)
                record = stream.read(56)
                if len(record) == 56 and record[:4] == b"PK\x06\x06":
                    entries, directory = struct.unpack("<QQ", record[32:48])
    return entries, directory


def _read_archive(path: Path) -> str:
    """config.json of a .keras archive, refused unread if the archive's own numbers promise a bomb."""
    try:
        declared = _directory_size(path)
        if declared is not None and declared[0] > MAX_ARCHIVE_ENTRIES:
            raise InteropError.single(
                f"{path}: the archive has {declared[0]:,} entries; "
                f"a .keras model is limited to {MAX_ARCHIVE_ENTRIES:,}",
                hint=HINT_FILE,
            )
        if declared is not None and declared[1] > MAX_ARCHIVE_DIRECTORY_BYTES:
            raise InteropError.single(
                f"{path}: the archive's directory is {declared[1]:,} bytes; "
                f"a .keras model's is limited to {MAX_ARCHIVE_DIRECTORY_BYTES:,}",
                hint=HINT_FILE,
            )
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ARCHIVE_ENTRIES:
                raise InteropError.single(
                    f"{path}: the archive has {len(infos):,} entries; "
                    f"a .keras model is limited to {MAX_ARCHIVE_ENTRIES:,}",
                    hint=HINT_FILE,
                )
            total = sum(info.file_size for info in infos)
            if total > MAX_ARCHIVE_BYTES:
                raise InteropError.single(
                    f"{path}: the archive's entries unpack to {total:,} bytes; "
                    f"a .keras model is limited to {MAX_ARCHIVE_BYTES:,}",
                    hint="is it a zip bomb?",
                )
            try:
                info = archive.getinfo("config.json")
            except KeyError:
                raise InteropError.single(f"{path}: a zip without config.json, not a .keras model") from None
            return _read_entry(path, archive, info)
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zipfile.BadZipFile, zlib.error) as e:
        # a truncated, corrupt, encrypted or oddly compressed archive; nothing was extracted
        raise InteropError.single(
            f"{path}: not a readable .keras archive ({type(e).__name__})", hint=HINT_FILE
        ) from None


def _read_entry(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """config.json's text: its declared size and ratio checked, and read no further than the limit."""
    if info.file_size > MAX_CONFIG_BYTES:
        raise InteropError.single(
            f"{path}: config.json is {info.file_size:,} bytes; a Keras config is limited to {MAX_CONFIG_BYTES:,}",
            hint="is it a zip bomb?",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > MAX_CONFIG_RATIO and info.file_size > MIN_RATIO_CHECK_BYTES:
        raise InteropError.single(
            f"{path}: config.json is compressed {ratio:,.0f}:1; a Keras config is refused above {MAX_CONFIG_RATIO}:1",
            hint="is it a zip bomb?",
        )
    with archive.open(info) as stream:  # the header may lie about the size: never read past the limit
        data = stream.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise InteropError.single(
            f"{path}: config.json is larger than {MAX_CONFIG_BYTES:,} bytes, not the size its header declares",
            hint="is it a zip bomb?",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InteropError.single(f"{path}: config.json is not UTF-8 text (byte {e.start})", hint=HINT_FILE) from None


# --- the config's shape, checked before any layer is imported ------------------------------


def _check_nesting(data: Any) -> None:
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


def _count_layers(config: dict[str, Any]) -> None:
    """Refuse a model of more layers or calls than a network may have, nested models counted, before importing.

    A layer counts once per call (each call of a Functional model's layer is a cnncalc layer);
    a model used as a layer counts its own layers, and may be nested MAX_MODEL_DEPTH deep.
    """
    count = 0
    stack: list[tuple[Any, int]] = [(config.get("layers"), 1)]
    while stack:
        layers, depth = stack.pop()
        if depth > MAX_MODEL_DEPTH:
            raise InteropError.single(
                f"the Keras model nests models more than {MAX_MODEL_DEPTH} deep", hint="flatten the nested models"
            )
        if not isinstance(layers, list):
            continue  # a wrong type is reported, with its place, when the layers are read
        for layer in layers:
            nodes = layer.get("inbound_nodes") if isinstance(layer, dict) else None
            count += max(len(nodes), 1) if isinstance(nodes, list) else 1
            inner = layer.get("config") if isinstance(layer, dict) else None
            if isinstance(inner, dict) and "layers" in inner:
                stack.append((inner["layers"], depth + 1))
        if count > MAX_LAYERS:
            raise InteropError.single(
                f"the Keras model has more than {MAX_LAYERS:,} layers (calls and nested models counted); "
                f"a network is limited to {MAX_LAYERS:,}",
                hint="import a part of the model",
            )


def keras_config_to_spec_data(model: dict[str, Any], default_name: str = "") -> dict[str, Any]:
    """The spec of a Keras model config (the dict of json.loads(model.to_json()))."""
    if not isinstance(model, dict) or not isinstance(model.get("config"), dict):
        raise InteropError.single("not a Keras model config (no class_name and config)", hint=HINT_FILE)
    _check_nesting(model)
    kind = model.get("class_name")
    config = model["config"]
    _count_layers(config)
    given = config.get("name", "")
    if not isinstance(given, str):
        raise InteropError.single(f"the Keras model's 'name' is {_show(given)}; expected text", hint=HINT_FIELD)
    name = clean_name(given) or clean_name(default_name) or "network"
    importer = _Importer(name)
    if kind == "Sequential":
        importer.sequential(config)
    elif kind in ("Functional", "Model"):
        importer.functional(config)
    else:
        raise InteropError.single(f"a Keras {_show(kind)} model: only Sequential and Functional models import")
    return importer.result()


# --- reading fields, each checked -----------------------------------------------------------


def _show(value: Any) -> str:
    """A value from the config as its JSON reads, clipped: for messages, whatever its size."""
    try:
        text = json.dumps(value, allow_nan=True, default=repr)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    """The JSON name of a value's type, for messages: an object, a list, text, a number, ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return _show(value)


class _Required:
    """The default of a field that must be given."""


REQUIRED = _Required()


class _Fields:
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
            f"Keras layer '{self.name}' ({self.cls}): '{key}' is {_type_name(value)}; expected {expected}",
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


def _shape(value: Any, where: str) -> list[int]:
    """A Keras batch shape [None, d1, ...] as the sizes after the batch, each a positive whole number."""
    if not isinstance(value, list) or len(value) < 2:
        raise InteropError.single(
            f"{where}: the input shape is {_type_name(value)}; expected a list [batch, size, ...]",
            hint="build the model with a fixed input shape, e.g. keras.Input((224, 224, 3))",
        )
    dims = value[1:]
    if len(dims) > 4:
        raise InteropError.single(f"input shape {_show(value)}: at most 4 axes after the batch")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise InteropError.single(
            f"input shape {_show(value)}: cnncalc needs every size but the batch",
            hint="build the model with a fixed input shape, e.g. keras.Input((224, 224, 3))",
        )
    if any(d > MAX_ARGUMENT for d in dims):
        raise InteropError.single(f"input shape {_show(value)}: a size is larger than {MAX_ARGUMENT:,}")
    return list(dims)


def _reference(value: Any, where: str) -> tuple[str, int, int]:
    """(layer, call, output) of a Keras tensor reference: [name, node_index, tensor_index, ...]."""
    if (
        isinstance(value, list)
        and len(value) >= 3
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_ARGUMENT for v in value[1:3])
    ):
        return value[0], value[1], value[2]
    raise InteropError.single(
        f"{where}: a tensor reference is {_show(value)}; expected [layer name, call index, output index]",
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
                found.append(_reference(history, where))
            else:
                stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _calls(layer: dict[str, Any], name: str) -> list[list[tuple[str, int, int]]]:
    """The inputs of each call of a Functional model's layer, Keras 3 or Keras 2 format."""
    nodes = layer.get("inbound_nodes", [])
    where = f"Keras layer '{name}'"
    if not isinstance(nodes, list):
        raise InteropError.single(f"{where}: 'inbound_nodes' is {_type_name(nodes)}; expected a list", hint=HINT_FIELD)
    calls: list[list[tuple[str, int, int]]] = []
    for node in nodes:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            calls.append(_tensors(node.get("args", []), where))
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            calls.append([_reference(t, where) for t in node])
        else:
            raise InteropError.single(
                f"{where}: a node of 'inbound_nodes' is {_type_name(node)}; expected an object or a list",
                hint=HINT_FIELD,
            )
    return calls


def _input_layer_name(config: dict[str, Any]) -> str:
    """The name of a Functional model's one input layer: input_layers [[name, 0, 0]] or [name, 0, 0]."""
    inputs = config.get("input_layers", [])
    if isinstance(inputs, list) and inputs and isinstance(inputs[0], str):
        inputs = [inputs]  # one input, written without the outer list
    if not isinstance(inputs, list):
        raise InteropError.single(
            f"the Keras model's 'input_layers' is {_type_name(inputs)}; expected a list", hint=HINT_FIELD
        )
    if len(inputs) != 1:
        raise InteropError.single(f"the Keras model has {len(inputs)} inputs; a cnncalc spec has one")
    return _reference(inputs[0], "the Keras model's 'input_layers'")[0]


def _layer_entry(layer: Any, index: int, need_name: bool) -> tuple[str, str, dict[str, Any]]:
    """(class, name, config) of the model's layer `index`, each of the right type.

    The name is the layer's own (Keras 2 Functional), else its config's; a Functional model
    connects layers by name, so there it must be given, while a Sequential layer may go without.
    """
    where = f"layer {index} of the Keras model"
    if not isinstance(layer, dict):
        raise InteropError.single(f"{where} is {_type_name(layer)}; expected an object", hint=HINT_FIELD)
    cls = layer.get("class_name")
    if not isinstance(cls, str) or not cls:
        shown = "no class_name" if cls is None else f"class_name {_show(cls)}"
        raise InteropError.single(f"{where} has {shown}; expected the layer class as text", hint=HINT_FIELD)
    config = layer.get("config", {})
    if not isinstance(config, dict):
        raise InteropError.single(
            f"{where} ({cls}): 'config' is {_type_name(config)}; expected an object", hint=HINT_FIELD
        )
    name = layer.get("name") or config.get("name")
    if name is None and not need_name:
        name = cls
    if not isinstance(name, str) or not name:
        raise InteropError.single(f"{where} ({cls}): the name is {_show(name)}; expected text", hint=HINT_FIELD)
    return cls, name, config


def _one(values: list[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else values


#: what a layer's handling may raise on a config no check foresaw: a backstop that names the layer
_SLIPS = (KeyError, TypeError, ValueError, IndexError, AttributeError)


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

    def set_input(self, tensor: str, batch_shape: Any, where: str, data_format: Any = None) -> None:
        dims = _shape(batch_shape, where)
        layout = "chw" if data_format == "channels_first" else "hwc"
        self.input = {"input": {"shape": dims, "layout": layout}}
        self.writer.tensors[tensor] = "input"
        self.rank[tensor] = len(dims) - 1

    @staticmethod
    def layer_list(config: dict[str, Any]) -> list[Any]:
        layers = config.get("layers", [])
        if not isinstance(layers, list):
            raise InteropError.single(
                f"the Keras model's 'layers' is {_type_name(layers)}; expected a list", hint=HINT_FIELD
            )
        return layers

    def sequential(self, config: dict[str, Any]) -> None:
        previous = "input_tensor"
        for index, item in enumerate(self.layer_list(config)):
            cls, name, layer_config = _layer_entry(item, index, need_name=False)
            if index == 0 or self.input is None:
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                shape = shape or config.get("build_input_shape")
                if shape is not None and self.input is None:
                    where = f"Keras layer '{name}' ({cls})"
                    self.set_input(previous, shape, where, layer_config.get("data_format"))
            if cls == "InputLayer":
                continue
            if self.input is None:
                raise InteropError.single("the Sequential model has no input shape", hint="start it with keras.Input")
            out = f"{name}:{index}"
            self.layer(_Fields(cls, name, layer_config), [previous], out)
            previous = out

    def functional(self, config: dict[str, Any]) -> None:
        layers = self.layer_list(config)
        input_name = _input_layer_name(config)
        calls: list[tuple[_Fields, list[str], str]] = []
        names: set[str] = set()
        for index, item in enumerate(layers):
            cls, name, layer_config = _layer_entry(item, index, need_name=True)
            if name in names:
                raise InteropError.single(f"two layers of the Keras model are named '{name}'", hint=HINT_FIELD)
            names.add(name)
            if cls == "InputLayer":
                shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
                if name != input_name or shape is None:
                    raise InteropError.single(f"input layer '{name}' is not the model's one input with a shape")
                self.set_input(f"{name}:0:0", shape, f"Keras layer '{name}' ({cls})")
                continue
            fields = _Fields(cls, name, layer_config)
            for call, sources in enumerate(_calls(item, name)):
                calls.append((fields, [f"{n}:{i}:{t}" for n, i, t in sources], f"{name}:{call}:0"))
        self.run(calls)

    def run(self, calls: list[tuple[_Fields, list[str], str]]) -> None:
        """Import each call once its inputs exist, in the order of the list where the graph allows.

        A layer called twice is listed once, its second call maybe reading later layers. Each
        call counts the inputs it still waits for, and each tensor lists the calls waiting for
        it; a heap of the ready calls' positions hands out the earliest first, so the order is
        the list's wherever it can be, and the whole walk is linear (but for the heap's log).
        """
        waiting: dict[str, list[int]] = {}
        missing: list[int] = []
        ready: list[int] = []
        for position, (_, tensors, _) in enumerate(calls):
            absent = {t for t in tensors if t not in self.writer.tensors}
            missing.append(len(absent))
            for tensor in absent:
                waiting.setdefault(tensor, []).append(position)
            if not absent:
                ready.append(position)
        heapq.heapify(ready)
        done = 0
        while ready:
            position = heapq.heappop(ready)
            fields, tensors, out = calls[position]
            self.layer(fields, tensors, out)
            done += 1
            for waiter in waiting.pop(out, []):
                missing[waiter] -= 1
                if missing[waiter] == 0:
                    heapq.heappush(ready, waiter)
        if done < len(calls):
            fields, tensors, _ = calls[next(p for p, count in enumerate(missing) if count)]
            absent_tensor = next(t for t in tensors if t not in self.writer.tensors)
            raise InteropError.single(f"layer '{fields.name}' reads {absent_tensor}, which no layer makes")

    # --- layers ---------------------------------------------------------------------------

    def unsupported(self, cls: str, name: str, why: str = "") -> InteropError:
        return unsupported(cls, name, self.writer, ", ".join(SUPPORTED_LAYERS), why)

    def add(self, layer: dict[str, Any], inputs: list[str], out: str, keras_name: str) -> None:
        entry = self.writer.add(layer, inputs, [out], keras_name)
        if keras_name in self.owners and layer["kind"] not in _NO_WEIGHTS:
            entry["shares"] = self.owners[keras_name]
        self.owners.setdefault(keras_name, entry["name"])

    def layer(self, fields: _Fields, inputs: list[str], out: str) -> None:
        """Import one call of a layer; whatever slipped past the field checks still names the layer."""
        if not inputs:
            raise InteropError.single(f"Keras layer '{fields.name}' ({fields.cls}): a call that reads no tensor")
        try:
            self.convert_call(fields, inputs, out)
        except _SLIPS as e:
            raise InteropError.single(
                f"Keras layer '{fields.name}' ({fields.cls}): a config cnncalc cannot read ({type(e).__name__})",
                hint=HINT_FIELD,
            ) from None

    def convert_call(self, fields: _Fields, inputs: list[str], out: str) -> None:
        cls, name = fields.cls, fields.name
        data_format = fields.get("data_format", None)
        if data_format not in (None, "channels_last", "channels_first"):
            raise fields.error("data_format", data_format, "'channels_last' or 'channels_first'")
        if data_format == "channels_first":
            self.channels_first = True
        rank = self.rank[inputs[0]]
        padded = [t for t in inputs if t in self.pads]
        base = cls.rstrip("D").rstrip("123") if cls[-2:] in ("1D", "2D", "3D") else cls
        if padded and base not in ("Conv", "MaxPooling", "AveragePooling", "DepthwiseConv", "SeparableConv"):
            raise self.unsupported(cls, name, "it reads a ZeroPadding output (only a conv or pooling may)")
        if base in ("Model", "Sequential", "Functional"):
            raise self.unsupported(cls, name, "a model nested in a model")
        spec, out_rank = self.convert(fields, base, inputs, rank)
        if spec is None:  # the identity: linear activation, a padding folded into the next layer
            self.writer.alias(out, inputs[0])
            self.rank[out] = rank
            if base == "ZeroPadding":
                self.pads[out] = self.zero_padding(fields, rank)
            return
        self.add(spec, inputs if spec["kind"] in ("add", "multiply", "concat") else inputs[:1], out, name)
        self.rank[out] = out_rank

    def zero_padding(self, fields: _Fields, rank: int) -> list[list[int]]:
        padding = fields.get("padding", 1)
        if not isinstance(padding, list):
            return [[fields.whole("padding", padding, 0)] * 2] * rank
        if len(padding) != rank:
            raise fields.error("padding", padding, f"{rank} paddings, one per spatial axis")
        pairs: list[list[int]] = []
        for p in padding:
            if isinstance(p, list):
                if len(p) != 2:
                    raise fields.error("padding", padding, "a [before, after] pair per spatial axis")
                pairs.append([fields.whole("padding", p[0], 0), fields.whole("padding", p[1], 0)])
            else:
                pairs.append([fields.whole("padding", p, 0)] * 2)
        return pairs

    def window(self, fields: _Fields, source: str, rank: int, kernel_key: str) -> dict[str, Any]:
        """kernel, stride, padding and dilation of a conv or pooling, with a ZeroPadding before folded in."""
        cls, name = fields.cls, fields.name
        kernel = fields.integers(kernel_key, rank)
        stride_value = fields.get("strides", 1)
        if stride_value is None:  # a pooling's stride defaults to its window; a conv has no such default
            if kernel_key != "pool_size":
                raise fields.error("strides", stride_value, "a whole number or one per spatial axis")
            stride_value = kernel
        strides = fields.per_axis("strides", stride_value, rank)
        padding_mode = fields.text("padding", "valid").lower()
        result: dict[str, Any] = {"kernel": _one(kernel), "stride": _one(strides)}
        extra = self.pads.get(source)
        if padding_mode == "same":
            if extra:
                raise self.unsupported(cls, name, "ZeroPadding before a layer with padding='same'")
            result["padding"] = "same"
        elif padding_mode != "valid":
            raise self.unsupported(cls, name, f"padding='{padding_mode[:40]}'")
        elif extra:
            result["padding"] = (
                extra[0][0] if all(p == extra[0] for p in extra) and extra[0][0] == extra[0][1] else extra
            )
        dilation = fields.integers("dilation_rate", rank, 1)
        if any(d != 1 for d in dilation):
            result["dilation"] = _one(dilation)
        return result

    def convert(self, fields: _Fields, base: str, inputs: list[str], rank: int) -> tuple[dict[str, Any] | None, int]:
        """(cnncalc layer, spatial axes of its output), or (None, rank) for the identity."""
        cls, name = fields.cls, fields.name
        source = inputs[0]
        activation = self.activation(fields)
        fused = {"activation": activation} if activation else {}
        bias = {} if fields.flag("use_bias", True) else {"bias": False}
        spatial = ("Conv", "DepthwiseConv", "SeparableConv", "MaxPooling", "AveragePooling", "UpSampling")
        if base in spatial and rank == 0:
            raise self.unsupported(cls, name, "it reads a vector (no spatial axes)")
        if base == "Conv" and cls != "Conv2DTranspose":
            layer: dict[str, Any] = {"kind": "conv", "filters": fields.integer("filters")}
            layer.update(self.window(fields, source, rank, "kernel_size"))
            groups = fields.integer("groups", 1)
            if groups != 1:
                layer["groups"] = groups
            return {**layer, **bias, **fused}, rank
        if cls in ("Conv2DTranspose", "Conv1DTranspose", "Conv3DTranspose"):
            return self.transposed(fields, source, rank, bias, fused), rank
        if base == "DepthwiseConv":
            layer = {"kind": "depthwise_conv", "multiplier": fields.integer("depth_multiplier", 1)}
            layer.update(self.window(fields, source, rank, "kernel_size"))
            return {**layer, **bias, **fused}, rank
        if base == "SeparableConv":
            layer = {"kind": "separable_conv", "filters": fields.integer("filters")}
            layer["multiplier"] = fields.integer("depth_multiplier", 1)
            layer.update(self.window(fields, source, rank, "kernel_size"))
            return {**layer, **bias, **fused}, rank
        if base in ("MaxPooling", "AveragePooling"):
            kind = "max_pool" if base == "MaxPooling" else "avg_pool"
            return {"kind": kind, **self.window(fields, source, rank, "pool_size")}, rank
        if base in ("GlobalAveragePooling", "GlobalMaxPooling"):
            kind = "global_avg_pool" if base == "GlobalAveragePooling" else "global_max_pool"
            keep = fields.flag("keepdims", False)
            return ({"kind": kind, "keepdims": True} if keep else {"kind": kind}), rank if keep else 0
        if cls == "Dense":
            if rank != 0:
                raise self.unsupported(cls, name, "Dense on a feature map applies per position; add Flatten first")
            return {"kind": "dense", "units": fields.integer("units"), **bias, **fused}, 0
        if cls == "Flatten":
            return ({"kind": "flatten"}, 0) if rank else (None, 0)
        if cls == "BatchNormalization":
            return self.batch_norm(fields, rank), rank
        if cls == "Activation":
            return ({"kind": activation} if activation else None), rank
        if cls in ("ReLU", "LeakyReLU", "Softmax", "ELU"):
            return self.activation_layer(fields), rank
        if cls in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"):
            return {"kind": "dropout", "rate": fields.number("rate", 0.5, 0.0, 1.0)}, rank
        if cls in ("Add", "Multiply"):
            return {"kind": cls.lower() if cls == "Add" else "multiply"}, rank
        if cls == "Concatenate":
            axis = fields.whole("axis", fields.get("axis", -1), -MAX_ARGUMENT)
            if not self.is_channel_axis(axis, rank):
                raise self.unsupported(cls, name, f"concatenation along axis {axis} (cnncalc concatenates channels)")
            return {"kind": "concat"}, rank
        if base == "ZeroPadding":
            return None, rank
        if base == "UpSampling":
            layer = {"kind": "upsample", "scale": _one(fields.integers("size", rank, 2))}
            if fields.text("interpolation", "nearest") != "nearest":
                layer["mode"] = "bilinear"
            return layer, rank
        raise self.unsupported(cls, name)

    def transposed(
        self, fields: _Fields, source: str, rank: int, bias: dict[str, Any], fused: dict[str, Any]
    ) -> dict[str, Any]:
        layer: dict[str, Any] = {"kind": "conv_transpose", "filters": fields.integer("filters")}
        window = self.window(fields, source, rank, "kernel_size")
        layer.update(window)
        kernel = fields.integers("kernel_size", rank)
        strides = fields.integers("strides", rank, 1)
        given = fields.get("output_padding", None)
        if given is not None:
            output_padding = fields.per_axis("output_padding", given, rank, 0)
        elif window.get("padding") == "same":
            output_padding = [0] * rank
        else:  # Keras 'valid': output n*s + max(k - s, 0); PyTorch's rule needs the difference as output padding
            output_padding = [max(s - k, 0) for k, s in zip(kernel, strides, strict=True)]
        if any(output_padding):
            layer["output_padding"] = _one(output_padding)
        return {**layer, **bias, **fused}

    def batch_norm(self, fields: _Fields, rank: int) -> dict[str, Any]:
        cls, name = fields.cls, fields.name
        axis = fields.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if isinstance(axis, bool) or not isinstance(axis, int) or not self.is_channel_axis(axis, rank):
            raise self.unsupported(cls, name, f"normalisation over axis {_show(axis)} (cnncalc normalises channels)")
        center, scale = fields.flag("center", True), fields.flag("scale", True)
        if center != scale:
            raise self.unsupported(cls, name, "center and scale differ (cnncalc's batch norm learns both or neither)")
        layer: dict[str, Any] = {"kind": "batch_norm", "epsilon": fields.number("epsilon", 1e-3, 0.0)}
        if not center:
            layer["affine"] = False
        return layer

    def is_channel_axis(self, axis: int, rank: int) -> bool:
        """Whether Keras `axis` (counting the batch) is the channels of a tensor with `rank` spatial axes."""
        channel = 1 if self.channels_first or rank == 0 else rank + 1
        return axis == channel or (axis == -1 and channel == rank + 1)

    def activation(self, fields: _Fields) -> str | None:
        """The cnncalc kind of the layer's `activation`: a name, or a serialised one (Keras 2 or 3)."""
        value = fields.get("activation", None)
        if value is None:
            return None
        key = value
        if isinstance(value, dict):  # {"class_name": ..., "config": {"name": ...}} or Keras 3's {"config": "relu"}
            inner = value.get("config")
            key = inner if isinstance(inner, str) else inner.get("name") if isinstance(inner, dict) else None
            key = key or value.get("class_name")
        if not isinstance(key, str):
            raise fields.error("activation", value, "an activation's name")
        if key.lower() not in ACTIVATIONS:
            raise self.unsupported(fields.cls, fields.name, f"activation '{key[:40]}'")
        return ACTIVATIONS[key.lower()]

    def activation_layer(self, fields: _Fields) -> dict[str, Any]:
        cls = fields.cls
        if cls == "Softmax":
            return {"kind": "softmax"}
        if cls == "ELU":
            return {"kind": "elu"}
        if cls == "LeakyReLU":
            key = "negative_slope" if "negative_slope" in fields.config else "alpha"
            return {"kind": "leaky_relu", "negative_slope": fields.number(key, 0.3)}
        max_value = fields.get("max_value", None)
        if max_value is not None:
            max_value = fields.number("max_value")
        slope = fields.number("negative_slope", 0.0) if fields.get("negative_slope", None) is not None else 0.0
        if max_value == 6 and not slope:
            return {"kind": "relu6"}
        if max_value is None and slope:
            return {"kind": "leaky_relu", "negative_slope": slope}
        if max_value is None:
            return {"kind": "relu"}
        raise self.unsupported(cls, fields.name, f"ReLU with max_value={max_value:g}")


#: kinds without weights: a second call of the Keras layer is simply another layer
_NO_WEIGHTS = {"add", "multiply", "concat", "flatten", "dropout", "max_pool", "avg_pool", "upsample"}
