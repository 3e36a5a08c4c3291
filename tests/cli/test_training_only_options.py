"""Options that only change the training figures are refused without --training, never dropped."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

CASES = [
    (["summarize", "lenet5", "--optimizer", "adam"], "--optimizer only changes the training figures"),
    (["summarize", "lenet5", "--device", "cuda"], "--device only changes the training figures"),
    (["summarize", "lenet5", "--optimizer", "adam", "--device", "cpu"], "--optimizer, --device only change"),
    (["summarize", "lenet5", "--threads", "4"], "--threads only changes the training figures"),
    (["solve", "lenet5", "--max-memory", "1GiB", "--optimizer", "adamw"], "--optimizer only changes"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(c[0][2:]) for c in CASES])
def test_a_training_option_without_training_is_refused(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "add --training" in result.output


def test_with_training_the_optimizer_given_is_the_one_counted() -> None:
    def figures(*extra: str) -> tuple[int, int]:
        result = CliRunner().invoke(app, ["summarize", "lenet5", "--training", "--format", "json", *extra])
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        return int(document["totals"]["params"]), int(document["training"]["optimizer_bytes"])

    params, sgd = figures()
    assert sgd == 0  # plain SGD keeps no state
    # Adam keeps two float32 buffers (exp_avg, exp_avg_sq) the size of the parameters, and a
    # float32 step counter per parameter tensor: LeNet-5's 5 layers with weights have 10
    assert figures("--optimizer", "adam") == (params, 2 * params * 4 + 10 * 4)
