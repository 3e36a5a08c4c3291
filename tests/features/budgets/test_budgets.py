"""`cnncalc check`: units, budgets from the spec, a shared file and options; every exit code and format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.budgets.check import format_percent
from cnncalc.units import UnitError, parse_quantity

# Costs worked by hand (conv: (k*k*c_in + 1) * filters params, out_positions * filters * k*k*c_in MACs):
#   c1  3x3, 3 -> 16, pad 1, 32x32: params 3*3*3*16 + 16 = 448,       MACs 32*32*16*27   = 442,368
#   c2  3x3, 16 -> 32, pad 1, 16x16: params 3*3*16*32 + 32 = 4,640,   MACs 16*16*32*144  = 1,179,648
#   fc  8192 -> 10:                  params 8192*10 + 10 = 81,930,    MACs 8192*10       = 81,920
# total params 87,018; total MACs 1,703,936; output shape 10
SMALL_PARAMS = 448 + 4_640 + 81_930
SMALL_MACS = 442_368 + 1_179_648 + 81_920
FC_PARAMS = 8192 * 10 + 10

SMALL = """\
name: small
input: 32x32x3
layers:
  - {kind: conv, name: c1, filters: 16, kernel: 3, padding: 1}
  - {kind: max_pool}
  - {kind: conv, name: c2, filters: 32, kernel: 3, padding: 1}
  - {kind: dense, name: fc, units: 10}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def small_with(tmp_path: Path, budgets: str, name: str = "net.yaml") -> str:
    """SMALL with a `budgets:` section starting at line 8."""
    return write(tmp_path, name, SMALL + "budgets:\n" + budgets)


# --- units ------------------------------------------------------------------------------------

GOOD_UNITS = [
    ("25M", "params", 25_000_000),
    ("25 M params", "params", 25_000_000),
    ("25,000,000", "params", 25_000_000),
    ("25_000_000", "params", 25_000_000),
    ("4.2e6", "macs", 4_200_000),
    ("4.2E+6", "macs", 4_200_000),
    ("4 GFLOPs", "flops", 4_000_000_000),
    ("8 GFLOPS", "flops", 8_000_000_000),
    ("4G", "macs", 4_000_000_000),
    ("4 GMACs", "macs", 4_000_000_000),
    ("100 MiB", "bytes", 100 * 2**20),
    ("100MB", "bytes", 100_000_000),
    ("512 kB", "bytes", 512_000),
    ("1.5 KiB", "bytes", 1_536),
    (" 2 GiB ", "bytes", 2 * 2**30),
    ("4096 bytes", "bytes", 4_096),
    ("1.1 MiB", "bytes", 1_153_433),  # 1.1 * 1,048,576 = 1,153,433.6, rounded down: the same maximum
    (".5k", "params", 500),
    (62_958, "params", 62_958),
    (4_200_000.0, "macs", 4_200_000),
    (0, "params", 0),
]


@pytest.mark.parametrize(("text", "kind", "expected"), GOOD_UNITS)
def test_units_parse_to_exact_ints(text: object, kind: str, expected: int) -> None:
    value = parse_quantity(text, kind)  # type: ignore[arg-type]
    assert value == expected and isinstance(value, int)


BAD_UNITS = [
    ("25Q", "params", "unknown unit 'Q'"),
    ("4 GFLOPs", "macs", "FLOPs are not MACs: 1 MAC = 2 FLOPs; use max_flops"),
    ("4 GMACs", "flops", "MACs are not FLOPs"),
    ("25B", "params", "B means bytes; write 25G for 25 billion"),
    ("100 MiB", "params", "'MiB' measures bytes, not params"),
    ("100 Mparams", "bytes", "measures params, not bytes"),
    ("-1", "params", "a limit cannot be negative"),
    ("1e99", "macs", "at most 1e30"),
    ("", "params", "a parameter count such as 25M"),
    ("twenty", "params", "a parameter count such as 25M"),
    ("1,00,000", "params", "a parameter count such as 25M"),
    (True, "params", "a parameter count such as 25M"),
    (float("inf"), "bytes", "not finite"),
    ([1], "bytes", "a size in bytes such as 100 MiB"),
]


@pytest.mark.parametrize(("text", "kind", "message"), BAD_UNITS)
def test_bad_units_are_refused_with_the_reason(text: object, kind: str, message: str) -> None:
    with pytest.raises(UnitError, match=message.replace("(", r"\(").replace("+", r"\+")):
        parse_quantity(text, kind)  # type: ignore[arg-type]


def test_margin_percent_never_rounds_a_miss_to_zero() -> None:
    from fractions import Fraction

    assert format_percent(Fraction(-1, 62_958)) == "-<0.1%"
    assert format_percent(Fraction(1, 4)) == "+25.0%"
    assert format_percent(Fraction(0)) == "+0.0%"


