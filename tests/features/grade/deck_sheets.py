"""Answer sheets of every table in the lecture decks, generated with the teacher's verdict per cell.

Each deck table (shared/seeds) is written down here as its layers' hyperparameters, and every
number a sheet holds is worked by the hand arithmetic below, never read from cnncalc:

    output = floor((n + 2p - f) / s) + 1 (ceil for the pools that round up),
    conv params = (f*f*c_in/g + 1)*k (no + k without a bias), dense params = (n_in + 1)*k,
    size = h*w*c, MACs = h_out*w_out*f*f*c_in/g*k.

The arithmetic is checked against the decks' own figures (and torchvision's published ResNet-50
total) in test_grade_deck_corpus.py before any sheet is graded. From each table come right sheets
in every format (CSV, Markdown, YAML, a space-aligned text table; full numbers, the decks'
roundings, German and Indian digit grouping) and sheets with one catalogued mistake injected,
each with the status and the mistake a careful teacher gives every cell it changes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise
from math import ceil, prod

Shape = tuple[int, ...]  # (h, w, c) or (n,)

TITLES = {"shape": "Activation Shape", "size": "Activation Size", "params": "# Parameters", "macs": "MACs"}
TITLES_MEMORY = {**TITLES, "memory": "Memory"}


@dataclass(frozen=True)
class Layer:
    """One row of a deck table: a layer (or a block worked by hand) and its hyperparameters."""

    label: str
    kind: str  # input, conv, pool, fc, free (ReLU, LRN, dropout, softmax), bn, block
    k: int = 0  # filters or units
    f: int = 1
    s: int = 1
    p: int = 0
    bias: bool = True
    groups: int = 1
    ceil: bool = False
    shape: Shape = ()  # the input's shape; a block's output
    block_params: int = 0
    block_macs: int = 0
    block_biases: int = 0


@dataclass(frozen=True)
class Row:
    """A layer's true numbers, from the hand arithmetic."""

    layer: Layer
    inp: Shape
    shape: Shape
    params: int
    macs: int

    @property
    def size(self) -> int:
        return prod(self.shape)


def out_size(n: int, f: int, s: int, p: int, up: bool = False) -> int:
    q = Fraction(n + 2 * p - f, s)
    return (ceil(q) if up else int(q)) + 1


def work(layer: Layer, inp: Shape) -> Row:
    """The hand arithmetic of one layer on input `inp`."""
    if layer.kind == "input":
        return Row(layer, layer.shape, layer.shape, 0, 0)
    if layer.kind == "block":
        return Row(layer, inp, layer.shape, layer.block_params, layer.block_macs)
    if layer.kind in ("free", "bn"):
        params = 2 * inp[-1] if layer.kind == "bn" else 0
        return Row(layer, inp, inp, params, 0)
    if layer.kind == "fc":
        n = prod(inp)
        return Row(layer, inp, (layer.k,), n * layer.k + layer.k * layer.bias, n * layer.k)
    h, w, c = inp
    oh, ow = (out_size(x, layer.f, layer.s, layer.p, layer.ceil) for x in (h, w))
    if layer.kind == "pool":
        return Row(layer, inp, (oh, ow, c), 0, 0)
    per = layer.f * layer.f * c // layer.groups
    return Row(layer, inp, (oh, ow, layer.k), (per + layer.bias) * layer.k, oh * ow * per * layer.k)


def run(layers: Sequence[Layer], given: dict[int, Shape] | None = None) -> list[Row]:
    """Every layer in order; `given` replaces a layer's output with the student's (wrong) one."""
    rows: list[Row] = []
    x: Shape = ()
    for i, layer in enumerate(layers):
        row = work(layer, x)
        if given and i in given:
            row = replace(row, shape=given[i])
        rows.append(row)
        x = row.shape
    return rows


