"""A corpus of hostile inputs: each one is refused with exit 2 and a message, in bounded time and memory.

Every case names the command line (``{d}`` is the case's own folder), the files it needs, and the
fragment its message must contain. tests/hostile/test_hostile.py runs each case in-process;
benchmarks/bench_hostile.py runs each in a subprocess and prints its time and peak memory.

The inputs are grouped by where they enter: specs, DSL strings, answer sheets, budget files,
matrices, paths and options; model files have corpora of their own (corpus_onnx, corpus_keras, corpus_files), gathered
here. Large inputs are built by functions, so the repository stays small.
"""

from __future__ import annotations

from collections.abc import Mapping

from cases import Case, Content
from corpus_files import MODEL_FILES
from corpus_keras import KERAS
from corpus_onnx import ONNX

HEAD = "name: t\ninput: 32x32x3\nlayers:\n"


def spec(case_id: str, text: str, message: str, command: str = "summarize") -> Case:
    return Case(case_id, (command, "{d}/net.yaml"), message, {"net.yaml": text.encode()})


def layers(case_id: str, body: str, message: str) -> Case:
    return spec(case_id, HEAD + body, message)


def blocks(case_id: str, blocks_text: str, layers_text: str, message: str) -> Case:
    text = f"name: t\ninput: 32x32x3\nblocks:\n{blocks_text}layers:\n{layers_text}"
    return spec(case_id, text, message)


def dsl(case_id: str, text: str, message: str, command: str = "summarize") -> Case:
    return Case(case_id, (command, "--dsl", text), message)


def _alias_bomb() -> bytes:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    return ("\n".join(lines) + "\ninput: 32x32x3\nlayers: [{kind: relu}]\n").encode()


def _million_aliases() -> bytes:
    head = "input: 32x32x3\nbase: &b 1\nrefs:\n"
    return (head + "  - *b\n" * 500_000 + "layers: [{kind: relu}]\n").encode()


def _huge_spec() -> bytes:
    return (HEAD + "  - {kind: relu}\n" * 400_000).encode()


def _deep_nesting(depth: int) -> bytes:
    return (HEAD + "  - {kind: relu, name: " + "[" * depth + "]" * depth + "}\n").encode()


def _long_chain(n: int) -> bytes:
    return (HEAD + "  - {kind: relu}\n" * n).encode()


def _spaces_sheet() -> bytes:
    row = "conv1" + " " * 2000 + "x" + " " * 2000 + "\n"
    return ("layer,shape,params\n" + row).encode()


def _markdown_spaces_sheet() -> bytes:
    return ("| layer | shape | params |\n|---|---|---|\n| conv1 " + " " * 4000 + "| 28 x" + " " * 100 + "\n").encode()


def _big_matrix() -> bytes:
    row = " ".join("1" for _ in range(1000))
    return ("; ".join(row for _ in range(1000))).encode()


def _long_line_matrix() -> bytes:
    return ("1 " * 1_500_000).encode()


def _many_sheets() -> dict[str, bytes]:
    return {f"class/s{i:03d}.csv": b"layer,params\nconv1,1\n" for i in range(3)}


REPEAT_BOMB = "  b:\n    layers: [{kind: relu}]\n"
DOUBLE = "  d0: {layers: [{kind: relu}, {kind: relu}]}\n" + "".join(
    f"  d{i}: {{layers: [{{block: d{i - 1}}}, {{block: d{i - 1}}}]}}\n" for i in range(1, 30)
)
SQUARE = "  s0: {args: {n: 2}, layers: [{kind: conv, filters: 1, kernel: 1}]}\n" + "".join(
    f"  s{i}: {{args: {{n: 2}}, layers: [{{block: s{i - 1}, args: {{n: '${{n * n}}'}}}}]}}\n" for i in range(1, 41)
)

