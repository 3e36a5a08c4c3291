"""ONNX in, the operators of torchvision's CNN families: one minimal onnx.helper graph per
operator family (squeeze-and-excitation, constants, GELU, reductions, channels-last blocks,
channel shuffle and slices), and, where torch and torchvision are installed, the smallest
model of each family exported both ways (training mode without folding; PyTorch's defaults).

The whole torchvision sweep, with torchvision's GFLOPS at full input size, is a script:
benchmarks/sweep_torchvision.py (docs/interop.md has its result).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx")

from test_interop_onnx import Net, imported  # noqa: E402

from cnncalc.features.interop.common import InteropError  # noqa: E402


def kinds(report: Any) -> list[str]:
    return [r.kind for r in report.rows[1:]]


def test_squeeze_and_excitation_multiplies_by_broadcast() -> None:
    net = Net([8, 6, 6])
    s = net.op("GlobalAveragePool", "squeeze", ["x"])
    s = net.conv("fc1", s, 8, 2, 1)
    s = net.op("Relu", "relu", [s])
    s = net.conv("fc2", s, 2, 8, 1)
    s = net.op("Sigmoid", "gate", [s])
    model = net.model(net.op("Mul", "excite", ["x", s]))
    report = imported(model)
    assert kinds(report) == ["global_avg_pool", "conv", "relu", "conv", "sigmoid", "multiply"]
    last = report.rows[-1]
    assert last.output_shape == (8, 6, 6) and last.flops == 8 * 6 * 6  # one multiply per value
    assert report.totals.params == (8 * 2 + 2) + (2 * 8 + 8)


def test_constant_operands_are_scales_with_no_params() -> None:
    net = Net([4, 5, 5])
    x = net.op("Add", "plus3", ["x", net.scalar("three", 3.0)])  # hard swish's x + 3
    x = net.op("Div", "div", [x, net.scalar("six", 6.0)])
    x = net.op("Sub", "sub", [net.scalar("one", 1.0), x])  # the constant first
    model = net.model(net.op("Pow", "pow", [x, net.scalar("two", 2.0)]))
    report = imported(model)
    assert kinds(report) == ["scale"] * 4
    assert report.totals.params == 0 and report.totals.macs == 0
    assert report.totals.flops == 4 * 4 * 5 * 5  # one FLOP per value each


def test_a_stored_per_channel_constant_is_a_learned_scale() -> None:
    net = Net([6, 4, 4])
    x = net.conv("dw", "x", 6, 6, 3, pads=[1, 1, 1, 1], group=6)
    model = net.model(net.op("Mul", "layer_scale", [x, net.weight("gamma", [6, 1, 1])]))
    report = imported(model)
    assert kinds(report) == ["conv", "scale"] and report.rows[-1].params == 6


def test_a_constant_that_is_not_per_channel_is_refused_without_its_values() -> None:
    net = Net([6, 4, 4])
    model = net.model(net.op("Mul", "odd", ["x", net.weight("table", [6, 4, 4])]))
    with pytest.raises(InteropError, match="Mul") as caught:
        imported(model)
    assert "neither one value nor one value per channel" in str(caught.value)


def test_gelu_written_with_erf_is_one_gelu() -> None:
    net = Net([4, 3, 3])
    d = net.op("Div", "d", ["x", net.scalar("sqrt2", 1.4142135)])
    e = net.op("Erf", "e", [d])
    a = net.op("Add", "a", [e, net.scalar("one", 1.0)])
    m = net.op("Mul", "m", ["x", a])
    model = net.model(net.op("Mul", "half", [m, net.scalar("h", 0.5)]))
    report = imported(model)
    assert kinds(report) == ["gelu"]
    assert report.totals.flops == 5 * 4 * 3 * 3


def test_a_lone_erf_is_refused_by_name() -> None:
    net = Net([4, 3, 3])
    model = net.model(net.op("Erf", "e", ["x"]))
    with pytest.raises(InteropError, match="unsupported operator Erf"):
        imported(model)


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceMax"])
@pytest.mark.parametrize("opset", [13, 18])
def test_spatial_reductions_are_global_pools(op: str, opset: int) -> None:
    net = Net([8, 5, 5])
    if opset >= 18:
        out = net.op(op, "r", ["x", net.ints("axes", [2, 3])], keepdims=0)
    else:
        out = net.op(op, "r", ["x"], axes=[2, 3], keepdims=0)
    report = imported(net.model(out, opset=opset))
    kind = "global_avg_pool" if op == "ReduceMean" else "global_max_pool"
    assert kinds(report) == [kind] and report.rows[-1].output_shape == (8,)


def test_a_reduction_over_the_channels_is_refused() -> None:
    net = Net([8, 5, 5])
    model = net.model(net.op("ReduceMean", "r", ["x"], axes=[1], keepdims=1), opset=13)
    with pytest.raises(InteropError, match="ReduceMean"):
        imported(model)


def test_convnext_block_channels_last() -> None:
    """dwconv, permute to NHWC, LayerNorm, Linear, GELU, Linear, permute back, layer scale."""
    net = Net([8, 4, 4])
    x = net.conv("dw", "x", 8, 8, 7, pads=[3, 3, 3, 3], group=8)
    x = net.op("Transpose", "to_last", [x], perm=[0, 2, 3, 1])
    x = net.op("LayerNormalization", "ln", [x, net.weight("ln.w", [8]), net.weight("ln.b", [8])], axis=-1)
    x = net.op("MatMul", "fc1", [x, net.weight("fc1.w", [8, 32])])
    x = net.op("Add", "fc1.bias", [x, net.weight("fc1.b", [32])])
    x = net.op("Gelu", "gelu", [x])
    x = net.op("MatMul", "fc2", [x, net.weight("fc2.w", [32, 8])])
    x = net.op("Add", "fc2.bias", [x, net.weight("fc2.b", [8])])
    x = net.op("Transpose", "to_first", [x], perm=[0, 3, 1, 2])
    x = net.op("Mul", "scale", [x, net.weight("gamma", [8, 1, 1])])
    model = net.model(net.op("Add", "residual", [x, "x"]), opset=20)
    report = imported(model)
    assert kinds(report) == ["conv", "layer_norm", "conv", "gelu", "conv", "scale", "add"]
    assert [r.output_shape for r in report.rows[1:]] == [
        (8, 4, 4),
        (8, 4, 4),
        (32, 4, 4),
        (32, 4, 4),
        (8, 4, 4),
        (8, 4, 4),
        (8, 4, 4),
    ]
    # by hand: dwconv 8*49 + 8; ln 16; fc1 8*32 + 32; fc2 32*8 + 8; layer scale 8
    assert report.totals.params == 400 + 16 + 288 + 264 + 8
    assert report.totals.macs == 16 * (8 * 49 + 8 * 32 + 32 * 8)


def test_a_channels_last_tensor_meeting_a_pool_is_refused() -> None:
    net = Net([8, 4, 4])
    x = net.op("Transpose", "to_last", ["x"], perm=[0, 2, 3, 1])
    model = net.model(net.op("MaxPool", "pool", [x], kernel_shape=[2, 2]))
    with pytest.raises(InteropError, match="channels last"):
        imported(model)


def test_other_transposes_are_refused_by_name() -> None:
    net = Net([8, 4, 4])
    model = net.model(net.op("Transpose", "swap", ["x"], perm=[0, 1, 3, 2]))
    with pytest.raises(InteropError, match="unsupported operator Transpose"):
        imported(model)


def test_channel_shuffle_and_slices() -> None:
    net = Net([8, 4, 4])
    left = net.op("Slice", "left", ["x", net.ints("s0", [0]), net.ints("e0", [4]), net.ints("a0", [1])])
    right = net.op("Slice", "right", ["x", net.ints("s1", [4]), net.ints("e1", [8]), net.ints("a1", [1])])
    right = net.conv("branch", right, 4, 4, 1)
    x = net.op("Concat", "cat", [left, right], axis=1)
    x = net.op("Reshape", "grid", [x, net.ints("g", [1, 2, 4, 4, 4])])
    x = net.op("Transpose", "swap", [x], perm=[0, 2, 1, 3, 4])
    model = net.model(net.op("Reshape", "back", [x, net.ints("b", [1, -1, 4, 4])]))
    report = imported(model)
    assert kinds(report) == ["channel_slice", "channel_slice", "conv", "concat", "channel_shuffle"]
    assert report.rows[-1].output_shape == (8, 4, 4) and report.rows[-1].flops == 0
    assert report.totals.params == 4 * 4 + 4


def test_split_of_the_channels() -> None:
    net = Net([6, 3, 3])
    net.nodes.append(onnx.helper.make_node("Split", ["x", net.ints("sizes", [2, 4])], ["a", "b"], name="split", axis=1))
    model = net.model(net.op("Concat", "cat", ["b", "a"], axis=1))
    report = imported(model)
    assert kinds(report) == ["channel_slice", "channel_slice", "concat"]
    assert [r.output_shape for r in report.rows[1:]] == [(2, 3, 3), (4, 3, 3), (6, 3, 3)]


def test_concat_of_one_tensor_is_the_tensor() -> None:
    net = Net([4, 3, 3])
    x = net.op("Concat", "one", ["x"], axis=1)
    report = imported(net.model(net.conv("conv", x, 4, 4, 1)))
    assert kinds(report) == ["conv"]


def test_stochastic_depth_mask_in_training_mode_is_a_scale() -> None:
    """RandomUniformLike -> Less -> Cast -> Div -> Mul: the mask's values are never made up."""
    net = Net([4, 3, 3])
    shape = net.op(
        "Constant", "shape", [], value=onnx.helper.make_tensor("v", onnx.TensorProto.FLOAT, [1, 1, 1, 1], [0])
    )
    r = net.op("RandomUniformLike", "rand", [shape])
    keep = net.op("Less", "keep", [r, net.scalar("p", 0.9)])
    keep = net.op("Cast", "mask", [keep], to=onnx.TensorProto.FLOAT)
    keep = net.op("Div", "scaled", [keep, net.scalar("p2", 0.9)])
    report = imported(net.model(net.op("Mul", "drop", ["x", keep])))
    assert kinds(report) == ["scale"] and report.totals.params == 0


