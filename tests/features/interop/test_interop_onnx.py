"""ONNX in: models written with onnx.helper (no PyTorch needed), checked against ONNX itself.

Each imported spec must have the parameters the model stores (the sum of its initializers,
with batch norm's running statistics counted as Keras counts them) and, layer by layer,
the shapes ONNX's own shape inference gives.
"""

from __future__ import annotations

from math import prod
from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper, shape_inference  # noqa: E402

from cnncalc.core.conventions import Conventions  # noqa: E402
from cnncalc.core.report import Report  # noqa: E402
from cnncalc.core.walk import analyze  # noqa: E402
from cnncalc.features.interop import load_model_spec  # noqa: E402
from cnncalc.features.interop.common import InteropError  # noqa: E402
from cnncalc.features.interop.onnx.read import model_to_spec_data  # noqa: E402
from cnncalc.spec.loader import validate_spec  # noqa: E402
from cnncalc.spec.model import SourceMap  # noqa: E402


class Net:
    """A small ONNX graph under construction: nodes named after their single output."""

    def __init__(self, shape: list[int]) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])

    def weight(self, name: str, dims: list[int]) -> str:
        import numpy as np

        self.inits.append(numpy_helper.from_array(np.ones(dims, dtype=np.float32), name))
        return name

    def ints(self, name: str, values: list[int]) -> str:
        import numpy as np

        self.inits.append(numpy_helper.from_array(np.array(values, dtype=np.int64), name))
        return name

    def floats(self, name: str, values: list[float]) -> str:
        import numpy as np

        self.inits.append(numpy_helper.from_array(np.array(values, dtype=np.float32), name))
        return name

    def scalar(self, name: str, value: float) -> str:
        import numpy as np

        self.inits.append(numpy_helper.from_array(np.array(value, dtype=np.float32), name))
        return name

    def op(self, op: str, name: str, inputs: list[str], **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(self, name: str, x: str, c_in: int, c_out: int, k: int, bias: bool = True, **attrs: Any) -> str:
        groups = attrs.get("group", 1)
        inputs = [x, self.weight(f"{name}.w", [c_out, c_in // groups, k, k])]
        if bias:
            inputs.append(self.weight(f"{name}.b", [c_out]))
        return self.op("Conv", name, inputs, kernel_shape=[k, k], **attrs)

    def bn(self, name: str, x: str, c: int) -> str:
        stats = [self.weight(f"{name}.{p}", [c]) for p in ("scale", "bias", "mean", "var")]
        return self.op("BatchNormalization", name, [x, *stats])

    def model(self, output: str, opset: int = 17) -> Any:
        out = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, "net", [self.input], [out], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        shape_inference.infer_shapes(model, check_type=True, strict_mode=True)  # a valid graph, or raise
        return model


def imported(model: Any) -> Report:
    spec = validate_spec(model_to_spec_data(model, "net"), SourceMap("net.onnx"))
    return analyze(spec, Conventions(bn_running_stats=True))


#: initializers that are operator settings (Clip bounds, Resize scales, a Pad's constant), not weights
SETTINGS = {"lo", "hi", "scales", "zero"}


def stored_params(model: Any) -> int:
    """The weights the model stores: every float initializer that is not a setting."""
    inits = model.graph.initializer
    return sum(prod(t.dims) for t in inits if t.data_type == TensorProto.FLOAT and t.name not in SETTINGS)


def inferred_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    """ONNX's shape inference, per sample (the batch axis dropped)."""
    graph = shape_inference.infer_shapes(model, strict_mode=True).graph
    shapes = {}
    for info in (*graph.value_info, *graph.output):
        dims = info.type.tensor_type.shape.dim
        shapes[info.name] = tuple(d.dim_value for d in dims)[1:]
    return shapes


def assert_matches_onnx(model: Any, report: Report) -> None:
    """Every layer's output shape is what ONNX infers for the node it came from; params are the initializers."""
    shapes = inferred_shapes(model)
    for row in report.rows[1:]:
        assert row.output_shape == shapes[row.name], row.name
    assert report.totals.params == stored_params(model)


def test_plain_chain() -> None:
    net = Net([3, 32, 32])
    x = net.conv("conv1", "x", 3, 8, 5, pads=[2, 2, 2, 2])
    x = net.op("Relu", "relu1", [x])
    x = net.op("MaxPool", "pool1", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = net.op("Flatten", "flatten", [x], axis=1)
    x = net.op("Gemm", "fc", [x, net.weight("fc.w", [10, 2048]), net.weight("fc.b", [10])], transB=1)
    model = net.model(net.op("Softmax", "prob", [x], axis=1))
    report = imported(model)
    assert [r.kind for r in report.rows] == ["input", "conv", "relu", "max_pool", "flatten", "dense", "softmax"]
    # by hand: conv 8*3*5*5 + 8 = 608; fc 16*16*8*10 + 10 = 20,490
    assert report.totals.params == 608 + 20_490
    assert report.rows[1].output_shape == (8, 32, 32)
    assert_matches_onnx(model, report)
    data = model_to_spec_data(model, "net")
    assert all("from" not in layer for layer in data["layers"])  # a chain reads as a chain


def test_residual_block_becomes_a_from_graph() -> None:
    net = Net([16, 8, 8])
    x = net.conv("conv1", "x", 16, 16, 3, bias=False, pads=[1, 1, 1, 1])
    x = net.op("Relu", "relu1", [net.bn("bn1", x, 16)])
    x = net.bn("bn2", net.conv("conv2", x, 16, 16, 3, bias=False, pads=[1, 1, 1, 1]), 16)
    x = net.op("Relu", "relu2", [net.op("Add", "add", [x, "x"])])
    x = net.op("Flatten", "flat", [net.op("GlobalAveragePool", "gap", [x])])
    x = net.op("MatMul", "fc", [x, net.weight("fc.w", [16, 10])])
    model = net.model(net.op("Add", "fc_bias", [x, net.weight("fc.b", [10])]))
    data = model_to_spec_data(model, "net")
    add = next(layer for layer in data["layers"] if layer["kind"] == "add")
    assert add["from"] == ["bn2", "input"]
    fc = data["layers"][-1]
    assert fc["kind"] == "dense" and fc["units"] == 10 and "bias" not in fc  # MatMul + Add is one layer
    report = imported(model)
    # by hand: two convs 16*16*9 each, two BNs 4*16 each (Keras counts the statistics), fc 16*10 + 10
    assert report.totals.params == 2 * 2304 + 2 * 64 + 170
    assert analyze(validate_spec(data, SourceMap("x"))).totals.params == 2 * 2304 + 2 * 32 + 170  # PyTorch's count
    rows = {r.name: r for r in report.rows}
    assert rows["fc"].output_shape == (10,)
    assert_matches_onnx_except(model, report, {"fc"})


def assert_matches_onnx_except(model: Any, report: Report, skip: set[str]) -> None:
    shapes = inferred_shapes(model)
    for row in report.rows[1:]:
        if row.name not in skip:
            assert row.output_shape == shapes[row.name], row.name
    assert report.totals.params == stored_params(model)


def test_inception_concat() -> None:
    net = Net([8, 16, 16])
    a = net.op("Relu", "b1", [net.conv("b1.conv", "x", 8, 4, 1)])
    b = net.conv("b2.reduce", "x", 8, 4, 1)
    b = net.op("Relu", "b2", [net.conv("b2.conv", b, 4, 8, 3, pads=[1, 1, 1, 1])])
    c = net.op("MaxPool", "b3.pool", ["x"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    c = net.conv("b3.proj", c, 8, 2, 1)
    model = net.model(net.op("Concat", "concat", [a, b, c], axis=1))
    data = model_to_spec_data(model, "net")
    froms = {layer["name"]: layer.get("from") for layer in data["layers"]}
    assert froms["b2.reduce"] == "input" and froms["b3.pool"] == "input"
    assert froms["concat"] == ["b1", "b2", "b3.proj"]
    report = imported(model)
    assert report.rows[-1].output_shape == (14, 16, 16)
    assert_matches_onnx(model, report)


def test_every_operator_shape_equals_onnx_inference() -> None:
    net = Net([4, 15, 15])
    x = net.conv("grouped", "x", 4, 8, 3, group=2, dilations=[2, 2], strides=[2, 2], pads=[2, 2, 2, 2])
    x = net.op("LeakyRelu", "leaky", [x], alpha=0.2)
    x = net.conv("same_upper", x, 8, 8, 3, auto_pad="SAME_UPPER", strides=[2, 2])
    x = net.conv("same_lower", x, 8, 8, 2, auto_pad="SAME_LOWER")
    x = net.op("Clip", "relu6", [x, net.scalar("lo", 0.0), net.scalar("hi", 6.0)])
    x = net.op("AveragePool", "avg", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, count_include_pad=1)
    x = net.op("LRN", "lrn", [x], size=5, alpha=1e-4, beta=0.75, bias=2.0)
    x = net.bn("bn", x, 8)
    x = net.op("Dropout", "drop", [x])
    x = net.op("Identity", "same", [x])
    x = net.op("Resize", "up", [x, "", net.floats("scales", [1, 1, 2, 2])], mode="nearest")
    w = net.weight("deconv.w", [8, 3, 3, 3])
    x = net.op(
        "ConvTranspose", "deconv", [x, w], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]
    )
    g = net.op("Sigmoid", "gate", [x])
    x = net.op("Mul", "gated", [g, g])  # x * sigmoid(x) would be one swish layer (test_onnx_patterns.py)
    x = net.op("GlobalMaxPool", "gmp", [x])
    x = net.op("Reshape", "vector", [x, net.ints("shape", [1, -1])])
    model = net.model(net.op("Tanh", "tanh", [x]))
    report = imported(model)
    kinds = [r.kind for r in report.rows[1:]]
    assert kinds == [
        "conv",
        "leaky_relu",
        "conv",
        "conv",
        "relu6",
        "avg_pool",
        "lrn",
        "batch_norm",
        "dropout",
        "upsample",
        "conv_transpose",
        "sigmoid",
        "multiply",
        "global_max_pool",
        "flatten",
        "tanh",
    ]
    assert_matches_onnx(model, report)
    assert report.rows[-1].output_shape == (3,)


def test_shared_weights_count_once() -> None:
    net = Net([4, 8, 8])
    w = net.weight("shared.w", [4, 4, 3, 3])
    a = net.op("Conv", "first", ["x", w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b = net.op("Conv", "second", [a, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = net.model(b)
    data = model_to_spec_data(model, "net")
    assert data["layers"][1]["shares"] == "first"
    assert imported(model).totals.params == 4 * 4 * 9 == stored_params(model)


def test_unsupported_operator_names_it_and_what_came_before() -> None:
    net = Net([3, 8, 8])
    x = net.conv("conv1", "x", 3, 4, 3)
    x = net.op("Relu", "relu1", [x])
    model = net.model(net.op("Transpose", "swap", [x], perm=[0, 2, 3, 1]))
    with pytest.raises(InteropError) as caught:
        model_to_spec_data(model, "net")
    message = caught.value.diagnostics[0].message
    assert "unsupported operator Transpose at node 'swap'" in message
    assert "2 layer(s): conv1 (conv), relu1 (relu)" in message
    assert "Conv" in (caught.value.diagnostics[0].hint or "")


def test_symbolic_input_size_is_refused(tmp_path: Path) -> None:
    net = Net([3, 8, 8])
    net.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])
    model = net.model(net.op("Relu", "relu", ["x"]))
    with pytest.raises(InteropError, match="fixed sizes"):
        model_to_spec_data(model, "net")
    # a symbolic batch alone is fine
    net.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])
    path = tmp_path / "relu.onnx"
    onnx.save(net.model(net.op("Relu", "relu2", ["x"])), str(path))
    spec = load_model_spec(path)
    assert spec.name == "relu" and spec.input.channels_first() == (3, 8, 8)


def test_garbage_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x08\x07not a model at all\xff\xfe")
    with pytest.raises(InteropError, match="not a readable ONNX model"):
        load_model_spec(path)
    with pytest.raises(InteropError, match="cannot read"):
        load_model_spec(tmp_path / "missing.onnx")


def torch_to_onnx(module: Any, shape: tuple[int, ...], path: Path, keep_bn: bool = True) -> Any:
    """Export with PyTorch's TorchScript exporter; keep_bn keeps batch norm as its own node."""
    import warnings

    torch = pytest.importorskip("torch")
    options: dict[str, Any] = {"dynamo": False}
    if keep_bn:  # training mode keeps BatchNormalization and its running statistics as initializers
        options.update(training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (torch.zeros(1, *shape),), str(path), **options)
    return onnx.load(str(path))


def small_resnet() -> Any:
    pytest.importorskip("torch")
    from torch import nn

    class Basic(nn.Module):  # type: ignore[misc]  # torch is read as Any (pyproject.toml)
        def __init__(self, c_in: int, c_out: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.downsample = (
                nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
                if stride != 1 or c_in != c_out
                else None
            )

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    return nn.Sequential(
        nn.Conv2d(3, 16, 7, 2, 3, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
        Basic(16, 16, 1),
        Basic(16, 32, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


def test_pytorch_exported_resnet_keeps_its_numbers(tmp_path: Path) -> None:
    module = small_resnet()
    model = torch_to_onnx(module, (3, 64, 64), tmp_path / "resnet.onnx")
    spec = load_model_spec(tmp_path / "resnet.onnx")
    report = analyze(spec)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert analyze(spec, Conventions(bn_running_stats=True)).totals.params == stored_params(model)
    assert report.rows[-1].output_shape == (10,)
    names = [r.name for r in report.rows]
    assert "4.conv1" in names and "5.downsample.0" in names  # PyTorch's module paths
    adds = [r for r in report.rows if r.kind == "add"]
    assert [a.inputs for a in adds] == [("4.bn2", "3"), ("5.bn2", "5.downsample.1")]


def test_batch_norm_folded_into_conv_imports_as_is(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    module = small_resnet()
    for bn in module.modules():  # distinct statistics: the exporter stores equal folded biases only once
        if isinstance(bn, torch.nn.BatchNorm2d):
            bn.running_mean.uniform_(-1, 1)
    model = torch_to_onnx(module, (3, 64, 64), tmp_path / "fused.onnx", keep_bn=False)
    report = analyze(load_model_spec(tmp_path / "fused.onnx"))
    assert "batch_norm" not in {r.kind for r in report.rows}
    assert report.totals.params == stored_params(model)  # each conv gained the folded bias
    convs = [r for r in report.rows if r.kind == "conv"]
    assert all(r.biases == r.output_shape[0] for r in convs)


def test_older_opsets_and_scalar_constants() -> None:
    net = Net([3, 8, 8])
    x = net.op("Clip", "relu6", [net.conv("conv", "x", 3, 4, 3, pads=[1, 1, 1, 1])], min=0.0, max=6.0)
    x = net.op("Resize", "up", [x, net.floats("scales", [1, 1, 2, 2])], mode="nearest")  # opset 10: no roi
    model = net.model(net.op("Softmax", "prob", [net.op("Flatten", "flat", [x])]), opset=10)
    report = imported(model)
    assert [r.kind for r in report.rows[1:]] == ["conv", "relu6", "upsample", "flatten", "softmax"]
    assert_matches_onnx(model, report)
    # Clip's bounds from Constant nodes written with value_float
    net = Net([3, 8, 8])
    net.nodes.append(helper.make_node("Constant", [], ["low"], name="low", value_float=0.0))
    net.nodes.append(helper.make_node("Constant", [], ["high"], name="high", value_float=6.0))
    model = net.model(net.op("Clip", "relu6", [net.conv("conv", "x", 3, 4, 3), "low", "high"]))
    assert [r.kind for r in imported(model).rows[1:]] == ["conv", "relu6"]


def test_softmax_over_positions_is_refused_from_opset_13() -> None:
    net = Net([3, 8, 8])
    model = net.model(net.op("Softmax", "prob", [net.conv("conv", "x", 3, 4, 3)]))  # axis -1: the width
    with pytest.raises(InteropError, match="softmax over axis -1"):
        model_to_spec_data(model, "net")


def test_grouped_conv_transpose_keeps_its_filters_and_params() -> None:
    """ONNX stores a transposed conv's weight as (C_in, C_out / groups, k, k): 8 inputs, 2 groups and
    a weight of (8, 3, 3, 3) is 6 filters, 8 * 3 * 3 * 3 + 6 = 222 params, and the output has 6 channels."""
    net = Net([8, 5, 5])
    w = net.weight("up.w", [8, 3, 3, 3])
    b = net.weight("up.b", [6])
    model = net.model(net.op("ConvTranspose", "up", ["x", w, b], kernel_shape=[3, 3], strides=[2, 2], group=2))
    report = imported(model)
    row = report.rows[1]
    assert row.kind == "conv_transpose"
    assert row.params == 8 * 3 * 3 * 3 + 6 == 222
    assert row.output_shape == (6, 11, 11)  # (5 - 1) * 2 + 3
    assert_matches_onnx(model, report)


def test_a_pad_folds_into_the_conv_that_reads_it() -> None:
    net = Net([3, 8, 8])
    x = net.op("Pad", "pad", ["x", net.ints("pads", [0, 0, 1, 0, 0, 0, 2, 1])])
    model = net.model(net.conv("conv", x, 3, 4, 3))
    report = imported(model)
    assert [r.kind for r in report.rows] == ["input", "conv"]  # no layer of its own, as before
    # 8 + 1 + 2 - 3 + 1 = 9 rows, 8 + 0 + 1 - 3 + 1 = 7 columns
    assert report.rows[1].output_shape == (4, 9, 7) == inferred_shapes(model)["conv"]


def test_a_pad_of_zeros_read_by_another_operator_is_a_pad_layer() -> None:
    net = Net([3, 8, 8])
    x = net.op("Pad", "pad", ["x", net.ints("pads", [0, 0, 1, 0, 0, 0, 2, 1]), net.scalar("zero", 0.0)])
    x = net.op("Relu", "relu", [x])
    y = net.op("Pad", "wide", [x, net.ints("two", [0, 0, 2, 2, 0, 0, 2, 2])])
    y = net.op("MaxPool", "pool", [y], kernel_shape=[2, 2], strides=[2, 2])  # 2 > 2 // 2: more than it may take
    z = net.op("Pad", "before_same", [y, net.ints("one", [0, 0, 1, 1, 0, 0, 1, 1])])
    z = net.conv("same", z, 3, 2, 3, auto_pad="SAME_UPPER")
    model = net.model(net.op("Pad", "out", [z, net.ints("last", [0, 0, 0, 3, 0, 0, 0, 0])]))  # the model's output
    report = imported(model)
    rows = {r.name: r for r in report.rows}
    assert [r.kind for r in report.rows[1:]] == ["pad", "relu", "pad", "max_pool", "pad", "conv", "pad"]
    # 8 + 1 + 2 = 11 rows, 8 + 0 + 1 = 9 columns; then 15 x 13, pooled to 7 x 6; 9 x 8; 'same' keeps it
    assert rows["pad"].output_shape == (3, 11, 9) and rows["pool"].output_shape == (3, 7, 6)
    assert rows["same"].output_shape == (2, 9, 8) and rows["out"].output_shape == (2, 9, 11)
    assert all(rows[p].params == rows[p].flops == 0 for p in ("pad", "wide", "before_same", "out"))
    assert_matches_onnx(model, report)
    # and the attribute form of opsets below 11
    old = Net([3, 4, 4])
    model = old.model(old.op("Relu", "relu", [old.op("Pad", "pad", ["x"], pads=[0, 0, 1, 1, 0, 0, 1, 1])]), opset=10)
    assert [r.output_shape for r in imported(model).rows[1:]] == [(3, 6, 6), (3, 6, 6)]


def test_a_pad_of_another_constant_is_a_pad_layer_nowhere() -> None:
    net = Net([3, 8, 8])
    x = net.op("Pad", "pad", ["x", net.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), net.scalar("one", 1.0)])
    with pytest.raises(InteropError, match=r"Pad at node 'pad': its constant is 1.0, not 0"):
        imported(net.model(net.op("Relu", "relu", [x])))
    folded = Net([3, 8, 8])
    x = folded.op("Pad", "pad", ["x", folded.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), folded.scalar("one", 1.0)])
    report = imported(folded.model(folded.conv("conv", x, 3, 2, 3)))  # a conv's count does not see the value
    assert report.rows[1].output_shape == (2, 8, 8)