SPECS: list[Case] = [
    # --- an image written without its channel axis, read by a 2-D window ---
    spec(
        "image-without-channels",
        "input: 28x28\nlayers:\n  - {kind: conv, filters: 6, kernel: 5}\n",
        "input 28x28 has no channel axis",
    ),
    spec(
        "image-without-channels-pool",
        "input: [28, 28]\nlayers:\n  - {kind: relu}\n  - {kind: max_pool, kernel: [2, 2]}\n",
        "write 28x28x1",
    ),
    # --- structure and types ---
    spec("empty", "", "empty"),
    spec("comment-only", "# nothing\n", "empty"),
    spec("top-level-list", "- 1\n- 2\n", "mapping"),
    spec("top-level-scalar", "hello\n", "mapping"),
    spec("no-layers", "input: 32x32x3\n", "missing key 'layers'"),
    spec("no-input", "layers: [{kind: relu}]\n", "input"),
    spec("empty-layers", "input: 32x32x3\nlayers: []\n", "at least 1"),
    spec("layers-not-list", "input: 32x32x3\nlayers: 5\n", "layers"),
    spec("unknown-top-key", "input: 32x32x3\nlayerz: []\nlayers: [{kind: relu}]\n", "unknown key 'layerz'"),
    spec("duplicate-key", "input: 32x32x3\ninput: 8x8x3\nlayers: [{kind: relu}]\n", "appears twice"),
    spec("invalid-yaml", "input: 32x32x3\nlayers:\n  - {kind: conv\n", "invalid YAML"),
    spec("yaml-tab-indent", "input: 32x32x3\nlayers:\n\t- {kind: relu}\n", "YAML does not allow tabs: line 3"),
    spec(
        "yaml-indented-less",
        "input: 32x32x3\nlayers:\n  - kind: conv\n    filters: 3\n   kernel: 3\n",
        "line 5 is indented less than the key above it",
    ),
    spec("two-documents", "a: 1\n---\nb: 2\n", "YAML"),
    spec("tab-indent", "input: 32x32x3\nlayers:\n\t- {kind: relu}\n", "YAML"),
    spec("python-tag", "input: !!python/object:os.system [ls]\nlayers: [{kind: relu}]\n", "tag"),
    spec("custom-tag", "input: !shape 32x32x3\nlayers: [{kind: relu}]\n", "tag"),
    spec("merge-key", "base: &b {kind: relu}\ninput: 32x32x3\nlayers: [{<<: *b}]\n", "merge"),
    spec("binary-set", "input: 32x32x3\nlayers: !!set {a, b}\n", "tag"),
    spec("bad-input-text", "input: 32x32xthree\nlayers: [{kind: relu}]\n", "dimensions"),
    spec("zero-input", "input: 0x32x3\nlayers: [{kind: relu}]\n", "input"),
    spec("five-dims", "input: 2x2x2x2x2\nlayers: [{kind: relu}]\n", "input"),
    spec("bad-layout", "input: {shape: [32, 32, 3], layout: whc}\nlayers: [{kind: relu}]\n", "layout"),
    spec("bad-dtype", "input: 32x32x3\ndtype: float33\nlayers: [{kind: relu}]\n", "dtype"),
    spec("bad-batch", "input: 32x32x3\nbatch: 0\nlayers: [{kind: relu}]\n", "batch"),
    spec("huge-batch", "input: 32x32x3\nbatch: 99999999999999\nlayers: [{kind: relu}]\n", "2147483647"),
    spec("non-ascii-dims", "input: ٣٢x٣٢x٣\nlayers: [{kind: relu}]\n", "input"),
    layers("no-kind", "  - {filters: 8, kernel: 5}\n", "no 'kind'"),
    layers("unknown-kind", "  - {kind: convv, filters: 8, kernel: 5}\n", "unknown layer kind 'convv'"),
    layers("kind-not-string", "  - {kind: 5}\n", "kind"),
    layers("layer-not-mapping", "  - relu\n", "layer"),
    layers("unknown-field", "  - {kind: conv, fliters: 8, kernel: 5}\n", "unknown key 'fliters'"),
    layers("missing-filters", "  - {kind: conv, kernel: 5}\n", "missing key 'filters'"),
    layers("string-int", "  - {kind: dense, units: '12'}\n", "integer"),
    layers("float-int", "  - {kind: dense, units: 12.5}\n", "integer"),
    layers("bool-int", "  - {kind: dense, units: true}\n", "integer"),
    layers("zero-units", "  - {kind: dense, units: 0}\n", "greater than or equal to 1"),
    layers("negative-kernel", "  - {kind: conv, filters: 8, kernel: -3}\n", "greater than or equal to 1"),
    layers("huge-filters", "  - {kind: conv, filters: 99999999999999999999999, kernel: 3}\n", "2147483647"),
    layers("huge-digits", "  - {kind: conv, filters: " + "9" * 5000 + ", kernel: 3}\n", "error"),
    layers("nan-kernel", "  - {kind: conv, filters: 8, kernel: .nan}\n", "integer"),
    layers("inf-kernel", "  - {kind: conv, filters: 8, kernel: .inf}\n", "integer"),
    layers("bad-padding", "  - {kind: conv, filters: 8, kernel: 3, padding: sam}\n", "same"),
    layers("padding-arity", "  - {kind: conv, filters: 8, kernel: 3, padding: [1, 1, 1]}\n", "padding"),
    layers("padding-pair", "  - {kind: conv, filters: 8, kernel: 3, padding: [[1, 2, 3], 1]}\n", "padding"),
    layers("kernel-arity", "  - {kind: conv, filters: 8, kernel: [3, 3, 3]}\n", "kernel"),
    layers("kernel-too-big", "  - {kind: conv, filters: 8, kernel: 40}\n", "larger than the input"),
    layers("groups", "  - {kind: conv, filters: 8, kernel: 3, groups: 5}\n", "groups"),
    layers("in-channels", "  - {kind: conv, filters: 8, kernel: 3, in_channels: 4}\n", "in_channels"),
    layers("dense-in-features", "  - {kind: flatten}\n  - {kind: dense, units: 1, in_features: 2}\n", "in_features"),
    layers("pool-after-flatten", "  - {kind: flatten}\n  - {kind: max_pool}\n", "flat vector"),
    layers("bad-activation", "  - {kind: conv, filters: 8, kernel: 3, activation: relu7}\n", "activation"),
    layers("duplicate-name", "  - {kind: relu, name: A}\n  - {kind: relu, name: A}\n", "used twice"),
    layers("long-name", "  - {kind: relu, name: " + "n" * 500 + "}\n", "name"),
    layers("unknown-from", "  - {kind: relu, from: nowhere}\n", "nowhere"),
    layers(
        "add-mismatch", "  - {kind: conv, filters: 8, kernel: 1, id: a}\n  - {kind: add, from: [a, input]}\n", "add"
    ),
    layers(
        "concat-mismatch",
        "  - {kind: max_pool, id: a}\n  - {kind: concat, from: [a, input]}\n",
        "concat",
    ),
    layers("add-one-input", "  - {kind: add}\n", "add"),
    layers("shares-self", "  - {kind: conv, filters: 8, kernel: 3, name: A, shares: A}\n", "shares"),
    layers(
        "shares-later",
        "  - {kind: conv, filters: 3, kernel: 3, padding: 1, name: A, shares: B}\n"
        "  - {kind: conv, filters: 3, kernel: 3, padding: 1, name: B}\n",
        "shares",
    ),
    layers("shares-unknown", "  - {kind: conv, filters: 8, kernel: 3, shares: ghost}\n", "ghost"),
    layers(
        "shares-other-kind",
        "  - {kind: conv, filters: 3, kernel: 3, padding: 1, name: A}\n  - {kind: dense, units: 3, shares: A}\n",
        "shares",
    ),
    layers("when-not-bool", "  - {kind: relu, when: maybe}\n", "when"),
    layers("sexagesimal", "  - {kind: dense, units: 1:30}\n", "units"),
    layers("octal-looking", "  - {kind: conv, filters: 010, kernel: 3, in_channels: 8}\n", "in_channels"),
    layers("pool-pad-too-big", "  - {kind: max_pool, kernel: 2, padding: 2}\n", "padding"),
    layers("pad-arity", "  - {kind: pad, padding: [1, 1, 1]}\n", "'padding' has 3 entries"),
    layers("pad-negative", "  - {kind: pad, padding: -1}\n", "padding"),
    layers("pad-flat", "  - {kind: flatten}\n  - {kind: pad}\n", "pad needs a feature map"),
    Case("pad-huge-verify", ("verify", "--dsl", "8x8x3 | pad p=200000000"), "more than", exit_code=1),
    layers("lrn-flat", "  - {kind: flatten}\n  - {kind: lrn, size: 5}\n", "lrn"),
    # --- expansion, expressions, limits ---
    spec("alias-bomb", _alias_bomb().decode(), "alias"),
    Case("million-aliases", ("summarize", "{d}/net.yaml"), "YAML aliases", {"net.yaml": _million_aliases}),
    Case("huge-file", ("summarize", "{d}/net.yaml"), "", {"net.yaml": _huge_spec}),
    Case("deep-nesting", ("summarize", "{d}/net.yaml"), "nest", {"net.yaml": _deep_nesting(200)}),
    Case("too-many-layers", ("summarize", "{d}/net.yaml"), "layers", {"net.yaml": _long_chain(25_000)}),
    blocks("repeat-huge", REPEAT_BOMB, "  - {block: b, repeat: 1000000000}\n", "repeat"),
    blocks("repeat-200k", REPEAT_BOMB, "  - {block: b, repeat: 200000}\n", "layers"),
    blocks(
        "repeat-nested",
        REPEAT_BOMB + "  c: {layers: [{block: b, repeat: 1000}]}\n",
        "  - {block: c, repeat: 1000}\n",
        "layers",
    ),
    blocks(
        "repeat-arg",
        "  b: {args: {n: 1}, layers: [{kind: relu}]}\n  c: {args: {n: 1}, layers: [{block: b, repeat: $n}]}\n",
        "  - {block: c, args: {n: 1000000000}}\n",
        "layers",
    ),
    blocks("doubling", DOUBLE, "  - {block: d29}\n", "layers"),
    blocks("squaring", SQUARE, "  - {block: s40}\n", "error"),
    blocks(
        "string-repetition",
        "  b: {args: {s: aaaa, n: 1}, layers: [{kind: relu, name: '${s * n}'}]}\n",
        "  - {block: b, args: {n: 1000000000}}\n",
        "error",
    ),
    blocks(
        "negate-string",
        "  b: {args: {s: abc}, layers: [{kind: conv, filters: '${-s}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "string-plus-int",
        "  b: {args: {s: abc}, layers: [{kind: conv, filters: '${s + 1}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "string-compare",
        "  b: {args: {s: abc}, layers: [{kind: relu, when: '${s < 1}'}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "huge-argument",
        "  b: {args: {n: 1}, layers: [{kind: conv, filters: '${n * n}', kernel: 1}]}\n",
        "  - {block: b, args: {n: " + "9" * 3000 + "}}\n",
        "error",
    ),
    blocks(
        "argument-overflow",
        "  b: {args: {n: 1}, layers: [{kind: conv, filters: '${n * n}', kernel: 1}]}\n",
        "  - {block: b, args: {n: 100000}}\n",
        "2147483647",
    ),
    blocks(
        "expression-call",
        "  b: {args: {n: 1}, layers: [{kind: conv, filters: '${__import__(\"os\")}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "expression-attribute",
        "  b: {args: {n: 1}, layers: [{kind: conv, filters: '${n.__class__}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "expression-long",
        "  b: {args: {n: 1}, layers: [{kind: conv, filters: '${" + "+".join(["n"] * 5000) + "}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "expression-power",
        "  b: {args: {n: 1}, layers: [{kind: conv, filters: '${9 ** 9 ** 9}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks(
        "divide-by-zero",
        "  b: {args: {n: 0}, layers: [{kind: conv, filters: '${8 / n}', kernel: 1}]}\n",
        "  - {block: b}\n",
        "error",
    ),
    blocks("unknown-block", REPEAT_BOMB, "  - {block: nope}\n", "nope"),
    blocks(
        "missing-argument",
        "  b: {args: {f: null}, layers: [{kind: conv, filters: $f, kernel: 1}]}\n",
        "  - {block: b}\n",
        "needs argument",
    ),
    blocks("unknown-argument", REPEAT_BOMB, "  - {block: b, args: {g: 3}}\n", "no argument 'g'"),
    blocks("recursive-block", "  r: {layers: [{block: r}]}\n", "  - {block: r}\n", "r"),
    blocks(
        "mutual-recursion",
        "  p: {layers: [{block: q}]}\n  q: {layers: [{block: p}]}\n",
        "  - {block: p}\n",
        "error",
    ),
    blocks(
        "output-unknown",
        "  b: {output: ghost, layers: [{kind: relu, id: x}]}\n",
        "  - {block: b}\n",
        "ghost",
    ),
    # PyTorch accepts this network: it must be summarized, not crash on the receptive field's digits
    Case(
        "huge-receptive-field",
        ("summarize", "--format", "json", "--dsl", "1x1x1 | 500x conv3-1 s=999999999 p=1"),
        "",
        exit_code=0,
    ),
]

