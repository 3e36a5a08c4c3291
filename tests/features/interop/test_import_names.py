"""`cnncalc import` with hostile file and layer names: the YAML written holds exactly the keys the
importer wrote, and the header comment is one ASCII line, whatever the model file is called."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.cli.import_cmd import spec_yaml

runner = CliRunner()
TINY_ONNX = Path(__file__).resolve().parents[3] / "examples" / "models" / "tiny-cnn.onnx"

HOSTILE = [
    "a\nname: evil\nbatch: 99",
    "b\rinput: 1x1x1",
    "c\r\n- {kind: dense, units: 1}",
    "d\u2028e: 1",
    "f\x85g: 2",
    "h # not a comment",
    "i: j",
    "k\ufeff\u202el",
    "'quoted\"",
    "- item",
    "&anchor *alias",
    "{flow: map}",
]


def keras_json(name: str) -> dict[str, Any]:
    def layer(cls: str, **config: Any) -> dict[str, Any]:
        return {"class_name": cls, "config": config}

    return {
        "class_name": "Sequential",
        "config": {
            "name": name,
            "layers": [
                layer("InputLayer", batch_shape=[None, 8, 8, 3], name=name + "in"),
                layer("Conv2D", name=name, filters=4, kernel_size=[3, 3]),
                layer("Flatten", name=name + "flat"),
                layer("Dense", name=name + "fc", units=2),
            ],
        },
    }


def check_yaml(text: str) -> dict[str, Any]:
    header, _, _ = text.partition("\n")
    assert header.startswith("# imported from ") and header.isascii() and header.isprintable()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    assert set(data) <= {"name", "description", "input", "layers", "blocks", "dtype"}
    return data


@pytest.mark.parametrize("name", HOSTILE, ids=[ascii(n) for n in HOSTILE])
def test_spec_yaml_round_trips_any_name(name: str) -> None:
    data: dict[str, object] = {"name": name, "description": name, "input": "8x8x3", "layers": [{"name": name}]}
    text = spec_yaml(data, f"/models/{name}.onnx")
    assert check_yaml(text) == data
    assert json.loads(text.partition("\n")[0].removeprefix("# imported from ").split(" by `")[0]) == f"{name}.onnx"


@pytest.mark.parametrize("name", HOSTILE, ids=[ascii(n) for n in HOSTILE])
def test_import_keras_file_with_hostile_names(name: str, tmp_path: Path) -> None:
    model = tmp_path / f"{name}.json"
    model.write_text(json.dumps(keras_json(name)))
    result = runner.invoke(app, ["import", str(model)])
    assert result.exit_code == 0, result.output
    data = check_yaml(result.stdout)
    assert set(data) == {"name", "description", "input", "layers"}  # the importer's keys, no more
    assert all(
        set(layer) <= {"kind", "name", "filters", "kernel", "stride", "units", "padding"} for layer in data["layers"]
    )


@pytest.mark.parametrize("name", HOSTILE[:4], ids=[ascii(n) for n in HOSTILE[:4]])
def test_import_onnx_file_with_a_hostile_name(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    model = tmp_path / f"{name}.onnx"
    shutil.copy(TINY_ONNX, model)
    out = tmp_path / "out.yaml"
    result = runner.invoke(app, ["import", str(model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = check_yaml(out.read_text(encoding="utf-8"))
    assert set(data) == {"name", "description", "input", "layers"}
