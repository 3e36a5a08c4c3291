"""Hostile Keras model files: archives that promise a bomb, configs that nest or grow without end,
and every field of a layer given a wrong type. Each is refused with exit 2 and a message naming
what is wrong (for a field: the layer and the field), never a crash.

`.keras` cases run `summarize` (the archive path), `.json` cases run `import` (which reads any
.json as a Keras config). Files are built by functions, so importing the corpus costs nothing.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from functools import partial
from typing import Any

from cases import Case

INPUT = {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 8, 8, 3]}}


def _sequential(*layers: dict[str, Any], shape: Any = None) -> dict[str, Any]:
    first = INPUT if shape is None else {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": shape}}
    return {"class_name": "Sequential", "config": {"name": "m", "layers": [first, *layers]}}


def _layer(cls: str, **config: Any) -> dict[str, Any]:
    return {"class_name": cls, "config": {"name": "bad", **config}}


def _conv(**config: Any) -> dict[str, Any]:
    return _layer("Conv2D", **{"filters": 4, "kernel_size": [3, 3], **config})


def _tensor(name: str, node: Any = 0) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"shape": [None], "keras_history": [name, node, 0]}}


def _functional(*layers: Any, inputs: Any = None) -> dict[str, Any]:
    """A Keras 3 Functional model: input 'x' (8x8x3), then `layers` (of any type: some cases are wrong)."""
    first = {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_shape": [None, 8, 8, 3]}}
    config = {"name": "f", "layers": [first, *layers], "input_layers": [["x", 0, 0]] if inputs is None else inputs}
    return {"class_name": "Functional", "config": config}


def _called(cls: str, name: str, nodes: Any, **config: Any) -> dict[str, Any]:
    return {"class_name": cls, "name": name, "config": {"name": name, **config}, "inbound_nodes": nodes}


def _reads(*sources: str) -> list[dict[str, Any]]:
    return [{"args": [[_tensor(s) for s in sources]] if len(sources) > 1 else [_tensor(sources[0])]}]


def _json(model: Any) -> bytes:
    return json.dumps(model).encode()


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _archive(config: bytes) -> bytes:
    return _zip({"metadata.json": b'{"keras_version": "3.0.0"}', "config.json": config, "model.weights.h5": b""})


def _valid() -> bytes:
    return _json(_sequential(_conv(name="c")))


def _padded(size: int) -> bytes:
    """A valid config followed by whitespace up to `size` bytes: compresses about 1000:1."""
    text = _valid()
    return text + b" " * (size - len(text))


def _many_entries() -> bytes:
    return _zip({"config.json": _valid(), **{f"assets/{i}": b"" for i in range(10_001)}}, zipfile.ZIP_STORED)


def _big_directory() -> bytes:
    return _zip({"config.json": _valid(), **{f"{i:05}" + "x" * 1000: b"" for i in range(4_500)}}, zipfile.ZIP_STORED)


def _patch_central(data: bytes, offset: int, fmt: str, value: int, only: bytes = b"") -> bytes:
    """Rewrite one field of every central directory record (of the entries named `only`, if given)."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack("<H", out[at + 28 : at + 30])[0]
        if not only or bytes(out[at + 46 : at + 46 + name_len]) == only:
            struct.pack_into(fmt, out, at + offset, value)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def _huge_declared() -> bytes:
    """Five weight files that each declare 4 GiB unpacked (20 GiB in all); each holds one byte."""
    data = _zip({"config.json": _valid(), **{f"w{i}.h5": b"x" for i in range(5)}}, zipfile.ZIP_STORED)
    for i in range(5):
        data = _patch_central(data, 24, "<I", 0xFFFFFFFE, f"w{i}.h5".encode())
    return data


def _lying_size() -> bytes:
    """config.json declares 100 bytes unpacked and holds 9 MiB."""
    data = _archive(_padded(9 * 1024 * 1024))
    return _patch_central(data, 24, "<I", 100, b"config.json")


def _encrypted() -> bytes:
    return _patch_central(_archive(_valid()), 8, "<H", 1)  # general purpose flag: encrypted


def _corrupt() -> bytes:
    data = bytearray(_archive(_padded(20_000)))
    start = data.find(b"config.json") + len("config.json")
    data[start + 5 : start + 40] = b"\xff" * 35
    return bytes(data)