DSL: list[Case] = [
    dsl("empty", "", "DSL"),
    dsl("blank", "   ", "DSL"),
    dsl("no-input", "conv3-64 | relu", "input"),
    dsl("bad-input", "32x32xthree | relu", "input"),
    dsl("zero-input", "0x32x3 | relu", "input"),
    dsl("non-ascii-input", "٣٢x٣٢x٣ | relu", "input"),
    dsl("unknown-word", "32x32x3 | conv3-64 | frobnicate", "frobnicate"),
    dsl("image-without-channels", "28x28 | conv5-6", "write 28x28x1 for a grayscale image"),
    dsl("bad-conv", "32x32x3 | conv3-", "conv"),
    dsl("bad-option", "32x32x3 | conv3-8 q=1", "q"),
    dsl("bad-option-value", "32x32x3 | conv3-8 s=x", "s"),
    dsl("huge-repeat", "32x32x3 | 999999999x relu", "repeat"),
    dsl("repeat-200k", "32x32x3 | 200000x relu", "repeat count"),
    dsl("zero-repeat", "32x32x3 | 0x relu", "repeat"),
    dsl("huge-number", "32x32x3 | conv3-99999999999999999999", "digits"),
    dsl("many-digits", "32x32x3 | conv3-" + "9" * 5000, "error"),
    dsl("escape-sequence", "32x32x3 | conv3-8 | \x1b[32mAll right\x1b[0m", "error"),
    dsl("osc-sequence", "32x32x3 | \x1b]8;;http://x\x07relu", "error"),
    dsl("nul", "32x32x3 | re\x00lu", "error"),
    dsl("kernel-too-big", "32x32x3 | conv40-8 p=0", "larger than the input"),
    dsl("only-pipes", "| | |", "DSL"),
    dsl("long-string", "32x32x3" + " | relu" * 50_000, "error"),
    dsl("pool-after-fc", "32x32x3 | fc-10 | maxpool", "flat vector"),
    dsl("unclosed", "32x32x3 | (conv3-8", "error"),
    dsl("explain-bad", "32x32x3 | conv3-", "conv", command="explain"),
    dsl("verify-bad", "32x32x3 | conv3-", "conv", command="verify"),
]

