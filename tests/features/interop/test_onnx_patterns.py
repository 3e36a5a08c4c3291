"""What PyTorch's exporter writes as several nodes, read back as one layer: each decomposition as a
minimal graph built with onnx.helper (node for node as `torch.onnx.export` writes it), a near miss
that must not be read so, and the same through torch itself where it is installed."""

from __future__ import annotations

import io
import math
import warnings
from typing import Any

import pytest

from cnncalc.errors import CnncalcError

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from cnncalc.features.interop.onnx.patterns import find  # noqa: E402
from cnncalc.features.interop.onnx.read import model_to_spec_data  # noqa: E402

SHAPE = [1, 4, 8, 8]


def _const(name: str, value: Any, dtype: int = TensorProto.FLOAT) -> Any:
    values = value if isinstance(value, list) else [value]
    dims = [len(values)] if isinstance(value, list) else []
    return helper.make_node(
        "Constant", [], [name], name=f"/{name}", value=helper.make_tensor(name, dtype, dims, values)
    )


def _model(nodes: list[Any], opset: int = 17, output: str = "y", output_shape: list[int] | None = None) -> Any:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _import(model: Any, calls: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    notes: list[str] = []
    data = model_to_spec_data(model, "m", notes=notes, calls=calls)
    return [{k: v for k, v in layer.items() if k not in ("name", "from")} for layer in data["layers"]], notes


def _lrn_nodes(numerator: str = "x", size: int = 5) -> list[Any]:
    """F.local_response_norm on a 4-D input as torch.onnx.export writes it at opsets 13 to 20:
    square, view as (N, 1, C, H*W), pad the channel axis, 3-D average over `size` channels, squeeze
    the added axis (an If, since the exporter did not know its size), view back, scale, add, power,
    divide."""
    squeeze = helper.make_graph(
        [_const("axes", [1], TensorProto.INT64), helper.make_node("Squeeze", ["pool", "axes"], ["sq_out"])],
        "then",
        [],
        [helper.make_tensor_value_info("sq_out", TensorProto.FLOAT, None)],
    )
    keep = helper.make_graph(
        [helper.make_node("Identity", ["pool"], ["id_out"])],
        "else",
        [],
        [helper.make_tensor_value_info("id_out", TensorProto.FLOAT, None)],
    )
    before, after = size // 2, (size - 1) // 2
    return [
        helper.make_node("Mul", ["x", "x"], ["square"], name="/lrn/Mul"),
        _const("view", [1, 1, 4, 8, -1], TensorProto.INT64),
        helper.make_node("Reshape", ["square", "view"], ["viewed"], name="/lrn/Reshape"),
        _const("pads", [0, 0, before, 0, 0, 0, 0, after, 0, 0], TensorProto.INT64),
        helper.make_node("Pad", ["viewed", "pads"], ["padded"], name="/lrn/Pad"),
        helper.make_node(
            "AveragePool", ["padded"], ["pool"], name="/lrn/AveragePool", kernel_shape=[size, 1, 1], strides=[1, 1, 1]
        ),
        _const("cond", [True], TensorProto.BOOL),
        helper.make_node("If", ["cond"], ["squeezed"], name="/lrn/If", then_branch=squeeze, else_branch=keep),
        _const("back", SHAPE, TensorProto.INT64),
        helper.make_node("Reshape", ["squeezed", "back"], ["mean"], name="/lrn/Reshape_1"),
        _const("alpha", 0.0001),
        helper.make_node("Mul", ["mean", "alpha"], ["scaled"], name="/lrn/Mul_1"),
        _const("k", 2.0),
        helper.make_node("Add", ["scaled", "k"], ["shifted"], name="/lrn/Add"),
        _const("beta", 0.75),
        helper.make_node("Pow", ["shifted", "beta"], ["denominator"], name="/lrn/Pow"),
        helper.make_node("Div", [numerator, "denominator"], ["y"], name="/lrn/Div"),
    ]


def test_lrn_written_out_is_one_lrn_layer() -> None:
    layers, notes = _import(_model(_lrn_nodes()))
    assert layers == [{"kind": "lrn", "size": 5, "alpha": 0.0001, "beta": 0.75, "k": 2.0}]
    assert any("'lrn' (LRN written as 10 nodes)" in note for note in notes)
    assert not any("ignored" in note for note in notes)  # its constants go with it, silently


@pytest.mark.parametrize("size", [3, 5])  # ONNX Runtime runs LRN of odd sizes only
def test_the_lrn_graph_computes_onnx_lrn(size: int) -> None:
    """The graph above is LRN: ONNX Runtime gives what ONNX's own LRN operator gives."""
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    written = _model(_lrn_nodes(size=size), output_shape=SHAPE)
    lrn = _model(
        [helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.0001, beta=0.75, bias=2.0)], output_shape=SHAPE
    )
    outputs = [
        ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        for m in (written, lrn)
    ]
    assert np.allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)
    assert _import(written)[0] == [{"kind": "lrn", "size": size, "alpha": 0.0001, "beta": 0.75, "k": 2.0}]