# --- the deck tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A deck table: the spec it is graded against, its layers, the columns and totals it asks."""

    name: str
    spec: str
    layers: tuple[Layer, ...]
    columns: tuple[str, ...]
    totals: tuple[tuple[str, str], ...] = (("Total", "params"),)  # (label, column)
    bias: bool = True
    network_params: int | None = None  # a partial table's Total: the whole network's
    sig_figs: int = 2
    hidden: tuple[str, ...] = ()  # labels of rows the sheet leaves out (folded into the spec)

    def rows(self, given: dict[int, Shape] | None = None) -> list[Row]:
        rows = run(self.layers, given)
        if not self.bias:
            rows = [replace(r, params=r.params - self.biases(r)) for r in rows]
        return rows

    def biases(self, row: Row) -> int:
        layer = row.layer
        if layer.kind == "block":
            return layer.block_biases
        return layer.k if layer.kind in ("conv", "fc") and layer.bias else 0

    def total(self, column: str, rows: Sequence[Row] | None = None) -> int:
        rows = rows if rows is not None else self.rows()
        if column == "params" and self.network_params is not None:
            return self.network_params
        return sum(getattr(r, column) for r in rows)


def _conv(label: str, k: int, f: int, s: int = 1, p: int = 0, **kw: object) -> Layer:
    return Layer(label, "conv", k=k, f=f, s=s, p=p, **kw)  # type: ignore[arg-type]


def _pool(label: str, f: int, s: int, **kw: object) -> Layer:
    return Layer(label, "pool", f=f, s=s, **kw)  # type: ignore[arg-type]


def exercise(pad: int) -> tuple[Layer, ...]:
    """000 "Sample Exercises": 128x128 RGB, two 3x3 convs of 32 with 2x2 pools, fc 128, output 10."""
    return (
        Layer("Input", "input", shape=(128, 128, 3)),
        _conv("conv1", 32, 3, p=pad),
        _pool("pool1", 2, 2),
        _conv("conv2", 32, 3, p=pad),
        _pool("pool2", 2, 2),
        Layer("fc1", "fc", k=128),
        Layer("output", "fc", k=10),
    )


LENET5 = (  # 001 "CNN-Example to calculate parameters"
    Layer("Input Layer", "input", shape=(32, 32, 3)),
    _conv("CONV1 (f=5, s=1)", 8, 5),
    _pool("POOL1", 2, 2),
    _conv("CONV2 (f=5, s=1)", 16, 5),
    _pool("POOL2", 2, 2),
    Layer("FC3", "fc", k=120),
    Layer("FC4", "fc", k=84),
    Layer("Softmax", "fc", k=10),
)

ALEXNET_002 = (  # 002 "Full (simplified) AlexNet architecture"
    Layer("INPUT", "input", shape=(227, 227, 3)),
    _conv("CONV1", 96, 11, s=4),
    _pool("MAX POOL1", 3, 2),
    Layer("NORM1", "free"),
    _conv("CONV2", 256, 5, p=2),
    _pool("MAX POOL2", 3, 2),
    Layer("NORM2", "free"),
    _conv("CONV3", 384, 3, p=1),
    _conv("CONV4", 384, 3, p=1),
    _conv("CONV5", 256, 3, p=1),
    _pool("MAX POOL3", 3, 2),
    Layer("FC6", "fc", k=4096),
    Layer("FC7", "fc", k=4096),
    Layer("FC8", "fc", k=1000),
)

ALEXNET_004 = (  # 004 "AlexNet Architecture": parameters and neurons per layer (Caffe's, grouped)
    Layer("input", "input", shape=(227, 227, 3)),
    _conv("conv1", 96, 11, s=4),
    Layer("norm1", "free"),
    _pool("pool1", 3, 2),
    _conv("conv2", 256, 5, p=2, groups=2),
    Layer("norm2", "free"),
    _pool("pool2", 3, 2),
    _conv("conv3", 384, 3, p=1),
    _conv("conv4", 384, 3, p=1, groups=2),
    _conv("conv5", 256, 3, p=1, groups=2),
    _pool("pool5", 3, 2),
    Layer("fc6", "fc", k=4096),
    Layer("fc7", "fc", k=4096),
    Layer("fc8", "fc", k=1000),
)