SHEET_SPEC = "lenet5"


def sheet(case_id: str, name: str, content: Content, message: str) -> Case:
    return Case(case_id, ("grade", SHEET_SPEC, "{d}/" + name), message, {name: content})


SHEETS: list[Case] = [
    sheet("binary", "s.csv", b"\x00\x01\x02\xff" * 100, "binary"),
    sheet("invalid-utf8", "s.csv", b"layer,params\nconv1,\xff\xfe\n", "UTF-8"),
    sheet("empty", "s.csv", b"", "no table"),
    sheet("no-header", "s.csv", b"1,2,3\n", "column"),
    sheet("unknown-extension", "s.xlsx", b"PK\x03\x04", "xlsx"),
    sheet("docx", "s.docx", b"PK\x03\x04", "docx"),
    sheet("yaml-alias-bomb", "s.yaml", _alias_bomb(), "alias"),
    sheet("yaml-python-tag", "s.yaml", b"rows: !!python/object:os.system [ls]\n", "tag"),
    sheet("yaml-invalid", "s.yaml", b"rows: [\n", "YAML"),
    sheet("yaml-not-mapping", "s.yaml", b"- 1\n- 2\n", "row"),
    sheet("yaml-bad-rows", "s.yaml", b"rows: 5\n", "rows"),
    sheet("duplicate-column", "s.csv", b"layer,params,params\nconv1,608,600\n", "params"),
    sheet("huge", "s.csv", lambda: b"layer,params\n" + b"conv1,608\n" * 2_000_000, "limited to"),
    Case("long-spaces", ("grade", SHEET_SPEC, "{d}/s.csv"), "not all right", {"s.csv": _spaces_sheet}, exit_code=1),
    Case(
        "markdown-long-spaces",
        ("grade", SHEET_SPEC, "{d}/s.md"),
        "not all right",
        {"s.md": _markdown_spaces_sheet},
        exit_code=1,
    ),
    sheet("markdown-no-table", "s.md", b"# my answers\n\nno table here\n", "table"),
    sheet("yaml-deep", "s.yaml", b"rows: " + b"[" * 300 + b"]" * 300 + b"\n", "nest"),
    Case("dev-zero", ("grade", SHEET_SPEC, "/dev/zero"), "a character device, not an answer sheet"),
    Case("fifo", ("grade", SHEET_SPEC, "{d}/pipe.csv"), "a FIFO (named pipe)", special=("fifo:pipe.csv",)),
    Case("directory-no-sheets", ("grade", SHEET_SPEC, "{d}/empty"), "no", special=("dir:empty",)),
    Case("missing", ("grade", SHEET_SPEC, "{d}/nope.csv"), "nope.csv"),
    Case(
        "csv-onto-sheet",
        ("grade", SHEET_SPEC, "{d}/s.csv", "--csv", "{d}/s.csv"),
        "s.csv",
        {"s.csv": b"layer,params\nCONV1,608\n"},
    ),
    Case(
        "template-onto-spec",
        ("grade", "{d}/net.yaml", "--template", "-o", "{d}/net.yaml"),
        "net.yaml",
        {"net.yaml": b"name: t\ninput: 8x8x3\nlayers: [{kind: conv, filters: 2, kernel: 3}]\n"},
    ),
    Case(
        "csv-through-symlink",
        ("grade", SHEET_SPEC, "{d}/s.csv", "--csv", "{d}/link.csv"),
        "link",
        {"s.csv": b"layer,params\nCONV1,608\n", "target.csv": b"keep me\n"},
        special=("link:link.csv->target.csv",),
    ),
]


