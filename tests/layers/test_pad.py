"""The `pad` kind (zero padding as a layer): its rules and steps worked by hand, its NumPy kernel
against arrays written out by hand, and, where PyTorch is installed, its export against
nn.ZeroPad2d and what autograd saves for it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cnncalc import ShapeError, analyze, load_spec_text
from cnncalc.core.report import Report
from cnncalc.features.explain.explanation import explain
from cnncalc.features.interop.pytorch import export_pytorch
from cnncalc.features.peers.presets import evaluate
from cnncalc.features.symbolic.analysis import analyze_symbolic
from cnncalc.features.training.memory import training_memory
from cnncalc.layers.pad import Pad
from cnncalc.numeric.blas import MacCounter
from cnncalc.numeric.kernels import KERNELS
from cnncalc.numeric.params import Context, ParamSet
from cnncalc.numeric.workspace import Workspace
from cnncalc.spec.dsl import load_dsl
from cnncalc.spec.model import Spec


def run(input_shape: str, *layers: str) -> Report:
    body = "\n".join(f"  - {layer}" for layer in layers)
    return analyze(load_spec_text(f"input: {input_shape}\nlayers:\n{body}\n"))


@pytest.mark.parametrize(
    ("input_shape", "padding", "out"),
    [
        # every side 1: 5 + 1 + 1 = 7 rows, 7 + 1 + 1 = 9 columns (HWC shapes, channels kept)
        ("5x7x3", "1", (7, 9, 3)),
        # one per axis: 5 + 2 + 2 = 9, 7 + 0 + 0 = 7
        ("5x7x3", "[2, 0]", (9, 7, 3)),
        # NASNet's ZeroPadding2D(((0, 1), (0, 1))): 5 + 0 + 1 = 6, 7 + 0 + 1 = 8
        ("5x7x3", "[[0, 1], [0, 1]]", (6, 8, 3)),
        # a 1-D signal: 10 + 3 + 0 = 13; a clip: 4 + 1 + 1, 6 + 0 + 2, 6 + 2 + 0
        ("10x2", "[[3, 0]]", (13, 2)),
        ("4x6x6x1", "[1, [0, 2], [2, 0]]", (6, 8, 8, 1)),
    ],
)
def test_output_shape_and_nothing_counted(input_shape: str, padding: str, out: tuple[int, ...]) -> None:
    report = run(input_shape, f"{{kind: pad, padding: {padding}}}")
    row = report.rows[1]
    assert report.shown(row.output_shape) == out
    assert (row.params, row.macs, row.flops, row.inplace) == (0, 0, 0, False)
    # a map of its own: every padded element is memory, 4 bytes each in float32
    assert row.activation_elements == int(np.prod(out)) and row.activation_bytes == 4 * int(np.prod(out))


def test_dsl_word_and_receptive_field() -> None:
    # pad 1 on each side, then a 3x3 conv: the first output reads input rows -1..1, centred on 0
    report = analyze(load_dsl("8x8x1 | pad p=1 | conv3-2 p=0"))
    assert report.rows[1].summary == "p=1" and report.rows[2].output_shape == (2, 8, 8)
    field = report.rows[2].receptive_field
    assert field is not None and field.size == (3, 3) and field.twice_start == (0, 0)
    # 0 before, 2 after: the first output still starts at row 0 of the input, centred on 1
    shifted = analyze(load_dsl("8x8x1 | pad p=0/2x0/2 | conv3-2 p=0")).rows[2].receptive_field
    assert shifted is not None and shifted.twice_start == (2, 2)


def test_explain_steps_work_each_number_out() -> None:
    explanation = explain(load_spec_text("input: 5x7x3\nlayers:\n  - {kind: pad, padding: [[0, 1], [2, 3]]}\n"))
    steps = {s.quantity: s for s in explanation.layers[1].steps}
    assert (steps["output H"].expression, steps["output H"].value) == ("5 + 0 + 1", 6)
    assert (steps["output W"].expression, steps["output W"].value) == ("7 + 2 + 3", 12)
    assert steps["output C"].value == 3
    assert steps["params"].value == steps["MACs"].value == steps["FLOPs"].value == 0


def test_padding_pairs_are_checked() -> None:
    with pytest.raises(ShapeError, match="'padding' has 3 entries but the input has 2 spatial axes"):
        run("5x5x1", "{kind: pad, padding: [1, 1, 1]}")
    with pytest.raises(ShapeError, match=r"a padding pair must be \[before, after\]"):
        run("5x5x1", "{kind: pad, padding: [[1, 2, 3], 1]}")
    with pytest.raises(ShapeError, match="needs a feature map"):
        run("10", "{kind: pad}")


def kernel(padding: Any, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    layer = Pad(kind="pad", padding=padding)
    ctx = Context(np.random.default_rng(0), np.dtype(np.float64), Workspace(1 << 20), False)
    out: np.ndarray[Any, Any] = KERNELS.handlers[Pad].forward(layer, [x], ParamSet(), MacCounter(), ctx, False)
    return out


def test_kernel_against_arrays_written_by_hand() -> None:
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)  # [[1, 2, 3], [4, 5, 6]]
    out = kernel([[1, 0], [0, 2]], x)
    expected = [[0, 0, 0, 0, 0], [1, 2, 3, 0, 0], [4, 5, 6, 0, 0]]
    assert out.tolist() == [[expected]]
    assert out is not x and x.tolist() == [[[[1, 2, 3], [4, 5, 6]]]]  # a new array; the input untouched
    signal = kernel([[2, 1]], np.array([[[7.0]], [[8.0]]]))  # a batch of two 1-D signals
    assert signal.tolist() == [[[0, 0, 7, 0]], [[0, 0, 8, 0]]]


def test_symbolic_sizes_and_peer_tools() -> None:
    spec = load_spec_text("input: [32, 32, 3]\nlayers:\n  - {kind: pad, padding: [[0, 1], [2, 3]]}\n")
    row = analyze_symbolic(spec, ["H", "W", None]).rows[-1]
    # channels first: C, then H + 0 + 1 and W + 2 + 3 at every size
    assert [int(e({"H": h, "W": w})) for e in row.output_shape for h, w in [(7, 9)]] == [3, 8, 14]
    # nn.ZeroPad2d: a module without parameters, which torchinfo, fvcore, thop and ptflops count as 0
    net = load_dsl("8x8x3 | pad p=1 | conv3-4 p=0")
    for preset in ("torchinfo", "fvcore", "thop", "ptflops"):
        result = evaluate(net, preset, torchvision=False)
        assert dict(result.per_layer)["pad1"] == 0, preset
        assert not any("pad" in note for note in result.notes), (preset, result.notes)


def export_model(torch: Any, spec: Spec) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(export_pytorch(spec), "generated.py", "exec"), namespace)
    cls = next(v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module))
    return cls()


SPEC = """
input: 5x6x2
batch: 2
layers:
  - {kind: pad, name: shift, padding: [[0, 1], [0, 1]]}
  - {kind: crop, name: cut, crop: [[1, 0], [1, 0]]}
  - {kind: conv, name: conv, filters: 3, kernel: 3, activation: relu}
  - {kind: pad, name: around, padding: [2, [1, 3]]}
