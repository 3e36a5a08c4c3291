"""ONNX import of untrusted files: external data never read, dead nodes noted, folding bounded.

The hostile corpus (tests/hostile/corpus_onnx.py) checks each refusal's message through the
CLI; these tests check what a refusal cannot show: that no byte of external data is read (from
the working directory or beside the model), that a weight's value is never needed, and that the
last-resort conversion of a stray exception names the node without hiding bugs in debug runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx")
import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from cnncalc.cli import app  # noqa: E402
from cnncalc.features.interop.common import InteropError  # noqa: E402
from cnncalc.features.interop.onnx.read import model_to_spec_data, onnx_to_spec_data  # noqa: E402
from cnncalc.features.interop.onnx.walk import Importer  # noqa: E402

SECRET = np.array([4242.5, 4242.5, 4242.5, 4242.5], dtype=np.float32)


def external(name: str, dims: list[int], location: str) -> Any:
    tensor = TensorProto()
    tensor.name, tensor.data_type = name, TensorProto.FLOAT
    tensor.dims.extend(dims)
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return tensor


def model(nodes: list[Any], inits: list[Any], output: str = "y") -> Any:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "net", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def weight(name: str, dims: list[int]) -> Any:
    return numpy_helper.from_array(np.ones(dims, dtype=np.float32), name)


def conv(out: str = "y", x: str = "x", name: str = "conv") -> Any:
    return helper.make_node("Conv", [x, "w"], [out], name=name, kernel_shape=[3, 3])


def clip_on_external(location: str) -> Any:
    nodes = [conv("c"), helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")]
    lo = numpy_helper.from_array(np.array(0.0, dtype=np.float32), "lo")
    return model(nodes, [weight("w", [4, 3, 3, 3]), lo, external("hi", [], location)])


@pytest.mark.parametrize("beside", [False, True], ids=["in-cwd", "beside-the-model"])
def test_external_data_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside: bool) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(SECRET.tobytes())
    if beside:
        (folder / "secret.bin").write_bytes(SECRET.tobytes())
    onnx.save(clip_on_external("secret.bin"), folder / "model.onnx")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InteropError) as caught:
        onnx_to_spec_data(folder / "model.onnx")
    message = str(caught.value)
    assert "'hi' (float, shape [])" in message and "not a known scalar constant" in message
    assert "4242" not in message


def test_external_weights_import_from_their_dims(tmp_path: Path) -> None:
    """Weights stored beside the model (as large exports do) are counted without being read."""
    nodes = [conv("c"), helper.make_node("Relu", ["c"], ["y"], name="relu")]
    onnx.save(model(nodes, [external("w", [4, 3, 3, 3], "weights.bin")]), tmp_path / "m.onnx")
    data = onnx_to_spec_data(tmp_path / "m.onnx")  # weights.bin does not even exist
    assert [layer["kind"] for layer in data["layers"]] == ["conv", "relu"]
    assert data["layers"][0]["filters"] == 4


def test_a_large_weight_transposed_keeps_its_dims() -> None:
    """Too large to fold (1.2 M elements), the transposed weight still has known dims."""
    nodes = [
        helper.make_node("Flatten", ["x"], ["f"], name="flat"),
        helper.make_node("Transpose", ["wt"], ["w"], name="t", perm=[1, 0]),
        helper.make_node("MatMul", ["f", "w"], ["y"], name="fc"),
    ]
    data = model_to_spec_data(model(nodes, [weight("wt", [6000, 192])]), "net")
    assert data["layers"][-1] == {"kind": "dense", "name": "fc", "units": 6000, "bias": False}


def test_dead_nodes_are_left_out_with_a_note() -> None:
    cos = helper.make_node("ConstantOfShape", ["shape"], ["k"], name="fill")
    huge = numpy_helper.from_array(np.array([10**6, 10**6], dtype=np.int64), "shape")
    notes: list[str] = []
    data = model_to_spec_data(model([cos, conv()], [weight("w", [4, 3, 3, 3]), huge]), "net", notes=notes)
    assert notes == ["ignored 1 node(s) whose outputs reach no graph output: 'fill' (ConstantOfShape)"]
    assert notes[0] in data["description"]
    assert [layer["kind"] for layer in data["layers"]] == ["conv"]


def test_import_prints_notes_on_stderr(tmp_path: Path) -> None:
    relu = helper.make_node("Relu", ["x"], ["unused"], name="spare")
    onnx.save(model([relu, conv()], [weight("w", [4, 3, 3, 3])]), tmp_path / "m.onnx")
    result = CliRunner().invoke(app, ["import", str(tmp_path / "m.onnx")])
    assert result.exit_code == 0, result.output
    assert "note: ignored 1 node(s) whose outputs reach no graph output: 'spare' (Relu)" in result.output


def test_a_stray_exception_names_the_node_but_not_in_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Importer, node: Any, kind: str) -> None:
        raise KeyError("a bug in a handler")

    monkeypatch.setattr(Importer, "activation", broken)
    nodes = [conv("c"), helper.make_node("Relu", ["c"], ["y"], name="relu")]
    net = model(nodes, [weight("w", [4, 3, 3, 3])])
    monkeypatch.delenv("CNNCALC_DEBUG", raising=False)
    with pytest.raises(InteropError, match=r"node 'relu' \(Relu\) is malformed \(KeyError\)"):
        model_to_spec_data(net, "net")
    monkeypatch.setenv("CNNCALC_DEBUG", "1")
    with pytest.raises(KeyError):
        model_to_spec_data(net, "net")


def test_folding_stops_at_its_step_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap, a constant stays of unknown value: a Clip bound computed from it is refused."""
    import cnncalc.features.interop.onnx.constants as folding

    nodes = [
        conv("c"),
        helper.make_node("Add", ["three", "three"], ["hi"], name="six"),
        helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip"),
    ]
    bounds = [numpy_helper.from_array(np.array(v, dtype=np.float32), n) for n, v in (("lo", 0.0), ("three", 3.0))]
    net = model(nodes, [weight("w", [4, 3, 3, 3]), *bounds])
    assert model_to_spec_data(net, "net")["layers"][-1]["kind"] == "relu6"
    monkeypatch.setattr(folding, "MAX_FOLD_STEPS", 0)
    with pytest.raises(InteropError, match="a bound that is not a known scalar constant"):
        model_to_spec_data(net, "net")