def budget(case_id: str, text: Content, message: str) -> Case:
    return Case(case_id, ("check", "lenet5", "--budgets", "{d}/b.yaml"), message, {"b.yaml": text})


BUDGETS: list[Case] = [
    budget("unknown-key", b"max_parms: 3M\n", "unknown budget 'max_parms'"),
    budget("bad-unit", b"max_params: 25Q\n", "max_params"),
    budget("negative", b"max_params: -5\n", "max_params"),
    budget("not-mapping", b"- max_params: 1M\n", "mapping"),
    budget("invalid-yaml", b"max_params: [\n", "YAML"),
    budget("alias-bomb", _alias_bomb(), "alias"),
    budget("python-tag", b"max_params: !!python/name:os.system\n", "tag"),
    budget("huge-number", b"max_params: " + b"9" * 5000 + b"\n", "at most 40"),
    budget("empty", b"", "empty"),
    budget("bad-shape", b"output_shape: 10xy\n", "output_shape"),
    budget("sexagesimal", b"max_params: 1:30\n", "max_params"),
    budget("binary", b"\x00\xff" * 10, "binary"),
    Case("dev-zero", ("check", "lenet5", "--budgets", "/dev/zero"), "a character device, not a budgets file"),
    Case("fifo", ("check", "lenet5", "--budgets", "{d}/p.yaml"), "a FIFO (named pipe)", special=("fifo:p.yaml",)),
    Case("glob-root", ("check", "/**/*.yaml"), "glob"),
    Case("glob-parent", ("check", "../../**/*.yaml"), "glob"),
    Case("glob-nothing", ("check", "{d}/*.nothing"), "nothing"),
    Case("option-bad-unit", ("check", "lenet5", "--max-params", "25Q"), "max-params"),
    Case("option-bad-macs", ("check", "lenet5", "--max-macs", "4 parsecs"), "max-macs"),
    Case("option-bad-shape", ("check", "lenet5", "--output-shape", "axb"), "output-shape"),
]


