"""PyTorch out, on every bundled network: the generated module runs, has cnncalc's parameter count
and every layer's output shape; exported to ONNX and imported back, it gives the same numbers.

The forward passes and the ONNX round trip run at a reduced input where the network allows it,
so the whole file takes seconds on a CPU; parameter counts are also checked at the real input
size, on PyTorch's meta device (no memory, no compute), against torchvision's published figures.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError
from cnncalc.features.interop.pytorch import ExportError, export_pytorch
from cnncalc.spec import bundled_names, load_spec, load_spec_text
from cnncalc.spec.model import InputSpec, Spec

pytest.importorskip("torch")
import torch
from torch import nn

#: torchvision's published num_params (torchvision.models weights tables)
PUBLISHED = {
    "resnet18": 11_689_512,
    "vgg11": 132_863_336,
    "mobilenet-v2": 3_504_872,
    "squeezenet1_0": 1_248_424,
    "googlenet-torchvision": 6_624_904,
}


def module_class(source: str) -> Any:
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), namespace)
    classes = [v for v in namespace.values() if isinstance(v, type) and v.__module__ == "generated"]
    assert len(classes) == 1
    return classes[0]


def reduced(spec: Spec) -> Spec:
    """The spec at the smallest square input from 32 up that it accepts, to keep forward passes cheap."""
    shape = spec.input.channels_first()
    if len(shape) != 3:
        return spec
    for size in (32, 64, 96, 128, 160):
        if size >= shape[1]:
            break
        smaller = spec.model_copy(update={"input": InputSpec(shape=[shape[0], size, size], layout="chw")})
        try:
            analyze(smaller)
        except CnncalcError:
            continue
        return smaller
    return spec


@pytest.fixture(scope="module", params=bundled_names())
def network(request: pytest.FixtureRequest) -> tuple[str, Spec]:
    return request.param, load_spec(request.param)


def test_generated_module_has_cnncalc_params_at_full_size(network: tuple[str, Spec]) -> None:
    name, spec = network
    cls = module_class(export_pytorch(spec))
    with torch.device("meta"):
        model = cls()
    params = sum(p.numel() for p in model.parameters())
    assert params == analyze(spec).totals.params
    if name in PUBLISHED:
        assert params == PUBLISHED[name]


def test_every_layer_shape_equals_cnncalc(network: tuple[str, Spec]) -> None:
    _, full = network
    spec = reduced(full)
    report = analyze(spec)
    model = module_class(export_pytorch(spec, trace=True))().eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model(torch.zeros(1, *spec.input.channels_first()))
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
    measured = {name: tuple(t.shape[1:]) for name, t in model.trace.items()}
    expected = {row.name: row.output_shape for row in report.rows[1:]}
    assert measured == expected


class _LRN(torch.autograd.Function):  # type: ignore[misc]  # torch is read as Any (pyproject.toml)
    """nn.LocalResponseNorm as ONNX's LRN operator (PyTorch's exporter writes it as a dozen small ops)."""

    @staticmethod
    def forward(ctx: Any, x: Any, size: int, alpha: float, beta: float, k: float) -> Any:
        return nn.functional.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g: Any, x: Any, size: int, alpha: float, beta: float, k: float) -> Any:
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


def to_onnx(model: Any, shape: tuple[int, ...], path: Path) -> None:
    """Export with PyTorch's TorchScript exporter; `shape` includes the batch."""
    for m in model.modules():
        if isinstance(m, nn.LocalResponseNorm):

            def lrn(x: torch.Tensor, m: nn.LocalResponseNorm = m) -> torch.Tensor:
                out: torch.Tensor = _LRN.apply(x, m.size, m.alpha, m.beta, m.k)
                return out

            # this one instance exports as ONNX's LRN
            m.forward = lrn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(*shape),),
            str(path),
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,  # batch norm stays a node, with its statistics
            do_constant_folding=False,
        )


#: deeper members of a family another network already takes through the round trip (resnet50,
#: inception-v3): the same layers, only more of them; run with CNNCALC_SLOW=1
DEEPER_MEMBERS = frozenset({"resnet101", "resnet152", "resnet152-v1", "inception-v3-aux"})