def _vgg16() -> tuple[Layer, ...]:
    """002's VGG-16 memory table, labelled as the deck labels it (CONV3-64, POOL2, FC repeated)."""
    layers = [Layer("INPUT", "input", shape=(224, 224, 3))]
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [_conv(f"CONV3-{width}", width, 3, p=1) for _ in range(convs)]
        layers.append(_pool("POOL2", 2, 2))
    layers += [Layer("FC", "fc", k=4096), Layer("FC", "fc", k=4096), Layer("FC", "fc", k=1000)]
    return tuple(layers)


def inception(label: str, hw: int, c_in: int, a: int, b: int, c: int, d: int, e: int, f: int) -> Layer:
    """The paper's Table 1 row: #1x1 a, #3x3 reduce b, #3x3 c, #5x5 reduce d, #5x5 e, pool proj f."""
    weights = c_in * a + c_in * b + 9 * b * c + c_in * d + 25 * d * e + c_in * f
    biases = a + b + c + d + e + f
    return Layer(
        label,
        "block",
        shape=(hw, hw, a + c + e + f),
        block_params=weights + biases,
        block_macs=hw * hw * weights,
        block_biases=biases,
    )


def _googlenet() -> tuple[Layer, ...]:
    """002 "Case Study: GoogLeNet", the paper's Table 1; the second "convolution" row is the 1x1
    reduce and the 3x3 conv (one row, as the table writes it)."""
    conv2_weights = 64 * 64 + 9 * 64 * 192
    return (
        Layer("input", "input", shape=(224, 224, 3)),
        _conv("convolution", 64, 7, s=2, p=3),
        _pool("max pool", 3, 2, ceil=True),
        Layer(
            "convolution",
            "block",
            shape=(56, 56, 192),
            block_params=conv2_weights + 64 + 192,
            block_macs=56 * 56 * conv2_weights,
            block_biases=64 + 192,
        ),
        _pool("max pool", 3, 2, ceil=True),
        inception("inception (3a)", 28, 192, 64, 96, 128, 16, 32, 32),
        inception("inception (3b)", 28, 256, 128, 128, 192, 32, 96, 64),
        _pool("max pool", 3, 2, ceil=True),
        inception("inception (4a)", 14, 480, 192, 96, 208, 16, 48, 64),
        inception("inception (4b)", 14, 512, 160, 112, 224, 24, 64, 64),
        inception("inception (4c)", 14, 512, 128, 128, 256, 24, 64, 64),
        inception("inception (4d)", 14, 512, 112, 144, 288, 32, 64, 64),
        inception("inception (4e)", 14, 528, 256, 160, 320, 32, 128, 128),
        _pool("max pool", 3, 2, ceil=True),
        inception("inception (5a)", 7, 832, 256, 160, 320, 32, 128, 128),
        inception("inception (5b)", 7, 832, 384, 192, 384, 48, 128, 128),
        _pool("avg pool", 7, 1),
        Layer("dropout (40%)", "free"),
        Layer("linear", "fc", k=1000),
        Layer("softmax", "free"),
    )


def bottleneck(c_in: int, width: int, down: bool) -> tuple[int, int]:
    """(params, MACs per output pixel) of a torchvision Bottleneck, convs without bias, BN 2 per channel."""
    out = 4 * width
    params = c_in * width + 9 * width * width + width * out + 2 * (width + width + out)
    return params + (c_in * out + 2 * out if down else 0), 0


def layer_params(c_in: int, width: int, blocks: int) -> int:
    first, _ = bottleneck(c_in, width, True)
    rest, _ = bottleneck(4 * width, width, False)
    return first + (blocks - 1) * rest


RESNET50_BLOCKS = (  # ResNet-50 by stage, as a ResNet homework asks it (torchvision's names)
    Layer("input", "input", shape=(224, 224, 3)),
    _conv("conv1", 64, 7, s=2, p=3, bias=False),
    Layer("bn1", "bn"),
    _pool("maxpool", 3, 2, p=1),
    Layer("layer1", "block", shape=(56, 56, 256), block_params=layer_params(64, 64, 3)),
    Layer("layer2", "block", shape=(28, 28, 512), block_params=layer_params(256, 128, 4)),
    Layer("layer3", "block", shape=(14, 14, 1024), block_params=layer_params(512, 256, 6)),
    Layer("layer4", "block", shape=(7, 7, 2048), block_params=layer_params(1024, 512, 3)),
    _pool("avgpool", 7, 1),  # global average pooling: 7x7x2048 -> 1x1x2048
    Layer("fc", "fc", k=1000),
)

