"""Untrusted input (issue 10): every refusal bounded, located, with a hint, and exit 2 (never 3).

Each class of hostile input has many cases; each case checks the exit code and the
`file:line:col: error: ...` line with its hint. (How long a refusal takes is measured by
benchmarks, never asserted here; the limits make each one stop early.)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

HEAD = "input: 8x8x3\n"


def summarize(runner: CliRunner, tmp_path: Path, text: str, *extra: str) -> tuple[int, str, str, str]:
    spec = tmp_path / "net.yaml"
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["summarize", str(spec), "-f", "json", *extra])
    return result.exit_code, result.stdout, result.stderr, str(spec)


def assert_refused(code: int, stderr: str, source: str, fragment: str, where: str | None = None) -> None:
    """Exit 2, one located error containing `fragment` (at `where` = 'line:col' if given), a hint."""
    assert code == 2, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    place = (re.escape(where) + (r"\d+" if where.endswith(":") else "")) if where else r"\d+:\d+"
    assert re.search(rf"^{re.escape(source)}:{place}: error: .*{re.escape(fragment)}", stderr, re.M), stderr
    assert "\n  hint: " in stderr, stderr


# --- expansion counted before it happens ----------------------------------------------------------

ONE = "blocks:\n  one: {args: {n: 1}, layers: [{kind: relu}]}\n"


def _doubling(levels: int) -> str:
    blocks = ["  b0: {layers: [{kind: relu}]}"]
    blocks += [f"  b{i}: {{layers: [{{block: b{i - 1}}}, {{block: b{i - 1}}}]}}" for i in range(1, levels + 1)]
    return HEAD + "blocks:\n" + "\n".join(blocks) + f"\nlayers: [{{block: b{levels}}}]\n"


def _nested_blocks(depth: int) -> str:
    blocks = [f"  b{i}: {{layers: [{{block: b{i + 1}}}]}}" for i in range(depth)]
    blocks.append(f"  b{depth}: {{layers: [{{kind: relu}}]}}")
    return HEAD + "blocks:\n" + "\n".join(blocks) + "\nlayers: [{block: b0}]\n"


EXPANSIONS = [
    (HEAD + ONE + "layers: [{block: one, repeat: 1000000000}]\n", "expand to more than 20,000 instances", "4:31"),
    (HEAD + ONE + "layers: [{block: one, repeat: 2147483647}]\n", "expand to more than 20,000 instances", "4:31"),
    (HEAD + ONE + "layers: [{block: one, repeat: 200000}]\n", "expand to more than 20,000 instances", "4:31"),
    (HEAD + ONE + "layers: [{block: one, repeat: 20001}]\n", "expand to more than 20,000 instances", "4:31"),
    (
        HEAD + "blocks:\n  inner: {layers: [{kind: relu}]}\n"
        "  outer: {layers: [{block: inner, repeat: 1000}]}\nlayers: [{block: outer, repeat: 1000}]\n",
        "expand to more than 20,000 instances",
        None,
    ),
    (
        HEAD + "blocks:\n  inner: {layers: [{kind: relu}]}\n"
        "  outer: {args: {n: 5}, layers: [{block: inner, repeat: $n}]}\n"
        "layers: [{block: outer, args: {n: 100000}}]\n",
        "expand to more than 20,000 instances",
        None,
    ),
    (
        HEAD + "blocks:\n  wide: {layers: [" + ", ".join(["{kind: relu}"] * 1000) + "]}\n"
        "layers: [{block: wide, repeat: 300}]\n",
        "expand to more than",
        None,
    ),
    (_doubling(40), "expand to more than", None),
    (_doubling(20), "expand to more than", None),
    (_nested_blocks(70), "blocks nest deeper than 64 levels", None),
    (
        HEAD + "blocks:\n  w: {layers: [" + ", ".join(["{kind: relu}"] * 1000) + "]}\n"
        "layers: [" + ", ".join(["{block: w}"] * 21) + "]\n",
        "the spec expands to more than 20,000 layers",
        None,
    ),
]


@pytest.mark.parametrize(("text", "fragment", "where"), EXPANSIONS)
def test_expansion_is_refused_before_it_happens(
    runner: CliRunner, tmp_path: Path, text: str, fragment: str, where: str | None
) -> None:
    code, _, err, source = summarize(runner, tmp_path, text)
    assert_refused(code, err, source, fragment, where)


# --- block expressions and arguments ----------------------------------------------------------------


def _squaring(levels: int) -> str:
    blocks = [
        f"  s{i}: {{args: {{n: null}}, layers: [{{block: s{i + 1}, args: {{n: '${{n * n}}'}}}}]}}"
        for i in range(levels)
    ]
    blocks.append(f"  s{levels}: {{args: {{n: null}}, layers: [{{kind: conv, filters: $n, kernel: 1}}]}}")
    return HEAD + "blocks:\n" + "\n".join(blocks) + "\nlayers: [{block: s0, args: {n: 3}}]\n"


def _expr(expression: str, args: str = "{s: relu, n: 4}") -> str:
    return (
        HEAD + f"blocks:\n  b:\n    args: {args}\n"
        f"    layers: [{{kind: conv, filters: '${{{expression}}}', kernel: 1}}]\nlayers: [{{block: b}}]\n"
    )


EXPRESSIONS = [
    (_expr("s * n", "{s: relu, n: 1000000000}"), "'relu' is not a number"),
    (_expr("-s"), "'relu' is not a number"),
    (_expr("s + 1"), "'relu' is not a number"),
    (_expr("s < 1"), "'relu' is not a number"),
    (_expr("s // 2"), "'relu' is not a number"),
    (_expr("n * s"), "'relu' is not a number"),
    (_expr("not s + 1"), "'relu' is not a number"),
    (_expr("n ** 4"), "'**' is not allowed"),
    (_expr("n / 2"), "'/' is not allowed"),
    (_expr("n.bit_length()"), "not allowed"),
    (_expr('__import__("os")'), "'__import__()' is not allowed"),
    (_expr("n // 0"), "division by zero"),
    (_expr("m * 2"), "unknown block argument '$m'"),
    (
        _expr(" * ".join(["n"] * 32)),
        "too large",
    ),
    (_squaring(40), "at most 2,147,483,647"),
    (_squaring(8), "at most 2,147,483,647"),
]


@pytest.mark.parametrize(("text", "fragment"), EXPRESSIONS)
def test_block_expressions_fail_located(runner: CliRunner, tmp_path: Path, text: str, fragment: str) -> None:
    code, _, err, source = summarize(runner, tmp_path, text)
    assert_refused(code, err, source, fragment)


ARGUMENTS = [
    ("{n: 2147483648}", "argument 'n' of block 'b' is 2,147,483,648; at most 2,147,483,647"),
    ("{n: -2147483648}", "at most 2,147,483,647"),
    ("{n: " + "9" * 39 + "}", "at most 2,147,483,647"),
    ("{n: " + "9" * 5000 + "}", "a number of 5,000 characters; at most 40 are read"),
    ("{n: " + "1" * 41 + "}", "a number of 41 characters"),
    ("{n: 0x" + "f" * 60 + "}", "a number of 60 characters"),
]


@pytest.mark.parametrize(("args", "fragment"), ARGUMENTS)
def test_block_arguments_are_bounded(runner: CliRunner, tmp_path: Path, args: str, fragment: str) -> None:
    text = HEAD + "blocks:\n  b: {args: {n: 1}, layers: [{kind: conv, filters: $n, kernel: 1}]}\n"
    text += f"layers: [{{block: b, args: {args}}}]\n"
    code, _, err, source = summarize(runner, tmp_path, text)
    assert_refused(code, err, source, fragment)


# --- references: shares and block outputs --------------------------------------------------------

CONV = "{kind: conv, filters: 3, kernel: 1"
REFERENCES = [
    (HEAD + f"layers:\n  - {CONV}, id: a, shares: a}}\n", "layer 'conv1' shares its own weights", "3:56"),
    (HEAD + f"layers:\n  - {CONV}, id: a, shares: b}}\n  - {CONV}, id: b}}\n", "must name an earlier layer", "3:56"),
    (
        HEAD + f"layers:\n  - {CONV}, id: a}}\n  - {CONV}, id: b, shares: c}}\n  - {CONV}, id: c}}\n",
        "must name an earlier layer",
        "4:56",
    ),
    (HEAD + f"layers:\n  - {CONV}, id: a, shares: nowhere}}\n", "unknown layer 'nowhere'", "3:56"),
    (HEAD + f"layers:\n  - {CONV}, shares: input}}\n", "must name an earlier layer", "3:"),
    (
        HEAD + "blocks:\n  b: {output: nope, layers: [{kind: relu, id: r}]}\nlayers: [{block: b}, {kind: relu}]\n",
        "the block's output 'nope' is not an id or a name in the block",
        "3:",
    ),
    (
        HEAD + "blocks:\n  b: {output: rr, layers: [{kind: relu, id: r}]}\nlayers: [{block: b}]\n",
        "(did you mean 'r'?)",
        "3:",
    ),
]


@pytest.mark.parametrize(("text", "fragment", "where"), REFERENCES)
def test_bad_references_are_located(runner: CliRunner, tmp_path: Path, text: str, fragment: str, where: str) -> None:
    code, _, err, source = summarize(runner, tmp_path, text)
    assert_refused(code, err, source, fragment, where)


def test_a_chain_of_shared_weights_is_accepted(runner: CliRunner, tmp_path: Path) -> None:
    text = HEAD + f"layers:\n  - {CONV}, id: c}}\n  - {CONV}, id: b, shares: c}}\n  - {CONV}, id: a, shares: b}}\n"
    code, out, err, _ = summarize(runner, tmp_path, text)
    assert code == 0, err
    rows = json.loads(out)["layers"]
    # 3 filters of 1x1x3 + 3 biases = 12 params, counted once; the others reuse conv1's
    assert [(r["name"], r["params"], r["shared_with"]) for r in rows[1:]] == [
        ("conv1", 12, None),
        ("conv2", 0, "conv1"),
        ("conv3", 0, "conv1"),
    ]


# --- YAML: size, aliases, nesting, YAML 1.2 numbers -----------------------------------------------


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + HEAD + "layers: [{kind: relu}]\n"


YAML_BAD = [
    (_laughs(9), "expands to more than 400,000 values", None),
    ("x: &x [1, 2]\n" + "y: [" + ", ".join(["*x"] * 250_000) + "]\n", "expands to more than 400,000 values", None),
    ("a: " + "[" * 100 + "]" * 100 + "\n" + HEAD, "the spec nests deeper than 64 levels", "1:67"),
    ("a: " + "{b: " * 80 + "1" + "}" * 80 + "\n", "the spec nests deeper than 64 levels", None),
    ("x: !!python/object:os.system [ls]\n", "YAML tag '!!python/object:os.system' is not allowed in a spec", "1:4"),
    ("x: !!binary aGk=\n", "YAML tag '!!binary' is not allowed in a spec", "1:4"),
    ("x: *nowhere\n", "unknown YAML alias '*nowhere'", "1:4"),
    ("a: 1\n---\nb: 2\n", "invalid YAML: a second document", "2:1"),
    ("<<: {a: 1}\n", "YAML merge keys (<<) are not supported", "1:1"),
    ("[1]: 2\n", "mapping keys must be plain names", "1:1"),
    ("a: 1\na: 2\n", "key 'a' appears twice", "2:1"),
    ("", "the spec is empty", "1:1"),
    ("# only a comment\n", "the spec is empty", "1:1"),
    (HEAD + "batch: " + "7" * 50 + "\nlayers: [{kind: relu}]\n", "a number of 50 characters", "2:8"),
    (HEAD + "layers: [{kind: conv, filters: 1:30, kernel: 1}]\n", "expected integer, got '1:30'", "2:32"),
    (HEAD + "layers: [{kind: conv, filters: 1_000, kernel: 1}]\n", "expected integer, got '1_000'", "2:32"),
    (HEAD + "layers: [{kind: conv, filters: !!int x, kernel: 1}]\n", "'x' is not a YAML int", "2:32"),
]


@pytest.mark.parametrize(("text", "fragment", "where"), YAML_BAD)
def test_hostile_yaml_is_refused_located(
    runner: CliRunner, tmp_path: Path, text: str, fragment: str, where: str | None
) -> None:
    code, _, err, source = summarize(runner, tmp_path, text)
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    place = re.escape(where) if where else r"\d+:\d+"
    assert re.search(rf"^{re.escape(source)}:{place}: error: .*{re.escape(fragment)}", err, re.M), err


@pytest.mark.parametrize(
    ("written", "filters"),
    [("010", 10), ("0010", 10), ("0o10", 8), ("0x10", 16), ("+12", 12), ("!!int 010", 10), ("06220", 6220)],
)
def test_numbers_are_read_by_yaml_1_2_rules(runner: CliRunner, tmp_path: Path, written: str, filters: int) -> None:
    code, out, err, _ = summarize(runner, tmp_path, HEAD + f"layers: [{{kind: conv, filters: {written}, kernel: 1}}]\n")
    assert code == 0, err
    assert json.loads(out)["layers"][1]["output_shape"][-1] == filters


def test_budget_files_read_numbers_by_the_same_rules(runner: CliRunner, tmp_path: Path) -> None:
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("max_params: 010\n", encoding="utf-8")  # 10, not 8: lenet5 has 61,706
    result = runner.invoke(app, ["check", "lenet5", "--budgets", str(budgets), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["specs"][0]["budgets"][0]["limit"] == 10


def test_answer_sheets_read_numbers_by_the_same_rules(tmp_path: Path) -> None:
    from cnncalc.features.grade.sheet import read_sheet_text

    sheet = read_sheet_text("- {layer: conv1, params: 06220}\n- {layer: pool1, shape: 1:30}\n", "s.yaml", "yaml")
    text = repr(sheet)
    assert "6220" in text and "3216" not in text  # YAML 1.1 would read 06220 as octal 3216
    assert "1:30" in text  # and 1:30 as 90


# --- files: only regular files, bounded reads --------------------------------------------------


def _special_paths(tmp_path: Path) -> list[tuple[str, str]]:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"input: 8x8x3\n\0\0")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (4 * 1024 * 1024 + 1))
    return [
        (str(fifo), "a FIFO (named pipe), not a YAML spec"),
        ("/dev/zero", "a character device, not a YAML spec"),
        ("/dev/null", "a character device, not a YAML spec"),
        (str(tmp_path), "a directory, not a YAML spec"),
        (str(binary), "a binary file, not a YAML spec"),
        (str(latin), "not UTF-8 text (byte 9)"),
        (str(big), "file is 4,194,305 bytes; a YAML spec is limited to 4,194,304"),
        (str(tmp_path / ("x" * 300)), "the path is too long (a name may have at most 255 bytes)"),
        (str(tmp_path / "no" / "such.yaml"), "no spec file or bundled network named"),
    ]


def test_only_regular_files_are_read(runner: CliRunner, tmp_path: Path) -> None:
    for path, fragment in _special_paths(tmp_path):
        result = runner.invoke(app, ["summarize", path])
        assert result.exit_code == 2, (path, result.stderr)
        assert fragment in result.stderr, (path, result.stderr)
        assert "\n  hint: " in result.stderr


def test_budget_files_and_sheets_use_the_same_reader(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args, fragment in [
        (["check", "lenet5", "--budgets", str(fifo)], f"{fifo}:1:1: error: a FIFO (named pipe), not a budgets file"),
        (["check", "lenet5", "--budgets", "/dev/zero"], "/dev/zero:1:1: error: a character device, not a budgets file"),
        (["check", "lenet5", "--budgets", str(tmp_path)], "a directory, not a budgets file"),
        (["grade", "lenet5", "/dev/zero"], "a character device, not an answer sheet"),
        (["grade", "lenet5", str(fifo)], "a FIFO (named pipe), not an answer sheet"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.stderr)
        assert fragment in result.stderr, (args, result.stderr)


# --- globs stay inside the working directory --------------------------------------------------------


@pytest.mark.parametrize("pattern", ["/**/*.yaml", "/etc/*.yaml", "../**/*.yaml", "models/../../*.yaml", "~/*.yaml"])
def test_globs_outside_the_working_directory_are_refused(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", pattern])
    assert result.exit_code == 2
    assert f"error: the pattern '{pattern}' reaches outside the working directory" in result.stderr
    assert "hint: globs are expanded inside the working directory only" in result.stderr


def test_globs_do_not_follow_links_out_of_the_tree(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = (Path(__file__).resolve().parents[2] / "specs" / "lenet5.yaml").read_text(encoding="utf-8")
    (tmp_path / "models" / "a").mkdir(parents=True)
    (tmp_path / "models" / "a" / "x.yaml").write_text(spec, encoding="utf-8")
    (tmp_path / "models" / "y.yaml").write_text(spec, encoding="utf-8")
    (tmp_path / "models" / "root").symlink_to("/")
    (tmp_path / "models" / "loop").symlink_to(tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "models/**/*.yaml", "--max-params", "1G", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert [s["spec"] for s in json.loads(result.stdout)["specs"]] == ["models/a/x.yaml", "models/y.yaml"]


# --- shapes: ASCII digits only ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["٣٢x٣٢x٣", "32x32x³", "３２x32x3", "32x32x3\u0663", "𝟑𝟐x32x3"])
def test_non_ascii_digits_are_refused(runner: CliRunner, tmp_path: Path, shape: str) -> None:
    result = runner.invoke(app, ["summarize", "lenet5", "--input", shape])
    assert result.exit_code == 2
    assert f"error: --input {shape!r}: expected dimensions such as 224x224x3" in result.stderr
    code, _, err, source = summarize(runner, tmp_path, f"input: {shape}\nlayers: [{{kind: relu}}]\n")
    assert code == 2 and f"{source}:1:8: error: input: expected" in err


# --- a receptive field too large to print -----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "table", "csv", "markdown"])
def test_a_huge_receptive_field_is_capped_not_a_crash(runner: CliRunner, fmt: str) -> None:
    # PyTorch accepts this network: each 3x3 stride-999999999 conv maps 1x1 to 1x1
    result = runner.invoke(app, ["summarize", "--dsl", "1x1x1 | 500x conv3-1 s=999999999 p=1", "-f", fmt])
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["layers"][1]["receptive_field"]["size"] == [3, 3]
        assert data["layers"][-1]["receptive_field"] is None
        assert any("receptive field wider than 10^60 pixels" in w for w in data["warnings"])


# --- the documented maximum is accepted, one more is refused ------------------------------------------


def _chain(n: int) -> str:
    layer = "  - {kind: conv, filters: 2, kernel: 3, stride: 1, padding: same, dilation: 1, bias: true}\n"
    return "input: 8x8x2\nlayers:\n" + layer * n


def test_the_largest_spec_allowed_loads() -> None:
    from cnncalc.spec import load_spec_text

    spec = load_spec_text(_chain(20_000), "big.yaml")
    assert len(spec.layers) == 20_000


def test_one_layer_more_is_refused_located(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err, source = summarize(runner, tmp_path, _chain(20_001))
    assert code == 2
    assert f"{source}:3:3: error: layers: expected List should have at most 20000 items" in err


@pytest.mark.parametrize(
    "args",
    [
        ["summarize", "x" * 300],
        ["summarize", "d/" * 3000 + "x.yaml"],
        ["grade", "lenet5", "x" * 300],
        ["check", "lenet5", "--budgets", "x" * 300],
        ["check", "x" * 300],
        ["conv", "@" + "x" * 300, "-k", "1"],
    ],
)
def test_paths_too_long_are_invalid_input(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    said = result.stderr
    assert "File name too long" in said or "no spec file" in said or "the path is too long" in said, said


def test_alias_references_are_counted_before_parsing() -> None:
    from cnncalc.errors import SpecError
    from cnncalc.spec import load_spec_text
    from cnncalc.spec.yamlread import MAX_VALUES

    over = "input: 8x8x3\nbase: &b 1\nrefs:\n" + "  - *b\n" * (MAX_VALUES + 1) + "layers: [{kind: relu}]\n"
    with pytest.raises(SpecError, match=f"holds {MAX_VALUES + 1:,} YAML aliases"):
        load_spec_text(over)
    # asterisks in text are not aliases: a block expression with many products still loads
    text = (
        "input: 8x8x3\nblocks:\n  b:\n    args: {n: 1}\n    layers:\n"
        "      - {kind: conv, filters: '${n * 2 * 2}', kernel: 1, name: 'a * b'}\n"
        "layers: [{block: b}]\n"
    )
    assert load_spec_text(text).layers
