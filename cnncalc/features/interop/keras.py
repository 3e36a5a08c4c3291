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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from cnncalc.core.graph import MAX_ARGUMENT, MAX_LAYERS
from cnncalc.errors import CnncalcError
from cnncalc.features.interop.common import InteropError, SpecWriter, check_model_file, clean_name, unsupported
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.pool import pool_padding_fits
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

#: classes of a model used as a layer: its layers are imported in its place
MODEL_CLASSES = ("Model", "Functional", "Sequential")

#: Keras 3's operation layers (and the merge layers of the same name) -> the cnncalc operation;
#: called on a tensor and a number (`x + 3.0`) they are a `scale`, on tensors an `add` or `multiply`
OPERATIONS: dict[str, str] = {
    "Add": "add",
    "Subtract": "subtract",
    "Multiply": "multiply",
    "Divide": "divide",
    "TrueDivide": "divide",
    "TFOpLambda": "",
}

#: Keras 2's TFOpLambda functions -> the operation (its number comes in the call's `y`)
TF_OPERATIONS: dict[str, str] = {
    "__operators__.add": "add",
    "math.add": "add",
    "math.subtract": "subtract",
    "math.multiply": "multiply",
    "math.truediv": "divide",
    "math.divide": "divide",
}

#: every Keras layer the importer reads -> what it becomes: the table of docs/interop.md
#: (`keras_layers_markdown()`; a test checks the page against it) and the hint of a refusal
KERAS_LAYERS: dict[str, str] = {
    "InputLayer": "the `input:`",
    "Conv1D/2D/3D": "`conv` (`activation:` fused as Keras writes it; `groups`)",
    "DepthwiseConv2D": "`depthwise_conv` (`depth_multiplier` as `multiplier`)",
    "SeparableConv2D": "`separable_conv`",
    "Conv1DTranspose/2DTranspose/3DTranspose": "`conv_transpose` (Keras's output size, also for a kernel "
    "smaller than the stride)",
    "MaxPooling1D/2D/3D": "`max_pool`",
    "AveragePooling1D/2D/3D": "`avg_pool`",
    "GlobalAveragePooling1D/2D/3D": "`global_avg_pool` (`keepdims` kept)",
    "GlobalMaxPooling1D/2D/3D": "`global_max_pool` (`keepdims` kept)",
    "Dense": "`dense` on a vector; on a feature map Keras applies it at each position: a 1x1 `conv`",
    "Flatten": "`flatten`",
    "Reshape": "to a vector: `flatten`; a vector to 1x1xC: `unflatten`; a reshape that moves values "
    "between axes is refused",
    "BatchNormalization": "`batch_norm` over the channels; `center` and `scale` each learned or not "
    "(Inception's `scale=False`: beta only)",
    "LayerNormalization": "`layer_norm` over the channels",
    "Normalization": "`normalize`: no weights with its mean and variance given; left to `adapt()`, "
    "`stored: true` (mean, variance and a count: 2C + 1 non-trainable)",
    "Rescaling": "`scale` (multiply), and a `scale` (add) for an offset other than 0",
    "LayerScale": "`scale` learned per channel (ConvNeXt's layer scale)",
    "CustomScaleLayer": "`scale` then `add` (Inception-ResNet's scaled residual)",
    "Activation": "the activation (`linear`: nothing)",
    "ReLU": "`relu`, `relu6` (max_value 6) or `leaky_relu`",
    "LeakyReLU": "`leaky_relu`",
    "ELU": "`elu`",
    "Softmax": "`softmax`",
    "Dropout": "`dropout`",
    "SpatialDropout1D/2D/3D": "`dropout`",
    "Add": "`add` of tensors (a 1x1xC one broadcasts over a map); with a number (Keras 3's `x + 3.0`): `scale`",
    "Multiply": "`multiply` of tensors (a squeeze-and-excitation gate broadcasts); with a number: `scale`",
    "Subtract, Divide": "Keras 3's operations with a number (`x / 6.0`): `scale`",
    "TFOpLambda": "Keras 2's `x + 3.0`, `x * y`: add, subtract, multiply or divide, with a number a `scale`",
    "Concatenate": "`concat` (along the channels)",
    "ZeroPadding1D/2D/3D": "folded into the next conv's or pool's padding; `pad` where it cannot be (read by "
    "another layer, before padding='same', more than a pool may take)",
    "Cropping1D/2D/3D": "`crop`; after a ZeroPadding, what remains of the padding (a padding then a crop that "
    "shifts the map, as NASNet's: `pad` then `crop`)",
    "UpSampling1D/2D/3D": "`upsample`",
    "Sequential, Functional": "a model called as a layer: its layers, in its place (a second call shares "
    "their weights)",
}


