"""A corpus of bad specs: each gives exit 2 and one located message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc import analyze, load_spec_text
from cnncalc.cli import app
from cnncalc.errors import SpecError

GOOD_HEAD = "name: t\ninput: {shape: [32, 32, 3], layout: hwc}\nlayers:\n"

# (spec text, expected stderr lines, each "line:col: error: ..." fragment)
BAD_SPECS: list[tuple[str, list[str]]] = [
    (
        GOOD_HEAD + "  - {kind: conv, name: CONV2, fliters: 8, kernel: 5}\n",
        ["4:31: error: unknown key 'fliters' in conv layer 'CONV2' (did you mean 'filters'?)"],
    ),
    (
        GOOD_HEAD + "  - {kind: convv, filters: 8, kernel: 5}\n",
        ["4:12: error: unknown layer kind 'convv' (did you mean 'conv'?)"],
    ),
    (GOOD_HEAD + "  - {filters: 8, kernel: 5}\n", ["4:5: error: layer #1 has no 'kind'"]),
    (GOOD_HEAD + "  - {kind: conv, kernel: 5}\n", ["4:5: error: missing key 'filters' in conv layer #1"]),
    (
        GOOD_HEAD + "  - kind: conv\n    filters: 8\n    kernel: 5\n    padding: sam\n",
        ["7:14: error: padding in conv layer #1: expected 'valid' or 'same'", "(did you mean 'same'?)"],
    ),
    (
        GOOD_HEAD + "  - {kind: dense, units: 0}\n",
        ["4:26: error: units in dense layer #1: expected greater than or equal to 1"],
    ),
    (GOOD_HEAD + "  - {kind: dense, units: '12'}\n", ["4:26: error: units in dense layer #1: expected integer"]),
    (GOOD_HEAD + "  - {kind: dense, units: 12.5}\n", ["4:26: error: units in dense layer #1: expected integer"]),
    (
        GOOD_HEAD + "  - {kind: conv, filters: 99999999999999999999999, kernel: 3}\n",
        ["4:27: error: filters in conv layer #1: expected less than or equal to 2147483647"],
    ),
    (
        "name: t\ninputs: 32x32x3\nlayers: [{kind: relu}]\n",
        ["2:1: error: unknown key 'inputs' (did you mean 'input'?)"],
    ),
    ("name: t\ninput: 32x32x3\n", ["1:1: error: missing key 'layers'"]),
    ("input: 32x32x3\nlayers: []\n", ["2:9: error: layers: expected List should have at least 1 item"]),
    (
        "input: 32x32x3\ndtype: float33\nlayers: [{kind: relu}]\n",
        ["2:8: error: dtype: expected 'float64'", "did you mean 'float32'"],
    ),
    (
        "input: {shape: [32, 32, 3], layout: whc}\nlayers: [{kind: relu}]\n",
        ["1:37: error: input.layout: expected 'hwc' or 'chw'"],
    ),
    (
        "input: 32x32xthree\nlayers: [{kind: relu}]\n",
        ["1:8: error: input: expected expected dimensions such as 224x224x3"],
    ),
    ("input: 32x32x3\nlayers:\n  - {kind: conv, filters: 8\n", ["4:1: error: invalid YAML"]),
    ("input: 32x32x3\ninput: 28x28x1\nlayers: [{kind: relu}]\n", ["2:1: error: key 'input' appears twice"]),
    ("- 1\n- 2\n", ["1:1: error: a spec is a mapping with `input` and `layers`"]),
    ("", ["1:1: error: the spec is empty"]),
    ("a: 1\n---\nb: 2\n", ["error: invalid YAML"]),
    (
        GOOD_HEAD
        + "  - {kind: conv, filters: 8, kernel: 5, name: A}\n  - {kind: conv, filters: 8, kernel: 5, name: A}\n",
        ["5:47: error: layer name 'A' is used twice (first at line 4)"],
    ),
    (
        GOOD_HEAD + "  - {kind: conv, filters: 8, kernel: 40}\n",
        [
            "4:38: error: layer 'conv1' (conv) on input 32x32x3: output size -7 along H: "
            "kernel 40 is larger than the input 32"
        ],
    ),
    (
        GOOD_HEAD + "  - {kind: flatten}\n  - {kind: dense, units: 120, in_features: 256}\n",
        [
            "5:44: error: layer 'fc1' (dense) on input 3072: 'in_features' is 256 but the input has 3072 features",
            "hint: set in_features: 3072",
        ],
    ),
    (
        GOOD_HEAD + "  - {kind: conv, filters: 8, kernel: 3}\n  - {kind: relu, trainable: false}\n",
        [
            "5:29: error: layer 'relu1' (relu) on input 30x30x8: trainable: false, but a relu layer has no weights",
            "hint: remove `trainable: false` here",
        ],
    ),
    (
        GOOD_HEAD + "  - {kind: conv, filters: 8, kernel: 3, trainable: 2}\n",
        ["4:52: error: trainable in conv layer #1: expected boolean"],
    ),
    (
        GOOD_HEAD + "  - {kind: conv, name: a, filters: 3, kernel: 1}\n"
        "  - {kind: conv, name: b, filters: 3, kernel: 1, shares: a, trainable: false}\n",
        ["5:72: error: layer 'b' (conv) on input 32x32x3: trainable: false, but it shares the weights of 'a'"],
    ),
    ("input: 32x32x3\nlayers: [{kind: relu, <<: {a: 1}}]\n", ["error: YAML merge keys (<<) are not supported"]),
    (
        "input: 32x32x3\nlayers: !!python/object:os.system [ls]\n",
        ["2:9: error: YAML tag '!!python/object:os.system' is not allowed in a spec"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_SPECS)
def test_bad_spec_is_located(tmp_path: Path, runner: CliRunner, text: str, expected: list[str]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["summarize", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    if ":" in expected[0].split("error")[0]:
        assert result.stderr.startswith(str(path)), result.stderr


def test_alias_bomb_refused_quickly(tmp_path: Path, runner: CliRunner) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")  # 9**10 values if expanded
    result = runner.invoke(app, ["summarize", str(path)])
    assert result.exit_code == 2
    assert "expands to more than" in result.stderr


def test_recursive_alias_refused(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("input: &a [*a]\nlayers: [{kind: relu}]\n")
    result = runner.invoke(app, ["summarize", str(path)])
    assert result.exit_code == 2
    assert "error:" in result.stderr


def test_binary_and_undecodable_files(tmp_path: Path, runner: CliRunner) -> None:
    binary = tmp_path / "net.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: r\xe9seau\n".encode("latin-1"))
    assert "binary file" in runner.invoke(app, ["summarize", str(binary)]).stderr
    result = runner.invoke(app, ["summarize", str(latin)])
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


def test_huge_file_refused_without_reading(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    result = runner.invoke(app, ["summarize", str(path)])
    assert result.exit_code == 2 and "a YAML spec is limited to" in result.stderr


def test_missing_file_and_misspelt_bundled_name(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "vgg61"])
    assert result.exit_code == 2
    assert "no spec file or bundled network named 'vgg61'" in result.stderr
    assert "did you mean 'vgg1" in result.stderr
    assert runner.invoke(app, ["summarize", str(tmp_path)]).exit_code == 2


def test_deep_nesting_refused(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("input: " + "[" * 200 + "]" * 200 + "\nlayers: [{kind: relu}]\n")
    result = runner.invoke(app, ["summarize", str(path)])
    assert result.exit_code == 2 and "nests deeper than" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["summarize", "lenet5", "--format", "xml"],
        ["summarize", "lenet5", "--batch", "0"],
        ["summarize", "lenet5", "--dtype", "float128"],
        ["summarize", "lenet5", "--units", "metric"],
        ["summarize", "lenet5", "--bogus"],
        ["summarize"],
        ["summarize", "lenet5", "--dsl", "32x32x3 | fc-10"],
        ["summarize", "lenet5", "--input", "32x32xq"],
        ["summarize", "lenet5", "--input", "0x32x3"],
    ],
)
def test_bad_options_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


# --- one translation of pydantic errors -----------------------------------------------------------


def test_pydantic_errors_are_translated_in_one_place() -> None:
    """Only cnncalc.spec.loader.validation_diagnostics reads a ValidationError's items
    (spec.model only forwards one layer's items inside the spec's error)."""
    root = Path(__file__).resolve().parents[2] / "cnncalc"
    readers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py") if ".errors()" in p.read_text(encoding="utf-8")
    )
    assert readers == ["spec/loader.py", "spec/model.py"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summarize", "lenet5", "--input", "0x32x3"], "error: --input '0x32x3': expected greater than or equal to 1"),
        (["check", "lenet5", "--max-params", "25Q"], "error: --max-params '25Q': expected a parameter count"),
        (["check", "lenet5", "--max-macs", "3 GFLOPs"], "FLOPs are not MACs"),
    ],
)
def test_option_values_are_worded_like_spec_values(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_parms: 25M\n", "1:1: error: unknown budget 'max_parms' (did you mean 'max_params'?)"),
        ("budgets:\n  max_parms: 25M\n", "2:3: error: unknown budget 'max_parms' (did you mean 'max_params'?)"),
        ("budgets:\n  max_macs: 4 GFLOPs\n", "2:13: error: max_macs: expected a number of MACs"),
        ("output_shape: 7x0\n", "1:15: error: output_shape: expected"),
    ],
)
def test_budget_files_are_worded_like_specs(tmp_path: Path, runner: CliRunner, text: str, message: str) -> None:
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", "lenet5", "--budgets", str(budgets)])
    assert result.exit_code == 2
    assert f"{budgets}:{message}" in result.stderr


def test_a_block_layer_error_is_worded_like_a_layer_error() -> None:
    text = "input: 8x8x3\nblocks:\n  b: {layers: [{kind: conv, filtres: 8, kernel: 1}]}\nlayers: [{block: b}]\n"
    with pytest.raises(SpecError) as caught:
        analyze(load_spec_text(text, "net.yaml"))
    assert "net.yaml:3:29: error: unknown key 'filtres' in conv layer #1 of block 'b' (did you mean 'filters'?)" in str(
        caught.value
    )