def test_a_division_by_another_tensor_is_no_lrn() -> None:
    nodes = [helper.make_node("Relu", ["x"], ["other"], name="/relu/Relu"), *_lrn_nodes(numerator="other")]
    assert find(_model(nodes).graph) == {}
    assert [f.layer["kind"] for f in find(_model(_lrn_nodes()).graph).values()] == ["lrn"]


def test_an_if_outside_a_recognised_lrn_is_refused_as_control_flow() -> None:
    # the screen lets an If that only squeezes through; the import reads it only inside an LRN
    keep = helper.make_graph(
        [helper.make_node("Identity", ["r"], ["kept"])], "b", [], [helper.make_tensor_value_info("kept", 1, None)]
    )
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="/Relu"),
        _const("cond", [True], TensorProto.BOOL),
        helper.make_node("If", ["cond"], ["y"], name="/If", then_branch=keep, else_branch=keep),
    ]
    with pytest.raises(CnncalcError, match=r"'/If'.*control flow \(If, Loop, Scan\) is not imported"):
        _import(_model(nodes))


def test_an_if_that_computes_is_refused_by_the_screen() -> None:
    branch = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"])], "b", [], [helper.make_tensor_value_info("r", TensorProto.FLOAT, None)]
    )
    nodes = [
        _const("cond", [True], TensorProto.BOOL),
        helper.make_node("If", ["cond"], ["y"], then_branch=branch, else_branch=branch),
    ]
    with pytest.raises(CnncalcError, match=r"control flow \(If, Loop, Scan\) is not imported"):
        _import(_model(nodes))


@pytest.mark.parametrize("order", ["x first", "gate first"])
def test_swish_as_sigmoid_and_mul(order: str) -> None:
    inputs = ["x", "gate"] if order == "x first" else ["gate", "x"]
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["gate"], name="/act/Sigmoid"),
        helper.make_node("Mul", inputs, ["y"], name="/act/Mul"),
    ]
    calls: dict[str, str] = {}
    layers, _ = _import(_model(nodes), calls)
    assert layers == [{"kind": "swish"}]
    assert calls == {"act": "module"}  # in a module that holds no other: nn.SiLU


def test_sigmoid_of_another_tensor_times_x_stays_three_layers() -> None:
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="/Relu"),
        helper.make_node("Sigmoid", ["r"], ["gate"], name="/Sigmoid"),
        helper.make_node("Mul", ["x", "gate"], ["y"], name="/Mul"),
    ]
    calls: dict[str, str] = {}
    layers, _ = _import(_model(nodes), calls)
    assert [layer["kind"] for layer in layers] == ["relu", "sigmoid", "multiply"]
    # at the top of the model's forward: F.relu, torch.sigmoid, and `x * y`
    assert sorted(calls.values()) == ["function", "function", "operator"]


def test_hard_swish_below_opset_14() -> None:
    def nodes(alpha: float) -> list[Any]:
        return [
            helper.make_node("HardSigmoid", ["x"], ["gate"], name="/hs/HardSigmoid", alpha=alpha, beta=0.5),
            helper.make_node("Mul", ["x", "gate"], ["y"], name="/hs/Mul"),
        ]

    assert _import(_model(nodes(1 / 6), opset=13))[0] == [{"kind": "hard_swish"}]
    # HardSigmoid's own default slope (0.2) is not PyTorch's hardsigmoid: no hard-swish
    assert [layer["kind"] for layer in _import(_model(nodes(0.2), opset=13))[0]] == ["hard_sigmoid", "multiply"]