def matrix(case_id: str, args: tuple[str, ...], message: str, files: Mapping[str, Content] | None = None) -> Case:
    return Case(case_id, args, message, files or {})


MATRICES: list[Case] = [
    matrix("ragged", ("conv", "1 2 3; 4 5", "-k", "1 0; 0 1"), "row"),
    matrix("not-a-number", ("conv", "1 2; x 4", "-k", "1"), "x"),
    matrix("empty", ("conv", "", "-k", "1"), "no values"),
    matrix("kernel-too-big", ("conv", "1 2; 3 4", "-k", "1 2 3; 4 5 6; 7 8 9"), "larger"),
    matrix("channel-mismatch", ("conv", "1 2; 3 4 | 1 2; 3 4", "-k", "1"), "channel"),
    matrix("bad-stride", ("conv", "1 2; 3 4", "-k", "1", "-s", "0"), "stride"),
    matrix("bad-padding", ("conv", "1 2; 3 4", "-k", "1", "-p", "-1"), "padding"),
    matrix("nan", ("conv", "1 nan; 3 4", "-k", "1"), "nan"),
    matrix("huge-digits", ("conv", "9" * 5000, "-k", "1"), "number"),
    matrix("big-file", ("conv", "@{d}/m.txt", "-k", "1"), "limited to", {"m.txt": _big_matrix}),
    matrix("long-line", ("conv", "@{d}/m.txt", "-k", "1"), "limited to", {"m.txt": _long_line_matrix}),
    matrix("dev-zero", ("conv", "@/dev/zero", "-k", "1"), "a character device, not an input matrix"),
    Case("fifo", ("conv", "@{d}/m.txt", "-k", "1"), "a FIFO (named pipe)", special=("fifo:m.txt",)),
    matrix("missing-file", ("conv", "@{d}/nope.txt", "-k", "1"), "nope.txt"),
    matrix("pool-bad-size", ("pool", "1 2; 3 4", "--size", "0"), "size"),
    matrix("pool-pad-too-big", ("pool", "1 2; 3 4", "--size", "2", "-p", "2"), "padding"),
    matrix("pool-window-too-big", ("pool", "1 2; 3 4", "--size", "3"), "larger"),
    matrix("pool-bad-stride", ("pool", "1 2; 3 4", "-s", "a,b"), "stride"),
]

