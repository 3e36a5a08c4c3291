"""The presets against the tools themselves: torchinfo, fvcore, thop and ptflops run on networks
built from specs (cnncalc's PyTorch export), and each total must equal the preset's to the digit.

Skipped where PyTorch or a tool is not installed (`pip install torchinfo fvcore thop ptflops`).
The presets count the network as the export writes it (`torchvision=False`): that is the
module tree the tools see here.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import pytest

from cnncalc.features.interop.pytorch import export_pytorch
from cnncalc.features.peers.presets import PresetResult, evaluate
from cnncalc.spec import load_spec, load_spec_text
from cnncalc.spec.dsl import load_dsl
from cnncalc.spec.model import Spec

torch = pytest.importorskip("torch")

#: bundled networks small enough for a forward pass per tool on two CPU cores
BUNDLED = ["lenet5", "lenet5-classic", "highway", "siamese", "encoder-decoder", "squeezenet1_0", "resnet18"]
#: one-line networks with the kinds the bundled ones lack (strings as in the DSL)
DSL = {
    "acts": "32x32x3 | conv3-8 act=gelu | bn | elu | conv3-8 nobias | leakyrelu | avgpool | fc-10 act=relu6 | softmax",
    "mobile": "32x32x3 | conv3-16 s=2 | bn | relu6 | dwconv3 | bn | relu | conv1-24 | bn noaffine | gap | fc-10",
    "decoder": "16x16x4 | conv3-8 | sigmoid | deconv4-4 s=2 p=1 | tanh | sepconv3-6 act=relu | maxpool | gmp | fc-3",
    "batch": "24x24x3 | conv5-6 p=0 act=relu | maxpool | conv3-6 | swish | flatten | dropout | fc-5 nobias",
}


#: networks with the kinds the DSL lines cannot write: layer norms (on the channels of a map, the
#: export's permutes around nn.LayerNorm, and on a vector), local response norms, sum and L2 pools
#: (nn.LPPool, padded by F.pad), a max pool padded on one side only, fixed scales (`x * c` and the
#: other operators) and a learned one (a depthwise 1x1 nn.Conv), channel shuffles and slices, and
#: the activations the lines above leave out, as modules and as functions; in 1, 2 and 3 dimensions
YAML = {
    "norms": """
name: norms
input: {shape: [9, 7, 6]}
batch: 2
layers:
  - {kind: conv, name: c1, filters: 8, kernel: 3, padding: same}
  - {kind: layer_norm, name: ln1}
  - {kind: lrn, name: lrn, size: 5}
  - {kind: max_pool, name: mp, kernel: 2, stride: 1, padding: same}
  - {kind: conv, name: c2, filters: 6, kernel: 3, activation: selu}
  - {kind: layer_norm, name: ln2, affine: false}
  - {kind: sum_pool, name: sp, kernel: 2}
  - {kind: hard_swish, name: hs}
  - {kind: dense, name: fc, units: 12, activation: softplus}
  - {kind: layer_norm, name: ln3}
  - {kind: dense, name: out, units: 5, activation: hard_swish}
""",
    "scales": """
name: scales
input: {shape: [8, 6, 3]}
batch: 3
layers:
  - {kind: conv, name: c1, filters: 8, kernel: 3, padding: same, activation: hard_sigmoid}
  - {kind: scale, name: half, op: multiply, value: 0.5}
  - {kind: scale, name: plus, op: add, value: 3.0}
  - {kind: scale, name: minus, op: subtract, value: 1.0}
  - {kind: scale, name: over, op: divide, value: 4.0}
  - {kind: scale, name: square, op: power, value: 2.0}
  - {kind: scale, name: gamma, learned: true}
  - {kind: channel_shuffle, name: shuffle, groups: 4}
  - {kind: channel_slice, name: left, start: 0, stop: 4}
  - {kind: conv, name: c2, filters: 4, kernel: 1}
  - {kind: selu, name: selu}
  - {kind: channel_slice, name: right, start: 4, stop: 8, from: shuffle}
  - {kind: softplus, name: softplus}
  - {kind: concat, name: cat, from: [selu, softplus]}
  - {kind: hard_sigmoid, name: hsig}
  - {kind: l2_pool, name: l2, kernel: 3, stride: 2, padding: same}
""",
    "signal": """
