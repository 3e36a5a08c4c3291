"""`cnncalc import` and `cnncalc match` through the CLI: output, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def tiny_model(path: Path, filters: int = 4, op: str = "Relu") -> Path:
    """input 3x8x8 -> conv 3x3 (filters) -> op -> global average pool -> flatten."""
    import numpy as np

    weight = numpy_helper.from_array(np.ones((filters, 3, 3, 3), dtype=np.float32), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node(op, ["c"], ["r"], name="act"),
        helper.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["y"], name="flat"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, filters])],
        [weight],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


SPEC = """\
name: tiny
input: {shape: [3, 8, 8], layout: chw}
layers:
  - {kind: conv, filters: 4, kernel: 3, padding: 1, bias: false, activation: relu}
  - {kind: global_avg_pool}
"""


def test_import_prints_yaml_that_loads(runner: CliRunner, tmp_path: Path) -> None:
    model = tiny_model(tmp_path / "tiny.onnx")
    result = runner.invoke(app, ["import", str(model)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('# imported from "tiny.onnx"')
    spec = tmp_path / "tiny.yaml"
    spec.write_text(result.stdout)
    summary = runner.invoke(app, ["summarize", str(spec), "--format", "json"])
    assert summary.exit_code == 0, summary.output
    assert json.loads(summary.stdout)["totals"]["params"] == 4 * 3 * 3 * 3  # the conv's weights, no bias


def test_import_writes_a_file_but_never_over_one(runner: CliRunner, tmp_path: Path) -> None:
    model = tiny_model(tmp_path / "tiny.onnx")
    out = tmp_path / "out.yaml"
    assert runner.invoke(app, ["import", str(model), "-o", str(out)]).exit_code == 0
    first = out.read_text()
    assert "kind: conv" in first
    again = runner.invoke(app, ["import", str(model), "-o", str(out)])
    assert again.exit_code == 2 and "exists" in again.output and "--force" in again.output
    out.write_text("mine")
    assert runner.invoke(app, ["import", str(model), "-o", str(out), "--force"]).exit_code == 0
    assert out.read_text() == first
    target = tmp_path / "target.txt"
    target.write_text("keep")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    refused = runner.invoke(app, ["import", str(model), "-o", str(link), "--force"])
    assert refused.exit_code == 2 and "symbolic link" in refused.output
    assert target.read_text() == "keep"


def test_import_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tiny_model(tmp_path / "bad.onnx", op="Erf")
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 2
    assert "unsupported operator Erf at node 'act'" in result.output and "conv (conv)" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.onnx")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    text = tmp_path / "model.txt"
    text.write_text("x")
    assert runner.invoke(app, ["import", str(text)]).exit_code == 2


def test_missing_extra_is_a_clear_error(runner: CliRunner, tmp_path: Path, monkeypatch: Any) -> None:
    import builtins

    model = tiny_model(tmp_path / "tiny.onnx")
    real_import = builtins.__import__

    def no_onnx(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    monkeypatch.delitem(__import__("sys").modules, "onnx")
    result = runner.invoke(app, ["import", str(model)])
    assert result.exit_code == 2
    assert "ONNX import needs the onnx package: pip install onnx" in result.output


def test_match_equal_and_different(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    same = runner.invoke(app, ["match", str(spec), str(tiny_model(tmp_path / "same.onnx"))])
    assert same.exit_code == 0, same.output
    assert "match: tiny and same agree on 2 layers" in same.output
    other = tiny_model(tmp_path / "wider.onnx", filters=6)
    wider = runner.invoke(app, ["match", str(spec), str(other)])
    assert wider.exit_code == 1
    assert "conv1" in wider.output and "shape, params" in wider.output and "MISMATCH" in wider.output
    as_json = runner.invoke(app, ["match", str(spec), str(other), "--format", "json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["match"] is False
    assert data["totals"]["params"] == {
        "spec": 108,
        "model": 162,
        "equal": False,
        "explained_difference": 0,
        "agree": False,
    }
    conv = data["layers"][0]
    assert conv["spec"]["output_shape"] == [4, 8, 8] and conv["model"]["output_shape"] == [6, 8, 8]
    assert conv["problems"] == ["shape", "params"]


def test_match_layer_only_on_one_side(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "extra.yaml"
    spec.write_text(
        SPEC.replace("  - {kind: global_avg_pool}", "  - {kind: max_pool, kernel: 2}\n  - {kind: global_avg_pool}")
    )
    result = runner.invoke(app, ["match", str(spec), str(tiny_model(tmp_path / "m.onnx")), "-f", "json"])
    assert result.exit_code == 1
    problems = [layer["problems"] for layer in json.loads(result.stdout)["layers"]]
    assert ["only in the spec"] in problems


def test_match_bad_input_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["match", "no-such-net", str(tiny_model(tmp_path / "m.onnx"))])
    assert result.exit_code == 2


def test_match_input_override(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text(SPEC.replace("[3, 8, 8]", "[3, 16, 16]"))
    model = str(tiny_model(tmp_path / "m.onnx"))
    assert runner.invoke(app, ["match", str(spec), model]).exit_code == 1
    assert runner.invoke(app, ["match", str(spec), model, "--input", "3x8x8"]).exit_code == 0