RESNET50_FIRST_BLOCK = (  # the stem and layer1's first bottleneck, layer by layer
    Layer("input", "input", shape=(224, 224, 3)),
    _conv("conv1", 64, 7, s=2, p=3, bias=False),
    Layer("bn1", "bn"),
    _pool("maxpool", 3, 2, p=1),
    _conv("layer1.0.conv1", 64, 1, bias=False),
    Layer("layer1.0.bn1", "bn"),
    _conv("layer1.0.conv2", 64, 3, p=1, bias=False),
    Layer("layer1.0.bn2", "bn"),
    _conv("layer1.0.conv3", 256, 1, bias=False),
    Layer("layer1.0.bn3", "bn"),
)

#: torchvision's published resnet50 parameter count (weights + biases + BN scale and shift)
RESNET50_PARAMS = 25_557_032


def _first_block_with_shortcut() -> tuple[Layer, ...]:
    """The shortcut's 1x1 projection reads the block's input (56x56x64), not conv3's output."""
    return (
        *RESNET50_FIRST_BLOCK,
        Layer("layer1.0.downsample.0", "block", shape=(56, 56, 256), block_params=64 * 256),
        Layer("layer1.0.downsample.1", "bn"),
    )


TABLES: tuple[Table, ...] = (
    Table(
        "exercise-valid",
        "exercise-valid",
        exercise(0),
        ("shape", "size", "params"),
        (("Convolutional layers", "params"), ("Fully connected layers", "params"), ("Total", "params")),
    ),
    Table(
        "exercise-same",
        "exercise-same",
        exercise(1),
        ("shape", "size", "params"),
        (("Convolutional layers", "params"), ("Fully connected layers", "params"), ("Total", "params")),
    ),
    Table("lenet5-001", "lenet5", LENET5, ("shape", "size", "params")),
    Table("alexnet-002", "alexnet-cs231n", ALEXNET_002, ("shape", "params"), hidden=("NORM1", "NORM2")),
    Table(
        "alexnet-004",
        "alexnet",
        ALEXNET_004,
        ("size", "params"),
        hidden=("input", "norm1", "pool1", "norm2", "pool2", "pool5"),
    ),
    Table("vgg16-002", "vgg16", _vgg16(), ("shape", "size", "params"), bias=False),
    Table("googlenet-002", "googlenet", _googlenet(), ("shape", "params", "macs"), hidden=("dropout (40%)", "softmax")),
    Table("resnet50-stages", "resnet50", RESNET50_BLOCKS, ("shape", "params"), network_params=RESNET50_PARAMS),
    Table(
        "resnet50-first-block",
        "resnet50",
        _first_block_with_shortcut(),
        ("shape", "params"),
        network_params=RESNET50_PARAMS,
    ),
)


# --- writing numbers and sheets ---------------------------------------------------------------


def indian(n: int) -> str:
    """1,38,357: the last three digits, then groups of two."""
    s = str(n)
    if len(s) <= 3:
        return s
    head, tail = s[:-3], s[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *groups, tail])


def deck_rounding(n: int) -> str:
    """As the decks round: two significant figures with K or M ('35K', '1.6M', '3.2M', '800K')."""
    if n < 1000:
        return str(n)
    unit, scale = ("K", 1000) if n < 1_000_000 else ("M", 1_000_000)
    x = n / scale
    digits = max(0, 2 - len(str(int(x))))
    return f"{x:.{digits}f}{unit}"


NUMBERS: dict[str, Callable[[int], str]] = {
    "plain": str,
    "commas": lambda n: f"{n:,}",
    "deck": deck_rounding,
    "german": lambda n: f"{n:,}".replace(",", "."),
    "indian": indian,
}


def shape_text(shape: Shape) -> str:
    return "x".join(map(str, shape))


