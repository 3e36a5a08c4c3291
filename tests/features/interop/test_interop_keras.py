"""Keras in, read as JSON: configs written by hand, and models built with Keras (on PyTorch)
whose count_params() and per-layer output shapes cnncalc must reproduce exactly."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.conventions import Conventions
from cnncalc.core.report import Report
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError
from cnncalc.features.interop import load_model_spec
from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.keras.model import keras_config_to_spec_data
from cnncalc.layers import LayerBase
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import SourceMap, from_channels_first

KERAS_BN = Conventions(bn_running_stats=True)


def layer(cls: str, **config: Any) -> dict[str, Any]:
    return {"class_name": cls, "config": config}


def report_of(config: dict[str, Any]) -> Report:
    return analyze(validate_spec(keras_config_to_spec_data(config, "net"), SourceMap("net.json")), KERAS_BN)


def test_hand_written_sequential() -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "lenet",
            "layers": [
                layer("InputLayer", batch_shape=[None, 32, 32, 3], name="in"),
                layer("Conv2D", name="c1", filters=6, kernel_size=[5, 5], activation="relu"),
                layer("MaxPooling2D", name="p1", pool_size=[2, 2], strides=None, padding="valid"),
                layer("BatchNormalization", name="bn", axis=-1),
                layer("Flatten", name="flat"),
                layer("Dropout", name="drop", rate=0.25),
                layer("Dense", name="fc", units=10, activation="softmax"),
            ],
        },
    }
    report = report_of(config)
    rows = {r.name: r for r in report.rows}
    assert rows["c1"].output_shape == (6, 28, 28) and rows["p1"].output_shape == (6, 14, 14)
    # by hand: conv 6*3*25 + 6 = 456; BN 4*6 = 24 (2 trainable + 2 statistics, as Keras counts);
    # dense 14*14*6*10 + 10 = 11,770
    assert report.totals.params == 456 + 24 + 11_770
    assert report.totals.non_trainable_params == 12


def test_hand_written_keras2_functional_with_shared_layer_and_padding() -> None:
    def call(name: str, *sources: str) -> list[list[Any]]:
        return [[[s, 0, 0, {}] for s in sources]]

    config = {
        "class_name": "Model",
        "config": {
            "name": "twin",
            "input_layers": [["x", 0, 0]],
            "layers": [
                {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [None, 8, 8, 4]}},
                {
                    "class_name": "ZeroPadding2D",
                    "name": "pad",
                    "config": {"padding": [[1, 1], [1, 1]]},
                    "inbound_nodes": [[["x", 0, 0, {}]], [["add", 0, 0, {}]]],  # called twice
                },
                {
                    "class_name": "Conv2D",
                    "name": "conv",
                    "config": {"filters": 4, "kernel_size": [3, 3], "use_bias": False},
                    "inbound_nodes": [[["pad", 0, 0, {}]], [["pad", 1, 0, {}]]],  # one layer, two calls
                },
                {"class_name": "Add", "name": "add", "config": {}, "inbound_nodes": call("add", "conv", "x")},
                {
                    "class_name": "Concatenate",
                    "name": "cat",
                    "config": {"axis": -1},
                    "inbound_nodes": [[["add", 0, 0, {}], ["conv", 1, 0, {}]]],
                },
            ],
        },
    }
    data = keras_config_to_spec_data(config)
    layers = {item["name"]: item for item in data["layers"]}
    assert layers["conv"]["padding"] == 1  # the ZeroPadding2D folded into the conv
    second = next(item for item in data["layers"] if item.get("shares") == "conv")
    assert second["padding"] == 1 and data["layers"][data["layers"].index(second) - 1]["name"] == "add"
    report = report_of(config)
    assert report.totals.params == 4 * 4 * 9  # one set of weights for both calls
    assert report.rows[-1].output_shape == (8, 8, 8) and report.rows[-1].name == "cat"


def test_unsupported_layer_and_bad_files(tmp_path: Path) -> None:
    config = {
        "class_name": "Sequential",
        "config": {"layers": [layer("InputLayer", batch_shape=[None, 10]), layer("LSTM", name="rnn", units=4)]},
    }
    with pytest.raises(InteropError, match=r"unsupported operator LSTM at node 'rnn'"):
        keras_config_to_spec_data(config)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InteropError, match="not a readable Keras model"):
        load_model_spec(bad)
    empty_zip = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(InteropError, match=r"without config\.json"):
        load_model_spec(empty_zip)
    result = CliRunner().invoke(app, ["import", str(bad)])
    assert result.exit_code == 2 and "Traceback" not in result.output


# --- models built with Keras 3 on the PyTorch backend ------------------------------------------


#: Keras on the PyTorch backend warns about NumPy 2's copy keyword, which is not cnncalc's concern
KERAS_WARNINGS = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def assert_matches_keras(model: Any, tmp_path: Path, nested: Any = None) -> None:
    """Saved as .keras and as to_json(): params and every layer's output shape equal Keras's
    (those of a `nested` model's layers too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "model.keras")
    (tmp_path / "model.json").write_text(model.to_json())
    for path in (tmp_path / "model.keras", tmp_path / "model.json"):
        report = analyze(load_model_spec(path), KERAS_BN)
        assert report.totals.params == model.count_params()
        assert report.totals.non_trainable_params == sum(int(w.numpy().size) for w in model.non_trainable_weights)
        rows = {r.name: r for r in report.rows}
        inner = list(nested.layers) if nested is not None else []
        folded = [type(item).__name__ for item in [*model.layers, *inner] if item.name not in rows]
        assert set(folded) <= {"InputLayer", "ZeroPadding2D", "Sequential"}  # every other layer is a row
        for item in [*model.layers, *inner]:
            if item.name in rows:
                shape = from_channels_first(rows[item.name].output_shape, "hwc")
                assert shape == tuple(item.output.shape[1:]), item.name


@KERAS_WARNINGS
def test_keras_sequential_cnn(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            kl.Conv2D(16, 3, padding="same", activation="relu"),
            kl.BatchNormalization(),
            kl.MaxPooling2D(),
            kl.Conv2D(32, 5, strides=2, use_bias=False),
            kl.Activation("relu"),
            kl.AveragePooling2D(pool_size=3, strides=1, padding="same"),
            kl.Flatten(),
            kl.Dropout(0.5),
            kl.Dense(10, activation="softmax"),
        ]
    )
    assert_matches_keras(model, tmp_path)


