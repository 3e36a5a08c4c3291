"""The presets reproduce each tool's published totals on torchvision's networks, to the digit.

The figures below were measured with the tools themselves (torchinfo 1.8, fvcore 0.1.5,
thop 0.1.1, ptflops 0.7 with its default pytorch backend) on torchvision's vgg16, resnet18,
resnet50 and mobilenet_v2 at 224x224, batch 1, in eval mode; they are the figures users
quote in those tools' issues. None comes from cnncalc.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.features.interop.pytorch import EXPORT
from cnncalc.features.peers.calls import PEERS, UNCHECKED_NOTE, calls
from cnncalc.features.peers.presets import PRESETS, evaluate
from cnncalc.features.peers.rules import TOOLS
from cnncalc.layers.registry import layer_classes
from cnncalc.spec import load_spec, load_spec_text

#: network -> (torchinfo mult-adds, fvcore flops, thop MACs, ptflops MACs, torchinfo forward/backward bytes)
PUBLISHED = {
    "vgg16": (15_483_821_032, 15_470_289_408, 15_470_314_496, 15_523_225_576, 108_453_696),
    "resnet18": (1_814_083_944, 1_819_065_856, 1_824_033_792, 1_825_313_768, 39_747_392),
    "resnet50": (4_089_238_376, 4_111_512_576, 4_133_742_592, 4_132_436_968, 177_831_744),
    "mobilenet-v2": (300_809_384, 314_193_216, 327_486_720, 320_300_008, 106_857_792),
}
#: torchvision's num_params (its weights tables)
TORCHVISION_PARAMS = {"vgg16": 138_357_544, "resnet18": 11_689_512, "resnet50": 25_557_032, "mobilenet-v2": 3_504_872}


@pytest.mark.parametrize("network", sorted(PUBLISHED))
def test_each_tool_total_to_the_digit(network: str) -> None:
    spec = load_spec(network)
    torchinfo, fvcore, thop, ptflops, passes = PUBLISHED[network]
    assert evaluate(spec, "torchinfo").macs == torchinfo
    assert evaluate(spec, "fvcore").macs == fvcore
    assert evaluate(spec, "thop").macs == thop
    assert evaluate(spec, "ptflops").macs == ptflops
    figures = {f.label: f.value for f in evaluate(spec, "torchinfo").figures}
    assert figures["Forward/backward pass size (MB)"] == passes
    for name in ("torchinfo", "fvcore", "thop", "ptflops", "paper"):
        assert evaluate(spec, name).params == TORCHVISION_PARAMS[network], name


def test_torchinfo_sizes_are_its_sum_in_decimal_megabytes() -> None:
    figures = {f.label: f for f in evaluate(load_spec("resnet50"), "torchinfo").figures}
    # 25,557,032 float32 params; a 3x224x224 float32 input
    assert figures["Params size (MB)"].value == 25_557_032 * 4
    assert figures["Input size (MB)"].value == 3 * 224 * 224 * 4
    total = figures["Estimated Total Size (MB)"]
    assert total.value == 3 * 224 * 224 * 4 + 177_831_744 + 25_557_032 * 4
    assert (figures["Forward/backward pass size (MB)"].shown, total.shown) == ("177.83", "280.66")


def test_keras_counts_batch_norm_statistics_as_params() -> None:
    keras = evaluate(load_spec("resnet50"), "keras")
    assert keras.params == 25_610_152  # Keras's count for the same network; PyTorch's is 25,557,032
    figures = {f.label: f for f in keras.figures}
    assert figures["Non-trainable params"].value == 25_610_152 - 25_557_032
    assert figures["Total params"].shown == "97.69 MB"  # 25,610,152 x 4 B / 2^20


def test_torchvision_structure_is_said_not_hidden() -> None:
    """vgg16's and mobilenet-v2's specs differ from torchvision's module tree: a note says how."""
    vgg = evaluate(load_spec("vgg16"), "ptflops")
    assert any("AdaptiveAvgPool2d((7, 7))" in note for note in vgg.notes)
    assert any("functional" in note for note in evaluate(load_spec("mobilenet-v2"), "thop").notes)
    assert evaluate(load_spec("resnet50"), "thop").notes == ()
    # counted as cnncalc's export writes it instead, the figures move by what the note names
    export = evaluate(load_spec("mobilenet-v2"), "thop", torchvision=False)
    assert export.notes == ()
    assert export.macs == PUBLISHED["mobilenet-v2"][2] + (49 + 1) * 1280  # the pool's (taps + 1) per output


def test_unchecked_torchvision_layouts_say_so() -> None:
    assert UNCHECKED_NOTE in evaluate(load_spec("densenet121"), "thop").notes
    assert UNCHECKED_NOTE not in evaluate(load_spec("resnet101"), "thop").notes
    assert UNCHECKED_NOTE not in evaluate(load_spec("lenet5"), "thop").notes


