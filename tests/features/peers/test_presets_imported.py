"""The presets on imported models against the tools themselves: torchvision networks exported to
ONNX (training mode, batch norm kept), imported, and counted by each preset, must give torchinfo's,
fvcore's, thop's and ptflops' totals on the torchvision module to the digit. torchvision calls some
layers as functions (mobilenet_v2's F.adaptive_avg_pool2d, googlenet's F.relu in BasicConv2d) and
has an adaptive pool that leaves alexnet's 6x6 map as it is: the presets read both from the file.

Skipped where torch, torchvision, onnx or a tool is not installed.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

import pytest

from cnncalc.features.peers.presets import evaluate

torch = pytest.importorskip("torch")
try:  # PyPI's torchvision beside a torch it was not built for raises RuntimeError, not ImportError
    torchvision: Any = pytest.importorskip("torchvision")
except RuntimeError as error:
    pytest.skip(f"torchvision does not import here: {error}", allow_module_level=True)
pytest.importorskip("onnx")

#: (network, input size): small inputs keep each tool's forward pass short; alexnet at 224, where
#: its AdaptiveAvgPool2d((6, 6)) meets a 6x6 map (the export writes it as a 1x1 average pool)
NETWORKS = [("resnet18", 64), ("mobilenet_v2", 64), ("googlenet", 64), ("alexnet", 224)]


@contextlib.contextmanager
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield


def _build(name: str) -> Any:
    torch.manual_seed(0)
    extra = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    return getattr(torchvision.models, name)(weights=None, **extra).eval()


@pytest.fixture(scope="module", params=NETWORKS, ids=[name for name, _ in NETWORKS])
def imported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int, Any]:
    from cnncalc.features.interop import load_model_spec

    name, size = request.param
    path = Path(tmp_path_factory.mktemp("tv")) / f"{name}.onnx"
    with _quiet():
        torch.onnx.export(
            _build(name),
            (torch.zeros(1, 3, size, size),),
            str(path),
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False,
        )
    return name, size, load_model_spec(path)


def _exact(result: Any) -> None:
    assert not [note for note in result.notes if note.startswith("not exact")]


def test_torchinfo(imported: tuple[str, int, Any]) -> None:
    torchinfo = pytest.importorskip("torchinfo")
    name, size, spec = imported
    with _quiet():
        stats = torchinfo.summary(_build(name), input_data=torch.zeros(1, 3, size, size), verbose=0)
    preset = evaluate(spec, "torchinfo")
    assert (preset.macs, preset.params) == (stats.total_mult_adds, stats.total_params)
    _exact(preset)


def test_fvcore(imported: tuple[str, int, Any]) -> None:
    fvcore_nn = pytest.importorskip("fvcore.nn")
    name, size, spec = imported
    with _quiet():
        analysis = fvcore_nn.FlopCountAnalysis(_build(name), torch.zeros(1, 3, size, size))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        total = analysis.total()
    assert evaluate(spec, "fvcore").macs == total


def test_thop(imported: tuple[str, int, Any]) -> None:
    thop = pytest.importorskip("thop")
    name, size, spec = imported
    with _quiet():
        macs, params = thop.profile(_build(name), inputs=(torch.zeros(1, 3, size, size),), verbose=False)
    preset = evaluate(spec, "thop")
    assert (preset.macs, preset.params) == (int(macs), int(params))


def test_ptflops(imported: tuple[str, int, Any]) -> None:
    ptflops = pytest.importorskip("ptflops")
    name, size, spec = imported
    with _quiet():
        macs, params = ptflops.get_model_complexity_info(
            _build(name), (3, size, size), as_strings=False, print_per_layer_stat=False
        )
    preset = evaluate(spec, "ptflops")
    assert (preset.macs, preset.params) == (macs, params)


def test_a_folded_export_says_its_counts_are_not_exact(tmp_path: Path) -> None:
    from cnncalc.features.interop import load_model_spec

    path = tmp_path / "resnet18.onnx"
    with _quiet():
        torch.onnx.export(_build("resnet18"), (torch.zeros(1, 3, 64, 64),), str(path), dynamo=False)
    notes = evaluate(load_model_spec(path), "thop").notes
    assert any(note.startswith("not exact: 20 conv/dense layer(s) hold a batch norm") for note in notes)