def test_random_values_made_from_the_data_are_refused() -> None:
    net = Net([4, 3, 3])
    r = net.op("RandomUniformLike", "rand", ["x"])
    with pytest.raises(InteropError, match="RandomUniformLike") as caught:
        imported(net.model(net.op("Mul", "drop", ["x", r])))
    assert "random values from the network's data" in str(caught.value)


def test_a_random_mask_larger_than_the_data_is_refused() -> None:
    net = Net([4, 3, 3])
    r = net.op("RandomUniform", "rand", [], shape=[3, 4, 3, 3])  # three samples where the data has one
    with pytest.raises(InteropError, match="Mul") as caught:
        imported(net.model(net.op("Mul", "drop", ["x", r])))
    assert "does not fit the data's shape" in str(caught.value)


# --- torchvision's families, the smallest member of each, exported both ways ---------------------

#: the smallest model of each family, at 64x64, and the export recipes checked (DenseNet's and
#: ConvNeXt's folded exports are left to the sweep: see docs/interop.md)
FAMILIES = {
    "mobilenet_v3_small": ("train", "default"),  # squeeze-and-excitation, hard swish
    "mnasnet0_5": ("train", "default"),  # ReduceMean
    "shufflenet_v2_x0_5": ("train", "default"),  # channel shuffle, slices
    "efficientnet_b0": ("train",),  # SiLU, stochastic depth's random mask
    "convnext_tiny": ("train",),  # channels-last blocks, layer norm, GELU, layer scale
}