def test_per_layer_counts_sum_to_the_total() -> None:
    result = evaluate(load_spec("resnet18"), "ptflops")
    assert sum(v for _, v in result.per_layer) == result.macs
    layers = dict(result.per_layer)
    assert layers["maxpool"] == 2 * 64 * 112 * 112  # the module's hook and its F.max_pool2d
    assert layers["layer1.0.add"] == 0  # `out += identity` has no hook


def test_batch_multiplies_the_counts() -> None:
    spec = load_spec("resnet18")
    big = spec.model_copy(update={"batch": 4})
    for name in ("torchinfo", "fvcore", "thop", "paper"):
        one, four = evaluate(spec, name), evaluate(big, name)
        assert four.macs is not None and one.macs is not None
        assert four.macs == 4 * one.macs, name


def test_every_kind_the_export_writes_has_a_rule() -> None:
    """What `cnncalc export` writes is what the tools see: each kind it writes has a rule of its own
    (tests/features/peers/test_presets_tools.py checks each against the tools), never the fallback."""
    written = [(cls, kind) for cls in layer_classes() for kind in cls.kinds() if EXPORT.covers(cls, kind)]
    assert len(written) > 20
    assert [kind for cls, kind in written if not PEERS.covers(cls, kind)] == []


NEW_KINDS = """
name: new-kinds
input: {shape: [6, 5, 8]}
layers:
  - {kind: conv, name: c1, filters: 8, kernel: 3, padding: same}
  - {kind: layer_norm, name: ln}
  - {kind: lrn, name: lrn}
  - {kind: scale, name: half, op: multiply, value: 0.5}
  - {kind: scale, name: gamma, learned: true}
  - {kind: channel_shuffle, name: shuffle, groups: 4}
  - {kind: channel_slice, name: left, start: 0, stop: 4}
  - {kind: l2_pool, name: l2, kernel: 2}
"""


def test_modelled_kinds_carry_no_note_and_the_others_say_why() -> None:
    spec = load_spec_text(NEW_KINDS)
    local = load_spec_text(NEW_KINDS + "  - {kind: locally_connected, name: local, filters: 4, kernel: 2}\n")
    for name in ("torchinfo", "fvcore", "thop", "ptflops"):
        assert evaluate(spec, name).notes == (), name
        (note,) = evaluate(local, name).notes
        assert note.startswith("not exact:") and "locally_connected (PyTorch has no locally connected module" in note


def test_a_scale_is_a_module_when_learned_and_an_operator_when_fixed() -> None:
    """The export writes a learned scale as a depthwise 1x1 nn.Conv (hooked), a fixed one as `x * c`."""
    spec = load_spec_text(NEW_KINDS)
    from_calls = {op.row: op.call for op in calls(spec, analyze(spec))}
    assert (from_calls["gamma"], from_calls["half"], from_calls["left"], from_calls["ln"]) == (
        "module",
        "operator",
        "operator",
        "module",
    )


def test_every_preset_has_a_documented_rule_and_source() -> None:
    assert set(TOOLS) == set(PRESETS)
    for name, tool in TOOLS.items():
        assert tool.rule and tool.differs and tool.sources, name


def test_cli_all(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "resnet50", "--convention", "all"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for figure in ("4,089,238,376", "4,111,512,576", "4,133,742,592", "4,132,436,968", "25,610,152"):
        assert figure in result.stdout
    rows = list(
        csv.DictReader(
            io.StringIO(runner.invoke(app, ["summarize", "vgg16", "--convention", "all", "-f", "csv"]).stdout)
        )
    )
    assert [r["convention"] for r in rows] == list(PRESETS)
    by_name = {r["convention"]: r for r in rows}
    assert int(by_name["ptflops"]["macs"]) == 15_523_225_576
    assert by_name["keras"]["macs"] == ""  # Keras reports no MACs


def test_cli_one_tool(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "resnet50", "--convention", "torchinfo"])
    assert result.exit_code == 0, result.output
    assert "Forward/backward pass size (MB)  177,831,744 (177.83)" in result.stdout
    data = json.loads(runner.invoke(app, ["summarize", "mobilenet-v2", "--convention", "thop", "-f", "json"]).stdout)
    (thop,) = data["conventions"]
    assert thop["macs"] == 327_486_720 and thop["flops"] == 2 * 327_486_720
    assert sum(layer["macs"] for layer in thop["layers"]) == thop["macs"]
    markdown = runner.invoke(app, ["summarize", "vgg16", "--convention", "fvcore", "-f", "markdown"]).stdout
    assert "| fvcore | 138,357,544 | 15,470,289,408 |" in markdown


def test_cli_refuses_options_a_tool_does_not_have(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "resnet18", "--convention", "thop", "--no-bias"])
    assert result.exit_code == 2
    assert "error: --convention thop counts by a tool's own rules; --no-bias" in result.stderr
    assert "Traceback" not in result.output
