"""`--input` on the commands that read several specs (compare, check, diff) and on match: a spec
written with symbols (`input: [H, W, 3]`) is analysed at the size given, and without one the
error says how to give it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

#: conv 3x3 (8 filters) and a dense of 10 on an H x W x 3 input: its params depend on H and W
SYMBOLIC = """\
name: symnet
input: [H, W, 3]
layers:
  - {kind: conv, name: conv1, filters: 8, kernel: 3, padding: 1}
  - {kind: maxpool, name: pool1, kernel: 2}
  - {kind: fc, name: fc1, units: 10}
"""


def params_at(n: int) -> int:
    """By hand: conv 3*3*3*8 + 8; after the pool (n/2)^2 * 8 inputs to 10 units, plus 10 biases."""
    return 3 * 3 * 3 * 8 + 8 + (n // 2) ** 2 * 8 * 10 + 10


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "sym.yaml"
    path.write_text(SYMBOLIC, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "{s}", "lenet5"],
        ["check", "{s}", "--max-params", "1M"],
        ["diff", "{s}", "lenet5"],
        ["match", "{s}", "{s}"],
    ],
    ids=["compare", "check", "diff", "match"],
)
def test_without_input_the_error_asks_for_sizes(spec: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [a.format(s=spec) for a in args])
    assert result.exit_code == 2, result.output
    assert "the input names its sizes as symbols (H, W): this command needs numbers" in result.output
    assert "--input" in result.output and "Traceback" not in result.output


def test_compare_at_the_size_given(spec: Path) -> None:
    result = CliRunner().invoke(app, ["compare", str(spec), "lenet5", "--input", "32x32x3", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["networks"]
    assert rows[0]["params"] == params_at(32) == 20_714


def test_check_at_the_size_given(spec: Path) -> None:
    under = CliRunner().invoke(app, ["check", str(spec), "--max-params", "30K", "--input", "32x32x3"])
    over = CliRunner().invoke(app, ["check", str(spec), "--max-params", "30K", "--input", "64x64x3"])
    assert params_at(32) <= 30_000 < params_at(64)
    assert (under.exit_code, over.exit_code) == (0, 1), (under.output, over.output)


def test_diff_and_match_at_the_size_given(spec: Path) -> None:
    diff = CliRunner().invoke(app, ["diff", str(spec), str(spec), "--input", "16x16x3", "--format", "json"])
    assert diff.exit_code == 0, diff.output
    assert "params" in diff.output
    match = CliRunner().invoke(app, ["match", "lenet5", "lenet5", "--input", "32x32x3"])
    assert match.exit_code == 0, match.output