@dataclass
class Cell:
    """A cell as written, and the teacher's verdict: status, and the mistake that explains it."""

    text: str
    status: str = "right"
    mistake: str | None = None
    value: int | None = None  # the number written, for the precision checks


@dataclass
class SheetRow:
    label: str
    cells: dict[str, Cell]
    total: bool = False


@dataclass
class Sheet:
    name: str
    table: Table
    rows: list[SheetRow]
    fmt: str  # csv, semicolon, md, yaml, txt
    numbers: str = "plain"
    missing: tuple[str, ...] = ()  # layers the teacher reports missing
    kind: str = "right"  # right, or the mistake injected
    columns: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        columns = self.columns or self.table.columns
        header = ["Layer", *(TITLES_MEMORY[c] for c in columns)]
        body = [[r.label, *(r.cells[c].text if c in r.cells else "" for c in columns)] for r in self.rows]
        if self.fmt in ("csv", "semicolon"):
            out = io.StringIO()
            writer = csv.writer(out, delimiter=";" if self.fmt == "semicolon" else ",", lineterminator="\n")
            writer.writerows([header, *body])
            return out.getvalue()
        if self.fmt == "md":
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in body]
            return "\n".join(lines) + "\n"
        if self.fmt == "yaml":
            keys = ["layer", *columns]
            lines = ["rows:"]
            for row in body:
                items = ", ".join(f"{k}: {json.dumps(v)}" for k, v in zip(keys, row, strict=True) if v != "")
                lines.append(f"  - {{{items}}}")
            return "\n".join(lines) + "\n"
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        return (
            "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *body])
            + "\n"
        )

    @property
    def suffix(self) -> str:
        return {"csv": ".csv", "semicolon": ".csv", "md": ".md", "yaml": ".yaml", "txt": ".txt"}[self.fmt]


def number_cell(n: int, style: str) -> Cell:
    return Cell(NUMBERS[style](n), value=n)


def right_rows(table: Table, style: str, rows: Sequence[Row] | None = None) -> list[SheetRow]:
    """The table's rows with every number right, in one way of writing numbers."""
    rows = rows if rows is not None else table.rows()
    out: list[SheetRow] = []
    for row in rows:
        if row.layer.label in table.hidden:
            continue
        cells: dict[str, Cell] = {}
        for column in table.columns:
            if column == "shape":
                cells[column] = Cell(shape_text(row.shape))
            else:
                cells[column] = number_cell(getattr(row, column), style)
        out.append(SheetRow(row.layer.label, cells))
    for label, column in table.totals:
        out.append(SheetRow(label, {column: number_cell(total_of(table, label, column, rows), style)}, total=True))
    return out


def total_of(table: Table, label: str, column: str, rows: Sequence[Row]) -> int:
    """A total row: the network's (or its conv layers', or its fully connected layers')."""
    if label == "Convolutional layers":
        return sum(r.params for r in rows if r.layer.kind == "conv")
    if label == "Fully connected layers":
        return sum(r.params for r in rows if r.layer.kind == "fc")
    return table.total(column, rows)


# --- the mistakes, worked by hand ------------------------------------------------------------


def index_of(table: Table, label: str, nth: int = 0) -> int:
    return [i for i, layer in enumerate(table.layers) if layer.label == label][nth]


def row_at(rows: list[SheetRow], label: str, nth: int = 0) -> SheetRow:
    return [r for r in rows if r.label == label][nth]


def sheet_row_of(table: Table, rows: list[SheetRow], index: int) -> SheetRow:
    """The sheet row of layer `index` of the table (labels may repeat)."""
    label = table.layers[index].label
    nth = sum(1 for layer in table.layers[:index] if layer.label == label)
    return row_at(rows, label, nth)


