"""Alignment on real sheets (issue 22, item 1): merged rows, left-out batch norms, the decks'
repeated labels, and Total rows.

Expected figures come from the decks (002's VGG-16 table, 004's AlexNet table) and the papers'
arithmetic, written out here, never from cnncalc's output.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import CellResult, Grader, GradeResult
from cnncalc.features.grade.cells import Precision
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.spec import load_spec

ANSWERS = Path(__file__).resolve().parents[2] / "data" / "answers"


@cache
def grader(spec: str, bias: bool = True) -> Grader:
    return Grader(load_spec(spec), Conventions(bias=bias), Precision())


def grade(spec: str, text: str, name: str = "s.csv", bias: bool = True) -> GradeResult:
    return grader(spec, bias).grade(read_sheet_text(text, name))


def cell(result: GradeResult, label: str, column: str, nth: int = 0) -> CellResult:
    found = [c for row in result.rows if row.label == label for c in row.cells if c.column == column]
    return found[nth]


# AlexNet (bvlc, two-GPU groups) with biases: conv4 3*3*192*384 + 384, conv5 3*3*192*256 + 256
CONV4 = 3 * 3 * 192 * 384 + 384
CONV5 = 3 * 3 * 192 * 256 + 256


def test_a_row_named_as_one_layer_with_two_layers_figures_merged_them() -> None:
    result = grade("alexnet", f"layer,params\nconv4,{CONV4 + CONV5}\n")
    params = cell(result, "conv4", "params")
    assert not params.right and params.expected_value == CONV4
    assert params.mistakes == ("merged_rows",)
    assert "merged two layers' numbers (conv4 + conv5" in params.verdict()
    assert "conv5" in result.missing and "conv5" in result.missing_with_params
    # the row labelled with the second layer: the same, the first reported missing
    later = grade("alexnet", f"layer,params\nconv5,{CONV4 + CONV5}\n")
    assert cell(later, "conv5", "params").mistakes == ("merged_rows",)
    assert "(conv4 + conv5" in cell(later, "conv5", "params").verdict() and "conv4" in later.missing


def test_fc7_plus_fc8_in_the_vgg_decks_weights_only_table() -> None:
    # 002's VGG-16 table, weights only: FC 4096*4096 = 16,777,216 and FC 4096*1000 = 4,096,000
    text = "layer,params\nfc6,102760448\nfc7,20873216\n"
    result = grade("vgg16", text, bias=False)
    fc7 = cell(result, "fc7", "params")
    assert fc7.expected_value == 16_777_216 and fc7.mistakes == ("merged_rows",)
    assert "(fc7 + fc8" in fc7.verdict() and "fc8" in result.missing
    assert cell(result, "fc6", "params").right


def test_a_bottleneck_conv3_with_its_projection_shortcut() -> None:
    # ResNet-50 layer1.0: conv3 1x1 64 -> 256 = 16,384 weights, its downsample 1x1 64 -> 256 the same
    result = grade("resnet50", "layer,params\nlayer1.0.conv3,32768\n")
    conv3 = cell(result, "layer1.0.conv3", "params")
    assert conv3.expected_value == 16_384 and conv3.mistakes == ("merged_rows",)
    assert "layer1.0.downsample.0" in result.missing


def test_a_row_labelled_as_a_block_sums_its_layers() -> None:
    # ResNet-50 layer1 as one row: block 0 4,096 + 36,864 + 16,384 + 16,384 (the projection) convs and
    # 128 + 128 + 512 + 512 BN; blocks 1 and 2 16,384 + 36,864 + 16,384 convs and 128 + 128 + 512 BN
    block = (4_096 + 36_864 + 16_384 + 16_384 + 128 + 128 + 512 + 512) + 2 * (16_384 + 36_864 + 16_384 + 768)
    assert block == 215_808
    result = grade("resnet50", f"layer,params\nconv1,9408\nlayer1,{block}\n")
    assert cell(result, "layer1", "params").right


def test_batch_norm_rows_may_be_left_out_without_moving_any_expected_value() -> None:
    # torchvision's ResNet-50 stem: conv1 7*7*3*64 = 9,408 (no bias), bn1, relu, maxpool (0)
    result = grade("resnet50", "layer,shape,params\nconv1,112x112x64,9408\nmaxpool,56x56x64,0\n")
    assert all(c.right for _, c in result.cells()), [c.verdict() for _, c in result.cells()]
    assert "bn1" not in result.missing
    # a BN row given is graded as the BN: 2*64 (gamma and beta)
    with_bn = grade("resnet50", "layer,params\nconv1,9408\nbn1,128\nmaxpool,0\n")
    assert all(c.right for _, c in with_bn.cells())


def test_relu_dropout_and_lrn_rows_may_be_left_out() -> None:
    # AlexNet has LRN (norm1, norm2), ReLUs and dropouts: the 004 table lists none of them
    text = "layer,params\nconv1,34944\npool1,0\nconv2,307456\npool2,0\nfc6,37752832\nfc7,16781312\nfc8,4097000\n"
    result = grade("alexnet", text)
    assert all(c.right for _, c in result.cells()), [c.verdict() for _, c in result.cells()]


def _deck_rows() -> tuple[str, list[str]]:
    lines = (ANSWERS / "vgg16-002.md").read_text().splitlines()
    table = [ln for ln in lines if ln.startswith("|")]
    return "\n".join(table[:2]), table[2:]


def test_the_vgg_decks_first_four_rows_grade_pool2_as_the_first_pool() -> None:
    head, rows = _deck_rows()
    result = grade("vgg16", head + "\n" + "\n".join(rows[:4]) + "\n", "partial.md", bias=False)
    pool = next(r for r in result.rows if r.label == "POOL2")
    assert pool.layers == ("pool1",)
    assert all(c.right for c in pool.cells), [c.verdict() for c in pool.cells]
    assert [r.layers for r in result.rows][1:3] == [("conv1_1",), ("conv1_2",)]


def test_repeated_deck_labels_align_by_order_after_a_shape_mistake_carried_forward() -> None:
    head, rows = _deck_rows()
    right = grade("vgg16", head + "\n" + "\n".join(rows) + "\n", "deck.md", bias=False)
    # the student's first pool is 111x111x64 (a wrong floor), and the block after it carries it on
    wrong = [r.replace("[112x112x64]", "[111x111x64]") for r in rows]
    wrong = [r.replace("[112x112x128]", "[111x111x128]") for r in wrong]
    wrong = [r.replace("| POOL2 | [56x56x128]", "| POOL2 | [55x55x128]") for r in wrong]
    result = grade("vgg16", head + "\n" + "\n".join(wrong) + "\n", "deck.md", bias=False)
    assert [r.layers for r in result.rows] == [r.layers for r in right.rows]
    conv = cell(result, "CONV3-128", "shape")
    assert conv.status == "carried", conv.verdict()
    assert cell(result, "POOL2", "shape", 1).status == "carried"
    assert cell(result, "POOL2", "shape", 0).status == "wrong"


def test_a_total_row_is_the_networks_total_not_the_rows_present() -> None:
    # LeNet-5 of the 001 table: 62,958 parameters in all
    result = grade("lenet5", "layer,params\nCONV1,608\nTotal,62958\n")
    assert cell(result, "Total", "params").right
    wrong = grade("lenet5", "layer,params\nCONV1,608\nTotal,608\n")
    assert not cell(wrong, "Total", "params").right
    # activations: the 001 table's shapes, input included: 3,072 + 6,272 + 1,568 + 1,600 + 400 + 120 + 84 + 10
    size = grade("lenet5", "layer,size\nCONV1,6272\nTotal,13126\n")
    assert cell(size, "Total", "size").right