LONG = "a" * 300

PATHS: list[Case] = [
    Case("missing", ("summarize", "{d}/nope.yaml"), "nope.yaml"),
    Case("long-name", ("summarize", "{d}/" + LONG + ".yaml"), "long"),
    Case("long-sheet-name", ("grade", "lenet5", "{d}/" + LONG + ".csv"), "long"),
    Case("long-budget-name", ("check", "lenet5", "--budgets", "{d}/" + LONG + ".yaml"), "long"),
    Case("long-diff-name", ("diff", "lenet5", "{d}/" + LONG + ".yaml"), "long"),
    Case("directory", ("summarize", "{d}/sub"), "directory", special=("dir:sub",)),
    Case("dev-zero", ("summarize", "/dev/zero"), "a character device, not a YAML spec"),
    Case("fifo", ("summarize", "{d}/p.yaml"), "a FIFO (named pipe)", special=("fifo:p.yaml",)),
    Case("dangling-link", ("summarize", "{d}/l.yaml"), "l.yaml", special=("link:l.yaml->gone.yaml",)),
    Case("link-loop", ("summarize", "{d}/a.yaml"), "a.yaml", special=("link:a.yaml->b.yaml", "link:b.yaml->a.yaml")),
    Case("explain-missing", ("explain", "{d}/nope.yaml"), "nope.yaml"),
    Case("verify-missing", ("verify", "{d}/nope.yaml"), "nope.yaml"),
    Case("diff-missing", ("diff", "lenet5", "{d}/nope.yaml"), "nope.yaml"),
    Case("check-missing", ("check", "{d}/nope.yaml"), "nope.yaml"),
]