def carried_rows(table: Table, base: list[SheetRow], index: int, shape: Shape, mistake: str) -> list[SheetRow]:
    """A shape mistake at layer `index`, every later number worked from the student's own shape."""
    truth = table.rows()
    student = table.rows({index: shape})
    rows = [SheetRow(r.label, {c: replace(x) for c, x in r.cells.items()}, r.total) for r in base]
    for i, (right, mine) in enumerate(zip(truth, student, strict=True)):
        if i < index or right.layer.label in table.hidden:
            continue
        row = sheet_row_of(table, rows, i)
        for column in table.columns:
            want = getattr(right, column) if column != "shape" else right.shape
            got = getattr(mine, column) if column != "shape" else mine.shape
            if want == got:
                continue
            text = shape_text(got) if column == "shape" else str(got)
            first = i == index and column == "shape"
            row.cells[column] = Cell(text, "wrong" if first else "carried", mistake if first else "carried")
    return rows


def one_cell(rows: list[SheetRow], row: SheetRow, column: str, text: str, mistake: str, status: str = "wrong") -> None:
    del rows
    row.cells[column] = Cell(text, status, mistake)


@dataclass(frozen=True)
class Injected:
    name: str
    rows: list[SheetRow]
    missing: tuple[str, ...] = ()


def mistakes_of(table: Table) -> list[Injected]:
    """Every catalogued mistake this table's layers invite, each on a sheet of its own."""
    truth = table.rows()
    base = right_rows(table, "plain")
    out: list[Injected] = []

    def fresh() -> list[SheetRow]:
        return [SheetRow(r.label, {c: replace(x) for c, x in r.cells.items()}, r.total) for r in base]

    def add(name: str, index: int, column: str, value: int | Shape, mistake: str) -> None:
        rows = fresh()
        text = shape_text(value) if isinstance(value, tuple) else str(value)
        one_cell(rows, sheet_row_of(table, rows, index), column, text, mistake)
        out.append(Injected(name, rows))

    first_conv = next(i for i, r in enumerate(truth) if r.layer.kind == "conv")
    seen: set[str] = set()
    for i, r in enumerate(truth):
        layer = r.layer
        if layer.label in table.hidden:
            continue
        tag = f"{layer.label}#{i}"
        if "params" in table.columns and layer.kind in ("conv", "fc") and layer.bias and table.bias:
            add(f"forgot_bias@{tag}", i, "params", r.params - layer.k, "forgot_bias")
        if "params" in table.columns and layer.kind in ("conv", "fc") and layer.bias and not table.bias:
            add(f"counted_bias@{tag}", i, "params", r.params + layer.k, "counted_bias")
        if "params" in table.columns and layer.kind == "conv" and not layer.bias and table.bias:
            add(f"bias_on_bias_free@{tag}", i, "params", r.params + layer.k, "bias_on_bias_free")
        if "params" in table.columns and layer.kind == "conv" and r.inp[-1] > 1 and layer.f > 1:
            shallow = (layer.f * layer.f + (layer.bias and table.bias)) * layer.k
            add(f"forgot_input_depth@{tag}", i, "params", shallow, "forgot_input_depth")
        if "params" in table.columns and layer.kind == "conv" and layer.groups > 1:
            whole = (layer.f * layer.f * r.inp[-1] + (layer.bias and table.bias)) * layer.k
            add(f"ignored_groups@{tag}", i, "params", whole, "ignored_groups")
        if "params" in table.columns and layer.kind == "pool" and "pool_params" not in seen:
            seen.add("pool_params")
            add(f"pool_params@{tag}", i, "params", layer.f * layer.f * r.shape[-1], "pool_params")
        if "macs" in table.columns and r.macs:
            add(f"flops_not_macs@{tag}", i, "macs", 2 * r.macs, "flops_not_macs")
        spatial = layer.kind in ("conv", "pool") and len(r.shape) == 3
        if spatial and layer.kind == "pool" and not layer.ceil and layer.p == 0:
            exact = (r.inp[0] - layer.f) % layer.s == 0
            if not exact:
                up = out_size(r.inp[0], layer.f, layer.s, layer.p, True)
                out += shape_mistake(table, base, i, (up, up, r.shape[2]), "ceil_not_floor")
        if spatial and "shape" in table.columns and layer.kind == "conv" and layer.f > 1 and layer.s == 1:
            other = 0 if layer.p else (layer.f - 1) // 2
            n = out_size(r.inp[0], layer.f, layer.s, other)
            out += shape_mistake(table, base, i, (n, n, r.shape[2]), "wrong_padding")
        # AlexNet's first conv one short is also what the paper's 224 input gives: not told apart
        paper_224 = table.spec.startswith("alexnet") and out_size(224, layer.f, layer.s, layer.p) == r.shape[0] - 1
        if spatial and (i == first_conv or layer.kind == "pool") and "off_by_one" not in seen and not paper_224:
            seen.add("off_by_one")
            n = r.shape[0] - 1
            out += shape_mistake(table, base, i, (n, n, r.shape[2]), "off_by_one")
        if spatial and layer.kind == "conv" and layer.s != 4 and table.spec.startswith("alexnet"):
            n = out_size(r.inp[0], layer.f, 4, layer.p)
            out += shape_mistake(table, base, i, (n, n, r.shape[2]), "stride_4")
    out += merged(table, fresh)
    out += total_mistakes(table, fresh)
    if table.spec.startswith("alexnet") and "shape" in table.columns:
        rows = fresh()
        one_cell(rows, rows[0], "shape", "224x224x3", "input_224")
        out.append(Injected("input_224", rows))
    # one significant figure ("4M" for 4,096,000) where two are asked: the first cell that has one
    for i, r in enumerate(truth):
        n = r.params
        scale, unit = (10**6, "M") if n >= 10**6 else (1000, "K")
        one = round(Fraction(n, scale))
        if "params" not in table.columns or r.layer.label in table.hidden or not 1 <= one <= 9 or one * scale == n:
            continue
        rows = fresh()
        one_cell(rows, sheet_row_of(table, rows, i), "params", f"{one}{unit}", "too_few_figures")
        out.append(Injected("too_few_figures", rows))
        break
    return out