def test_round_trip_spec_pytorch_onnx_spec(network: tuple[str, Spec], tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from cnncalc.features.interop import load_model_spec
    from cnncalc.features.interop.match import match

    name, full = network
    if name in DEEPER_MEMBERS and not os.environ.get("CNNCALC_SLOW"):
        pytest.skip("a deeper member of a family the round trip already covers: set CNNCALC_SLOW=1")
    # a batch of 2: batch norm exported in training mode needs more than one value per channel
    spec = reduced(full).model_copy(update={"batch": 2})
    model = module_class(export_pytorch(spec))()
    to_onnx(model, (2, *spec.input.channels_first()), tmp_path / f"{name}.onnx")
    imported = load_model_spec(tmp_path / f"{name}.onnx")
    result = match(spec, imported)
    if name == "siamese":
        # both towers read the one input with the same weights: PyTorch's exporter computes the
        # tower once (common subexpressions merged), so the model has one tower and half its MACs
        ours, theirs = analyze(spec).totals, analyze(imported).totals
        assert theirs.params == ours.params and 2 * theirs.macs > ours.macs > theirs.macs
        return
    assert result.ok, [layer for layer in result.layers if layer.problems]
    ours, theirs = analyze(spec).totals, analyze(imported).totals
    assert (ours.params, ours.macs) == (theirs.params, theirs.macs)


def test_export_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["export", "lenet5", "--to", "pytorch"])
    assert result.exit_code == 0, result.output
    assert "class Lenet5(nn.Module):" in result.stdout
    out = tmp_path / "net.py"
    assert runner.invoke(app, ["export", "resnet18", "-o", str(out), "--input", "64x64x3"]).exit_code == 0
    model = module_class(out.read_text())()
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 1000)
    assert runner.invoke(app, ["export", "resnet18", "-o", str(out)]).exit_code == 2  # exists
    bad = runner.invoke(app, ["export", "resnet18", "--to", "keras"])
    assert bad.exit_code == 2


FROZEN = """
name: frozen
input: 16x16x3
layers:
  - {kind: conv, name: stem, filters: 8, kernel: 3, trainable: false}
  - {kind: batch_norm, name: bn, trainable: false}
  - {kind: relu}
  - {kind: conv, name: a, filters: 8, kernel: 3, padding: same}
  - {kind: conv, name: b, filters: 8, kernel: 3, padding: same, shares: a}
  - {kind: separable_conv, name: sep, filters: 4, kernel: 3, trainable: false}
  - {kind: global_avg_pool}
  - {kind: dense, name: head, units: 5}
  - {kind: dense, name: frozen_head, units: 5, bias: false, trainable: false}
"""


def test_frozen_layers_are_exported_without_gradients() -> None:
    """PyTorch's own split, sum over parameters with and without requires_grad, is the report's."""
    spec = load_spec_text(FROZEN)
    model = module_class(export_pytorch(spec))()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    totals = analyze(spec).totals
    assert (totals.trainable_params, totals.non_trainable_params) == (trainable, frozen)
    assert frozen == (3 * 3 * 3 * 8 + 8) + 2 * 8 + (3 * 3 * 8 + 8 * 4 + 4) + 5 * 5  # nothing else is frozen
    shared = load_spec_text(FROZEN.replace("padding: same}", "padding: same, trainable: false}", 1))
    model = module_class(export_pytorch(shared))()  # `b` shares the frozen weights of `a`: frozen too
    assert analyze(shared).totals.trainable_params == sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_shared_weights_are_one_module_called_twice() -> None:
    source = export_pytorch(load_spec("siamese"))
    assert "shares the weights of self.tower_a_conv1" in source
    assert source.count("self.tower_a_conv1(") == 2


def test_asymmetric_padding_goes_to_f_pad() -> None:
    spec = load_spec_text(
        "input: 8x8x4\nlayers:\n  - {kind: conv, filters: 4, kernel: 3, stride: 2, padding: same}\n"
        "  - {kind: max_pool, kernel: 2, stride: 2, padding: [[0, 1], [0, 1]]}\n"
    )
    source = export_pytorch(spec)
    assert "F.pad(x, (0, 1, 0, 1))" in source  # 'same' on 8 with stride 2: 0 before, 1 after
    assert 'F.pad(x, (0, 1, 0, 1), value=float("-inf"))' in source
    model = module_class(export_pytorch(spec, trace=True))()
    model(torch.zeros(1, 4, 8, 8))
    assert {k: tuple(v.shape[1:]) for k, v in model.trace.items()} == {
        r.name: r.output_shape for r in analyze(spec).rows[1:]
    }


def test_a_kind_without_a_pytorch_module_is_an_error() -> None:
    spec = load_spec_text("input: 8x8x3\nlayers: [{kind: locally_connected, filters: 2, kernel: 3}]")
    with pytest.raises(ExportError, match="locally_connected"):
        export_pytorch(spec)


#: torchvision's published GFLOPS (multiply-adds, in billions, rounded to 2 decimals)
PUBLISHED_GFLOPS = {"resnet18": 1.81, "mobilenet-v2": 0.30, "squeezenet1_0": 0.82, "googlenet-torchvision": 1.50}