def torchvision_module() -> Any:
    pytest.importorskip("torch")
    benchmarks = Path(__file__).resolve().parents[3] / "benchmarks"
    sys.path.insert(0, str(benchmarks))
    try:
        import sweep_torchvision
    finally:
        sys.path.remove(str(benchmarks))
    try:
        sweep_torchvision.import_torchvision()
    except ImportError:
        pytest.skip("torchvision is not installed")
    return sweep_torchvision


@pytest.mark.parametrize("name", list(FAMILIES))
def test_torchvision_family_imports_with_torch_params(name: str, tmp_path: Path) -> None:
    from cnncalc.core.walk import analyze
    from cnncalc.features.interop import load_model_spec

    sweep = torchvision_module()
    model, _, _ = sweep.build(name)
    wanted = {"train": sum(p.numel() for p in model.parameters())}
    if "default" in FAMILIES[name]:
        wanted["default"] = sweep.folded_params(model)
    if name in sweep.SEGMENTATION:
        model = sweep.Wrapped(model)
    macs = set()
    for recipe in FAMILIES[name]:
        path = tmp_path / f"{recipe}.onnx"
        sweep.export(model, 64, path, recipe, 17)
        report = analyze(load_model_spec(path))
        assert report.totals.params == wanted[recipe], recipe
        macs.add(report.totals.macs)
    assert len(macs) == 1  # folding a batch norm changes no multiply-accumulate


def test_resize_to_sizes_that_are_not_a_whole_factor() -> None:
    """LRASPP's head resized to the input: 33x33 to 65x65, sizes computed from the graph."""
    net = Net([4, 3, 3])
    dims = net.op("Shape", "shape", ["x"])
    spatial = net.op("Slice", "hw", [dims, net.ints("s", [2]), net.ints("e", [4])])
    grown = net.op("Add", "grow", [net.op("Mul", "twice", [spatial, net.ints("two", [2])]), net.ints("one", [-1])])
    sizes = net.op("Concat", "sizes", [net.ints("nc", [1, 4]), grown], axis=0)
    model = net.model(net.op("Resize", "up", ["x", "", "", sizes], mode="linear"), opset=13)
    report = imported(model)
    assert kinds(report) == ["upsample"] and report.rows[-1].output_shape == (4, 5, 5)
    assert report.rows[-1].params == 0


def test_a_layer_scale_shared_through_identity_is_still_learned() -> None:
    """PyTorch's exporter stores equal weights once and hands each module its own name through
    an Identity node (two layer scales initialised alike): each is a learned scale."""
    net = Net([6, 4, 4])
    gamma = net.weight("gamma", [6, 1, 1])
    a = net.op("Mul", "scale_a", ["x", net.op("Identity", "block_a.layer_scale", [gamma])])
    model = net.model(net.op("Mul", "scale_b", [a, net.op("Identity", "block_b.layer_scale", [gamma])]))
    report = imported(model)
    assert kinds(report) == ["scale", "scale"] and [r.params for r in report.rows[1:]] == [6, 6]
