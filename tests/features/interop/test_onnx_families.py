"""ONNX in, the operators of torchvision's CNN families: one minimal onnx.helper graph per
operator family (squeeze-and-excitation, constants, GELU, reductions, channels-last blocks,
channel shuffle and slices), and, where torch and torchvision are installed, the smallest
model of each family exported both ways (training mode without folding; PyTorch's defaults).

The whole torchvision sweep, with torchvision's GFLOPS at full input size, is a script:
benchmarks/sweep_torchvision.py (docs/interop.md has its result).
"""

from __future__ import annotations

import os
import re
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


def decomposed_layer_norm(net: Net, x: str, c: int, affine: bool = True) -> str:
    """LayerNorm over the last axis as PyTorch exports it below opset 17."""
    mean = net.op("ReduceMean", "ln.mean", [x], axes=[-1])
    d = net.op("Sub", "ln.sub", [x, mean])
    var = net.op("ReduceMean", "ln.var", [net.op("Pow", "ln.pow", [d, net.scalar("ln.two", 2.0)])], axes=[-1])
    std = net.op("Sqrt", "ln.sqrt", [net.op("Add", "ln.eps", [var, net.scalar("ln.e", 1e-6)])])
    out = net.op("Div", "ln.div", [d, std])
    if affine:
        out = net.op("Mul", "ln.mul", [out, net.weight("ln.w", [c])])
        out = net.op("Add", "ln.add", [out, net.weight("ln.b", [c])])
    return out


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_decomposed_below_opset_17_is_one_layer_norm(affine: bool) -> None:
    net = Net([8, 4, 4])
    x = net.op("Transpose", "to_last", ["x"], perm=[0, 2, 3, 1])
    x = decomposed_layer_norm(net, x, 8, affine)
    model = net.model(net.op("Transpose", "to_first", [x], perm=[0, 3, 1, 2]), opset=13)
    report = imported(model)
    assert kinds(report) == ["layer_norm"] and report.rows[-1].output_shape == (8, 4, 4)
    assert report.totals.params == (16 if affine else 0)


def test_a_mean_over_the_channels_that_is_no_layer_norm_is_refused() -> None:
    net = Net([8, 4, 4])
    x = net.op("Transpose", "to_last", ["x"], perm=[0, 2, 3, 1])
    mean = net.op("ReduceMean", "mean", [x], axes=[-1])
    model = net.model(net.op("Sub", "centred", [x, mean]), opset=13)
    with pytest.raises(InteropError, match="unsupported operator ReduceMean"):
        imported(model)


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


def test_a_random_tensor_that_is_no_mask_per_sample_is_refused() -> None:
    net = Net([4, 3, 3])
    r = net.op("RandomUniform", "rand", [], shape=[1, 4, 3, 3])
    with pytest.raises(InteropError, match="RandomUniform") as caught:
        imported(net.model(net.op("Mul", "drop", ["x", r])))
    assert "only a mask of one value per sample" in str(caught.value)


# --- torchvision's families, the smallest member of each, exported both ways ---------------------

#: the smallest model of each family, with the input size it is exported at by default (small,
#: to keep CI time low; inception_v3 needs 75); the slow test uses its weights' own size
FAMILIES = {
    "alexnet": 224,  # its adaptive pool must not grow the map (PyTorch's export refuses that)
    "resnet18": 64,
    "squeezenet1_1": 64,
    "densenet121": 64,  # a Concat of one tensor
    "googlenet": 64,
    "inception_v3": 75,
    "mobilenet_v2": 64,
    "mobilenet_v3_small": 64,  # squeeze-and-excitation, hard swish
    "mnasnet0_5": 64,  # ReduceMean
    "shufflenet_v2_x0_5": 64,  # channel shuffle, slices
    "efficientnet_b0": 64,  # SiLU, stochastic depth's random mask
    "regnet_x_400mf": 64,
    "regnet_y_400mf": 64,
    "convnext_tiny": 64,  # channels-last blocks, layer norm, GELU, layer scale
    "lraspp_mobilenet_v3_large": 64,  # Resize to sizes computed from the graph
}
#: with the slow tests only: VGG's operators are AlexNet's and batch norm (its export at 224 writes
#: 500 MB); ResNeXt's grouped convs are RegNet's; EfficientNetV2's fused blocks are convs
SLOW_FAMILIES = {**FAMILIES, "vgg11_bn": 224, "resnext50_32x4d": 64, "efficientnet_v2_s": 64}
RECIPES = ("train", "default")
#: set to run the slow tests: every family at its weights' input size against torchvision's GFLOPS
SLOW = os.environ.get("CNNCALC_SLOW") == "1"


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