def shape_mistake(table: Table, base: list[SheetRow], index: int, shape: Shape, mistake: str) -> list[Injected]:
    """The shape alone wrong; and the mistake carried through the student's later rows."""
    if "shape" not in table.columns and "size" not in table.columns:
        return []
    label = f"{table.layers[index].label}#{index}"
    out: list[Injected] = []
    if "shape" in table.columns:
        rows = [SheetRow(r.label, {c: replace(x) for c, x in r.cells.items()}, r.total) for r in base]
        one_cell(rows, sheet_row_of(table, rows, index), "shape", shape_text(shape), mistake)
        out.append(Injected(f"{mistake}@{label}", rows))
        out.append(Injected(f"{mistake}+carried@{label}", carried_rows(table, base, index, shape, mistake)))
    else:  # a size column alone: the size of the mistaken shape
        rows = [SheetRow(r.label, {c: replace(x) for c, x in r.cells.items()}, r.total) for r in base]
        one_cell(rows, sheet_row_of(table, rows, index), "size", str(prod(shape)), mistake)
        out.append(Injected(f"{mistake}@{label}", rows))
    return out


def merged(table: Table, fresh: Callable[[], list[SheetRow]]) -> list[Injected]:
    """Two neighbouring layers with weights in one row, the second's row left out."""
    truth = table.rows()
    out: list[Injected] = []
    shown = [i for i, r in enumerate(truth) if r.layer.label not in table.hidden]
    weighted = [i for i in shown if truth[i].params and truth[i].layer.kind in ("conv", "fc", "block")]
    for a, b in pairwise(weighted):
        between = [table.layers[i].kind for i in shown if a < i < b]
        if any(kind != "bn" for kind in between) or "params" not in table.columns:
            continue  # next to each other, or with only a batch norm between (conv3, bn3, downsample)
        if table.layers[a].label == table.layers[b].label:
            continue  # a repeated deck label ("FC", "FC") with the sum: which one was merged is not said
        rows = fresh()
        row_a, row_b = sheet_row_of(table, rows, a), sheet_row_of(table, rows, b)
        one_cell(rows, row_a, "params", str(truth[a].params + truth[b].params), "merged_rows")
        rows.remove(row_b)
        out.append(Injected(f"merged_rows@{row_a.label}+{row_b.label}", rows, (row_b.label,)))
    return out[-2:]  # the last two pairs: the CONV4+CONV5, fc7+fc8, 5a+5b, conv3+downsample