def _truncated() -> bytes:
    data = _archive(_padded(20_000))
    return data[: len(data) // 2]


def _deep_list(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _deep_config(depth: int) -> bytes:
    model = _sequential(_conv(name="c"))
    text = _json(model)
    return text[:-1] + b', "extra": ' + _deep_list(depth) + b"}"


def _nested_models(depth: int) -> bytes:
    model: dict[str, Any] = _sequential(_conv(name="c"))
    for _ in range(depth):
        model = _sequential({"class_name": "Sequential", "config": model["config"]})
    return _json(model)


def _chain(n: int) -> bytes:
    layers = [_called("ReLU", f"r{i}", _reads("x" if i == 0 else f"r{i - 1}")) for i in range(n)]
    return _json(_functional(*layers))


def _many_calls(n: int) -> bytes:
    return _json(_functional(_called("ReLU", "r", _reads("x") * n)))


def seq(case_id: str, layer: dict[str, Any], message: str, shape: Any = None) -> Case:
    """A Sequential model of the input and `layer`, as a .json run through `import`."""
    return Case(case_id, ("import", "{d}/m.json"), message, {"m.json": partial(_json, _sequential(layer, shape=shape))})


def func(case_id: str, model: dict[str, Any], message: str) -> Case:
    return Case(case_id, ("import", "{d}/m.json"), message, {"m.json": partial(_json, model)})


def archive(case_id: str, build: Any, message: str) -> Case:
    """A .keras file of bytes `build()` makes, run through `summarize`."""
    return Case(case_id, ("summarize", "{d}/m.keras"), message, {"m.keras": build})


def keras_config(case_id: str, config: Any, message: str) -> Case:
    """A .keras archive whose config.json is `config()`."""
    return archive(case_id, lambda: _archive(config()), message)


KERAS: list[Case] = [
    # --- archives ---------------------------------------------------------------------------
    keras_config("zip-bomb-config", partial(_padded, 7 * 1024 * 1024), "compressed"),
    keras_config("config-too-large", partial(_padded, 9 * 1024 * 1024), "config.json is 9,437,184 bytes"),
    keras_config("config-60-mb", partial(_padded, 60 * 1024 * 1024), "limited to 8,388,608"),
    archive("lying-size", _lying_size, "not a readable .keras archive"),
    archive("too-many-entries", _many_entries, "10,002 entries"),
    archive("huge-directory", _big_directory, "directory"),
    archive("weights-unpack-to-20-gib", _huge_declared, "unpack to"),
    archive("no-config-json", partial(_zip, {"metadata.json": b"{}"}), "without config.json"),
    archive("not-a-zip", lambda: b"\x00\x01\x02 not a model", "binary"),
    archive("truncated-zip", _truncated, "truncated or damaged zip"),
    archive("corrupt-deflate", _corrupt, "not a readable .keras archive"),
    archive("encrypted-entry", _encrypted, "not a readable .keras archive"),
    keras_config("config-not-utf8", lambda: b'{"class_name": "\xff\xfe"}', "not UTF-8"),
    keras_config("config-not-json", lambda: b"{class_name: Sequential", "not a readable Keras model"),
    keras_config("config-a-list", lambda: b"[1, 2]", "not a Keras model config"),
    keras_config("config-config-a-list", lambda: b'{"class_name": "Sequential", "config": []}', "not a Keras model"),
    keras_config("deep-100000", partial(_deep_list, 100_000), "not a readable Keras model"),
    keras_config("deep-900", partial(_deep_config, 900), "nests deeper than 64"),
    keras_config("nested-models-12", partial(_nested_models, 12), "nests models more than 8 deep"),
    Case("fifo-keras", ("summarize", "{d}/m.keras"), "not a file", special=("fifo:m.keras",)),
    Case("fifo-json", ("import", "{d}/m.json"), "not a file", special=("fifo:m.json",)),
    Case("json-too-large", ("import", "{d}/m.json"), "limited to 8,388,608", {"m.json": partial(_padded, 9_000_000)}),
    Case("json-deep-900", ("import", "{d}/m.json"), "nests deeper than 64", {"m.json": partial(_deep_config, 900)}),
    Case("too-many-layers", ("import", "{d}/m.json"), "more than 20,000 layers", {"m.json": partial(_chain, 20_001)}),
    Case(
        "too-many-calls", ("import", "{d}/m.json"), "more than 20,000 layers", {"m.json": partial(_many_calls, 20_001)}
    ),
    # --- the model's structure ----------------------------------------------------------------
    func("layers-an-object", {"class_name": "Functional", "config": {"layers": {}}}, "'layers' is an object"),
    seq("layer-without-class", {"config": {"name": "c"}}, "no class_name"),
    seq("class-name-a-list", {"class_name": ["Conv2D"], "config": {}}, "class_name"),
    func("layer-a-string", _functional("Conv2D"), 'is "Conv2D"; expected an object'),
    seq("layer-config-a-list", {"class_name": "Conv2D", "config": []}, "'config' is a list"),
    func("name-a-number", _functional(_called("ReLU", "r", _reads("x")) | {"name": 5}), "the name is 5"),
    seq("name-an-object", {"class_name": "ReLU", "config": {"name": {"a": 1}}}, 'the name is {"a": 1}'),
    func("duplicate-names", _functional(*[_called("ReLU", "r", _reads("x"))] * 2), "two layers"),
    func("inbound-nodes-text", _functional(_called("ReLU", "r", "x")), "'inbound_nodes' is"),
    func("inbound-node-a-number", _functional(_called("ReLU", "r", [5])), "a node of 'inbound_nodes'"),
    func("keras2-node-bad-index", _functional(_called("ReLU", "r", [[["x", "a", 0, {}]]])), "tensor reference"),
    func("keras2-node-short", _functional(_called("ReLU", "r", [[["x"]]])), "tensor reference"),
    func(
        "keras3-history-text",
        _functional(
            _called("ReLU", "r", [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": "x"}}]}])
        ),
        "tensor reference",
    ),
    func("history-unknown-layer", _functional(_called("ReLU", "r", _reads("nowhere"))), "which no layer makes"),
    func(
        "history-node-out-of-range", _functional(_called("ReLU", "r", [{"args": [_tensor("x", 7)]}])), "which no layer"
    ),
    func(
        "history-negative-node", _functional(_called("ReLU", "r", [{"args": [_tensor("x", -1)]}])), "tensor reference"
    ),
    func("call-reads-nothing", _functional(_called("ReLU", "r", [{"args": []}])), "reads no tensor"),
    func("input-layers-a-number", _functional(_called("ReLU", "r", _reads("x")), inputs=5), "'input_layers'"),
    func("input-layers-two", _functional(inputs=[["x", 0, 0], ["y", 0, 0]]), "2 inputs"),
    # --- the input shape ----------------------------------------------------------------------
    seq("batch-shape-strings", _conv(), "needs every size", shape=[None, "8", 8, 3]),
    seq("batch-shape-negative", _conv(), "needs every size", shape=[None, -8, 8, 3]),
    seq("batch-shape-huge", _conv(), "larger than 2,147,483,647", shape=[None, 10**12, 8, 3]),
    seq("batch-shape-text", _conv(), 'the input shape is "abc"', shape="abc"),
    seq("batch-shape-bools", _conv(), "needs every size", shape=[None, True, 8, 3]),
    # --- layer fields ------------------------------------------------------------------------
    seq("filters-text", _conv(filters="64"), "'filters' is \"64\""),
    seq("filters-negative", _conv(filters=-1), "'filters' is -1"),
    seq("filters-1e300", _conv(filters=1e300), "'filters' is 1e+300"),
    seq("filters-missing", _layer("Conv2D", kernel_size=3), "no 'filters'"),
    seq("kernel-one-number-of-two", _conv(kernel_size=[3]), "'kernel_size' is a list; expected 2"),
    seq("kernel-text", _conv(kernel_size="x"), "'kernel_size' is \"x\""),
    seq("kernel-huge-list", _conv(kernel_size=[3] * 100_000), "'kernel_size' is a list"),
    seq("strides-null", _conv(strides=None), "'strides' is null"),
    seq("padding-a-number", _conv(padding=5), "'padding' is 5"),
    seq("dilation-zero", _conv(dilation_rate=0), "'dilation_rate' is 0"),
    seq("groups-float", _conv(groups=1.5), "'groups' is 1.5"),
    seq("use-bias-text", _conv(use_bias="no"), "'use_bias' is \"no\""),
    seq("data-format-number", _conv(data_format=7), "'data_format' is 7"),
    seq("activation-object", _conv(activation={"config": 5}), "'activation' is an object"),
    seq("activation-number", _conv(activation=3), "'activation' is 3"),
    seq("units-true", _layer("Dense", units=True), "'units' is true", shape=[None, 10]),
    seq("rate-text", _layer("Dropout", rate="0.5"), "'rate' is \"0.5\""),
    seq("rate-two", _layer("Dropout", rate=2), "'rate' is 2"),
    seq("epsilon-nan", _layer("BatchNormalization", epsilon=float("nan")), "'epsilon' is NaN"),
    seq("center-text", _layer("BatchNormalization", center="yes"), "'center' is \"yes\""),
    seq("pool-size-object", _layer("MaxPooling2D", pool_size={}), "'pool_size' is an object"),
    seq("zero-padding-triple", _layer("ZeroPadding2D", padding=[[1, 2, 3], 1]), "'padding' is a list"),
    seq("upsampling-size-text", _layer("UpSampling2D", size="2"), "'size' is \"2\""),
    seq("concat-axis-text", _layer("Concatenate", axis="-1"), "'axis' is \"-1\""),
    seq("relu-max-value-text", _layer("ReLU", max_value="6"), "'max_value' is \"6\""),
    seq("leaky-slope-list", _layer("LeakyReLU", negative_slope=[0.1]), "'negative_slope' is a list"),
    seq("depth-multiplier-zero", _layer("DepthwiseConv2D", kernel_size=3, depth_multiplier=0), "'depth_multiplier'"),
    seq(
        "output-padding-text",
        _layer("Conv2DTranspose", filters=2, kernel_size=3, output_padding="1"),
        "'output_padding'",
    ),
]