def keras_layers_markdown() -> str:
    """The Keras layers the importer reads, as docs/interop.md shows them."""
    lines = ["| Keras layer | cnncalc |", "|---|---|"]
    lines += [f"| {name} | {becomes} |" for name, becomes in KERAS_LAYERS.items()]
    return "\n".join(lines) + "\n"


#: the Keras importer's capability table: each cnncalc kind an import can produce -> the Keras
#: layers it is read from (a layer's `activation:` argument gives the activations too); the
#: kinds it never produces, with the reason
KERAS_KINDS: Capabilities[tuple[str, ...]] = Capabilities(
    feature="the Keras import",
    lacks="layer",
    handlers={
        "conv": ("Conv1D/2D/3D", "Dense"),
        "depthwise_conv": ("DepthwiseConv2D",),
        "separable_conv": ("SeparableConv2D",),
        "conv_transpose": ("Conv1DTranspose/2DTranspose/3DTranspose",),
        "max_pool": ("MaxPooling1D/2D/3D",),
        "avg_pool": ("AveragePooling1D/2D/3D",),
        "global_avg_pool": ("GlobalAveragePooling1D/2D/3D",),
        "global_max_pool": ("GlobalMaxPooling1D/2D/3D",),
        "dense": ("Dense",),
        "flatten": ("Flatten", "Reshape"),
        "unflatten": ("Reshape",),
        "batch_norm": ("BatchNormalization",),
        "layer_norm": ("LayerNormalization",),
        "normalize": ("Normalization",),
        "scale": ("Rescaling", "LayerScale", "CustomScaleLayer", "Add", "Multiply", "Subtract, Divide", "TFOpLambda"),
        **{kind: ("Activation",) for kind in ACTIVATIONS.values() if kind is not None},
        "relu": ("Activation", "ReLU"),
        "relu6": ("Activation", "ReLU"),
        "leaky_relu": ("Activation", "LeakyReLU", "ReLU"),
        "elu": ("Activation", "ELU"),
        "softmax": ("Activation", "Softmax"),
        "dropout": ("Dropout", "SpatialDropout1D/2D/3D"),
        "add": ("Add", "CustomScaleLayer", "TFOpLambda"),
        "multiply": ("Multiply", "TFOpLambda"),
        "concat": ("Concatenate",),
        "upsample": ("UpSampling1D/2D/3D",),
        "crop": ("Cropping1D/2D/3D",),
        "pad": ("ZeroPadding1D/2D/3D",),
    },
    unsupported={
        "locally_connected": "Keras 3 has no LocallyConnected layers",
        "lrn": "Keras has no local response normalization layer",
        "sum_pool": "Keras has no sum pooling layer",
        "l2_pool": "Keras has no L2 pooling layer",
        "channel_shuffle": "Keras has no channel shuffle layer",
        "channel_slice": "Keras has no channel slice layer (a Lambda that slices is not read)",
    },
)


def keras_to_spec_data(path: Path, notes: list[str] | None = None) -> dict[str, Any]:
    """The spec of a Keras model file (.keras zip, or a model.to_json() file) as plain data;
    what the import cannot carry (frozen layers) is appended to `notes`, if given."""
    check_model_file(path, "a Keras model")
    return keras_config_to_spec_data(_read_config(path), path.stem, notes)