@KERAS_WARNINGS
def test_keras_functional_graph(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    x = keras.Input((17, 17, 8))
    a = kl.Conv2D(8, 3, padding="same")(x)
    a = kl.BatchNormalization()(a)
    a = kl.ReLU(max_value=6)(a)
    r = kl.Add()([a, x])
    p = kl.ZeroPadding2D(((0, 1), (0, 1)))(r)
    d = kl.DepthwiseConv2D(3, strides=2, depth_multiplier=2)(p)
    s = kl.SeparableConv2D(12, 3, padding="same", activation="relu")(r)
    s = kl.MaxPooling2D(3, strides=2, padding="valid")(s)
    c = kl.Concatenate()([d, s])
    u = kl.Conv2DTranspose(6, 3, strides=2, padding="same")(c)
    v = kl.Conv2DTranspose(4, 1, strides=2)(c)  # kernel smaller than the stride: Keras's own rule
    g = kl.GlobalAveragePooling2D()(kl.Concatenate()([u, kl.UpSampling2D(1)(v)]))
    out = kl.Dense(5)(g)
    assert_matches_keras(keras.Model(x, out), tmp_path)


@KERAS_WARNINGS
def test_keras_1d_and_3d(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    one = keras.Sequential(
        [
            keras.Input((100, 4)),
            kl.Conv1D(8, 5, strides=2, dilation_rate=1),
            kl.MaxPooling1D(2),
            kl.GlobalMaxPooling1D(),
        ]
    )
    assert_matches_keras(one, tmp_path)
    three = keras.Sequential(
        [keras.Input((8, 16, 16, 2)), kl.Conv3D(4, 3, padding="same"), kl.MaxPooling3D(2), kl.Flatten(), kl.Dense(3)]
    )
    (tmp_path / "3d").mkdir()
    assert_matches_keras(three, tmp_path / "3d")


@KERAS_WARNINGS
def test_match_spec_with_keras_model(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    model = keras.Sequential([keras.Input((28, 28, 1)), kl.Conv2D(4, 3, activation="relu"), kl.Flatten(), kl.Dense(10)])
    model.save(tmp_path / "m.keras")
    spec = tmp_path / "design.yaml"
    spec.write_text(
        "input: 28x28x1\nlayers:\n"
        "  - {kind: conv, filters: 4, kernel: 3, activation: relu}\n"
        "  - {kind: dense, units: 10}\n"
    )
    result = CliRunner().invoke(app, ["match", str(spec), str(tmp_path / "m.keras"), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["match"] is True


def test_json_dispatch_tells_a_keras_config_from_a_json_spec(tmp_path: Path) -> None:
    from cnncalc.features.interop import is_model_file

    keras_json = tmp_path / "model.json"
    keras_json.write_text(json.dumps({"class_name": "Sequential", "config": {"layers": []}}))
    spec_json = tmp_path / "spec.json"
    spec_json.write_text(json.dumps({"input": [8, 8, 3], "layers": [{"kind": "conv", "filters": 2, "kernel": 3}]}))
    assert is_model_file(keras_json) and not is_model_file(spec_json)
    assert is_model_file(tmp_path / "any.onnx") and is_model_file(tmp_path / "any.keras")
    assert not is_model_file(tmp_path / "net.yaml") and not is_model_file(tmp_path / "missing.json")


# --- one layer type at a time, from minimal configs (no Keras needed) ---------------------------


def functional(*layers: dict[str, Any], shape: tuple[int, ...] = (8, 8, 4), output: str = "") -> dict[str, Any]:
    """A Keras 3 Functional config: an input `x` of `shape`, then `layers`, each with its calls."""
    entries = [{"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [None, *shape], "name": "x"}}]
    last = output or str(layers[-1]["name"])
    return {
        "class_name": "Functional",
        "config": {
            "name": "net",
            "input_layers": [["x", 0, 0]],
            "output_layers": [[last, 0, 0]],
            "layers": [*entries, *layers],
        },
    }


def tensor(name: str, call: int = 0) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [name, call, 0]}}


def called(cls: str, name: str, *args: Any, **config: Any) -> dict[str, Any]:
    """A layer of a Functional model, called once on `args` (tensor names, or numbers as they are)."""
    values = [tensor(a) if isinstance(a, str) else a for a in args]
    return {"class_name": cls, "name": name, "config": {"name": name, **config}, "inbound_nodes": [{"args": values}]}


def rows_of(config: dict[str, Any], conventions: Conventions = KERAS_BN) -> dict[str, Any]:
    report = analyze(validate_spec(keras_config_to_spec_data(config, "net"), SourceMap("net.json")), conventions)
    return {r.name: r for r in report.rows}


def test_batch_norm_counts_center_and_scale_apart() -> None:
    # Inception's conv2d_bn: scale=False, so beta only (C) and the moving mean and variance (2C)
    beta_only = rows_of(functional(called("BatchNormalization", "bn", "x", scale=False)))["bn"]
    assert (beta_only.trainable_params, beta_only.non_trainable_params) == (4, 8)
    gamma_only = rows_of(functional(called("BatchNormalization", "bn", "x", center=False)))["bn"]
    assert (gamma_only.trainable_params, gamma_only.non_trainable_params) == (4, 8)
    neither = rows_of(functional(called("BatchNormalization", "bn", "x", center=False, scale=False)))["bn"]
    assert (neither.trainable_params, neither.non_trainable_params) == (0, 8)
    assert beta_only.flops == 2 * 8 * 8 * 4  # still a multiply and an add per value at inference


def test_reshape_to_a_vector_and_back_to_a_one_by_one_map() -> None:
    # MobileNet's head: a 1x1x4 map to a vector; EfficientNet's SE: the pooled vector to 1x1xC
    config = functional(
        called("GlobalAveragePooling2D", "pool", "x", keepdims=True),
        called("Reshape", "flat", "pool", target_shape=[4]),
        called("Reshape", "back", "flat", target_shape=[1, 1, 4]),
        called("Reshape", "again", "pool", target_shape=[1, 1, -1]),
    )
    rows = rows_of(config)
    assert rows["flat"].output_shape == (4,) and rows["back"].output_shape == (4, 1, 1)
    assert rows["again"].output_shape == (4, 1, 1)  # a map read: flattened, then a 1x1 map again
    assert all(r.params == 0 and r.flops == 0 for name, r in rows.items() if name != "pool")
    moving = functional(called("Reshape", "r", "x", target_shape=[16, 16]))
    with pytest.raises(InteropError, match=r"reshape to \[16, 16\]"):
        keras_config_to_spec_data(moving)
    wrong = functional(called("Reshape", "r", "x", target_shape=[4]), called("Reshape", "s", "r", target_shape=[1, 9]))
    with pytest.raises(CnncalcError, match="unflatten to 9 channels of a vector of 256 values"):
        rows_of(wrong)


def test_dense_on_a_feature_map_is_a_pointwise_conv() -> None:
    rows = rows_of(functional(called("Dense", "mlp", "x", units=6, activation="gelu")))
    # Keras: a kernel of 4x6 and 6 biases, applied at each of the 8x8 positions
    assert rows["mlp"].output_shape == (6, 8, 8) and rows["mlp"].params == 4 * 6 + 6
    assert rows["mlp"].macs == 8 * 8 * 4 * 6


def test_normalization_stored_or_given() -> None:
    adapted = functional(called("Normalization", "norm", "x", axis=[3], mean=None, variance=None))
    row = rows_of(adapted)["norm"]
    # mean and variance per channel and the count, all non-trainable in Keras: 2*4 + 1
    assert (row.trainable_params, row.non_trainable_params, row.flops) == (0, 9, 2 * 8 * 8 * 4)
    assert rows_of(adapted, Conventions())["norm"].params == 0  # not params as PyTorch counts
    given = functional(called("Normalization", "norm", "x", axis=-1, mean=[0.5] * 4, variance=[0.25] * 4))
    assert rows_of(given)["norm"].params == 0
    spatial = functional(called("Normalization", "norm", "x", axis=1))
    with pytest.raises(InteropError, match="normalisation over axis 1"):
        keras_config_to_spec_data(spatial)


def test_nested_sequential_and_functional_models() -> None:
    stem = {
        "class_name": "Sequential",
        "name": "stem",
        "config": {
            "name": "stem",
            "layers": [
                layer("InputLayer", batch_shape=[None, 8, 8, 4], name="stem_in"),
                layer("Conv2D", name="stem_conv", filters=6, kernel_size=[2, 2], strides=[2, 2]),
                layer("BatchNormalization", name="stem_bn"),
            ],
        },
        "inbound_nodes": [{"args": [tensor("x")]}],
    }
    inner = functional(called("Conv2D", "inner_conv", "x", filters=3, kernel_size=[1, 1]), shape=(4, 4, 6))
    block = {"class_name": "Functional", "name": "block", "config": inner["config"]}
    # one nested Functional model called twice: the second call shares the first's weights
    block["inbound_nodes"] = [{"args": [tensor("stem")]}, {"args": [tensor("stem")]}]
    config = functional(stem, block, called("Concatenate", "cat", tensor("block", 0), tensor("block", 1)))
    rows = rows_of(config)
    assert rows["stem_conv"].output_shape == (6, 4, 4) and rows["stem_bn"].non_trainable_params == 12
    assert rows["cat"].output_shape == (6, 4, 4)
    twice = [r for r in rows.values() if r.kind == "conv" and r.output_shape == (3, 4, 4)]
    assert len(twice) == 2 and sum(r.params for r in twice) == 6 * 3 + 3  # counted once
    assert sum(r.params for r in rows.values()) == (4 * 4 * 6 + 6) + 4 * 6 + (6 * 3 + 3)


def test_nested_models_are_bounded_by_their_calls() -> None:
    inner = functional(called("Conv2D", "c", "x", filters=1, kernel_size=[1, 1]), shape=(2, 2, 1))
    # a model of 1,000 calls of a nested model of 1,000 layers: a million layers, refused unread
    inner["config"]["layers"] += [
        called("ReLU", f"r{i}", "c")
        for i in range(1_000)  # each a layer of the nested model
    ]
    nested = {"class_name": "Functional", "name": "m", "config": inner["config"]}
    nested["inbound_nodes"] = [{"args": [tensor("x")]} for _ in range(1_000)]
    with pytest.raises(InteropError, match=r"more than 20,000 layers"):
        keras_config_to_spec_data(functional(nested, shape=(2, 2, 1)))


def test_cropping_alone_and_after_a_padding() -> None:
    config = functional(
        called("Cropping2D", "crop", "x", cropping=[[1, 2], [0, 3]]),
        called("ZeroPadding2D", "pad", "x", padding=[[2, 2], [2, 2]]),
        called("Cropping2D", "less", "pad", cropping=[[1, 1], [0, 2]]),  # leaves a padding of 1,1 / 2,0
        called("Conv2D", "conv", "less", filters=2, kernel_size=[3, 3]),
        called("ZeroPadding2D", "pad2", "x", padding=[[1, 1], [1, 1]]),
        called("Cropping2D", "more", "pad2", cropping=[[2, 2], [1, 1]]),  # crops the map by 1 row each side
        output="conv",
    )
    rows = rows_of(config)
    assert rows["crop"].output_shape == (4, 5, 5) and rows["crop"].params == rows["crop"].flops == 0
    # 8 + 1 + 1 - 3 + 1 = 8 rows, 8 + 2 + 0 - 3 + 1 = 8 columns: the padding that remained, folded into the conv
    assert "less" not in rows and rows["conv"].output_shape == (2, 8, 8)
    assert rows["more"].output_shape == (4, 6, 8)
    shift = functional(
        called("ZeroPadding2D", "pad", "x", padding=[[0, 1], [0, 1]]),
        called("Cropping2D", "crop", "pad", cropping=[[1, 0], [1, 0]]),  # NASNet's shift by one pixel
        called("AveragePooling2D", "pool", "crop", pool_size=[1, 1], strides=[2, 2]),
    )
    rows = rows_of(shift)
    # the padding is a layer of its own (8 + 0 + 1 = 9), then the crop of the padded map (9 - 1 - 0 = 8)
    assert rows["pad"].kind == "pad" and rows["pad"].output_shape == (4, 9, 9)
    assert rows["crop"].kind == "crop" and rows["crop"].output_shape == (4, 8, 8)
    assert rows["pool"].output_shape == (4, 4, 4) and rows["pool"].inputs == ("crop",)
    one = functional(called("Cropping1D", "c", "x", cropping=[1, 2]), shape=(10, 3))
    assert rows_of(one)["c"].output_shape == (3, 7)


def test_zero_padding_folds_into_a_conv_or_pool_and_is_a_layer_elsewhere() -> None:
    config = functional(
        called("ZeroPadding2D", "p1", "x", padding=[[1, 2], [0, 1]]),
        called("Conv2D", "conv", "p1", filters=2, kernel_size=[3, 3]),  # takes it as its own padding
        called("ReLU", "relu", "p1"),  # has none: reads the padded map
        called("ZeroPadding2D", "p2", "x", padding=2),
        called("MaxPooling2D", "pool", "p2", pool_size=[2, 2], strides=None),  # 2 > 2 // 2: more than a pool may take
        called("ZeroPadding2D", "p3", "x", padding=1),
        called("Conv2D", "same", "p3", filters=2, kernel_size=[3, 3], padding="same"),
        called("ZeroPadding2D", "p4", "x", padding=[[0, 0], [3, 0]]),  # the model's output
        output="p4",
    )
    rows = rows_of(config)
    # a padding folded: 8 + 1 + 2 - 3 + 1 = 9 rows, 8 + 0 + 1 - 3 + 1 = 7 columns, and no row of its own
    assert rows["conv"].output_shape == (2, 9, 7) and rows["conv"].inputs == ("input",)
    assert rows["p1"].kind == "pad" and rows["p1"].output_shape == (4, 11, 9) and rows["relu"].inputs == ("p1",)
    # 8 + 2 + 2 = 12, pooled by 2: 6
    assert rows["p2"].output_shape == (4, 12, 12) and rows["pool"].output_shape == (4, 6, 6)
    assert rows["p3"].output_shape == (4, 10, 10) and rows["same"].output_shape == (2, 10, 10)
    assert rows["p4"].output_shape == (4, 8, 11)
    assert all(rows[p].params == rows[p].flops == 0 for p in ("p1", "p2", "p3", "p4"))
    folded = functional(
        called("ZeroPadding2D", "p", "x", padding=1), called("Conv2D", "c", "p", filters=2, kernel_size=[3, 3])
    )
    assert "p" not in rows_of(folded)  # a padding a conv takes is still no layer


def test_operations_with_a_number_and_rescaling_need_no_weights() -> None:
    config = functional(
        called("Rescaling", "rescale", "x", scale=1 / 127.5, offset=-1.0),
        called("Add", "plus", "rescale", 3.0),
        called("Multiply", "times", "plus", 1 / 6),
        called("Multiply", "gate", "times", "x"),
    )
    rows = rows_of(config)
    # Rescaling: a multiply and, for its offset, an add per value; x + 3.0 and x * (1/6): one each
    assert rows["rescale_scale"].flops == rows["rescale"].flops == rows["plus"].flops == 8 * 8 * 4
    assert sum(r.params for r in rows.values()) == 0


@KERAS_WARNINGS
def test_keras_layers_of_the_applications_built_by_keras(keras: Any, tmp_path: Path) -> None:
    """Batch norm without scale, Normalization, Reshape, Cropping2D, Dense on a map and a nested
    Sequential: Keras's count_params() and shapes, then every number checked by the numeric core."""
    kl = keras.layers
    x = keras.Input((12, 12, 3))
    norm = kl.Normalization()
    norm.adapt(keras.ops.ones((2, 12, 12, 3)))  # mean, variance and a count: 7 non-trainable weights
    a = norm(x)
    a = kl.Cropping2D(((1, 0), (2, 1)))(a)
    stem = keras.Sequential([keras.Input((11, 9, 3)), kl.Conv2D(8, 3, use_bias=False), kl.BatchNormalization()])
    a = stem(a)
    a = kl.BatchNormalization(scale=False)(kl.Conv2D(8, 1)(a))
    gate = kl.Reshape((1, 1, 8))(kl.GlobalAveragePooling2D()(a))
    a = kl.Multiply()([a, kl.UpSampling2D((9, 7))(gate)])
    a = kl.Dense(5)(a)  # at each position
    out = kl.Dense(3)(kl.Reshape((5,))(kl.GlobalAveragePooling2D(keepdims=True)(a)))
    model = keras.Model(x, out)
    assert_matches_keras(model, tmp_path, nested=stem)
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "model.keras"), "--keras-bn"])
    assert result.exit_code == 0, result.output


@KERAS_WARNINGS
def test_nasnets_shift_and_reduction_built_by_keras(keras: Any, tmp_path: Path) -> None:
    """NASNet's layers as keras.applications writes them: the shift by a pixel of its adjust
    block (a ZeroPadding, a Cropping of the other side) and a reduction cell's ZeroPadding of
    Keras's correct_pad before a strided separable conv and max pool. Keras's count_params() and
    shapes, the shift written as a pad and a crop, then every number checked by the numeric core."""
    kl = keras.layers
    x = keras.Input((15, 15, 8))
    p = kl.Activation("relu")(x)
    p1 = kl.Conv2D(4, 1, use_bias=False)(kl.AveragePooling2D(1, strides=2)(p))
    p2 = kl.Cropping2D(((1, 0), (1, 0)), name="shift_crop")(kl.ZeroPadding2D(((0, 1), (0, 1)), name="shift_pad")(p))
    p2 = kl.Conv2D(4, 1, use_bias=False)(kl.AveragePooling2D(1, strides=2)(p2))
    a = kl.BatchNormalization()(kl.Concatenate()([p1, p2]))  # 8x8x8
    b = kl.SeparableConv2D(8, 3, strides=2)(kl.ZeroPadding2D(((0, 1), (0, 1)), name="sep_pad")(a))
    c = kl.MaxPooling2D(3, strides=2)(kl.ZeroPadding2D(((0, 1), (0, 1)), name="pool_pad")(a))
    model = keras.Model(x, kl.Add()([b, c]))
    assert_matches_keras(model, tmp_path)
    rows = {r.name: r for r in analyze(load_model_spec(tmp_path / "model.json"), KERAS_BN).rows}
    # 15 + 0 + 1 = 16, then 16 - 1 - 0 = 15: the map moved up and left by a pixel
    assert (rows["shift_pad"].kind, rows["shift_pad"].output_shape) == ("pad", (8, 16, 16))
    assert (rows["shift_crop"].kind, rows["shift_crop"].output_shape) == ("crop", (8, 15, 15))
    assert "sep_pad" not in rows and "pool_pad" not in rows  # taken by the conv and the pool, as before
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "model.keras"), "--keras-bn"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (called("Reshape", "r", "x", target_shape="1x1"), r"'r' \(Reshape\): 'target_shape' is \"1x1\""),
        (called("Reshape", "r", "x", target_shape=[1, float("nan"), 4]), "'target_shape' is a list"),
        (called("Rescaling", "r", "x", scale="big"), r"'r' \(Rescaling\): 'scale' is \"big\""),
        (called("Rescaling", "r", "x", scale=[]), "'scale' is a list"),
        (called("TFOpLambda", "f", "x", function="math.exp"), "unsupported operator TFOpLambda at node 'f'"),
        (called("TFOpLambda", "f", "x", function=7), r"'f' \(TFOpLambda\): 'function' is 7"),
        (called("CustomScaleLayer", "s", "x", scale=0.2), "a scaled sum of 1 tensors"),
        (called("Subtract", "s", "x", "x"), "subtract of 2 tensor"),
        (called("Add", "s", "x", 10**400), "add of 1 tensor"),  # a number float() cannot take
        (called("Cropping2D", "c", "x", cropping=[[1, 2, 3], [0, 0]]), "a \\[before, after\\] pair"),
        (called("Normalization", "n", "x", axis=[1, 2]), "normalisation over axis"),
        (called("LayerNormalization", "n", "x", rms_scaling=True), "rms_scaling"),
        ({**called("Sequential", "m", "x"), "config": {"layers": {}}}, "'layers' is an object"),
    ],
)
def test_the_new_layers_refuse_a_broken_config_by_name(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(InteropError, match=message):
        keras_config_to_spec_data(functional(entry))


# --- an imported model's errors are its own, never a YAML spec's -------------------------------

#: a model whose import succeeds but whose spec is refused: Keras writes no check of its own
#: on a batch norm's epsilon, cnncalc's batch_norm needs it above 0
INVALID = functional(called("BatchNormalization", "bn", "x", epsilon=0.0))
INVALID_MESSAGE = "epsilon in batch_norm layer 'bn': expected greater than 0"


def padded_keras_archive(path: Path, config: dict[str, Any], padding: int) -> Path:
    """A .keras zip of `config` with a stored weights entry of `padding` bytes, as a large model has."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"\x01" * padding)
    return path


@pytest.mark.parametrize("command", ["summarize", "verify"])
def test_a_large_imported_model_that_fails_validation_says_why(tmp_path: Path, command: str) -> None:
    # Over 4 MiB (a YAML spec's limit) and binary: summarize once read a model whose spec was
    # refused again as a YAML spec with symbols, and printed that reader's refusal instead
    big = 5 * 1024 * 1024
    as_json = tmp_path / "big.json"
    as_json.write_text(json.dumps(INVALID) + " " * big)  # whitespace after the object is valid JSON
    files = [
        as_json,
        padded_keras_archive(tmp_path / "big.keras", INVALID, big),
        padded_keras_archive(tmp_path / "small.keras", INVALID, 0),
    ]
    for path in files:
        result = CliRunner().invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        assert INVALID_MESSAGE in result.stderr and "YAML" not in result.stderr, (path.name, result.stderr)


def test_a_keras_config_over_its_limit_is_refused_with_the_keras_limit(tmp_path: Path) -> None:
    from cnncalc.features.interop import is_model_file
    from cnncalc.features.interop.keras.archive import MAX_CONFIG_BYTES

    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(INVALID) + " " * MAX_CONFIG_BYTES)
    spec_like = tmp_path / "spec.json"  # as large, but no Keras config: the spec reader's limit applies
    spec_like.write_text(json.dumps({"input": [8, 8, 3], "layers": []}) + " " * MAX_CONFIG_BYTES)
    assert is_model_file(huge) and not is_model_file(spec_like)
    result = CliRunner().invoke(app, ["summarize", str(huge)])
    assert result.exit_code == 2
    assert f"a Keras model config is limited to {MAX_CONFIG_BYTES:,}" in result.stderr
    result = CliRunner().invoke(app, ["summarize", str(spec_like)])
    assert result.exit_code == 2 and "a YAML spec is limited to" in result.stderr


# --- frozen layers: Keras's split of the params, layer by layer -------------------------------


def assert_split_is_keras(model: Any, tmp_path: Path) -> Report:
    """Saved as .keras and as to_json(): the imported totals are Keras's count_params(), and its
    trainable and non-trainable weights, element by element."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "model.keras")
    (tmp_path / "model.json").write_text(model.to_json())
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    for path in (tmp_path / "model.keras", tmp_path / "model.json"):
        report = analyze(load_model_spec(path), KERAS_BN)
        t = report.totals
        assert (t.params, t.trainable_params, t.non_trainable_params) == (model.count_params(), trainable, frozen)
    return report


@KERAS_WARNINGS
def test_sequential_with_one_frozen_conv_splits_as_keras(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    frozen = kl.Conv2D(8, 3, name="frozen")
    model = keras.Sequential(
        [keras.Input((16, 16, 3)), frozen, kl.BatchNormalization(), kl.ReLU(), kl.Flatten(), kl.Dense(10)]
    )
    frozen.trainable = False
    report = assert_split_is_keras(model, tmp_path)
    row = next(r for r in report.rows if r.name == "frozen")
    assert (row.trainable_params, row.non_trainable_params) == (0, 3 * 3 * 3 * 8 + 8)


@KERAS_WARNINGS
def test_functional_model_with_a_frozen_nested_backbone_splits_as_keras(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    base = keras.Sequential(
        [keras.Input((8, 8, 3)), kl.Conv2D(4, 3, name="c"), kl.BatchNormalization(name="bn"), kl.ReLU(name="r")]
    )
    base.trainable = False  # fine-tuning's frozen base: batch norm's four arrays all non-trainable
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, kl.Dense(2, name="head")(kl.Flatten()(base(x))))
    assert_split_is_keras(model, tmp_path)
    spec = load_model_spec(tmp_path / "model.json")
    frozen = [layer.kind for layer in spec.layers if isinstance(layer, LayerBase) and not layer.trainable]
    assert frozen == ["conv", "batch_norm"]  # the ReLU has no weights: it takes no flag


@KERAS_WARNINGS
def test_application_with_a_frozen_base_under_a_new_head_splits_as_keras(keras: Any, tmp_path: Path) -> None:
    kl = keras.layers
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
    base.trainable = False
    x = keras.Input((32, 32, 3))
    head = kl.Dense(5)(kl.Dropout(0.2)(kl.GlobalAveragePooling2D()(base(x))))
    assert_split_is_keras(keras.Model(x, head), tmp_path)


def test_a_frozen_layer_or_model_config_is_written_frozen_without_keras() -> None:
    def frozen(config: dict[str, Any]) -> list[str]:
        return [layer["name"] for layer in keras_config_to_spec_data(config, "net")["layers"] if "trainable" in layer]

    assert frozen(functional(called("Conv2D", "c", "x", filters=2, kernel_size=3, trainable=False))) == ["c"]
    whole = functional(called("Conv2D", "c", "x", filters=2, kernel_size=3))
    whole["config"]["trainable"] = False  # the whole model frozen, its layers not marked
    assert frozen(whole) == ["c"]
    assert frozen(functional(called("ReLU", "r", "x", trainable=False))) == []
    report = report_of(whole)
    assert (report.totals.trainable_params, report.totals.non_trainable_params) == (0, 3 * 3 * 4 * 2 + 2)