# --- exit codes -------------------------------------------------------------------------------


def test_exit_0_when_every_budget_holds_and_the_limit_is_inclusive(runner: CliRunner) -> None:
    # 62,958: the lecture's LeNet table (001, "CNN-Example to calculate parameters")
    result = runner.invoke(app, ["check", "lenet5", "--max-params", "62958"])
    assert result.exit_code == 0, result.output
    assert "lenet5: 1 budget(s), all hold" in result.stdout


def test_exit_1_when_a_budget_is_exceeded_by_one(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "lenet5", "--max-params", "62957"])
    assert result.exit_code == 1, result.output
    assert "EXCEEDED" in result.stdout and "-<0.1%" in result.stdout


def test_exit_2_for_an_invalid_spec_even_when_another_exceeds(runner: CliRunner, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "input: 32x32x3\nlayers:\n  - {kind: conv, fliters: 8, kernel: 3}\n")
    result = runner.invoke(app, ["check", "lenet5", bad, "--max-params", "1K"])
    assert result.exit_code == 2
    assert f"{bad}:3:18: error: unknown key 'fliters' in conv layer #1 (did you mean 'filters'?)" in result.stderr
    assert "cnncalc check: 2 spec(s): 1 exceeded, 1 invalid" in result.stdout
    assert "Traceback" not in result.output


def test_exit_2_for_a_bad_unit_in_the_spec_with_its_place(runner: CliRunner, tmp_path: Path) -> None:
    net = small_with(tmp_path, "  max_params: 25M\n  max_macs: 4 GFLOPs\n")
    result = runner.invoke(app, ["check", net])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{net}:10:13: error: budgets.max_macs: expected a number of MACs such as 4G, 4 GMACs or 4.2e9 "
        "(FLOPs are not MACs: 1 MAC = 2 FLOPs; use max_flops for a FLOPs limit), got '4 GFLOPs'"
    )


