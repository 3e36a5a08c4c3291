"""Two numbers for an input are one axis and channels: a 2-D window over them is refused.

`input: 28x28` (MNIST without its channel axis) fed to a 2-D conv used to be read, silently,
as a 1-D signal of 28 steps x 28 channels: LeNet's conv1 counted 846 params instead of 156.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cnncalc import analyze, load_spec_text
from cnncalc.cli import app
from cnncalc.errors import ShapeError
from cnncalc.spec.dsl import load_dsl

LENET = "name: lenet\ninput: 28x28\nlayers:\n  - {kind: conv, filters: 6, kernel: 5}\n"
MESSAGE = "input 28x28 has no channel axis: write 28x28x1 for a grayscale image"


def refusal(text: str) -> str:
    with pytest.raises(ShapeError) as caught:
        analyze(load_spec_text(text, "net.yaml"))
    return str(caught.value)


def test_lenet_on_28x28_is_refused_at_the_input() -> None:
    text = refusal(LENET)
    assert text.startswith(f"net.yaml:2:8: error: {MESSAGE}\n  hint: ")
    assert "28 steps x 28 channels" in text
    assert "kind: conv1d or kernel: [5]" in text


def test_with_its_channel_axis_lenet_counts_156_params() -> None:
    report = analyze(load_spec_text(LENET.replace("28x28\n", "28x28x1\n")))
    assert report.rows[1].params == 156  # (5*5*1 + 1) * 6


@pytest.mark.parametrize(
    "layers",
    [
        "{kind: max_pool, kernel: 2}",
        "{kind: relu}\n  - {kind: avg_pool, kernel: 3}",  # a layer that keeps the shape comes first
        "{kind: conv, filters: 6, kernel: [5, 5]}",
        "{kind: conv2d, filters: 6, kernel: 5}",
        "{kind: depthwise_conv, kernel: 3}",
    ],
)
def test_every_window_layer_that_may_be_2d_is_refused(layers: str) -> None:
    assert MESSAGE in refusal(f"input: 28x28\nlayers:\n  - {layers}\n")


def test_chw_input_suggests_the_channel_first() -> None:
    text = refusal("input: [4, 100]\nlayers:\n  - {kind: max_pool, kernel: 2}\n")
    assert "input 4x100 has no channel axis: write 4x100x1" in text
    assert "give 'pool1' kernel: [2]" in text


@pytest.mark.parametrize(
    ("input_text", "layer", "output"),
    [
        ("28x28", "{kind: conv1d, filters: 6, kernel: 5}", (6, 24)),  # conv1d names one axis
        ("28x28", "{kind: conv, filters: 6, kernel: [5]}", (6, 24)),  # so does a one-value kernel
        ("100x2", "{kind: conv, filters: 4, kernel: 5, padding: [[1, 3]]}", (4, 100)),
        ("1000x1", "{kind: conv, filters: 16, kernel: 7}", (16, 994)),  # one channel: a signal
        ("{shape: [100, 4], layout: hwc}", "{kind: max_pool, kernel: 2}", (4, 50)),  # layout written
        ("28x28", "{kind: flatten}", (784,)),  # no window: nothing to misread
    ],
)
def test_a_1d_reading_that_is_said_stays_valid(input_text: str, layer: str, output: tuple[int, ...]) -> None:
    report = analyze(load_spec_text(f"input: {input_text}\nlayers:\n  - {layer}\n"))
    assert report.rows[1].output_shape == output  # channels first, as the Report keeps shapes


def test_after_a_conv1d_later_windows_follow_it() -> None:
    text = "input: 28x28\nlayers:\n  - {kind: conv1d, filters: 6, kernel: 5}\n  - {kind: max_pool, kernel: 2}\n"
    assert analyze(load_spec_text(text)).rows[2].output_shape == (6, 12)


def test_dsl_is_refused_at_the_input_with_a_dsl_hint() -> None:
    with pytest.raises(ShapeError) as caught:
        analyze(load_dsl("28x28 | conv5-6"))
    text = str(caught.value)
    assert text.startswith(f"<dsl>:1:1: error: {MESSAGE}\n")
    assert "p=0/0" in text
    assert "or write the layout: 28x28 hwc" in text
    assert analyze(load_dsl("100x4 | conv5-6 p=2/2")).rows[1].output_shape == (6, 100)
    assert analyze(load_dsl("100x4 hwc | conv5-6")).rows[1].output_shape == (6, 100)


def test_cli_exits_2_with_the_located_error() -> None:
    result = CliRunner().invoke(app, ["summarize", "--dsl", "28x28 | conv5-6"])
    assert result.exit_code == 2
    assert MESSAGE in result.output
    assert "Traceback" not in result.output


def test_solve_says_so_instead_of_searching_sizes() -> None:
    result = CliRunner().invoke(app, ["solve", "--dsl", "100x8 | conv3-8", "--max-macs", "1e9"])
    assert result.exit_code == 2
    assert "input 100x8 has no channel axis: write 100x8x1" in result.stderr
    assert "no square input" not in result.stderr


def test_a_program_that_writes_the_layout_says_it() -> None:
    # an imported model's spec data carries no positions: its written layout is what counts
    from cnncalc.spec.loader import validate_spec
    from cnncalc.spec.model import SourceMap

    data = {"input": {"shape": [100, 4], "layout": "hwc"}, "layers": [{"kind": "conv", "filters": 2, "kernel": 5}]}
    assert analyze(validate_spec(data, SourceMap("model.keras"))).rows[1].output_shape == (2, 96)
    bare = {"input": {"shape": [100, 4]}, "layers": [{"kind": "conv", "filters": 2, "kernel": 5}]}
    with pytest.raises(ShapeError):
        analyze(validate_spec(bare, SourceMap("model.keras")))