OPTIONS: list[Case] = [
    Case("batch-zero", ("summarize", "lenet5", "--batch", "0"), "batch"),
    Case("batch-huge", ("summarize", "lenet5", "--batch", "99999999999"), "batch"),
    Case("input-zero", ("summarize", "lenet5", "--input", "0x32x3"), "input"),
    Case("input-text", ("summarize", "lenet5", "--input", "abc"), "input"),
    Case("input-non-ascii", ("summarize", "lenet5", "--input", "٣٢x٣٢x٣"), "input"),
    Case("input-huge", ("summarize", "lenet5", "--input", "99999999999x32x3"), "input"),
    Case("input-too-small", ("summarize", "lenet5", "--input", "4x4x3"), "larger than the input"),
    Case("dtype", ("summarize", "lenet5", "--dtype", "float33"), "dtype"),
    Case("format", ("summarize", "lenet5", "--format", "xml"), "format"),
    Case("depth-zero", ("summarize", "lenet5", "--depth", "0"), "depth"),
    Case("units", ("summarize", "lenet5", "--units", "metric"), "units"),
    Case("both-spec-and-dsl", ("summarize", "lenet5", "--dsl", "8x8x3 | relu"), "not both"),
    Case("no-spec", ("summarize",), "no spec"),
    Case("unknown-network", ("summarize", "vgg17"), "vgg17"),
    Case("unknown-option", ("summarize", "lenet5", "--frobnicate"), "frobnicate"),
    Case("explain-layer", ("explain", "lenet5", "--layer", "nope"), "nope"),
    Case("verify-max-memory", ("verify", "lenet5", "--max-memory", "1.5.5G"), "max-memory"),
    Case("verify-seed", ("verify", "lenet5", "--seed", "-1"), "seed"),
    Case("verify-tiny-budget", ("verify", "vgg16", "--max-memory", "1K"), "more than", exit_code=1),
    Case("conv-round", ("conv", "1 2; 3 4", "-k", "1", "--round", "99"), "round"),
    Case("grade-columns", ("grade", "lenet5", "--template", "--columns", "nonsense"), "nonsense"),
    Case("diff-format", ("diff", "lenet5", "lenet5", "--format", "junit"), "format"),
]

CORPUS: dict[str, list[Case]] = {
    "spec": SPECS,
    "dsl": DSL,
    "sheet": SHEETS,
    "budget": BUDGETS,
    "matrix": MATRICES,
    "path": PATHS,
    "option": OPTIONS,
    "onnx": ONNX,
    "keras": KERAS,
    "model-files": MODEL_FILES,
}


def all_cases() -> list[tuple[str, Case]]:
    """(group/id, case) for every case, in a stable order."""
    return [(f"{group}/{case.id}", case) for group, cases in CORPUS.items() for case in cases]