def imported_both_ways(name: str, size: int, folder: Path) -> dict[str, Any]:
    """The model exported with each recipe at `size` and imported: recipe -> (report, wanted params)."""
    from cnncalc.core.walk import analyze
    from cnncalc.features.interop import load_model_spec

    sweep = torchvision_module()
    model, _, _ = sweep.build(name)
    wanted = {"train": sum(p.numel() for p in model.parameters()), "default": sweep.folded_params(model, size)}
    if name in sweep.SEGMENTATION:
        model = sweep.Wrapped(model)
    found = {}
    for recipe in RECIPES:
        path = folder / f"{recipe}.onnx"
        batch = sweep.export(model, size, path, recipe, 17)
        found[recipe] = (analyze(load_model_spec(path)), wanted[recipe], batch)
    return found


@pytest.mark.parametrize("name", list(FAMILIES))
def test_torchvision_family_imports_with_torch_params_both_ways(name: str, tmp_path: Path) -> None:
    found = imported_both_ways(name, FAMILIES[name], tmp_path)
    for recipe, (report, wanted, _) in found.items():
        assert report.totals.params == wanted, recipe
    # folding a batch norm into the conv before it changes no multiply-accumulate (per sample)
    assert len({report.totals.macs // batch for report, _, batch in found.values()}) == 1


@pytest.mark.skipif(not SLOW, reason="slow: set CNNCALC_SLOW=1 (benchmarks/sweep_torchvision.py runs all 45)")
@pytest.mark.parametrize("name", list(SLOW_FAMILIES))
def test_torchvision_family_gives_torchvisions_gflops(name: str, tmp_path: Path) -> None:
    sweep = torchvision_module()
    _, size, gflops = sweep.build(name)
    for recipe, (report, wanted, batch) in imported_both_ways(name, size, tmp_path).items():
        per_sample = round(report.totals.macs // batch / 1e9, 3)
        assert (report.totals.params, per_sample) == (wanted, gflops), recipe


@pytest.mark.skipif(not SLOW, reason="slow: set CNNCALC_SLOW=1")
@pytest.mark.parametrize(("name", "operator"), [("vit_b_16", "Reshape"), ("swin_t", "Pad"), ("maxvit_t", "Reshape")])
def test_torchvision_transformers_are_refused_naming_the_operator(name: str, operator: str, tmp_path: Path) -> None:
    """In training mode: PyTorch's defaults cannot export vit_b_16's fused attention."""
    from cnncalc.features.interop import load_model_spec

    sweep = torchvision_module()
    model, size, _ = sweep.build(name)
    path = tmp_path / "model.onnx"
    sweep.export(model, size, path, "train", 17)
    with pytest.raises(InteropError, match=f"unsupported operator {operator} at node"):
        load_model_spec(path)


# --- the docs list what the importer reads ---------------------------------------------------------


def handled_ops() -> set[str]:
    """Every operator the importer turns into a layer or follows: its op_ handlers, the
    activations, and what it reads inside a pattern (GELU's Erf) or as a value (random masks)."""
    from cnncalc.features.interop.onnx import kinds, walk

    methods = {name[3:] for name in dir(walk.Importer) if name.startswith("op_")}
    return methods | set(kinds.ACTIVATIONS) | {"Erf"} | set(walk._RANDOM)


def ops_named(text: str) -> set[str]:
    return {w for w in re.findall(r"\b[A-Z][A-Za-z]+\b", text) if onnx.defs.has(w)}


def test_docs_table_lists_every_operator_the_importer_reads() -> None:
    from cnncalc.features.interop.onnx.constants import FOLDED_OPS

    page = (Path(__file__).resolve().parents[3] / "docs" / "interop.md").read_text(encoding="utf-8")
    table = page.split("| ONNX operator | cnncalc kind | Notes |", 1)[1].split("\n\n", 1)[0]
    first_column = "\n".join(line.split("|")[1] for line in table.splitlines()[2:])
    listed = ops_named(first_column)
    assert handled_ops() - listed == set(), "add these operators to docs/interop.md's table"
    constants = set(FOLDED_OPS) | {"Constant", "Shape"}
    assert listed - handled_ops() - constants == set(), "docs/interop.md lists operators the importer does not read"


def test_error_hint_names_every_operator_the_importer_reads() -> None:
    from cnncalc.features.interop.onnx.kinds import SUPPORTED_OPS

    named = ops_named(" ".join(SUPPORTED_OPS))
    assert handled_ops() - named == set()