name: signal
input: {shape: [15, 4]}
batch: 2
layers:
  - {kind: conv, name: c1, filters: 8, kernel: [3], padding: same}
  - {kind: lrn, name: lrn, size: 4}
  - {kind: layer_norm, name: ln}
  - {kind: scale, name: gamma, learned: true}
  - {kind: channel_shuffle, name: shuffle, groups: 2}
  - {kind: l2_pool, name: l2, kernel: 3, stride: 2}
  - {kind: sum_pool, name: sp, kernel: 2, padding: same}
""",
    "volume": """
name: volume
input: {shape: [5, 4, 6, 3]}
layers:
  - {kind: conv, name: c1, filters: 6, kernel: [3, 3, 3], padding: same}
  - {kind: layer_norm, name: ln, affine: false}
  - {kind: lrn, name: lrn, size: 3}
  - {kind: scale, name: gamma, learned: true}
  - {kind: channel_shuffle, name: shuffle, groups: 3}
  - {kind: channel_slice, name: part, start: 1, stop: 5}
  - {kind: sum_pool, name: sp, kernel: 2}
  - {kind: avg_pool, name: ap, kernel: 2, stride: 1, padding: same}
""",
}


def _specs() -> list[tuple[str, Spec]]:
    specs = [(name, load_spec(name)) for name in BUNDLED]
    specs += [(name, load_dsl(text)) for name, text in DSL.items()]
    specs += [(name, load_spec_text(text)) for name, text in YAML.items()]
    # a batch of 3: every tool's count grows with it (ptflops reports per sample)
    return [(name, spec.model_copy(update={"batch": 3}) if name == "batch" else spec) for name, spec in specs]


def _model(spec: Spec) -> Any:
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(export_pytorch(spec), "generated.py", "exec"), namespace)
    cls = next(v for v in namespace.values() if isinstance(v, type) and v.__module__ == "generated")
    torch.manual_seed(0)
    return cls().eval()


def _input(spec: Spec) -> Any:
    return torch.zeros(spec.batch, *spec.input.channels_first())


def _preset(spec: Spec, name: str) -> PresetResult:
    return evaluate(spec, name, torchvision=False)


@contextlib.contextmanager
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield


@pytest.mark.parametrize(("name", "spec"), _specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_torchinfo(name: str, spec: Spec) -> None:
    torchinfo = pytest.importorskip("torchinfo")
    with _quiet():
        stats = torchinfo.summary(_model(spec), input_data=_input(spec), verbose=0)
    preset = _preset(spec, "torchinfo")
    figures = {f.label: f.value for f in preset.figures}
    assert preset.macs == stats.total_mult_adds
    assert preset.params == stats.total_params
    assert figures["Forward/backward pass size (MB)"] == stats.total_output_bytes
    assert figures["Params size (MB)"] == stats.total_param_bytes
    # torchinfo's input size is sys.getsizeof of the storage: its bytes and the object's header
    assert 0 <= stats.total_input - figures["Input size (MB)"] <= 200


@pytest.mark.parametrize(("name", "spec"), _specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_fvcore(name: str, spec: Spec) -> None:
    fvcore_nn = pytest.importorskip("fvcore.nn")
    with _quiet():
        analysis = fvcore_nn.FlopCountAnalysis(_model(spec), _input(spec))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        total = analysis.total()
    assert _preset(spec, "fvcore").macs == total


@pytest.mark.parametrize(("name", "spec"), _specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_thop(name: str, spec: Spec) -> None:
    thop = pytest.importorskip("thop")
    with _quiet():
        macs, params = thop.profile(_model(spec), inputs=(_input(spec),), verbose=False)
    preset = _preset(spec, "thop")
    assert preset.macs == int(macs)
    assert preset.params == int(params)


@pytest.mark.parametrize(("name", "spec"), _specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_ptflops(name: str, spec: Spec) -> None:
    ptflops = pytest.importorskip("ptflops")
    shape = spec.input.channels_first()
    with _quiet():
        macs, params = ptflops.get_model_complexity_info(
            _model(spec),
            tuple(shape),
            as_strings=False,
            print_per_layer_stat=False,
            input_constructor=lambda _: torch.zeros(spec.batch, *shape),
        )
    preset = _preset(spec, "ptflops")
    assert preset.macs == macs  # as ptflops prints it: modules per image, functions for the batch
    assert preset.params == params
