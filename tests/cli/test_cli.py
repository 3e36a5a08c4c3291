"""The CLI through typer's CliRunner: every command, format and switch, and the JSON contract."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.spec import bundled_names, load_spec_text

LENET_TABLE = [  # 001_48a3e38ba1e756c3.txt, "CNN-Example to calculate parameters"
    ("input", [32, 32, 3], 3072, 0),
    ("CONV1", [28, 28, 8], 6272, 608),
    ("POOL1", [14, 14, 8], 1568, 0),
    ("CONV2", [10, 10, 16], 1600, 3216),
    ("POOL2", [5, 5, 16], 400, 0),
    ("FC3", [120], 120, 48120),
    ("FC4", [84], 84, 10164),
    ("Softmax", [10], 10, 850),
]


def summarize_json(runner: CliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["summarize", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_json_contract(runner: CliRunner) -> None:
    data = summarize_json(runner, "lenet5")
    assert data["name"] == "lenet5"
    assert data["input_shape"] == [32, 32, 3]
    layers = data["layers"]
    assert isinstance(layers, list)
    got = [(row["name"], row["output_shape"], row["activation_elements"], row["params"]) for row in layers]
    assert got == LENET_TABLE
    required = {"name", "kind", "output_shape", "activation_elements", "activation_bytes", "params"}
    required |= {"trainable_params", "macs", "flops"}
    assert all(required <= set(row) for row in layers)
    totals = data["totals"]
    assert isinstance(totals, dict)
    assert totals["params"] == 608 + 3216 + 48120 + 10164 + 850
    for key in ("trainable_params", "non_trainable_params", "macs", "flops", "activation_elements"):
        assert isinstance(totals[key], int), key
    for key in ("activation_bytes", "peak_activation_bytes", "param_bytes"):
        assert isinstance(totals[key], int), key
    assert totals["activation_elements"] == sum(r[2] for r in LENET_TABLE)
    assert totals["activation_bytes"] == 4 * totals["activation_elements"]
    assert data["warnings"] == []


def test_json_shapes_follow_the_layout(runner: CliRunner) -> None:
    data = summarize_json(runner, "lenet5", "--layout", "chw")
    layers = data["layers"]
    assert isinstance(layers, list)
    assert layers[1]["output_shape"] == [8, 28, 28]
    assert data["layout"] == "chw"


def test_table_output_is_plain_when_piped(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "lenet5"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    out = result.stdout
    assert "\x1b[" not in out
    for fragment in ("CONV1", "28x28x8", "6,272", "608", "48,120", "Total params: 62,958", "Counted as:"):
        assert fragment in out, fragment


def test_csv_and_markdown(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "lenet5", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["params"]) for r in rows[:-1]] == [r[3] for r in LENET_TABLE]
    assert rows[-1]["name"] == "TOTAL" and int(rows[-1]["params"]) == 62_958
    assert rows[1]["output_shape"] == "28x28x8"
    md = runner.invoke(app, ["summarize", "lenet5", "-f", "markdown"]).stdout
    assert "| 1 | CONV1 |" in md and "| 608 |" in md and "**Total**" in md and "_Counted as:" in md


def test_no_bias_dtype_batch_units_input(runner: CliRunner) -> None:
    no_bias = summarize_json(runner, "lenet5", "--no-bias")
    layers = no_bias["layers"]
    assert isinstance(layers, list)
    assert layers[1]["params"] == 5 * 5 * 3 * 8
    half = summarize_json(runner, "lenet5", "--dtype", "float16", "--batch", "4")
    half_layers = half["layers"]
    assert isinstance(half_layers, list)
    assert half_layers[1]["activation_bytes"] == 6272 * 2 * 4
    assert half_layers[1]["macs"] == 4 * 28 * 28 * 8 * 75
    bigger = summarize_json(runner, "exercise-valid", "--input", "64x64x3")
    assert bigger["input_shape"] == [64, 64, 3]
    binary = runner.invoke(app, ["summarize", "vgg16", "--units", "binary"]).stdout
    assert "MiB" in binary


def test_warning_for_a_stride_that_does_not_tile(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "--dsl", "7x7x1 | CONV:conv3-1 s=3 p=0"])
    assert result.exit_code == 0, result.output
    assert "warning: layer 'CONV': stride 3 does not tile" in result.stdout


def test_dsl_and_convert_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    dsl = "32x32x3 | CONV1:conv5-8 p=0 | maxpool | conv5-16 p=0 | maxpool | fc-120 | fc-84 | fc-10 act=softmax"
    converted = runner.invoke(app, ["convert", dsl, "--name", "lenet"])
    assert converted.exit_code == 0, converted.output
    path = tmp_path / "lenet.yaml"
    path.write_text(converted.stdout)
    assert yaml.safe_load(converted.stdout)["name"] == "lenet"
    from_yaml = summarize_json(runner, str(path))
    from_dsl = summarize_json(runner, "--dsl", dsl)
    assert from_yaml["totals"] == from_dsl["totals"]


def test_list_shows_every_bundled_network(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--format", "json"])
    assert result.exit_code == 0
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names == bundled_names()
    expected = {"lenet5", "lenet5-classic", "exercise-valid", "exercise-same", "alexnet", "alexnet-cs231n", "zfnet"}
    expected |= {"vgg11", "vgg11-lrn", "vgg13", "vgg16-c", "vgg16", "vgg19"}
    assert expected <= set(names)
    assert "vgg16" in runner.invoke(app, ["list"]).stdout


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_spec_summarizes(runner: CliRunner, name: str) -> None:
    result = runner.invoke(app, ["summarize", name])
    assert result.exit_code == 0, result.output
    assert "Total params" in result.stdout


def test_version_and_help(runner: CliRunner) -> None:
    assert runner.invoke(app, ["--version"]).stdout.startswith("cnncalc ")
    help_text = runner.invoke(app, ["--help"]).stdout
    for command in ("summarize", "convert", "list"):
        assert command in help_text


def test_python_dash_m_and_no_numpy_on_startup() -> None:
    code = (
        "import sys, runpy; sys.argv = ['cnncalc', 'summarize', 'vgg16', '-f', 'json'];\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code\n"
        "assert 'numpy' not in sys.modules, 'numpy imported by summarize'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"] == 138_357_544  # VGG-16, torchvision num_params


def test_library_api_without_a_shell() -> None:
    from cnncalc import analyze

    report = analyze(load_spec_text("input: 32x32x3\nlayers: [{kind: conv, filters: 10, kernel: 5, padding: 2}]\n"))
    assert report.totals.params == 760  # 002 slides: (5*5*3 + 1) * 10


def test_installed_script_finds_bundled_networks_outside_the_checkout(tmp_path: Path) -> None:
    # after `pip install .` the bundled specs must come from the installed package, not the checkout
    script = shutil.which("cnncalc")
    if script is None:
        pytest.skip("the cnncalc console script is not installed")
    result = subprocess.run(
        [script, "summarize", "vgg16", "-f", "json"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"] == 138_357_544


def test_depth_rollup_and_receptive_field_column(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "res.yaml"
    path.write_text(
        "input: 8x8x4\nblocks:\n  res:\n    layers:\n      - {kind: conv, filters: 4, kernel: 3, padding: 1, id: c}\n"
        "      - {kind: add, from: [c, input]}\nlayers:\n  - {block: res, name: stage, repeat: 3}\n"
    )
    full = summarize_json(runner, str(path))
    rows = full["layers"]
    assert isinstance(rows, list)
    assert [r["name"] for r in rows][1:3] == ["stage.0.conv1", "stage.0.add1"]
    assert rows[2]["inputs"] == ["stage.0.conv1", "input"] and rows[2]["block"] == "stage.0"
    assert rows[1]["receptive_field"] == {"size": [3, 3], "jump": [1, 1], "start": [0, 0]}
    top = summarize_json(runner, str(path), "--depth", "1")
    top_rows = top["layers"]
    assert isinstance(top_rows, list)
    assert [r["name"] for r in top_rows] == ["input", "stage"]
    assert top_rows[1]["params"] == 3 * (4 * 9 * 4 + 4)
    assert top["totals"] == full["totals"]
    table = runner.invoke(app, ["summarize", str(path)]).stdout
    assert " RF " in table and "<- stage.0.conv1, input" in table
    assert " RF " not in runner.invoke(app, ["summarize", str(path), "--no-rf"]).stdout


def test_library_modules_import_neither_rich_nor_numpy() -> None:
    # the core is usable as a library without the terminal renderer or the numeric core
    code = (
        "import sys\nimport cnncalc, cnncalc.features.explain.explanation, cnncalc.features.grade\n"
        "import cnncalc.features.budgets.check, cnncalc.features.budgets.diff, cnncalc.features.worked.examples, "
        "cnncalc.render\n"
        "print(sorted(m for m in ('rich', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(option: str) -> None:
    # start-up is a feature: --help and --version load typer and the command modules only
    code = (
        "import os, sys, runpy\n"
        f"sys.argv = ['cnncalc', {option!r}]\n"
        # the entry point ends the process itself; here it must return to look at what it loaded
        "def stay(code):\n    raise SystemExit(code)\n"
        "os._exit = stay\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code\n"
        "heavy = ('rich', 'pydantic', 'yaml', 'numpy', 'markdown_it', 'cnncalc.spec', 'cnncalc.layers')\n"
        "sys.stderr.write(repr(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "[]"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summarize", "lenet5", "--batch", "0"], "error: Invalid value for '--batch'"),
        (["summarize", "lenet5", "--frobnicate"], "error: No such option: --frobnicate"),
        (["frobnicate"], "error: No such command 'frobnicate'."),
        (["summarize", "lenet5", "-f", "junit"], "'junit' is not a format of this command"),
        (["conv", "1 2; 3 4", "-k", "1", "--round", "99"], "error: Invalid value for '--round'"),
    ],
)
def test_usage_errors_read_like_every_other_error(argv: list[str], message: str) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "hint: `" in result.stderr and "--help` lists the arguments and options" in result.stderr
    assert "Usage:" not in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["summarize", "{spec}", "-f", "json"],
        ["summarize", "{spec}", "--training", "-f", "json"],
        ["summarize", "{spec}", "--depth", "1"],
        ["summarize", "{spec}", "--convention", "all"],
        ["explain", "{spec}", "-f", "json"],
        ["explain", "{spec}", "-f", "markdown", "--latex"],
        ["check", "{spec}", "--max-params", "1G", "--format", "junit"],
        ["diff", "{spec}", "{spec}", "--format", "markdown"],
        ["draw", "{spec}", "-f", "dot"],
        ["report", "{spec}", "-o", "{out}/report.html"],
        ["verify", "{spec}", "--format", "json"],
        ["solve", "{spec}", "--max-macs", "1G"],
    ],
    ids=lambda command: " ".join(command[:1] + command[2:4]),
)
def test_every_command_takes_a_network_of_thousands_of_layers(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    """A generated chain of 3,000 layers through each command: no step may recurse once per
    layer (a sum over the layers, written as LaTeX, once did). Their times are in
    docs/performance.md, measured, not asserted."""
    spec = tmp_path / "chain.yaml"
    item = "  - {kind: conv, filters: 2, kernel: 3, padding: same}\n  - {kind: relu}\n"
    spec.write_text("input: 4x4x2\nlayers:\n" + item * 1500, encoding="utf-8")
    args = [part.format(spec=spec, out=tmp_path) for part in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
