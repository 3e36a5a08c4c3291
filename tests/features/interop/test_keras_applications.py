"""Every model of keras.applications, built with weights=None on the PyTorch backend, imports
with Keras's own count_params(), its non-trainable share, and every layer's output shape.

One model per family runs by default; the larger members are marked slow and run with
CNNCALC_SLOW=1. Without keras and torch the whole module skips.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.conventions import Conventions
from cnncalc.core.walk import analyze
from cnncalc.features.interop import load_model_spec
from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.keras.model import keras_config_to_spec_data
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import SourceMap, from_channels_first

KERAS_BN = Conventions(bn_running_stats=True)
SLOW = pytest.mark.skipif(not os.environ.get("CNNCALC_SLOW"), reason="a large model: set CNNCALC_SLOW=1")

#: the first of each family runs by default, the others are slow
FAMILIES: dict[str, tuple[str, ...]] = {
    "VGG": ("VGG16", "VGG19"),
    "ResNet": ("ResNet50", "ResNet101", "ResNet152"),
    "ResNetV2": ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
    "InceptionV3": ("InceptionV3",),
    "InceptionResNetV2": ("InceptionResNetV2",),
    "Xception": ("Xception",),
    "MobileNet": ("MobileNet",),
    "MobileNetV2": ("MobileNetV2",),
    "MobileNetV3": ("MobileNetV3Small", "MobileNetV3Large"),
    "DenseNet": ("DenseNet121", "DenseNet169", "DenseNet201"),
    "NASNet": ("NASNetMobile", "NASNetLarge"),
    "EfficientNet": tuple(f"EfficientNetB{i}" for i in range(8)),
    "EfficientNetV2": (
        *(f"EfficientNetV2B{i}" for i in range(4)),
        "EfficientNetV2S",
        "EfficientNetV2M",
        "EfficientNetV2L",
    ),
    "ConvNeXt": ("ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"),
}

#: MobileNetV3 has no input size of its own without weights: Keras builds it for any size
INPUT_SHAPES = {"MobileNetV3Small": (224, 224, 3), "MobileNetV3Large": (224, 224, 3)}


def _marks(first: bool) -> tuple[pytest.MarkDecorator, ...]:
    return () if first else (pytest.mark.slow, SLOW)


CASES = [
    pytest.param(name, id=name, marks=_marks(i == 0)) for members in FAMILIES.values() for i, name in enumerate(members)
]

#: applications cnncalc refuses, with what the refusal says (none since NASNetLarge's shift by a
#: pixel, ZeroPadding2D(((0, 1), (0, 1))) then Cropping2D(((1, 0), (1, 0))), imports as pad and crop)
REFUSED: dict[str, str] = {}

#: Keras layers that are no row of their own: the input, a padding folded into the next layer,
#: an identity (ConvNeXt's stochastic depth at rate 0 is Activation('linear')), a nested model
FOLDED = {"InputLayer", "ZeroPadding2D", "Sequential", "Functional"}


def build(keras: Any, name: str) -> Any:
    """The application with weights=None, or a skip naming why Keras itself cannot build it here."""
    kwargs: dict[str, Any] = {"weights": None}
    if name in INPUT_SHAPES:
        kwargs["input_shape"] = INPUT_SHAPES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(keras.applications, name)(**kwargs)
        except ValueError as e:  # NASNet: "not available with the torch backend"
            pytest.skip(f"Keras cannot build {name} here: {str(e)[:120]}")


#: to_json() of each application built here, kept for the verify test (a build takes seconds)
CONFIGS: dict[str, str] = {}


def keras_layers(model: Any) -> Iterator[Any]:
    """Every layer of the model, those of nested models too."""
    for item in model.layers:
        yield item
        if hasattr(item, "layers"):
            yield from keras_layers(item)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("name", CASES)
def test_application_imports_with_keras_counts(keras: Any, name: str) -> None:
    model = build(keras, name)
    CONFIGS[name] = model.to_json()
    config = json.loads(CONFIGS[name])
    if name in REFUSED:
        with pytest.raises(InteropError, match=REFUSED[name]):
            keras_config_to_spec_data(config, name)
        return
    report = analyze(validate_spec(keras_config_to_spec_data(config, name), SourceMap(name)), KERAS_BN)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    assert (report.totals.params, report.totals.non_trainable_params) == (model.count_params(), non_trainable)
    rows = {r.name: r for r in report.rows}
    for item in keras_layers(model):
        if item.name not in rows:
            kind = type(item).__name__
            identity = kind == "Activation" and item.get_config()["activation"] == "linear"
            assert kind in FOLDED or identity, f"{item.name} ({kind}) is no row"
            continue
        shape = from_channels_first(rows[item.name].output_shape, "hwc")
        assert shape == tuple(item.output.shape[1:]), item.name


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_a_saved_keras_file_imports_as_its_config_does(keras: Any, tmp_path: Path) -> None:
    model = build(keras, "MobileNet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "mobilenet.keras")
    report = analyze(load_model_spec(tmp_path / "mobilenet.keras"), KERAS_BN)
    assert report.totals.params == model.count_params() == 4_253_864


#: the first model of each family whose layers need the kinds scale, layer_norm, unflatten or a
#: broadcasting multiply, and the input size verify runs it at (small: NumPy runs every layer);
#: NASNetLarge (pad and crop) at 331 - 8 * 32, so that every stride-2 stage sees the parity its
#: padding was built for (Keras's correct_pad), slow as its import is
VERIFIED = [
    pytest.param("InceptionResNetV2", 96),
    pytest.param("MobileNetV3Small", 64),
    pytest.param("EfficientNetB0", 64),
    pytest.param("EfficientNetV2B0", 64),
    pytest.param("ConvNeXtTiny", 64),
    pytest.param("NASNetLarge", 75, marks=_marks(False)),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize(("name", "size"), VERIFIED)
def test_verify_runs_the_imported_application(keras: Any, tmp_path: Path, name: str, size: int) -> None:
    # the NumPy core runs the imported graph and measures every count the summary states
    path = tmp_path / f"{name}.json"
    path.write_text(CONFIGS[name] if name in CONFIGS else build(keras, name).to_json())
    result = CliRunner().invoke(app, ["verify", str(path), "--keras-bn", "--input", f"{size}x{size}x3", "-f", "json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["ok"] is True and verdict["mismatches"] == []
