"""`cnncalc conv --dilation`: dilated (atrous) kernels in the worked example, exact.

The expected values are computed by hand in the comments, by the definition (a dilated kernel is
the kernel with d - 1 zeros between its taps), and by PyTorch's conv2d where it is installed.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.worked.examples import correlate
from cnncalc.features.worked.matrix import Padding, Pair, Volume, parse_volume
from cnncalc.features.worked.numbers import NumberStyle

#: 5x5, row r (0-based) and column c hold 5r + c + 1: 1 .. 25
COUNTING_5X5 = "1 2 3 4 5; 6 7 8 9 10; 11 12 13 14 15; 16 17 18 19 20; 21 22 23 24 25"


def ints(grid: tuple[tuple[Fraction, ...], ...]) -> list[list[int]]:
    assert all(v.denominator == 1 for row in grid for v in row)
    return [[int(v) for v in row] for row in grid]


def test_a_2x2_kernel_with_dilation_2_by_hand() -> None:
    # out(i, j) = x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2] = 4*(5i + j + 1) + (2 + 10 + 12)
    #           = 20i + 4j + 28; the window spans 3x3, so a 5x5 input gives 3x3
    result = correlate(parse_volume(COUNTING_5X5), [parse_volume("1 1; 1 1")], dilation=(2, 2))
    assert ints(result.outputs[0]) == [[28, 32, 36], [48, 52, 56], [68, 72, 76]]
    assert result.span == (3, 3)
    # (1,1) reads rows 1 and 3, columns 1 and 3: 1 + 3 + 11 + 13 = 28
    step = result.step(0, 0, 0)
    assert step.reads == ((1, 3), (1, 3))
    assert step.text(NumberStyle(), 1) == ["(1,1) reads rows 1, 3 x columns 1, 3: 1x1 + 3x1 + 11x1 + 13x1 = 28"]


def test_rows_and_columns_dilated_differently_by_hand() -> None:
    # 5x7 of 1..35 (x[r][c] = 7r + c + 1); kernel rows "1 0 -1", dilation 2 down, 3 across:
    # taps at columns 0, 3, 6 and rows i, i+2; each output (x[i][0] - x[i][6]) + (x[i+2][0] - x[i+2][6])
    # = -6 - 6 = -12; spans 3x7, so the output is 3x1
    image = "; ".join(" ".join(str(7 * r + c + 1) for c in range(7)) for r in range(5))
    result = correlate(parse_volume(image), [parse_volume("1 0 -1; 1 0 -1")], dilation=(2, 3))
    assert ints(result.outputs[0]) == [[-12], [-12], [-12]]
    assert result.step(0, 1, 0).reads == ((2, 4), (1, 4, 7))


def test_taps_in_the_padding_are_named() -> None:
    # padding 1: output (1,1)'s taps sit at padded rows/columns 0 and 2 = padding and input 2
    result = correlate(
        parse_volume(COUNTING_5X5), [parse_volume("1 1; 1 1")], padding=((1, 1), (1, 1)), dilation=(2, 2)
    )
    assert result.step(0, 0, 0).reads == ((None, 2), (None, 2))
    assert ints(result.outputs[0])[0][0] == 7  # only x[1][1] = 7 is inside
    assert ints(result.outputs[0])[4][4] == 19  # only x[3][3] = 19


def dilate(kernel: Volume, dh: int, dw: int) -> Volume:
    """The kernel with d - 1 zeros between its taps: the definition of dilation."""
    zero = Fraction(0)
    out = []
    for channel in kernel:
        rows = len(channel) * dh - dh + 1
        columns = len(channel[0]) * dw - dw + 1
        grid = [[zero] * columns for _ in range(rows)]
        for a, row in enumerate(channel):
            for b, value in enumerate(row):
                grid[a * dh][b * dw] = value
        out.append(tuple(tuple(r) for r in grid))
    return tuple(out)


def random_volume(rng: random.Random, channels: int, rows: int, columns: int) -> Volume:
    return tuple(
        tuple(tuple(Fraction(rng.randint(-9, 9)) for _ in range(columns)) for _ in range(rows)) for _ in range(channels)
    )


#: channels, rows, columns, kernel rows, kernel columns, filters, stride, padding, dilation
Case = tuple[int, int, int, int, int, int, Pair, Padding, Pair]

CASES: list[Case] = [
    # channels, rows, columns, kernel rows, kernel columns, filters, stride, padding, dilation
    (1, 7, 7, 3, 3, 1, (1, 1), ((0, 0), (0, 0)), (2, 2)),
    (3, 9, 11, 3, 2, 2, (1, 2), ((2, 2), (1, 1)), (2, 3)),
    (2, 10, 8, 2, 3, 3, (2, 1), ((1, 0), (0, 2)), (3, 1)),
    (1, 12, 12, 3, 3, 1, (3, 3), ((0, 0), (0, 0)), (4, 4)),
    (2, 6, 9, 1, 3, 2, (1, 1), ((0, 0), (3, 3)), (1, 4)),
]


@pytest.mark.parametrize("case", CASES)
def test_dilation_is_the_kernel_with_zeros_between_its_taps(case: Case) -> None:
    channels, rows, columns, kh, kw, filters, stride, padding, dilation = case
    rng = random.Random(hash(case) & 0xFFFF)
    image = random_volume(rng, channels, rows, columns)
    kernels = [random_volume(rng, channels, kh, kw) for _ in range(filters)]
    dilated = correlate(image, kernels, stride=stride, padding=padding, dilation=dilation)
    spread = correlate(image, [dilate(k, *dilation) for k in kernels], stride=stride, padding=padding)
    assert dilated.outputs == spread.outputs


@pytest.mark.parametrize("case", CASES)
def test_dilation_matches_pytorch_conv2d(case: Case) -> None:
    torch = pytest.importorskip("torch")
    channels, rows, columns, kh, kw, filters, stride, padding, dilation = case
    rng = random.Random(hash(case) & 0xFFFF)
    image = random_volume(rng, channels, rows, columns)
    kernels = [random_volume(rng, channels, kh, kw) for _ in range(filters)]
    biases = [Fraction(rng.randint(-5, 5)) for _ in range(filters)]
    ours = correlate(image, kernels, stride=stride, padding=padding, dilation=dilation, biases=biases)
    x = torch.tensor([[[[float(v) for v in row] for row in grid] for grid in image]], dtype=torch.float64)
    (top, bottom), (left, right) = padding
    x = torch.nn.functional.pad(x, (left, right, top, bottom))
    w = torch.tensor([[[[float(v) for v in row] for row in grid] for grid in k] for k in kernels], dtype=torch.float64)
    b = torch.tensor([float(v) for v in biases], dtype=torch.float64)
    theirs = torch.nn.functional.conv2d(x, w, b, stride=stride, dilation=dilation)[0]
    # small integers: float64 is exact, so the comparison is too
    assert [ints(grid) for grid in ours.outputs] == [
        [[int(v) for v in row] for row in grid] for grid in theirs.tolist()
    ]


def test_same_padding_with_dilation_keeps_the_size_as_pytorch() -> None:
    torch = pytest.importorskip("torch")
    runner = CliRunner()
    # a 3x3 kernel with dilation 2 spans 5x5: 'same' pads 2 on each side, so 5x5 stays 5x5
    result = runner.invoke(
        app, ["conv", COUNTING_5X5, "-k", "1 0 1; 0 1 0; 1 0 1", "-d", "2", "-p", "same", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["padding"] == [[2, 2], [2, 2]] and data["dilation"] == [2, 2]
    x = torch.arange(1, 26, dtype=torch.float64).reshape(1, 1, 5, 5)
    w = torch.tensor([[[[1, 0, 1], [0, 1, 0], [1, 0, 1]]]], dtype=torch.float64)
    want = torch.nn.functional.conv2d(x, w, padding="same", dilation=2)[0, 0].tolist()
    assert data["output"][0] == [[int(v) for v in row] for row in want]


def test_cli_dilation_steps_title_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["conv", COUNTING_5X5, "-k", "1 1; 1 1", "--dilation", "2", "--steps"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "cross-correlation: input 5x5, kernel 2x2, dilation 2 (spans 3x3), stride 1, padding 0 -> output 3x3"
    )
    assert "(3,3) reads rows 3, 5 x columns 3, 5: 13x1 + 15x1 + 23x1 + 25x1 = 76" in lines
    result = runner.invoke(
        app, ["conv", COUNTING_5X5, "-k", "1 1; 1 1", "-d", "2,1", "-p", "1", "--steps", "-f", "json"]
    )
    data = json.loads(result.stdout)
    assert data["dilation"] == [2, 1] and data["output_shape"] == [1, 5, 6]
    assert data["steps"][0]["reads"] == {"rows": [None, 2], "columns": [None, 1]}
    # without dilation nothing changes: no "reads" in the steps
    plain = runner.invoke(app, ["conv", COUNTING_5X5, "-k", "1 1; 1 1", "--steps", "-f", "json"])
    assert "reads" not in json.loads(plain.stdout)["steps"][0]
    assert json.loads(plain.stdout)["dilation"] == [1, 1]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-d", "0"], "--dilation '0': expected a positive integer"),
        (["-d", "2,x"], "--dilation '2,x'"),
        (["-d", "3"], "the dilated kernel (4x4) is larger than the input (3x3)"),
    ],
)
def test_cli_dilation_errors(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(app, ["conv", "1 2 3; 4 5 6; 7 8 9", "-k", "1 1; 1 1", *args])
    assert result.exit_code == 2
    assert fragment in result.stderr and "Traceback" not in result.output