def test_exit_2_for_a_bad_option(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "lenet5", "--max-params", "25Q", "--max-peak-memory", "1 GFLOPs"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "error: --max-params '25Q': expected a parameter count such as 25M" in lines[0]
    assert "(unknown unit 'Q')" in lines[0]
    assert "error: --max-peak-memory '1 GFLOPs': expected a size in bytes" in lines[1]


def test_exit_2_for_a_bad_budgets_file_with_its_place(runner: CliRunner, tmp_path: Path) -> None:
    budgets = write(tmp_path, "budgets.yaml", "max_params: 25M\nmax_parms: 3M\nmax_macs: 4 Gigs\n")
    result = runner.invoke(app, ["check", "lenet5", "--budgets", budgets])
    assert result.exit_code == 2
    assert f"{budgets}:2:1: error: unknown budget 'max_parms' (did you mean 'max_params'?)" in result.stderr
    assert f"{budgets}:3:11: error: max_macs: expected a number of MACs such as 4G" in result.stderr
    assert "(unknown unit 'Gigs')" in result.stderr
    missing = runner.invoke(app, ["check", "lenet5", "--budgets", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "none.yaml:1:1: error: cannot read a budgets file: No such file" in missing.stderr
    listed = runner.invoke(app, ["check", "lenet5", "--budgets", write(tmp_path, "list.yaml", "- max_params: 1M\n")])
    assert listed.exit_code == 2 and "list.yaml:1:1: error: a budgets file is a mapping of budgets" in listed.stderr


def test_exit_2_for_a_glob_that_matches_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "*.yaml"])
    assert result.exit_code == 2
    assert "error: no file matches '*.yaml'" in result.stderr


def test_a_spec_without_budgets_is_only_validated(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", write(tmp_path, "n.yaml", SMALL)])
    assert result.exit_code == 0
    assert "valid, no budgets to check" in result.stdout


# --- budgets from the spec, a shared file and options --------------------------------------


def check_json(runner: CliRunner, *args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["check", *args, "--format", "json"])
    data: dict[str, object] = json.loads(result.stdout)
    return result.exit_code, data


def test_every_budget_from_every_place_is_checked(runner: CliRunner, tmp_path: Path) -> None:
    net = small_with(tmp_path, "  max_params: 100K\n  output_shape: 10\n")
    shared = write(tmp_path, "shared.yaml", "budgets:\n  max_params: 80K\n  max_macs: 2M\n")
    code, data = check_json(runner, net, "--budgets", shared, "--max-layer-params", "50K")
    assert code == 1
    specs = data["specs"]
    assert isinstance(specs, list)
    budgets = {(b["budget"], b["origin"]): b for b in specs[0]["budgets"]}
    assert list(budgets) == [
        ("max_params", "spec"),
        ("output_shape", "spec"),
        ("max_params", shared),
        ("max_macs", shared),
        ("max_layer_params", "--max-layer-params"),
    ]
    spec_params = budgets["max_params", "spec"]
    assert (spec_params["actual"], spec_params["limit"], spec_params["ok"]) == (SMALL_PARAMS, 100_000, True)
    assert spec_params["margin"] == 100_000 - SMALL_PARAMS
    assert spec_params["location"] == {"file": net, "line": 9, "column": 15}
    assert budgets["output_shape", "spec"]["actual"] == [10] and budgets["output_shape", "spec"]["ok"]
    file_params = budgets["max_params", shared]
    assert (file_params["ok"], file_params["location"]) == (False, {"file": shared, "line": 2, "column": 15})
    assert budgets["max_macs", shared]["actual"] == SMALL_MACS
    layer = budgets["max_layer_params", "--max-layer-params"]
    assert (layer["actual"], layer["largest_layer"], layer["location"]) == (FC_PARAMS, "fc", None)
    assert layer["layers_over"] == [
        {"name": "fc", "actual": FC_PARAMS, "location": {"file": net, "line": 7, "column": 5}}
    ]


def test_one_budgets_file_for_several_specs(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = write(tmp_path, "budgets.yaml", "max_params: 10M\nmax_activation_memory: 1 MiB\n")
    write(tmp_path, "a.cnncalc.yaml", SMALL)
    write(tmp_path, "b.cnncalc.yaml", SMALL.replace("units: 10", "units: 1000"))
    monkeypatch.chdir(tmp_path)  # a quoted glob is expanded inside the working directory
    code, data = check_json(runner, "*.cnncalc.yaml", "--budgets", shared)
    assert code == 0
    specs = data["specs"]
    assert isinstance(specs, list)
    assert [Path(s["spec"]).name for s in specs] == ["a.cnncalc.yaml", "b.cnncalc.yaml"]
    assert specs[1]["budgets"][0]["actual"] == SMALL_PARAMS - FC_PARAMS + 8192 * 1000 + 1000


def test_output_shape_in_the_spec_layout(runner: CliRunner) -> None:
    # VGG-16 before its classifier: pool5 gives 7x7x512 (Simonyan & Zisserman, Table 1)
    code, data = check_json(runner, "vgg16", "--output-shape", "7x7x512")
    assert code == 1
    specs = data["specs"]
    assert isinstance(specs, list)
    outcome = specs[0]["budgets"][0]
    assert (outcome["actual"], outcome["limit"], outcome["margin"]) == ([1000], [7, 7, 512], None)
    assert runner.invoke(app, ["check", "vgg16", "--output-shape", "1000"]).exit_code == 0
    table = runner.invoke(app, ["check", "vgg16", "--output-shape", "(7, 7, 512)"]).stdout
    assert "MISMATCH" in table and "7x7x512" in table


def test_every_metric_against_vgg16(runner: CliRunner) -> None:
    # torchvision: 138,357,544 params, 15.47 GMACs; fc6 is the largest layer, 25088 * 4096 + 4096 params;
    # the largest MACs, 1,849,688,064, belong to conv1_2 (224*224*64 * 3*3*64) — conv2_2, conv3_x, conv4_x tie
    fc6 = 7 * 7 * 512 * 4096 + 4096
    options = ["--max-params", "138357544", "--max-trainable-params", "138.4M", "--max-macs", "15.48G"]
    options += ["--max-flops", "31G", "--max-activation-memory", "61MB", "--max-peak-memory", "26MB"]
    options += ["--max-param-memory", "554MB", "--max-training-memory", "2.4GB"]
    options += ["--max-layer-params", str(fc6), "--max-layer-macs", "1849688064"]
    code, data = check_json(runner, "vgg16", *options)
    assert code == 0, data
    specs = data["specs"]
    assert isinstance(specs, list)
    actual = {b["budget"]: b["actual"] for b in specs[0]["budgets"]}
    assert actual["max_params"] == 138_357_544 and actual["max_layer_params"] == fc6
    assert actual["max_param_memory"] == 4 * 138_357_544
    # 002 slides' rows: 15,237,608 activation elements x 4 bytes (errata 4)
    assert actual["max_activation_memory"] == 4 * 15_237_608
    assert actual["max_training_memory"] == 2 * 4 * 15_237_608 + 4 * 4 * 138_357_544
    largest = {b["budget"]: b["largest_layer"] for b in specs[0]["budgets"]}
    assert largest["max_layer_params"] == "fc6" and largest["max_layer_macs"] == "conv1_2"


# --- formats ----------------------------------------------------------------------------------


def test_table_shows_budget_actual_limit_margin(runner: CliRunner, tmp_path: Path) -> None:
    net = small_with(tmp_path, "  max_params: 100K\n  max_macs: 1M\n")
    result = runner.invoke(app, ["check", net])
    assert result.exit_code == 1
    out = result.stdout
    for header in ("Budget", "Actual", "Limit", "Margin", "Result", "Set in"):
        assert header in out
    params_line = next(line for line in out.splitlines() if "max_params" in line)
    assert "87,018" in params_line and "100,000" in params_line and "+13.0%" in params_line and "ok" in params_line
    macs_line = next(line for line in out.splitlines() if "max_macs" in line)
    # (1,000,000 - 1,703,936) / 1,000,000 = -70.4%
    assert (
        "1,703,936" in macs_line and "-70.4%" in macs_line and "EXCEEDED" in macs_line and f"{net}:10:13" in macs_line
    )


def test_junit_xml_one_case_per_spec_and_budget(runner: CliRunner, tmp_path: Path) -> None:
    net = small_with(tmp_path, "  max_params: 100K\n  max_macs: 1M\n")
    bad = write(tmp_path, "bad.yaml", "input: 32x32x3\nlayers: [{kind: maxpol}]\n")
    result = runner.invoke(app, ["check", net, bad, "--format", "junit", "--max-params", "100K"])
    assert result.exit_code == 2
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [net, bad]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == ["spec is valid", "max_params", "max_macs", "max_params (--max-params)"]
    assert [c.get("line") for c in cases] == [None, "9", "10", None]
    assert cases[1].find("failure") is None
    failure = cases[2].find("failure")
    assert failure is not None and failure.get("type") == "BudgetExceeded"
    assert failure.get("message") == "MACs 1,703,936 > max_macs 1,000,000 (703,936 over, +70.4%)"
    invalid = suites[1].findall("testcase")
    assert len(invalid) == 1
    error = invalid[0].find("error")
    assert error is not None and "unknown layer kind 'maxpol'" in (error.get("message") or "")
    assert f"{bad}:2:17: error: unknown layer kind 'maxpol'" in (error.text or "")


def test_github_annotations_point_at_the_budget_and_layer_lines(runner: CliRunner, tmp_path: Path) -> None:
    net = small_with(tmp_path, "  max_params: 50K\n  max_macs: 2M\n  max_layer_params: 20K\n")
    result = runner.invoke(app, ["check", net, "--format", "github"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::error file={net},line=9,title=cnncalc budget max_params::{net}: total params 87,018 > max_params 50,000 "
        "(37,018 over, +74.0%25)",
        f"::error file={net},line=7,title=cnncalc budget max_layer_params::layer 'fc': params 81,930 > "
        "max_layer_params 20,000 (61,930 over, +309.6%25)",
        f"{net}: 3 budget(s), 2 exceeded",
    ]


def test_github_annotations_for_options_files_and_invalid_specs(runner: CliRunner, tmp_path: Path) -> None:
    shared = write(tmp_path, "b.yaml", "# team budgets\nmax_macs: 1M\n")
    bad = write(tmp_path, "bad,name.yaml", "input: 32x32x3\nlayers: [{kind: conv, filters: 8, kernel: 99}]\n")
    net = write(tmp_path, "n.yaml", SMALL)
    result = runner.invoke(app, ["check", net, bad, "--budgets", shared, "--max-params", "1K", "-f", "github"])
    assert result.exit_code == 2
    escaped_bad = bad.replace(",", "%2C")
    assert result.stdout.splitlines() == [
        f"::error file={shared},line=2,title=cnncalc budget max_macs::{net}: MACs 1,703,936 > max_macs 1,000,000 "
        "(703,936 over, +70.4%25)",
        f"::error file={net},title=cnncalc budget max_params::{net}: total params 87,018 > max_params 1,000 "
        "(86,018 over, +8601.8%25)",
        f"{net}: 2 budget(s), 2 exceeded",
        f"::error file={escaped_bad},line=2,title=cnncalc%3A invalid spec::layer 'conv1' (conv) on input 32x32x3: "
        "output size -66 along H: kernel 99 is larger than the input 32",
        f"{bad}: invalid spec (1 error(s))",
    ]


def test_pre_commit_hook_runs_cnncalc_check_on_spec_files() -> None:
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parents[3] / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "cnncalc-check")
    assert hook["entry"] == "cnncalc check" and hook["language"] == "python"
    pattern = re.compile(hook["files"])
    assert pattern.search("models/resnet.cnncalc.yaml") and pattern.search("net.cnncalc.yml")
    assert not pattern.search("ci/budgets.yaml") and not pattern.search("net.cnncalc.yaml.bak")
