"""`cnncalc conv` / `cnncalc pool`: every worked example of the lecture slides, reproduced exactly.

Each golden value is quoted from /work/shared/seeds/*.txt (file, slide title, and the slide's text);
where a slide's figure is wrong, the test asserts the true value and says why (README, lecture errata).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.worked.examples import Order, PoolKind, correlate, pool
from cnncalc.features.worked.matrix import Grid, Volume, WorkedError, conv_padding, parse_volume
from cnncalc.features.worked.numbers import NumberStyle, grid_cells

# --- matrices as the seed files print them --------------------------------------------------------

# 000_1bdf8c8016dfdb38.txt "Vertical edge detection" (also 001 "Edge Detection Example")
EDGE_6X6 = "3 0 1 2 7 4; 1 5 8 9 3 1; 2 7 2 5 1 3; 0 1 3 1 7 8; 4 2 1 6 2 8; 2 4 5 2 3 9"
VERTICAL = "1 0 -1; 1 0 -1; 1 0 -1"
EDGE_OUT = [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]]

# 000 "Strided convolution"
STRIDED_7X7 = "2 3 7 4 6 2 9; 6 6 9 8 7 4 3; 3 4 8 3 8 9 7; 7 8 3 6 6 3 4; 4 2 1 8 3 4 6; 3 2 4 1 9 8 3; 0 1 3 9 2 1 4"
STRIDED_KERNEL = "3 4 4; 1 0 2; -1 0 3"

# 003_2db409dce92503cf.txt "2-D CONVOLUTION" and 004_3c0cc2c179176623.txt "Convolution (in general)"
IMAGE_5X5 = "3 3 2 1 0; 0 0 1 3 1; 3 1 2 2 3; 2 0 0 2 2; 2 0 0 0 1"
BOX = "1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9"

# 000 "How ConvNet Works - What Computer Sees" / "Convolutional Layer - Output": the 9x9 X
X_IMAGE = """
-1 -1 -1 -1 -1 -1 -1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1 -1 -1  1 -1  1 -1 -1 -1
-1 -1 -1 -1  1 -1 -1 -1 -1
-1 -1 -1  1 -1  1 -1 -1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1 -1 -1 -1 -1 -1 -1 -1
"""
# 000 "Convolutional Layer - Filters": the three 3x3 filters
X_FILTERS = ["1 -1 -1; -1 1 -1; -1 -1 1", "1 -1 1; -1 1 -1; 1 -1 1", "-1 -1 1; -1 1 -1; 1 -1 -1"]
# 000 "Convolutional Layer - Output": the three 7x7 feature maps, as printed
X_MAPS = [
    """0.77 -0.11 0.11 0.33 0.55 -0.11 0.33; -0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11;
       0.11 -0.11 1.00 -0.33 0.11 -0.11 0.55; 0.33 0.33 -0.33 0.55 -0.33 0.33 0.33;
       0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11; -0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11;
       0.33 -0.11 0.55 0.33 0.11 -0.11 0.77""",
    """0.33 -0.55 0.11 -0.11 0.11 -0.55 0.33; -0.55 0.55 -0.55 0.33 -0.55 0.55 -0.55;
       0.11 -0.55 0.55 -0.77 0.55 -0.55 0.11; -0.11 0.33 -0.77 1.00 -0.77 0.33 -0.11;
       0.11 -0.55 0.55 -0.77 0.55 -0.55 0.11; -0.55 0.55 -0.55 0.33 -0.55 0.55 -0.55;
       0.33 -0.55 0.11 -0.11 0.11 -0.55 0.33""",
    """0.33 -0.11 0.55 0.33 0.11 -0.11 0.77; -0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11;
       0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11; 0.33 0.33 -0.33 0.55 -0.33 0.33 0.33;
       0.11 -0.11 1.00 -0.33 0.11 -0.11 0.55; -0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11;
       0.77 -0.11 0.11 0.33 0.55 -0.11 0.33""",
]
# 000 "ReLu Function" / "Pooling Layer" (lines 763-769 for the second map; the first map with the erratum fixed)
X_RELU_MAPS = [
    """0.77 0 0.11 0.33 0.55 0 0.33; 0 1.00 0 0.33 0 0.11 0; 0.11 0 1.00 0 0.11 0 0.55;
       0.33 0.33 0 0.55 0 0.33 0.33; 0.55 0 0.11 0 1.00 0 0.11; 0 0.11 0 0.33 0 1.00 0;
       0.33 0 0.55 0.33 0.11 0 0.77""",
    """0.33 0 0.11 0 0.11 0 0.33; 0 0.55 0 0.33 0 0.55 0; 0.11 0 0.55 0 0.55 0 0.11;
       0 0.33 0 1.00 0 0.33 0; 0.11 0 0.55 0 0.55 0 0.11; 0 0.55 0 0.33 0 0.55 0;
       0.33 0 0.11 0 0.11 0 0.33""",
    """0.33 0 0.55 0.33 0.11 0 0.77; 0 0.11 0 0.33 0 1.00 0; 0.55 0 0.11 0 1.00 0 0.11;
       0.33 0.33 0 0.55 0 0.33 0.33; 0.11 0 1.00 0 0.11 0 0.55; 0 1.00 0 0.33 0 0.11 0;
       0.77 0 0.11 0.33 0.55 0 0.33""",
]
# 000 "Pooling" / "Stacking Up The Layers": the three 4x4 pooled maps
X_POOLED = [
    "1.00 0.33 0.55 0.33; 0.33 1.00 0.33 0.55; 0.55 0.33 1.00 0.11; 0.33 0.55 0.11 0.77",
    "0.55 0.33 0.55 0.33; 0.33 1.00 0.55 0.11; 0.55 0.55 0.55 0.11; 0.33 0.11 0.11 0.33",
    "0.33 0.55 1.00 0.77; 0.55 0.55 1.00 0.33; 1.00 1.00 0.11 0.55; 0.77 0.33 0.55 0.33",
]

# 001_48a3e38ba1e756c3.txt "How does it work?" (RGB): the visible 5x5 pixels of each channel, inside the zero border
RGB = (
    "156 155 156 158 158; 153 154 157 159 159; 149 151 155 158 159; 146 146 149 153 158; 145 143 143 148 158 | "
    "167 166 167 169 169; 164 165 168 170 170; 160 162 166 169 170; 156 156 159 163 168; 155 153 153 158 168 | "
    "163 162 163 165 165; 160 161 164 166 166; 156 158 162 165 166; 155 155 158 162 167; 154 152 152 157 167"
)
RGB_KERNEL = "-1 -1 1; 0 1 -1; 0 1 1 | 1 0 0; 1 -1 -1; 1 0 -1 | 0 1 1; 0 1 0; 1 -1 1"

# 001 "CNN – Convolution": the 6x6 binary image and Filter 1 / Filter 2
BINARY_6X6 = "1 0 0 0 0 1; 0 1 0 0 1 0; 0 0 1 1 0 0; 1 0 0 0 1 0; 0 1 0 0 1 0; 0 0 1 0 1 0"

# 000 "Pooling Layer : Average Pooling"; 004 "Pooling Layer" and 002 "MAX POOLING" (96 of 127)
AVG_4X4 = "1 3 2 1; 2 9 1 1; 1 4 2 3; 5 6 1 2"
MAX_4X4 = "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4"

# 002_301dfe024320ff9c.txt "(Digression) Image filtering", 13 of 127: f[.,.] as its text prints it
SEITZ_SLIDE_13 = """
0 0 0 0 0 0 0 0 0 0
0 0 0 0 0 0 0 0 0 0
0 0 0 90 90 90 90 90 0 0
0 0 0 90 90 90 90 90 0 0
0 0 0 90 90 90 90 90 0 0
0 0 0 90 90 90 90 90 0 0
0 0 0 90 90 90 90 90 0 0
0 0 0 0 0 0 0 0 0 0
0 0 90 0 0 0 0 0 0 0
0 0 0 0 0 0 0 0 0 0
"""


def vol(text: str) -> Volume:
    return parse_volume(text)


def grid(text: str) -> Grid:
    return parse_volume(text)[0]


def ints(values: Grid) -> list[list[int]]:
    assert all(v.denominator == 1 for row in values for v in row), values
    return [[int(v) for v in row] for row in values]


def words(text: str) -> list[list[str]]:
    """A printed matrix (slide text or cnncalc output) as rows of words."""
    return [row.split() for row in text.replace(";", "\n").strip().splitlines() if row.strip()]


def invoke(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def matrix_of(stdout: str, first: int = 0) -> list[list[str]]:
    """The matrix that follows the title (and steps) of `cnncalc conv/pool` table output."""
    blocks = stdout.strip().split("\n\n")
    return words(blocks[-1 - first])


# --- convolution: the worked examples ------------------------------------------------------------


def test_vertical_edge_6x6() -> None:
    # 000 "Vertical edge detection": -5 -4 0 8 / -10 -2 2 3 / 0 -2 -4 -7 / -3 -2 -3 -16 (4x4); also 001
    result = correlate(vol(EDGE_6X6), [vol(VERTICAL)])
    assert ints(result.outputs[0]) == EDGE_OUT


def test_vertical_edge_steps_as_slide_000_writes_them() -> None:
    # 000: "3 \times 1 + 1 \times 1 + 2 \times 1 + 0 \times 0 + 5 \times 0 + 7 \times 0 + 1 \times -1
    #       + 8 \times -1 + 2 \times -1 = -5" (column by column)
    result = correlate(vol(EDGE_6X6), [vol(VERTICAL)])
    (line,) = result.step(0, 0, 0, Order.columns).text(NumberStyle(), 1)
    assert line == "(1,1): 3x1 + 1x1 + 2x1 + 0x0 + 5x0 + 7x0 + 1x-1 + 8x-1 + 2x-1 = -5"


def test_vertical_edge_steps_as_slide_001_writes_them() -> None:
    # 001 "Edge Detection Example": "3*1 + 0 + 1*-1 + 1*1 + 5*0 + 8*-1 + 2*1 + 7*0 + 2*-1 = -5" (row by row;
    # the slide shortens 0*0 to 0), then the window shifted right: 0^1 1^0 2^-1 / 5^1 8^0 9^-1 / 7^1 2^0 5^-1
    result = correlate(vol(EDGE_6X6), [vol(VERTICAL)])
    (line,) = result.step(0, 0, 0, Order.rows).text(NumberStyle(), 1)
    written = line.removeprefix("(1,1): ").replace("x", "*").replace("0*0", "0")
    assert written == "3*1 + 0 + 1*-1 + 1*1 + 5*0 + 8*-1 + 2*1 + 7*0 + 2*-1 = -5"
    second = result.step(0, 0, 1)
    pairs = [(int(x), int(w)) for x, w in second.products[0]]
    assert pairs == [(0, 1), (1, 0), (2, -1), (5, 1), (8, 0), (9, -1), (7, 1), (2, 0), (5, -1)]
    assert second.value == -4


def test_step_image_10_then_0() -> None:
    # 001 "Edge Detection Example": six rows "10 10 10 0 0 0" * the vertical filter = four rows "0 30 30 0"
    result = correlate(vol("; ".join(["10 10 10 0 0 0"] * 6)), [vol(VERTICAL)])
    assert ints(result.outputs[0]) == [[0, 30, 30, 0]] * 4


def test_strided_7x7_stride_2() -> None:
    # 000 "Strided convolution": stride = 2 ... "91 100 83"; (7+0-3)/2 + 1 = 3.
    # Erratum: the third value is 88: 6x3 + 2x4 + 9x4 + 7x1 + 4x0 + 3x2 + 8x-1 + 9x0 + 7x3 = 88, not 83.
    result = correlate(vol(STRIDED_7X7), [vol(STRIDED_KERNEL)], stride=(2, 2))
    out = ints(result.outputs[0])
    assert len(out) == 3 and len(out[0]) == 3
    assert out[0] == [91, 100, 88]
    assert result.warnings == ()  # (7 - 3) / 2 is whole
    # the slide's superscripts: 7^3 4^4 6^4 / 9^1 8^0 7^2 / 8^-1 3^0 8^3 (second value), then
    # 3^3 4^4 8^4 / 7^1 8^0 3^2 / 4^-1 2^0 1^3 (first value of the second row): 27 + 16 + 32 + 7 + 6 - 4 + 3 = 69
    (second,) = result.step(0, 0, 1).text(NumberStyle(), 1)
    assert second == "(1,2): 7x3 + 4x4 + 6x4 + 9x1 + 8x0 + 7x2 + 8x-1 + 3x0 + 8x3 = 100"
    (third,) = result.step(0, 0, 2).text(NumberStyle(), 1)
    assert third == "(1,3): 6x3 + 2x4 + 9x4 + 7x1 + 4x0 + 3x2 + 8x-1 + 9x0 + 7x3 = 88"
    assert out[1][0] == 69


def test_elementwise_3x3_equals_60() -> None:
    # 001 "What is Convolution?": X = 1 2 3 / 2 0 0 / 7 9 1, Y = 3 2 0 / 3 0 1 / 0 5 2;
    # "1*3=3 2*2=4 3*0=0 / 2*3=6 0*0=0 0*1=0 / 7*0=0 9*5=45 1*2=2" and "3+4+0+6+0+0+0+45+2 = 60"
    result = correlate(vol("1 2 3; 2 0 0; 7 9 1"), [vol("3 2 0; 3 0 1; 0 5 2")])
    assert ints(result.outputs[0]) == [[60]]
    step = result.step(0, 0, 0)
    assert [int(x * w) for x, w in step.products[0]] == [3, 4, 0, 6, 0, 0, 0, 45, 2]
    (line,) = step.text(NumberStyle(), 1)
    assert line == "(1,1): 1x3 + 2x2 + 3x0 + 2x3 + 0x0 + 0x1 + 7x0 + 9x5 + 1x2 = 60"


@pytest.mark.parametrize("explicit_border", [False, True])
def test_rgb_three_channels_with_bias(explicit_border: bool) -> None:
    # 001 "How does it work?" (RGB): kernel channels give 308, -498, 164; "Bias = 1", "+ 1 = -25", output "-25 ..."
    image = vol(RGB)
    padding = ((1, 1), (1, 1))
    if explicit_border:  # the slide prints the zero border itself: 0 0 0 0 0 0 ... / 0 156 155 ...
        image = tuple(tuple((Fraction(0), *row) for row in ((Fraction(0),) * 5, *channel)) for channel in image)
        padding = ((0, 0), (0, 0))
    result = correlate(image, [vol(RGB_KERNEL)], padding=padding, biases=[Fraction(1)])
    assert result.outputs[0][0][0] == -25
    step = result.step(0, 0, 0)
    assert step.sums == (Fraction(308), Fraction(-498), Fraction(164))
    lines = step.text(NumberStyle(), 1)
    assert lines[-1] == "  308 - 498 + 164 + 1 = -25"
    assert lines[1] == "  channel 1: 0x-1 + 0x-1 + 0x1 + 0x0 + 156x1 + 155x-1 + 0x0 + 153x1 + 154x1 = 308"


def test_box_filter_5x5_to_the_slides_rounding() -> None:
    # 003 "2-D CONVOLUTION": kernel 1/9 (3x3) on the 5x5 input -> "1.7 1.7 1.7 / 1.0 1.2 1.8 / 1.1 0.8 1.3"
    result = correlate(vol(IMAGE_5X5), [vol(BOX)])
    sums = [[15, 15, 15], [9, 11, 16], [10, 7, 12]]  # the nine window sums, by hand
    assert [[v * 9 for v in row] for row in result.outputs[0]] == sums
    shown = grid_cells(result.outputs[0], NumberStyle(1))
    assert shown == words("1.7 1.7 1.7; 1.0 1.2 1.8; 1.1 0.8 1.3")


def test_convolution_in_general_004() -> None:
    # 004 "Convolution (in general)": the subscripts 3_0 3_1 2_2 / 0_2 0_2 1_0 / 3_0 1_1 2_2 are the kernel
    # (0 1 2 / 2 2 0 / 0 1 2); output "12 12 17 / 10 17 19 / 9 6 14"
    result = correlate(vol(IMAGE_5X5), [vol("0 1 2; 2 2 0; 0 1 2")])
    assert ints(result.outputs[0]) == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    (line,) = result.step(0, 0, 0).text(NumberStyle(), 1)
    assert line == "(1,1): 3x0 + 3x1 + 2x2 + 0x2 + 0x2 + 1x0 + 3x0 + 1x1 + 2x2 = 12"


def test_binary_5x5_first_value_001() -> None:
    # 001 "How does it work?": image 1_x1 1_x0 1_x1 / 0_x0 1_x1 1_x0 / 0_x1 0_x0 1_x1 ..., kernel 1 0 1 / 0 1 0 / 1 0 1,
    # convolved feature "4"
    image = vol("1 1 1 0 0; 0 1 1 1 0; 0 0 1 1 1; 0 0 1 1 0; 0 1 1 0 0")
    result = correlate(image, [vol("1 0 1; 0 1 0; 1 0 1")])
    (line,) = result.step(0, 0, 0).text(NumberStyle(), 1)
    assert line == "(1,1): 1x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 0x0 + 1x1 = 4"
    assert result.outputs[0][0][0] == 4


def test_two_filters_on_the_binary_6x6() -> None:
    # 001 "CNN - Convolution" / "CNN - Max Pooling": Filter 1 -> 3 -1 -3 -1 / -3 1 0 -3 / -3 -3 0 1 / 3 -2 -2 -1,
    # Filter 2 -> -1 -1 -1 -1 / -1 -1 -2 1 / -1 -1 -2 1 / -1 0 -4 3
    result = correlate(vol(BINARY_6X6), [vol("1 -1 -1; -1 1 -1; -1 -1 1"), vol("-1 1 -1; -1 1 -1; -1 1 -1")])
    assert ints(result.outputs[0]) == [[3, -1, -3, -1], [-3, 1, 0, -3], [-3, -3, 0, 1], [3, -2, -2, -1]]
    assert ints(result.outputs[1]) == [[-1, -1, -1, -1], [-1, -1, -2, 1], [-1, -1, -2, 1], [-1, 0, -4, 3]]


def test_mean_filter_on_the_90s_image_002() -> None:
    # 002 "(Digression) Image filtering", slides 9-15: g = 1/9 box over f. Slides 9-14 print g's first row
    # "0 10 20 30 30"; slide 15 prints g in full. Its f lost, in the text, the dark pixel at row 6, column 5
    # ("0 0 0 90 0 90 90 90" on slide 8): the 50s and 80s of g's rows 4-5 need it. Restored, g is reproduced.
    literal = correlate(vol(SEITZ_SLIDE_13), [vol(BOX)])
    assert ints(literal.outputs[0])[0][:5] == [0, 10, 20, 30, 30]
    rows = [list(row) for row in vol(SEITZ_SLIDE_13)[0]]
    rows[5][4] = Fraction(0)
    restored = correlate((tuple(tuple(row) for row in rows),), [vol(BOX)])
    assert ints(restored.outputs[0]) == [
        [0, 10, 20, 30, 30, 30, 20, 10],
        [0, 20, 40, 60, 60, 60, 40, 20],
        [0, 30, 60, 90, 90, 90, 60, 30],
        [0, 30, 50, 80, 80, 90, 60, 30],
        [0, 30, 50, 80, 80, 90, 60, 30],
        [0, 20, 30, 50, 50, 60, 40, 20],
        [10, 20, 30, 30, 30, 30, 20, 10],
        [10, 10, 10, 0, 0, 0, 0, 0],
    ]


def xo_maps() -> tuple[Grid, ...]:
    return correlate(vol(X_IMAGE), [vol(f) for f in X_FILTERS], mean=True).outputs


def test_xo_feature_maps_as_the_slides_print_them() -> None:
    # 000 "Convolutional Layer - Output": 9x9 X, 3 filters 3x3, stride 1 -> 7x7x3 ("1 + (9 - 3 + 2x0)/1 = 7"),
    # each value the mean of the 9 products. The slides cut to two decimals: 7/9 -> 0.77, 5/9 -> 0.55.
    maps = xo_maps()
    for computed, printed in zip(maps, X_MAPS, strict=True):
        assert grid_cells(computed, NumberStyle(2, truncate=True)) == words(printed)
    assert maps[0][0][0] == Fraction(7, 9)
    # correctly rounded, 7/9 would be 0.78 and 5/9 0.56: the slides truncate (README, lecture errata)
    assert NumberStyle(2).show(Fraction(7, 9)) == "0.78"
    assert NumberStyle(2).show(Fraction(5, 9)) == "0.56"


def test_xo_relu_then_max_pool() -> None:
    # 000 "ReLu Function", "Pooling" (2x2, stride 2, 7x7 -> 4x4 keeps the last partial window: ceil mode).
    # Erratum: the ReLU slides print 1.77 at the bottom right of the first map (lines 751, 761); ReLU leaves 0.77.
    # Erratum: the first "Pooling" slide prints rows "0 0.33 0 0.33 0 0.55 0" and "0 0.11 0 1.00 0 0.11 0" for the
    # second map (lines 652-656); the next slides and the pooled map agree with "0 0.55 0 0.33 ..." / "0 0.33 0 1.00".
    # (The slides write ReLU's zeros as "0" beside "1.00": the values are compared, not the spelling.)
    relu = correlate(vol(X_IMAGE), [vol(f) for f in X_FILTERS], mean=True, relu=True).outputs
    for computed, printed in zip(relu, X_RELU_MAPS, strict=True):
        cut = grid_cells(computed, NumberStyle(2, truncate=True))
        assert [[Fraction(c) for c in row] for row in cut] == [[Fraction(w) for w in row] for row in words(printed)]
    pooled = pool(relu, PoolKind.max, size=(2, 2), ceil_mode=True)
    for computed, printed in zip(pooled.outputs, X_POOLED, strict=True):
        assert grid_cells(computed, NumberStyle(2, truncate=True)) == words(printed)
    assert pooled.warnings == ()


def test_true_convolution_flips_the_kernel() -> None:
    # 002 "Convolution" (27 of 127): "The only difference of convolution with cross-correlation is that the kernel
    # is flipped": flipped, 1 0 -1 becomes -1 0 1, so every edge value of 000 changes sign.
    result = correlate(vol(EDGE_6X6), [vol(VERTICAL)], flip=True)
    assert ints(result.outputs[0]) == [[-v for v in row] for row in EDGE_OUT]
    (line,) = result.step(0, 0, 0).text(NumberStyle(), 1)
    assert line == "(1,1): 3x-1 + 0x0 + 1x1 + 1x-1 + 5x0 + 8x1 + 2x-1 + 7x0 + 2x1 = 5"
    # an asymmetric kernel: convolution = cross-correlation with the kernel rotated by 180 degrees
    flipped = correlate(vol(STRIDED_7X7), [vol(STRIDED_KERNEL)], flip=True)
    rotated = correlate(vol(STRIDED_7X7), [vol("3 0 -1; 2 0 1; 4 4 3")])
    assert flipped.outputs == rotated.outputs


def test_stride_3_does_not_fit() -> None:
    # 002: "7x7 input (spatially) assume 3x3 filter applied with stride 3?" -> "doesn't fit!" ((7-3)/3 is not whole)
    result = correlate(vol("; ".join(["1 2 3 4 5 6 7"] * 7)), [vol(BOX)], stride=(3, 3))
    assert len(result.outputs[0]) == 2 and len(result.outputs[0][0]) == 2
    assert len(result.warnings) == 2
    assert "stride 3 does not fit the rows: (7 - 3) / 3 is not whole" in result.warnings[0]


def test_same_padding_keeps_the_size() -> None:
    # 000 "Valid and Same convolutions": n + 2p - f + 1 = n => p = (f-1)/2; 3x3 -> p = 1; "6 + 2 - 3 + 1 = 6"
    size = (6, 6)
    assert conv_padding("same", size, (3, 3), (1, 1)) == ((1, 1), (1, 1))
    assert conv_padding("same", size, (5, 5), (1, 1)) == ((2, 2), (2, 2))
    result = correlate(vol(EDGE_6X6), [vol(VERTICAL)], padding=conv_padding("same", size, (3, 3), (1, 1)))
    out = ints(result.outputs[0])
    assert len(out) == 6 and len(out[0]) == 6
    assert [row[1:5] for row in out[1:5]] == EDGE_OUT  # the valid part is unchanged


# --- pooling --------------------------------------------------------------------------------------


def test_max_pool_4x4() -> None:
    # 004 "Pooling Layer" and 002 "MAX POOLING": "max pool with 2x2 filters and stride 2" -> "6 8 / 3 4"
    assert ints(pool(vol(MAX_4X4), PoolKind.max).outputs[0]) == [[6, 8], [3, 4]]


def test_average_pool_4x4() -> None:
    # 000 "Pooling Layer : Average Pooling": 1 3 2 1 / 2 9 1 1 / 1 4 2 3 / 5 6 1 2 -> "3.75 1.25 / 4 2", f=2, s=2
    result = pool(vol(AVG_4X4), PoolKind.avg, size=(2, 2))
    assert result.outputs[0] == ((Fraction(15, 4), Fraction(5, 4)), (Fraction(4), Fraction(2)))
    assert grid_cells(result.outputs[0], NumberStyle()) == words("3.75 1.25; 4 2")
    assert result.step(0, 0, 0).text(NumberStyle(), 1) == "(1,1): (1 + 3 + 2 + 9) / 4 = 3.75"


def test_max_pool_3x3_stride_1_on_the_5x5() -> None:
    # The 5x5 input of 003 "2-D CONVOLUTION" / 004 "Convolution (in general)". The pooled values 3 3 3 / 3 3 3 /
    # 3 2 3 are not in the seed text (003 credits its animations to vdumoulin/conv_arithmetic, whose 3x3 max
    # pooling with 1x1 strides of this input they are); issue 4 quotes them.
    result = pool(vol(IMAGE_5X5), PoolKind.max, size=(3, 3), stride=(1, 1))
    assert ints(result.outputs[0]) == [[3, 3, 3], [3, 3, 3], [3, 2, 3]]
    assert result.step(0, 2, 1).text(NumberStyle(), 1) == "(3,2): max(1, 2, 2, 0, 0, 2, 0, 0, 0) = 2"


def test_sum_and_square_sum_pooling() -> None:
    # 003 "TYPES OF POOLING": SUM POOLING y = sum x_uv; SQUARE SUM POOLING y = sqrt(sum x_uv^2), on 004's 4x4
    summed = pool(vol(MAX_4X4), PoolKind.sum)
    assert ints(summed.outputs[0]) == [[1 + 1 + 5 + 6, 2 + 4 + 7 + 8], [3 + 2 + 1 + 2, 1 + 0 + 3 + 4]]
    l2 = pool(vol(MAX_4X4), PoolKind.l2)
    for value, radicand in zip([v for row in l2.outputs[0] for v in row], [63, 133, 18, 26], strict=True):
        assert abs(value - Fraction(radicand) ** Fraction(1, 2)) < Fraction(1, 10**12)
        assert value * value <= radicand < (value + Fraction(1, 10**29)) ** 2  # cut after 30 decimals
    assert len(l2.inexact) == 4
    step = l2.step(0, 0, 0).text(NumberStyle(), 1)
    assert step == "(1,1): sqrt(1^2 + 1^2 + 5^2 + 6^2) = sqrt(63) = 7.9373"
    exact = pool(vol("3 -4; 0 0"), PoolKind.l2)
    assert exact.outputs[0] == ((Fraction(5),),)
    assert exact.inexact == frozenset()
    assert exact.step(0, 0, 0).text(NumberStyle(), 1) == "(1,1): sqrt(3^2 + (-4)^2 + 0^2 + 0^2) = sqrt(25) = 5"


def test_pool_padding_and_ceil_mode_follow_pytorch() -> None:
    # PyTorch's avg_pool2d: padding counts in the divisor by default (count_include_pad), a ceil-mode window
    # reaching past the input divides by the part inside. Values by hand on 1..9 (3x3), size 2, stride 2, pad 1.
    image = vol("1 2 3; 4 5 6; 7 8 9")
    counted = pool(image, PoolKind.avg, size=(2, 2), padding=(1, 1))
    assert counted.outputs[0] == ((Fraction(1, 4), Fraction(5, 4)), (Fraction(11, 4), Fraction(7)))
    assert counted.step(0, 0, 0).text(NumberStyle(), 1) == "(1,1): (0 + 0 + 0 + 1) / 4 = 0.25"
    uncounted = pool(image, PoolKind.avg, size=(2, 2), padding=(1, 1), count_include_pad=False)
    assert uncounted.outputs[0] == ((Fraction(1), Fraction(5, 2)), (Fraction(11, 2), Fraction(7)))
    maxed = pool(vol("-1 -2 -3; -4 -5 -6; -7 -8 -9"), PoolKind.max, size=(2, 2), padding=(1, 1))
    assert ints(maxed.outputs[0]) == [[-1, -2], [-4, -5]]  # padding is never the max
    ceil = pool(vol("1 2 3 4 5"), PoolKind.avg, size=(1, 2), ceil_mode=True)
    assert ceil.outputs[0] == ((Fraction(3, 2), Fraction(7, 2), Fraction(5)),)
    floor = pool(vol("1 2 3 4 5"), PoolKind.avg, size=(1, 2))
    assert floor.outputs[0] == ((Fraction(3, 2), Fraction(7, 2)),)
    assert "the last 1 columns" in floor.warnings[0]
    # ceil((5 + 2 - 2) / 2) + 1 = 4 windows, but the 4th would start in the right padding: PyTorch keeps 3
    assert len(pool(vol("1 2 3 4 5"), size=(1, 2), padding=(0, 1), ceil_mode=True).outputs[0][0]) == 3


def test_pool_channels_separately() -> None:
    result = pool(vol(f"{MAX_4X4} | {AVG_4X4}"), PoolKind.max)
    assert ints(result.outputs[0]) == [[6, 8], [3, 4]]
    assert ints(result.outputs[1]) == [[9, 2], [6, 3]]


# --- number printing ------------------------------------------------------------------------------


def test_numbers_print_exactly_or_as_asked() -> None:
    assert NumberStyle().show(Fraction(-25)) == "-25"
    assert NumberStyle(2).show(Fraction(-25)) == "-25"  # exact integers stay integers
    assert NumberStyle().show(Fraction(1, 8)) == "0.125"
    assert NumberStyle().show(Fraction(1, 3)) == "0.3333"
    assert NumberStyle(1).show(Fraction(-1, 20)) == "-0.1"  # half away from zero
    assert NumberStyle(1, truncate=True).show(Fraction(-1, 20)) == "0.0"
    assert NumberStyle(exact=True).show(Fraction(-7, 9)) == "-7/9"
    assert grid_cells(((Fraction(-5), Fraction(8)),), NumberStyle(3)) == [["-5", "8"]]


def test_parse_formats() -> None:
    assert vol("3,0,1\n1,5,8\n") == vol("3 0 1; 1 5 8")
    assert vol("1 2\n3 4\n\n\n5 6\n7 8\n") == vol("1 2; 3 4 | 5 6; 7 8")
    assert vol("# a comment\n1 2 # trailing\n3 4\n") == vol("1 2; 3 4")
    assert vol("\u22121 0.5 1e1 -2/4; .5 +3 1/9 1.") == (
        (
            (Fraction(-1), Fraction(1, 2), Fraction(10), Fraction(-1, 2)),
            (Fraction(1, 2), Fraction(3), Fraction(1, 9), Fraction(1)),
        ),
    )
    assert vol("1 2\n3 4\n\n|\n5 6\n7 8") == vol("1 2; 3 4 | 5 6; 7 8")


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("3 0 1; 1 x 8", "not a number: 'x'", 10),
        ("3 0 1; 1 5", "row 2 has 2 values but row 1 has 3", 8),
        ("1 2; 3 4 | 5 6 7; 8 9 1", "channel 2 is 2x3 but channel 1 is 2x2", 12),
        ("1,,2", "empty value", 3),
        ("1 2,", "empty value", 4),
        ("1 2 | ", "empty channel after '|'", 5),
        ("| 1 2", "empty channel before '|'", 1),
        ("", "no values", 1),
        ("1/0", "not a number: '1/0'", 1),
        ("1e999", "not a number: '1e999'", 1),
        ("nan inf", "not a number: 'nan'", 1),
    ],
)
def test_bad_matrix_text_is_located(text: str, message: str, column: int) -> None:
    with pytest.raises(WorkedError) as caught:
        parse_volume(text)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message.startswith(message), diagnostic.message
    assert diagnostic.location is not None
    assert (diagnostic.location.source, diagnostic.location.line, diagnostic.location.column) == ("<input>", 1, column)


def test_bad_file_text_is_located_by_line() -> None:
    with pytest.raises(WorkedError) as caught:
        parse_volume("1 2 3\n4 5 6\n7 8\n", "m.csv")
    assert caught.value.diagnostics[0].render().startswith("m.csv:3:1: error: row 3 has 2 values but row 1 has 3")


def test_problems_of_the_setup() -> None:
    with pytest.raises(WorkedError, match=r"the kernel \(3x3\) is larger than the input \(2x2\)"):
        correlate(vol("1 2; 3 4"), [vol(BOX)])
    with pytest.raises(WorkedError, match="the kernel has 1 channel"):
        correlate(vol(RGB), [vol(VERTICAL)])
    with pytest.raises(WorkedError, match="1 bias value"):
        correlate(vol(EDGE_6X6), [vol(VERTICAL), vol(VERTICAL)], biases=[Fraction(1)])
    with pytest.raises(WorkedError, match="too large for a worked example"):
        correlate(vol("\n".join(["1 " * 300] * 300)), [vol("; ".join(["1 " * 20] * 20))])
    with pytest.raises(WorkedError, match="more than half the window"):
        pool(vol(MAX_4X4), size=(2, 2), padding=(2, 2))
    with pytest.raises(WorkedError, match="larger than the input"):
        pool(vol("1 2; 3 4"), size=(3, 3))


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_conv_steps_as_the_slide(runner: CliRunner) -> None:
    # 000 "Vertical edge detection", written column by column as the slide does
    code, out, err = invoke(runner, "conv", EDGE_6X6, "-k", VERTICAL, "--steps", "--order", "columns")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "cross-correlation: input 6x6, kernel 3x3, stride 1, padding 0 -> output 4x4"
    assert "(1,1): 3x1 + 1x1 + 2x1 + 0x0 + 5x0 + 7x0 + 1x-1 + 8x-1 + 2x-1 = -5" in lines
    assert sum(line.startswith("(") for line in lines) == 16
    assert matrix_of(out) == [[str(v) for v in row] for row in EDGE_OUT]
    assert err == ""


def test_cli_rgb_with_bias(runner: CliRunner) -> None:
    # 001 "How does it work?": "308 ... -498 ... 164 ... Bias = 1 ... + 1 = -25"
    code, out, err = invoke(runner, "conv", RGB, "-k", RGB_KERNEL, "--bias", "1", "--padding", "1", "--steps")
    assert code == 0, err
    assert "  308 - 498 + 164 + 1 = -25" in out.splitlines()
    assert out.splitlines()[0].startswith("cross-correlation: input 5x5x3, kernel 3x3x3, stride 1, padding 1, bias 1")
    assert matrix_of(out)[0][0] == "-25"


def test_cli_box_filter_round(runner: CliRunner) -> None:
    # 003 "2-D CONVOLUTION": "1.7 1.7 1.7 / 1.0 1.2 1.8 / 1.1 0.8 1.3"
    code, out, _ = invoke(runner, "conv", IMAGE_5X5, "-k", BOX, "--round", "1")
    assert code == 0
    assert matrix_of(out) == words("1.7 1.7 1.7; 1.0 1.2 1.8; 1.1 0.8 1.3")
    code, out, _ = invoke(runner, "conv", IMAGE_5X5, "-k", BOX, "--exact")
    assert matrix_of(out) == words("5/3 5/3 5/3; 1 11/9 16/9; 10/9 7/9 4/3")


def test_cli_xo_maps(runner: CliRunner) -> None:
    # 000 "Convolutional Layer - Output": three filters, mean of products, cut to two decimals
    args = ["conv", X_IMAGE, *[a for f in X_FILTERS for a in ("-k", f)], "--mean", "--round", "2", "--truncate"]
    code, out, err = invoke(runner, *args)
    assert code == 0, err
    assert "3 filters 3x3" in out.splitlines()[0] and out.splitlines()[0].endswith("-> output 7x7x3")
    blocks = out.strip().split("\n\n")[1:]
    for block, printed in zip(blocks, X_MAPS, strict=True):
        title, *rows = block.splitlines()
        assert title.startswith("filter ")
        assert words("\n".join(rows)) == words(printed)


def test_cli_pool_examples(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "pool", MAX_4X4)  # 004 "Pooling Layer": 6 8 / 3 4
    assert code == 0
    assert out.splitlines()[0] == "max pooling: input 4x4, window 2x2, stride 2, padding 0 -> output 2x2"
    assert matrix_of(out) == [["6", "8"], ["3", "4"]]
    code, out, _ = invoke(runner, "pool", AVG_4X4, "--kind", "avg", "--steps")  # 000: 3.75 1.25 / 4 2
    assert matrix_of(out) == [["3.75", "1.25"], ["4", "2"]]
    assert "(2,1): (1 + 4 + 5 + 6) / 4 = 4" in out.splitlines()
    code, out, _ = invoke(runner, "pool", IMAGE_5X5, "--size", "3", "--stride", "1")  # 3 3 3 / 3 3 3 / 3 2 3
    assert matrix_of(out) == words("3 3 3; 3 3 3; 3 2 3")
    # 000 "Pooling": the ReLU map as the slide prints it, 2x2 stride 2 in ceil mode -> the pooled map
    code, out, err = invoke(runner, "pool", X_RELU_MAPS[2], "--ceil")
    assert code == 0 and err == ""
    assert [[str(Fraction(v)) for v in row] for row in matrix_of(out)] == [
        [str(Fraction(v)) for v in row] for row in words(X_POOLED[2])
    ]
    code, out, err = invoke(runner, "pool", X_RELU_MAPS[2])  # floor mode drops the 7th row and column
    assert matrix_of(out) == words("0.33 0.55 1; 0.55 0.55 1; 1 1 0.11")
    assert "warning: stride 2 does not fit the rows" in err


def test_cli_json(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "conv", IMAGE_5X5, "-k", BOX, "--round", "1", "--steps", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["operation"] == "cross-correlation"
    assert data["input_shape"] == [1, 5, 5] and data["kernel_shape"] == [1, 1, 3, 3]
    assert data["output_shape"] == [1, 3, 3]
    assert data["output"] == [[[1.7, 1.7, 1.7], [1, 1.2, 1.8], [1.1, 0.8, 1.3]]]
    assert data["exact"] == [[["5/3", "5/3", "5/3"], ["1", "11/9", "16/9"], ["10/9", "7/9", "4/3"]]]
    assert len(data["steps"]) == 9 and data["steps"][0]["text"].endswith("= 1.7")
    assert data["warnings"] == []
    code, out, _ = invoke(runner, "pool", MAX_4X4, "--kind", "l2", "--format", "json")
    data = json.loads(out)
    assert data["operation"] == "l2-pool"
    assert data["exact"] == [[["sqrt(63)", "sqrt(133)"], ["sqrt(18)", "sqrt(26)"]]]
    assert data["output"][0][0][0] == pytest.approx(63**0.5, abs=1e-4)
    code, out, _ = invoke(runner, "pool", AVG_4X4, "--kind", "avg", "-f", "json")
    assert json.loads(out)["output"] == [[[3.75, 1.25], [4, 2]]]


def test_cli_csv_reads_back(runner: CliRunner, tmp_path: Path) -> None:
    code, out, _ = invoke(
        runner,
        "conv",
        BINARY_6X6,
        "-k",
        "1 -1 -1; -1 1 -1; -1 -1 1",
        "-k",
        "-1 1 -1; -1 1 -1; -1 1 -1",
        "--format",
        "csv",
    )
    assert code == 0
    assert out.splitlines()[0] == "3,-1,-3,-1"
    path = tmp_path / "maps.csv"
    path.write_text(out)
    code, pooled, _ = invoke(runner, "pool", f"@{path}", "--format", "csv")  # two channels, split by a blank line
    assert code == 0
    assert pooled.strip() == "3,0\n3,1\n\n-1,1\n0,3"  # max of each 2x2 block of 001's two feature maps


def test_cli_files_and_stdin(runner: CliRunner, tmp_path: Path) -> None:
    image = tmp_path / "edge.csv"
    image.write_text("\ufeff" + EDGE_6X6.replace("; ", "\r\n").replace(" ", ","))  # Excel: BOM, CRLF, commas
    kernel = tmp_path / "kernel.txt"
    kernel.write_text("# vertical edges\n1 0 -1\n1 0 -1\n1 0 -1\n")
    code, out, err = invoke(runner, "conv", f"@{image}", "-k", f"@{kernel}")
    assert code == 0, err
    assert matrix_of(out) == [[str(v) for v in row] for row in EDGE_OUT]
    code, out, err = invoke(runner, "conv", "@-", "-k", VERTICAL, stdin=EDGE_6X6.replace(";", "\n"))
    assert code == 0, err
    assert matrix_of(out)[3] == ["-3", "-2", "-3", "-16"]


def test_cli_negative_first_value_and_flip(runner: CliRunner) -> None:
    # a leading space keeps a matrix that starts with a minus sign from reading as an option
    code, out, err = invoke(runner, "conv", " -1 2; 3 4", "-k", "-1 0; 0 1", "--flip", "--steps")
    assert code == 0, err
    assert "(1,1): -1x1 + 2x0 + 3x0 + 4x-1 = -5" in out.splitlines()
    assert out.startswith("convolution (kernel flipped)")


def test_cli_relu_and_bias_steps(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "conv", "3 0; 1 5", "-k", "1 0; 0 -1", "--bias", "-1/2", "--relu", "--steps")
    assert code == 0
    assert "(1,1): 3x1 + 0x0 + 1x0 + 5x-1 - 0.5 = -2.5; ReLU: 0" in out.splitlines()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["conv", "3 0 1; 1 x 8", "-k", "1"], "<input>:1:10: error: not a number: 'x'"),
        (["conv", "3 0 1; 1 5", "-k", "1"], "<input>:1:8: error: row 2 has 2 values but row 1 has 3"),
        (["conv", "1 2; 3 4", "-k", "1 2; 3"], "<kernel>:1:6: error: row 2 has 1 values but row 1 has 2"),
        (["conv", "1 2; 3 4", "-k", BOX], "<kernel>:1:1: error: the kernel (3x3) is larger than the input (2x2)"),
        (["conv", "1 2; 3 4", "-k", "1", "-k", "1 | 2"], "<kernel 2>:1:1: error: the kernel has 2 channel(s)"),
        (["conv", "1 2; 3 4"], "error: no --kernel given"),
        (["conv", "1 2; 3 4", "-k", "1", "--stride", "0"], "error: --stride '0': expected a positive integer"),
        (["conv", "1 2; 3 4", "-k", "1", "--padding", "-1"], "error: --padding '-1'"),
        (["conv", "1 2; 3 4", "-k", "1", "--bias", "one"], "error: --bias 'one': not a number"),
        (["conv", "1 2; 3 4", "-k", "1", "--bias", "1", "--bias", "2"], "error: 2 bias value(s) for 1 filter(s)"),
        (["conv", "1 2; 3 4", "-k", "1", "--truncate"], "error: --truncate needs --round N"),
        (["conv", "1 2; 3 4", "-k", "1", "--exact", "--round", "2"], "error: --exact prints exact values"),
        (["conv", "@/nonexistent/m.csv", "-k", "1"], "/nonexistent/m.csv:1:1: error: cannot read an input matrix"),
        (["pool", "1 2; 3 4", "--size", "3"], "error: the window (3x3) is larger than the input (2x2)"),
        (["pool", MAX_4X4, "--padding", "2"], "error: padding 2 of the rows is more than half the window (2)"),
        (["pool", "1 2 | ", "--size", "1"], "<input>:1:5: error: empty channel after '|'"),
    ],
)
def test_cli_errors_are_located(runner: CliRunner, args: list[str], fragment: str) -> None:
    code, out, err = invoke(runner, *args)
    assert code == 2, (out, err)
    assert out == ""
    assert fragment in err, err


def test_cli_unreadable_files(runner: CliRunner, tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    code, _, err = invoke(runner, "conv", f"@{binary}", "-k", "1")
    assert code == 2 and "image.png:1:1: error: not UTF-8 text (byte 0)" in err
    code, _, err = invoke(runner, "pool", f"@{tmp_path}")
    assert code == 2 and "a directory, not an input matrix" in err
    code, _, err = invoke(runner, "pool", "@/dev/zero")
    assert code == 2 and "/dev/zero:1:1: error: a character device, not an input matrix" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,5,6\n7,8\n")
    code, _, err = invoke(runner, "pool", f"@{bad}", "--size", "1")
    assert code == 2 and err.startswith(f"{bad}:3:1: error: row 3 has 2 values but row 1 has 3")