@pytest.mark.parametrize("name", sorted(PUBLISHED_GFLOPS))
def test_full_size_onnx_import_gives_published_figures(name: str, tmp_path: Path) -> None:
    """torchvision's networks (as the bundled specs write them), through PyTorch and ONNX at 224x224:
    the imported model has torchvision's published params and GFLOPS."""
    pytest.importorskip("onnx")
    from cnncalc.features.interop import load_model_spec

    spec = load_spec(name)
    model = module_class(export_pytorch(spec))()
    to_onnx(model, (2, *spec.input.channels_first()), tmp_path / f"{name}.onnx")
    imported = load_model_spec(tmp_path / f"{name}.onnx")
    assert imported.batch == 2
    totals = analyze(imported).totals
    assert totals.params == PUBLISHED[name]
    assert round(totals.macs / 2 / 1e9, 2) == PUBLISHED_GFLOPS[name]


#: networks whose stock exports take longest on a CPU (many or large layers): run with CNNCALC_SLOW=1
SLOW_STOCK = frozenset(
    {
        "densenet121",
        "googlenet-torchvision",
        "inception-v3",
        "inception-v3-aux",
        "plain34",
        "resnet34",
        "resnet50",
        "resnet50-v1",
        "resnet101",
        "resnet152",
        "resnet152-v1",
        "vgg13",
        "vgg16",
        "vgg16-c",
        "vgg19",
    }
)


def _stock_cases() -> list[Any]:
    import os

    slow = [pytest.mark.slow, pytest.mark.skipif(not os.environ.get("CNNCALC_SLOW"), reason="set CNNCALC_SLOW=1")]
    return [
        pytest.param(name, mode, marks=slow if name in SLOW_STOCK else [], id=f"{name}-{mode}")
        for name in bundled_names()
        for mode in ("defaults", "training")
    ]


@pytest.mark.parametrize(("name", "mode"), _stock_cases())
def test_stock_export_matches_the_spec(name: str, mode: str, tmp_path: Path) -> None:
    """The documented round trip with torch.onnx.export as people call it: PyTorch's defaults (eval
    mode, batch norm folded into the conv before it, constant folding, LRN written out as a dozen
    nodes), and training mode without folding. `match` agrees and says what it recognised."""
    pytest.importorskip("onnx")
    from cnncalc.features.interop import load_model_spec
    from cnncalc.features.interop.match import match

    # a batch of 2: batch norm exported in training mode needs more than one value per channel
    spec = reduced(load_spec(name)).model_copy(update={"batch": 2})
    torch.manual_seed(0)
    model = module_class(export_pytorch(spec))()
    path = tmp_path / f"{name}.onnx"
    sample = (torch.zeros(2, *spec.input.channels_first()),)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "defaults":
            torch.onnx.export(model.eval(), sample, str(path), dynamo=False)
        else:
            training = torch.onnx.TrainingMode.TRAINING
            torch.onnx.export(model, sample, str(path), dynamo=False, training=training, do_constant_folding=False)
    imported = load_model_spec(path)
    result = match(spec, imported)
    assert result.ok, ([layer for layer in result.layers if layer.problems], result.totals())
    rules = {r.rule for r in result.recognised}
    kinds = {row.kind for row in analyze(spec).rows}
    assert ("batch_norm_folded" in rules) == (mode == "defaults" and "batch_norm" in kinds)
    assert ("computed_once" in rules) == (name == "siamese")
    if "lrn" in kinds:  # PyTorch writes LRN out at every opset; it imports as LRN again
        assert "lrn" in {row.kind for row in analyze(imported).rows}


def test_match_cli_on_a_default_export(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    spec = reduced(load_spec("resnet18"))
    model = module_class(export_pytorch(spec))().eval()
    path = tmp_path / "resnet18.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False)
    result = CliRunner().invoke(app, ["match", "resnet18", str(path), "--input", "32x32x3"])
    assert result.exit_code == 0, result.output
    # 20 batch norms of 2 x C params each, folded into convs that gain C biases: -C per batch norm,
    # C summed over resnet18's batch norms = 64 + 4 x 64 + 4 x 128 + 4 x 256 + 4 x 512 + 128 + 256 + 512
    lost = 64 + 4 * 64 + 4 * 128 + 4 * 256 + 4 * 512 + 128 + 256 + 512
    assert "recognised: 20 batch norm(s) of the spec folded" in result.output
    assert f"equal after the rewrites recognised ({-lost:+,})" in result.output
    summary = CliRunner().invoke(app, ["summarize", str(path)])
    assert summary.exit_code == 0
    assert "batch norms are most likely folded in" in summary.output