#: bytes at the start of a .json file too large to parse in which a Keras config names its class
#: (Keras writes `{"module": "keras.src.models.functional", "class_name": ...` first)
KERAS_HEAD_BYTES = 4096


def looks_like_keras_json(path: Path) -> bool:
    """A readable JSON file whose top level is a Keras model config (not, say, a spec in JSON).

    A file over the config limit is not parsed: it is taken for a Keras config when it starts
    as one does, so that the importer refuses it with its own limit, not the YAML reader with
    a spec's (a spec is never that large either).
    """
    try:
        if not path.is_file():
            return False
        if path.stat().st_size > MAX_CONFIG_BYTES:
            with path.open("rb") as stream:
                head = stream.read(KERAS_HEAD_BYTES)
            return head.lstrip().startswith(b"{") and b'"class_name"' in head
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


def keras_config_to_spec_data(
    model: dict[str, Any], default_name: str = "", notes: list[str] | None = None
) -> dict[str, Any]:
    """The spec of a Keras model config (the dict of json.loads(model.to_json())); what the
    import cannot carry is said in the spec's description and appended to `notes`, if given."""
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
    top = _Scope(frozen=config.get("trainable") is False)  # model.trainable = False
    if kind == "Sequential":
        importer.sequential(config, top)
    elif kind in ("Functional", "Model"):
        importer.functional(config, top)
    else:
        raise InteropError.single(f"a Keras {_show(kind)} model: only Sequential and Functional models import")
    data = importer.result()
    said = importer.notes()
    if said:
        data["description"] += "; " + "; ".join(said)
        if notes is not None:
            notes.extend(said)
    return data


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


def _number(value: Any) -> TypeGuard[int | float]:
    """A finite number of the config that float() takes (not a bool, not an integer past 2**53)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) <= 2**53 if isinstance(value, int) else math.isfinite(value)


def _calls(layer: dict[str, Any], name: str) -> list[tuple[list[tuple[str, int, int]], list[float]]]:
    """The inputs of each call of a Functional model's layer, Keras 3 or Keras 2 format, each with
    the numbers it is called with: `x + 3.0` is a call of Keras 3's add operation on (x, 3.0), and
    of Keras 2's TFOpLambda on x with {"y": 3.0}."""
    nodes = layer.get("inbound_nodes", [])
    where = f"Keras layer '{name}'"
    if not isinstance(nodes, list):
        raise InteropError.single(f"{where}: 'inbound_nodes' is {_type_name(nodes)}; expected a list", hint=HINT_FIELD)
    calls: list[tuple[list[tuple[str, int, int]], list[float]]] = []
    for node in nodes:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            args = node.get("args", [])
            numbers = [float(a) for a in args if _number(a)] if isinstance(args, list) else []
            calls.append((_tensors(args, where), numbers))
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            extra = [t[3].get("y") for t in node if isinstance(t, list) and len(t) > 3 and isinstance(t[3], dict)]
            calls.append(([_reference(t, where) for t in node], [float(y) for y in extra if _number(y)]))
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


def _output_layer_name(config: dict[str, Any]) -> tuple[str, int, int]:
    """The one output of a Functional model used as a layer: output_layers [[name, 0, 0]] or [name, 0, 0]."""
    outputs = config.get("output_layers", [])
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], str):
        outputs = [outputs]
    if not isinstance(outputs, list) or len(outputs) != 1:
        shown = f"{len(outputs)} outputs" if isinstance(outputs, list) else f"'output_layers' {_type_name(outputs)}"
        raise InteropError.single(f"a nested Keras model has {shown}; one is imported", hint=HINT_FIELD)
    return _reference(outputs[0], "the nested Keras model's 'output_layers'")


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


@dataclass(frozen=True)
class _Scope:
    """Where a nested model's layers live: `tensors` prefixes the names of the tensors of one call
    of it, `owners` the names of its layers, the same for every call (so a second call shares);
    `frozen`: the model, or one around it, is trainable=False."""

    tensors: str = ""
    owners: str = ""
    frozen: bool = False

    def inner(self, name: str, call: int, frozen: bool) -> _Scope:
        return _Scope(f"{self.tensors}{name}/{call}/", f"{self.owners}{name}/", self.frozen or frozen)