def test_gelu_erf_form() -> None:
    nodes = [
        _const("root2", 1.4142135381698608),
        helper.make_node("Div", ["x", "root2"], ["d"], name="/ge/Div"),
        helper.make_node("Erf", ["d"], ["e"], name="/ge/Erf"),
        _const("one", 1.0),
        helper.make_node("Add", ["e", "one"], ["a"], name="/ge/Add"),
        helper.make_node("Mul", ["x", "a"], ["m"], name="/ge/Mul"),
        _const("half", 0.5),
        helper.make_node("Mul", ["m", "half"], ["y"], name="/ge/Mul_1"),
    ]
    layers, notes = _import(_model(nodes))
    assert layers == [{"kind": "gelu"}]
    assert any("gelu written out (erf form)" in note for note in notes)


def test_gelu_tanh_form() -> None:
    """0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), node for node as PyTorch writes it."""
    nodes = [
        helper.make_node("Mul", ["x", "x"], ["x2"], name="/gt/Mul"),
        helper.make_node("Mul", ["x", "x2"], ["x3"], name="/gt/Mul_1"),
        _const("c", 0.044715),
        helper.make_node("Mul", ["c", "x3"], ["cx3"], name="/gt/Mul_2"),
        helper.make_node("Add", ["x", "cx3"], ["inner"], name="/gt/Add"),
        _const("s", math.sqrt(2 / math.pi)),
        helper.make_node("Mul", ["s", "inner"], ["arg"], name="/gt/Mul_3"),
        helper.make_node("Tanh", ["arg"], ["t"], name="/gt/Tanh"),
        _const("one", 1.0),
        helper.make_node("Add", ["one", "t"], ["a"], name="/gt/Add_1"),
        helper.make_node("Mul", ["x", "a"], ["m"], name="/gt/Mul_4"),
        _const("half", 0.5),
        helper.make_node("Mul", ["half", "m"], ["y"], name="/gt/Mul_5"),
    ]
    assert _import(_model(nodes))[0] == [{"kind": "gelu"}]


def test_an_inner_result_read_elsewhere_keeps_the_nodes_apart() -> None:
    # the sigmoid is also an output of the model: x * sigmoid(x) is then not one swish layer
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["gate"], name="/Sigmoid"),
        helper.make_node("Mul", ["x", "gate"], ["prod"], name="/Mul"),
        helper.make_node("Add", ["prod", "gate"], ["y"], name="/Add"),
    ]
    assert [layer["kind"] for layer in _import(_model(nodes))[0]] == ["sigmoid", "multiply", "add"]


# --- through PyTorch's exporter itself --------------------------------------------------------


@pytest.mark.parametrize("opset", [13, 17, 20])
def test_torch_exports_read_back_as_the_layers_written(opset: int) -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    class Net(nn.Module):  # type: ignore[misc]  # torch is read as Any (pyproject.toml)
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.lrn = nn.LocalResponseNorm(3, alpha=2e-4, beta=0.5, k=1.5)
            self.silu = nn.SiLU()
            self.hs = nn.Hardswish()
            self.gelu = nn.GELU()
            self.gelu_tanh = nn.GELU(approximate="tanh")

        def forward(self, x: Any) -> Any:
            x = self.lrn(self.conv(x))
            x = self.gelu_tanh(self.gelu(self.hs(self.silu(x))))
            return nn.functional.silu(x)

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Net().eval(), (torch.zeros(1, 3, 10, 10),), buffer, dynamo=False, opset_version=opset)
    calls: dict[str, str] = {}
    layers, _ = _import(onnx.load_from_string(buffer.getvalue()), calls)
    assert layers[1] == {"kind": "lrn", "size": 3, "alpha": 0.0002, "beta": 0.5, "k": 1.5}
    assert [layer["kind"] for layer in layers] == ["conv", "lrn", "swish", "hard_swish", "gelu", "gelu", "swish"]
    assert [calls[name] for name in ("conv", "lrn", "silu", "hs", "gelu", "gelu_tanh")] == ["module"] * 6
    assert list(calls.values())[-1] == "function"  # F.silu at the top of forward