"""


def test_export_is_nn_zeropad_with_torchs_values_and_saved_tensors() -> None:
    torch = pytest.importorskip("torch")
    spec = load_spec_text(SPEC)
    code = export_pytorch(spec)
    assert "nn.ZeroPad2d((0, 1, 0, 1))" in code and "nn.ZeroPad2d((1, 3, 2, 2))" in code
    model = export_model(torch, spec)
    x = torch.randn(2, 2, 5, 6)
    padded = model.shift(x)
    assert torch.equal(padded, torch.nn.functional.pad(x, (0, 1, 0, 1)))
    # the NumPy kernel gives PyTorch's values
    assert np.array_equal(kernel([[0, 1], [0, 1]], x.numpy().astype(np.float64)), padded.numpy())
    report = analyze(spec)
    assert tuple(model(x).shape[1:]) == report.rows[-1].output_shape
    # PyTorch's ZeroPad2d keeps nothing for backward: the saved bytes are the conv's and ReLU's alone
    saved: dict[int, int] = {}
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}

    def pack(t: Any) -> Any:
        if t.untyped_storage().data_ptr() not in weights:
            saved[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model.train()(x)
    assert training_memory(spec, report, "sgd").saved_bytes == sum(saved.values())
    assert sum(p.numel() for p in model.parameters()) == report.totals.params


def test_verify_runs_a_network_with_pads() -> None:
    from typer.testing import CliRunner

    from cnncalc.cli import app

    result = CliRunner().invoke(app, ["verify", "--dsl", "9x10x3 | pad p=0/1x2/3 | conv3-4 | pad p=1 | maxpool2"])
    assert result.exit_code == 0, result.output
    assert "every number agrees" in result.output
