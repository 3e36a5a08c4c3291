"""Fuzzing the Keras importer: whatever a model file holds, only cnncalc's own error comes out.

Small Sequential and Functional configs, written by hand in Keras 3's to_json() format (Keras
is not needed), are mutated: a value anywhere replaced by a random scalar, list or object, a
key deleted, a class name swapped, the JSON text truncated; and a .keras archive holding one
is damaged byte by byte or truncated. An exception other than CnncalcError is a bug: a user
would see "internal error" and exit 3. Examples are bounded by CNNCALC_FUZZ_EXAMPLES (150 by
default) and derandomized in CI (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError
from cnncalc.features.interop import load_model_spec
from cnncalc.features.interop.keras.model import keras_config_to_spec_data
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import SourceMap

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

CLASSES = ["Conv2D", "Dense", "ReLU", "Add", "Concatenate", "MaxPooling2D", "ZeroPadding2D", "Flatten"]
CLASSES += ["BatchNormalization", "Dropout", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "InputLayer"]
CLASSES += ["UpSampling2D", "GlobalAveragePooling2D", "LeakyReLU", "Activation", "Sequential", "Functional", "LSTM"]
KEYS = ["class_name", "config", "name", "filters", "kernel_size", "strides", "padding", "units", "batch_shape"]
KEYS += ["inbound_nodes", "args", "keras_history", "layers", "input_layers", "activation", "rate", "axis", "size"]


def _tensor(name: str, node: int = 0) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"shape": [None, 8, 8, 4], "keras_history": [name, node, 0]}}


def _layer(cls: str, name: str, reads: list[str] | None = None, **config: Any) -> dict[str, Any]:
    layer: dict[str, Any] = {"module": "keras.layers", "class_name": cls, "config": {"name": name, **config}}
    if reads is not None:
        args: list[Any] = [[_tensor(r) for r in reads]] if len(reads) > 1 else [_tensor(reads[0])]
        layer["name"] = name
        layer["inbound_nodes"] = [{"args": args, "kwargs": {}}]
    return layer


SEQUENTIAL: dict[str, Any] = {
    "module": "keras",
    "class_name": "Sequential",
    "config": {
        "name": "seq",
        "layers": [
            _layer("InputLayer", "in", batch_shape=[None, 16, 16, 3], dtype="float32"),
            _layer("Conv2D", "c1", filters=4, kernel_size=[3, 3], strides=[1, 1], padding="same", activation="relu"),
            _layer("ZeroPadding2D", "pad", padding=[[1, 1], [1, 1]]),
            _layer("MaxPooling2D", "p1", pool_size=[2, 2], strides=None, padding="valid"),
            _layer("BatchNormalization", "bn", axis=-1, epsilon=0.001, center=True, scale=True),
            _layer("Flatten", "flat"),
            _layer("Dropout", "drop", rate=0.5),
            _layer("Dense", "fc", units=10, activation="softmax", use_bias=True),
        ],
    },
}

FUNCTIONAL: dict[str, Any] = {
    "module": "keras.src.models.functional",
    "class_name": "Functional",
    "config": {
        "name": "func",
        "layers": [
            {**_layer("InputLayer", "x", batch_shape=[None, 8, 8, 4]), "name": "x", "inbound_nodes": []},
            _layer("Conv2D", "a", ["x"], filters=4, kernel_size=[3, 3], padding="same"),
            _layer("ReLU", "r", ["a"], max_value=6.0, negative_slope=0.0),
            _layer("Add", "add", ["r", "x"]),
            _layer("DepthwiseConv2D", "dw", ["add"], kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
            _layer("Conv2DTranspose", "up", ["add"], filters=8, kernel_size=3, strides=1, padding="same"),
            _layer("UpSampling2D", "us", ["dw"], size=[2, 2], interpolation="nearest"),
            _layer("Concatenate", "cat", ["us", "up"], axis=-1),
            _layer("GlobalAveragePooling2D", "gap", ["cat"], keepdims=False),
            _layer("Dense", "out", ["gap"], units=3),
        ],
        "input_layers": [["x", 0, 0]],
        "output_layers": [["out", 0, 0]],
    },
}

scalars = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, 1, 2, 3, -1, 2**31 - 1, 2**31, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from([*CLASSES, "same", "valid", "x", "a", "__keras_tensor__", "channels_first", "relu"]),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=10,
)


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside `data` (keys of objects, positions of lists)."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _places(value, (*path, index))
    return found


def _mutate(base: dict[str, Any], draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = [p for p in _places(data) if p]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent: Any = data
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "class", "duplicate"]))
        if action == "replace":
            parent[key] = draw(values)
        elif action == "delete":
            del parent[key]
        elif action == "class" and isinstance(parent[key], dict):
            parent[key]["class_name"] = draw(st.sampled_from(CLASSES))
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return data


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    return _mutate(draw(st.sampled_from([SEQUENTIAL, FUNCTIONAL])), draw)


def _import(data: Any) -> None:
    """The whole way a config goes: imported, validated, analysed; only CnncalcError may stop it."""
    with contextlib.suppress(CnncalcError):
        analyze(validate_spec(keras_config_to_spec_data(data, "net"), SourceMap("net.json")))


def _archive(config: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", b'{"keras_version": "3.5.0"}')
        archive.writestr("config.json", config)
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64))
    return buffer.getvalue()


def test_base_configs_import() -> None:
    for base in (SEQUENTIAL, FUNCTIONAL):
        spec = validate_spec(keras_config_to_spec_data(copy.deepcopy(base), "net"), SourceMap("net.json"))
        assert analyze(spec).totals.params > 0


@FUZZ
@given(mutated())
def test_mutated_configs(data: dict[str, Any]) -> None:
    _import(data)


@FUZZ
@given(st.sampled_from([SEQUENTIAL, FUNCTIONAL]), st.data())
def test_truncated_and_spliced_json(base: dict[str, Any], data: st.DataObject) -> None:
    text = json.dumps(base)
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    insert = data.draw(st.sampled_from(["", "[", "{", '"', "}", "]", ",", "null", "1e999", "NaN", "\\u0000"]))
    try:
        parsed = json.loads(text[:cut] + insert + text[cut:] if insert else text[:cut])
    except (ValueError, RecursionError):
        return
    if isinstance(parsed, dict):
        _import(parsed)


@FUZZ
@given(st.data())
def test_damaged_keras_archives(tmp_path: Path, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from([SEQUENTIAL, FUNCTIONAL]))
    archive = bytearray(_archive(json.dumps(_mutate(base, data.draw) if data.draw(st.booleans()) else base).encode()))
    for _ in range(data.draw(st.integers(min_value=0, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(archive) - 1))
        archive[at] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(archive)))
    if data.draw(st.booleans()):
        archive = archive[:cut]
    path = tmp_path / "m.keras"
    path.write_bytes(bytes(archive))
    with contextlib.suppress(CnncalcError):
        analyze(load_model_spec(path))