@dataclass
class _Padding:
    """A ZeroPadding not written (yet): the tensor it pads, [before, after] per spatial axis, and
    the Keras layer it stands for. A conv or pool that reads it takes it as its own padding (the
    layer counts of a model stay those of the figures people quote); any other reader has it
    written as a `pad` layer, once (`made`: that layer), and so does a padding nothing reads."""

    source: str
    pairs: list[list[int]]
    name: str
    owner: str
    read: bool = False
    made: str | None = None


@dataclass(frozen=True)
class _Call:
    """One call of a layer: its config, the tensors it reads and makes, the numbers it is called with."""

    fields: _Fields
    inputs: list[str]
    out: str
    numbers: list[float] = field(default_factory=list)
    call: int = 0
    scope: _Scope = _Scope()


class _Importer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.writer = SpecWriter()
        self.input: dict[str, Any] | None = None
        self.rank: dict[str, int] = {}  # tensor -> spatial axes (0 for a vector)
        self.pads: dict[str, _Padding] = {}  # output of a ZeroPadding not written as a layer -> the padding
        self.owners: dict[str, str] = {}  # Keras layer -> cnncalc layer of its first call
        self.channels_first = False
        self.frozen: dict[str, None] = {}  # Keras layers with weights and trainable=False, in order

    def notes(self) -> list[str]:
        """What the spec cannot say: frozen layers, whose weights Keras counts as non-trainable.

        A cnncalc spec has no frozen layer: every weight counts as trainable, in the report,
        the training memory and the export alike. The total is Keras's; the split is not, and
        this says so rather than leave a wrong split unsaid.
        """
        if not self.frozen:
            return []
        names = list(self.frozen)
        shown = ", ".join(f"'{n}'" for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return [
            f"{len(names)} Keras layer(s) with weights are frozen (trainable=False): {shown}; cnncalc counts their "
            "weights as trainable, Keras as non-trainable (the total is the same, the trainable/non-trainable "
            "split is not Keras's)"
        ]

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

    def same(self, tensor: str, source: str) -> None:
        """`tensor` is `source` under another name (a nested model's input or output, an identity)."""
        self.writer.alias(tensor, source)
        self.rank[tensor] = self.rank[source]
        if source in self.pads:
            self.pads[tensor] = self.pads[source]

    def sequential(self, config: dict[str, Any], scope: _Scope = _Scope(), source: str | None = None) -> str:
        """Import a Sequential model's layers in order; nested (`source` given), return its output tensor."""
        previous = source or "input_tensor"
        for index, item in enumerate(self.layer_list(config)):
            cls, name, layer_config = _layer_entry(item, index, need_name=False)
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
            self.layer(_Call(_Fields(cls, name, layer_config), [previous], out, scope=scope))
            previous = out
        return previous

    def functional(self, config: dict[str, Any], scope: _Scope = _Scope(), source: str | None = None) -> str:
        """Import a Functional model's calls; nested (`source` given), return its output tensor."""
        layers = self.layer_list(config)
        input_name = _input_layer_name(config)
        calls: list[_Call] = []
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
                if source is None:
                    self.set_input(f"{name}:0:0", shape, f"Keras layer '{name}' ({cls})")
                else:
                    self.same(f"{scope.tensors}{name}:0:0", source)
                continue
            fields = _Fields(cls, name, layer_config)
            for call, (sources, numbers) in enumerate(_calls(item, name)):
                inputs = [f"{scope.tensors}{n}:{i}:{t}" for n, i, t in sources]
                calls.append(_Call(fields, inputs, f"{scope.tensors}{name}:{call}:0", numbers, call, scope))
        self.run(calls)
        if source is None:
            return ""
        name, call, tensor = _output_layer_name(config)
        out = f"{scope.tensors}{name}:{call}:{tensor}"
        if out not in self.writer.tensors:
            raise InteropError.single(f"the nested Keras model's output {name} is made by no layer", hint=HINT_FIELD)
        return out

    def run(self, calls: list[_Call]) -> None:
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

    # --- layers ---------------------------------------------------------------------------

    def unsupported(self, cls: str, name: str, why: str = "") -> InteropError:
        return unsupported(cls, name, self.writer, ", ".join(KERAS_LAYERS), why)

    def add(self, layer: dict[str, Any], inputs: list[str], out: str, keras_name: str, owner: str) -> None:
        """Write one cnncalc layer; a second call of the Keras layer `owner` shares the first's weights."""
        entry = self.writer.add(layer, inputs, [out], keras_name)
        if owner in self.owners and layer["kind"] not in _NO_WEIGHTS:
            entry["shares"] = self.owners[owner]
        self.owners.setdefault(owner, entry["name"])

    def layer(self, item: _Call) -> None:
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

    def convert_call(self, item: _Call) -> None:
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
                self.pads[out] = _Padding(inputs[0], self.zero_padding(fields, rank), name, f"{owner}#1")
            return
        if (item.scope.frozen or not fields.flag("trainable", True)) and any(map(_learns, specs)):
            self.frozen.setdefault(owner)
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

    def nested(self, item: _Call) -> None:
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

    def zero_padding(self, fields: _Fields, rank: int, key: str = "padding") -> list[list[int]]:
        """[before, after] per spatial axis of a ZeroPadding's `padding` (or a Cropping's `cropping`)."""
        padding = fields.get(key, 1)
        if not isinstance(padding, list):
            return [[fields.whole(key, padding, 0)] * 2] * rank
        if rank == 1 and len(padding) == 2 and not any(isinstance(p, list) for p in padding):
            padding = [padding]  # the 1D layers take one (before, after) pair
        if len(padding) != rank:
            raise fields.error(key, padding, f"{rank} paddings, one per spatial axis")
        pairs: list[list[int]] = []
        for p in padding:
            if isinstance(p, list):
                if len(p) != 2:
                    raise fields.error(key, padding, "a [before, after] pair per spatial axis")
                pairs.append([fields.whole(key, p[0], 0), fields.whole(key, p[1], 0)])
            else:
                pairs.append([fields.whole(key, p, 0)] * 2)
        return pairs

    def write_padding(self, tensor: str) -> None:
        """The padding of `tensor` as a `pad` layer (written once for all the names it goes by),
        for a reader that cannot take it as its own padding."""
        padding = self.pads.pop(tensor)
        padding.read = True
        if padding.made is not None:
            self.writer.tensors[tensor] = padding.made
            return
        pairs = padding.pairs
        symmetric = all(pair == pairs[0] for pair in pairs) and pairs[0][0] == pairs[0][1]
        spec = {"kind": "pad", "padding": pairs[0][0] if symmetric else pairs}
        self.add(spec, [padding.source], tensor, padding.name, padding.owner)
        padding.made = self.writer.tensors[tensor]

    def cropping(self, item: _Call, rank: int) -> None:
        """A Cropping layer: a `crop`, or, after a ZeroPadding, what remains of the padding.

        A padding then a crop that leaves every side padded or unchanged is a smaller padding
        for the next conv or pool; one that leaves every side cropped is a crop of the unpadded
        map; one that pads a side and crops another (NASNet's shift by a pixel) is the padding
        as a `pad` layer, then the crop of the padded map.
        """
        fields, source, out = item.fields, item.inputs[0], item.out
        if rank == 0:
            raise self.unsupported(fields.cls, fields.name, "it reads a vector (no spatial axes)")
        cut = self.zero_padding(fields, rank, "cropping")
        padding = self.pads.get(source)
        pads = padding.pairs if padding is not None else [[0, 0]] * rank
        net = [[p - c for p, c in zip(pair, crop, strict=True)] for pair, crop in zip(pads, cut, strict=True)]
        values = [v for pair in net for v in pair]
        if padding is not None and all(v >= 0 for v in values):
            self.same(out, source)
            self.pads.pop(out, None)
            if any(values):
                self.pads[out] = _Padding(padding.source, net, fields.name, f"{item.scope.owners}{fields.name}#1")
            padding.read = True
            return
        if any(v > 0 for v in values):  # the padding is a layer of its own; the crop cuts the padded map
            self.write_padding(source)
            net = [[-a, -b] for a, b in cut]
        elif padding is not None:
            padding.read = True
        crop = [[-a, -b] for a, b in net]
        symmetric = all(pair == crop[0] for pair in crop) and crop[0][0] == crop[0][1]
        spec = {"kind": "crop", "crop": crop[0][0] if symmetric else crop}
        self.add(spec, [source], out, fields.name, f"{item.scope.owners}{fields.name}#1")
        self.rank[out] = rank

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
        padding = self.pads.get(source)
        extra = padding.pairs if padding is not None else None
        too_much = kernel_key == "pool_size" and extra and not pool_padding_fits([(p[0], p[1]) for p in extra], kernel)
        if padding is not None and (padding_mode == "same" or too_much):  # the layer cannot take it as its own
            self.write_padding(source)
            extra = None
        elif padding is not None:
            padding.read = True
        if padding_mode == "same":
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
            if rank != 0:  # Keras applies it at each position: a 1x1 convolution (ConvNeXt's MLP)
                return {"kind": "conv", "filters": fields.integer("units"), "kernel": 1, **bias, **fused}, rank
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
        if cls == "Normalization":
            self.check_channel_axis(fields, rank, "normalisation")
            given = fields.get("mean", None) is not None or fields.get("variance", None) is not None
            return ({"kind": "normalize"} if given else {"kind": "normalize", "stored": True}), rank
        if cls == "LayerNormalization":
            return self.layer_norm(fields, rank), rank
        if cls == "LayerScale":  # ConvNeXt's: a learned factor per channel
            return {"kind": "scale", "op": "multiply", "learned": True}, rank
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

    def operation(self, item: _Call, rank: int) -> tuple[list[dict[str, Any]], int]:
        """A layer that may become several cnncalc layers, or an arithmetic operation: Keras 3's
        `x + 3.0` (an operation layer called on a tensor and a number), Keras 2's TFOpLambda."""
        fields, inputs, numbers = item.fields, item.inputs, item.numbers
        cls, name = fields.cls, fields.name
        if cls == "Rescaling":
            return self.rescaling(fields), rank
        if cls == "Reshape":
            return self.reshape(fields, rank)
        if cls == "CustomScaleLayer":  # Inception-ResNet's residual: inputs[0] + inputs[1] * scale
            if len(inputs) != 2:
                raise self.unsupported(cls, name, f"a scaled sum of {len(inputs)} tensors (it takes 2)")
            value = fields.number("scale")
            return [
                {"kind": "scale", "op": "multiply", "value": value, "reads": [inputs[1]]},
                {"kind": "add", "reads": [inputs[0], None]},
            ], rank
        op = OPERATIONS[cls] if cls != "TFOpLambda" else TF_OPERATIONS.get(fields.text("function"))
        if op is None:
            raise self.unsupported(cls, name, f"function {_show(fields.get('function'))}")
        if len(inputs) == 1 and len(numbers) == 1:
            return [{"kind": "scale", "op": op, "value": numbers[0]}], rank
        if len(inputs) >= 2 and not numbers and op in ("add", "multiply"):
            return [{"kind": op}], max(self.rank[t] for t in inputs)  # a gate 1x1xC broadcasts over the map
        shown = f"{len(inputs)} tensor(s) and {len(numbers)} number(s)"
        raise self.unsupported(cls, name, f"{op} of {shown} (cnncalc reads tensors, or a tensor and a number)")

    def rescaling(self, fields: _Fields) -> list[dict[str, Any]]:
        """x * scale + offset: a multiply per value, and an add where the offset is not 0."""
        specs: list[dict[str, Any]] = []
        for key, op, neutral in (("scale", "multiply", 1.0), ("offset", "add", 0.0)):
            value = fields.get(key, neutral)
            values = value if isinstance(value, list) else [value]
            if not values or len(values) > MAX_ARGUMENT or not all(_number(v) for v in values):
                raise fields.error(key, value, "a number, or one per channel")
            numbers = {float(v) for v in values}
            if not all(math.isfinite(v) for v in numbers):
                raise fields.error(key, value, "finite numbers")
            if key == "scale" or numbers != {neutral}:
                one = {"value": numbers.pop()} if len(numbers) == 1 else {}
                specs.append({"kind": "scale", "op": op, **one})
        return specs

    def reshape(self, fields: _Fields, rank: int) -> tuple[list[dict[str, Any]], int]:
        """A Reshape that only adds or drops axes of size 1: to a vector (MobileNet's head), or a
        vector to a 1x1xC map (EfficientNet's squeeze-and-excitation)."""
        target = fields.get("target_shape")
        if (
            not isinstance(target, list)
            or not 1 <= len(target) <= 4
            or not all(_number(t) and t == int(t) and (t == -1 or 1 <= t <= MAX_ARGUMENT) for t in target)
        ):
            raise fields.error("target_shape", target, "a list of 1 to 4 sizes (one of them may be -1)")
        sizes = [int(t) for t in target]
        if len(sizes) == 1:
            return ([{"kind": "flatten"}] if rank else []), 0
        channels = sizes[0] if self.channels_first else sizes[-1]
        spatial = sizes[1:] if self.channels_first else sizes[:-1]
        if any(s != 1 for s in spatial):
            raise self.unsupported(
                fields.cls, fields.name, f"reshape to {_show(target)} (cnncalc reshapes to a vector or to 1x1xC)"
            )
        unflatten: dict[str, Any] = {"kind": "unflatten", "axes": len(spatial)}
        if channels != -1:
            unflatten["channels"] = channels
        return ([{"kind": "flatten"}] if rank else []) + [unflatten], len(spatial)

    def check_channel_axis(self, fields: _Fields, rank: int, what: str) -> None:
        axis = fields.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if isinstance(axis, bool) or not isinstance(axis, int) or not self.is_channel_axis(axis, rank):
            why = f"{what} over axis {_show(axis)} (cnncalc's is over the channels)"
            raise self.unsupported(fields.cls, fields.name, why)

    def layer_norm(self, fields: _Fields, rank: int) -> dict[str, Any]:
        self.check_channel_axis(fields, rank, "layer normalisation")
        if fields.flag("rms_scaling", False):
            raise self.unsupported(fields.cls, fields.name, "rms_scaling")
        center, scale = fields.flag("center", True), fields.flag("scale", True)
        if center != scale:
            why = "center and scale differ (cnncalc's layer norm learns both or neither)"
            raise self.unsupported(fields.cls, fields.name, why)
        layer: dict[str, Any] = {"kind": "layer_norm", "epsilon": fields.number("epsilon", 1e-3, 0.0)}
        if not center:
            layer["affine"] = False
        return layer

    def batch_norm(self, fields: _Fields, rank: int) -> dict[str, Any]:
        self.check_channel_axis(fields, rank, "normalisation")
        center, scale = fields.flag("center", True), fields.flag("scale", True)
        layer: dict[str, Any] = {"kind": "batch_norm", "epsilon": fields.number("epsilon", 1e-3, 0.0)}
        if not center and not scale:
            layer["affine"] = False
        elif not (center and scale):  # Inception's scale=False: beta only, gamma left to the next layer
            layer["center" if not center else "scale"] = False
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


def _learns(spec: dict[str, Any]) -> bool:
    """Whether a written cnncalc layer has weights that training updates (Keras's trainable ones)."""
    kind = spec["kind"]
    if kind in ("conv", "depthwise_conv", "separable_conv", "conv_transpose", "dense"):
        return True
    if kind in ("batch_norm", "layer_norm"):
        return bool(spec.get("affine", True))
    return kind == "scale" and bool(spec.get("learned"))


#: kinds without weights: a second call of the Keras layer is simply another layer
_NO_WEIGHTS = {
    *("add", "multiply", "concat", "flatten", "unflatten", "crop", "pad"),
    *("dropout", "max_pool", "avg_pool", "upsample"),
}