def total_mistakes(table: Table, fresh: Callable[[], list[SheetRow]]) -> list[Injected]:
    truth = table.rows()
    out: list[Injected] = []
    total = next((label for label, column in table.totals if label == "Total" and column == "params"), None)
    if total is None:
        return out
    biases = sum(table.biases(r) for r in truth)
    if table.bias and biases and table.network_params is None:
        rows = fresh()
        one_cell(rows, row_at(rows, total), "params", str(table.total("params") - biases), "forgot_bias")
        out.append(Injected("total_forgot_bias", rows))
    # one row's biases forgotten, the Total the sum of the student's own rows
    first = next((i for i, r in enumerate(truth) if table.biases(r) and r.layer.label not in table.hidden), None)
    if first is not None and table.bias and table.network_params is None:
        rows = fresh()
        lost = table.biases(truth[first])
        one_cell(rows, sheet_row_of(table, rows, first), "params", str(truth[first].params - lost), "forgot_bias")
        one_cell(rows, row_at(rows, total), "params", str(table.total("params") - lost), "sum_of_rows")
        out.append(Injected("total_sum_of_rows", rows))
    if any(label == "Fully connected layers" for label, _ in table.totals):
        rows = fresh()
        fcs = [r for r in truth if r.layer.kind == "fc"]
        one_cell(
            rows,
            row_at(rows, "Fully connected layers"),
            "params",
            str(sum(r.params for r in fcs[:-1])),
            "output_layer_left_out",
        )
        out.append(Injected("output_layer_left_out", rows))
    return out


# --- the corpus -------------------------------------------------------------------------------

FORMATS = ("csv", "md", "yaml", "txt")


def right_sheets(table: Table) -> list[Sheet]:
    """Right sheets: every format, numbers in full, with commas, as the decks round them, in
    German (semicolon CSV, and wherever a number of seven digits or more makes the dot certain)
    and Indian digit grouping; a sheet without the batch norm rows; a partial handout."""
    out = [
        Sheet(f"{table.name}-right-{fmt}-{style}", table, right_rows(table, style), fmt, style)
        for fmt in FORMATS
        for style in ("plain", "commas", "deck")
    ]
    out.append(Sheet(f"{table.name}-right-german", table, right_rows(table, "german"), "semicolon", "german"))
    if max(getattr(r, c) for r in table.rows() for c in table.columns if c != "shape") >= 10**6:
        out.append(Sheet(f"{table.name}-right-german-md", table, right_rows(table, "german"), "md", "german"))
        out += [
            Sheet(f"{table.name}-right-indian-{fmt}", table, right_rows(table, "indian"), fmt, "indian")
            for fmt in ("csv", "md")
        ]
    if any(layer.kind == "bn" for layer in table.layers):
        rows = [r for r in right_rows(table, "commas") if not r.label.split(".")[-1].startswith("bn")]
        out.append(Sheet(f"{table.name}-right-no-bn", table, rows, "csv", "commas"))
    # a partial handout: the first four rows, then the Total (the network's, not of the rows present)
    rows = right_rows(table, "plain")
    body = [r for r in rows if not r.total][:4] + [r for r in rows if r.total and r.label == "Total"]
    out.append(Sheet(f"{table.name}-partial", table, body, "md", "plain", kind="partial"))
    return out


def mistake_sheets(table: Table) -> list[Sheet]:
    out: list[Sheet] = []
    for i, injected in enumerate(mistakes_of(table)):
        fmt = FORMATS[i % len(FORMATS)]
        out.append(
            Sheet(
                f"{table.name}-{injected.name}",
                table,
                injected.rows,
                fmt,
                "plain",
                injected.missing,
                kind=injected.name.split("@")[0],
            )
        )
    return out


def corpus() -> list[Sheet]:
    return [s for t in TABLES for s in (*right_sheets(t), *mistake_sheets(t))]


__all__ = ["RESNET50_PARAMS", "TABLES", "Cell", "Sheet", "Table", "corpus", "deck_rounding", "indian", "run"]
