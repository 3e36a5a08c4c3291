"""`match` recognises what exporters rewrite without changing what a network computes: each rule
on two small specs, one as designed and one as an export writes it. Every figure expected here is
worked out by hand in the comment beside it; none comes from cnncalc's own output."""

from __future__ import annotations

from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.interop.match import match
from cnncalc.spec import load_spec_text


def spec(text: str) -> object:
    return load_spec_text(text)


DESIGN_BN = """
name: design
input: 8x8x3
layers:
  - {kind: conv, name: conv1, filters: 4, kernel: 3, padding: 1, bias: false}
  - {kind: batch_norm, name: bn1}
  - {kind: relu}
  - {kind: global_avg_pool}
  - {kind: dense, name: fc, units: 2}
"""
#: the same network as PyTorch's exporter writes it in eval mode: bn1 folded into conv1's bias
FOLDED_BN = """
name: folded
input: 8x8x3
layers:
  - {kind: conv, name: conv1, filters: 4, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: global_avg_pool}
  - {kind: dense, name: fc, units: 2}
"""


def test_batch_norm_folded_into_the_conv_is_recognised_and_accounted() -> None:
    result = match(load_spec_text(DESIGN_BN), load_spec_text(FOLDED_BN))
    assert result.ok
    [rule] = result.recognised
    assert (rule.rule, rule.side, rule.layers) == ("batch_norm_folded", "spec", ("bn1",))
    # conv1: 3*3*3*4 = 108 weights; bn1: 4 scales + 4 shifts = 8; folded: 108 + 4 biases
    conv = next(layer for layer in result.layers if layer.spec_name == "conv1")
    assert (conv.spec_params, conv.model_params) == (112, 112)
    assert "bn1" in conv.recognised
    # spec 108 + 8 + fc (4*2 + 2 = 10) = 126; model 112 + 10 = 122: 4 fewer, explained
    assert result.totals()["params"] == (126, 122)
    assert result.explained()["params"] == -4
    # the other way round (the folded export as the design) agrees too
    assert match(load_spec_text(FOLDED_BN), load_spec_text(DESIGN_BN)).ok


def test_a_batch_norm_that_cannot_fold_is_not_read_as_folded() -> None:
    # a ReLU between conv and batch norm: no exporter folds that; the difference stays a mismatch
    design = DESIGN_BN.replace(
        "  - {kind: batch_norm, name: bn1}\n  - {kind: relu}\n", "  - {kind: relu}\n  - {kind: batch_norm, name: bn1}\n"
    )
    result = match(load_spec_text(design), load_spec_text(FOLDED_BN))
    assert not result.ok
    assert not result.recognised


def test_a_wrong_bias_count_is_still_a_mismatch_after_folding() -> None:
    # the model's conv has 5 filters: folding bn1 cannot explain it
    model = FOLDED_BN.replace("filters: 4", "filters: 5")
    assert not match(load_spec_text(DESIGN_BN), load_spec_text(model)).ok


def test_a_repeated_computation_is_computed_once() -> None:
    design = """
name: twice
input: 8x8x1
layers:
  - {kind: conv, name: a, filters: 2, kernel: 3, from: input}
  - {kind: conv, name: b, filters: 2, kernel: 3, from: input, shares: a}
  - {kind: concat, name: cat, from: [a, b]}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 1}
"""
    export = """
name: once
input: 8x8x1
layers:
  - {kind: conv, name: a, filters: 2, kernel: 3}
  - {kind: concat, name: cat, from: [a, a]}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 1}
"""
    result = match(load_spec_text(design), load_spec_text(export))
    assert result.ok, result.layers
    [rule] = result.recognised
    assert (rule.rule, rule.layers) == ("computed_once", ("b",))
    # b: 6x6 outputs x 2 filters x 9 taps = 648 MACs the export does not compute
    assert result.explained()["macs"] == -648
    assert result.totals()["macs"][0] - result.totals()["macs"][1] == 648


def test_different_settings_are_not_a_repeat() -> None:
    design = """
input: 8x8x1
layers:
  - {kind: max_pool, name: p1, kernel: 2, from: input}
  - {kind: max_pool, name: p2, kernel: 4, stride: 2, padding: 1, from: input}
  - {kind: concat, from: [p1, p2]}
"""
    result = match(load_spec_text(design), load_spec_text(design))
    assert result.ok and not result.recognised


def test_separable_conv_against_the_two_convs_of_an_export() -> None:
    design = "input: 8x8x4\nlayers:\n  - {kind: separable_conv, name: sep, filters: 6, kernel: 3}\n"
    export = """
input: 8x8x4
layers:
  - {kind: conv, name: dw, filters: 4, kernel: 3, groups: 4, bias: false}
  - {kind: conv, name: pw, filters: 6, kernel: 1}
"""
    result = match(load_spec_text(design), load_spec_text(export))
    assert result.ok, result.layers
    # depthwise 4 x 9 = 36; pointwise 4 x 6 + 6 = 30
    assert [(layer.spec_params, layer.model_params) for layer in result.layers] == [(36, 36), (30, 30)]
    assert [r.rule for r in result.recognised] == ["separable_as_two_convs"]


def test_global_pool_written_as_a_pool_over_the_whole_map() -> None:
    design = "input: 7x7x4\nlayers:\n  - {kind: global_max_pool}\n  - {kind: dense, units: 2}\n"
    export = (
        "input: 7x7x4\nlayers:\n  - {kind: max_pool, kernel: 7}\n  - {kind: flatten}\n  - {kind: dense, units: 2}\n"
    )
    result = match(load_spec_text(design), load_spec_text(export))
    assert result.ok, result.layers
    assert "whole 7x7 map" in result.layers[0].recognised
    # a pool that leaves 1x1 of a larger map without covering it is not a global pool
    partial = export.replace("kernel: 7", "kernel: 4, stride: 4")
    assert not match(load_spec_text(design), load_spec_text(partial)).ok


def test_a_pool_that_keeps_the_map_is_skipped() -> None:
    design = "input: 7x7x4\nlayers:\n  - {kind: conv, filters: 4, kernel: 1}\n"
    export = (
        "input: 7x7x4\nlayers:\n  - {kind: conv, filters: 4, kernel: 1}\n  - {kind: avg_pool, kernel: 1, stride: 1}\n"
    )
    result = match(load_spec_text(design), load_spec_text(export))
    assert result.ok
    assert [r.rule for r in result.recognised] == ["identity_pool"]
    # a 3x3 pool with padding 1 keeps the shape too, but is no identity
    padded = export.replace("kernel: 1, stride: 1", "kernel: 3, stride: 1, padding: 1")
    assert not match(load_spec_text(design), load_spec_text(padded)).ok


def test_cli_says_what_it_recognised(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "design.yaml").write_text(DESIGN_BN)
    (folder / "folded.yaml").write_text(FOLDED_BN)
    result = CliRunner().invoke(app, ["match", str(folder / "design.yaml"), str(folder / "folded.yaml")])
    assert result.exit_code == 0, result.output
    assert "recognised: 1 batch norm(s) of the spec folded" in result.output
    assert "params            spec            126  model            122  equal after the rewrites recognised (-4)" in (
        result.output
    )
    data = CliRunner().invoke(
        app, ["match", str(folder / "design.yaml"), str(folder / "folded.yaml"), "--format", "json"]
    )
    assert '"rule": "batch_norm_folded"' in data.output
