"""`cnncalc solve`: each answer is analysed, and so is the next size up."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.errors import ShapeError
from cnncalc.features.symbolic.solve import (
    SolveError,
    largest_batch,
    largest_square_input,
    smallest_input,
    with_square_input,
)
from cnncalc.features.training.memory import training_memory
from cnncalc.spec import load_spec
from cnncalc.spec.dsl import load_dsl

NET = "32x32x3 | conv3-8 s=2 p=1 | relu | maxpool | conv3-16 | gap | fc-10"


def macs_at(spec_text: str, side: int) -> int | None:
    try:
        return analyze(with_square_input(load_dsl(spec_text), side)).totals.macs
    except ShapeError:
        return None


@settings(max_examples=15, deadline=None)
@given(budget=st.integers(min_value=10_000, max_value=50_000_000))
def test_largest_square_input_fits_and_the_next_does_not(budget: int) -> None:
    spec = load_dsl(NET)
    try:
        solution = largest_square_input(spec, budget)
    except SolveError:
        smallest = macs_at(NET, smallest_input(spec))
        assert smallest is not None and smallest > budget
        return
    fits = macs_at(NET, solution.answer)
    assert fits is not None and fits <= budget
    beyond = macs_at(NET, solution.answer + 1)
    assert beyond is None or beyond > budget
    assert (solution.value, solution.next_value) == (fits, beyond)


def test_smallest_input_is_the_first_the_network_accepts() -> None:
    """Every smaller square input is refused (the unpadded conv3 needs a 3x3 map after two halvings)."""
    spec = load_dsl(NET)
    side = smallest_input(spec)
    assert macs_at(NET, side) is not None
    assert all(macs_at(NET, s) is None for s in range(1, side))


def test_resnet50_square_input_within_2g() -> None:
    spec = load_spec("resnet50")
    solution = largest_square_input(spec, 2_000_000_000)
    assert analyze(with_square_input(spec, solution.answer)).totals.macs <= 2_000_000_000
    assert analyze(with_square_input(spec, solution.answer + 1)).totals.macs > 2_000_000_000


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_largest_training_batch(optimizer: str) -> None:
    spec = load_spec("resnet18")
    budget = 2 * 2**30
    solution = largest_batch(spec, budget, training=True, optimizer=optimizer)

    def peak(batch: int) -> int:
        at = spec.model_copy(update={"batch": batch})
        return training_memory(at, analyze(at), optimizer).peak_bytes

    assert peak(solution.answer) <= budget < peak(solution.answer + 1)


def test_cli_solve(runner: CliRunner) -> None:
    result = runner.invoke(app, ["solve", "--dsl", NET, "--max-macs", "1M", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] <= 1_000_000 < data["next_value"]
    assert macs_at(NET, data["answer"]) == data["value"]
    both = runner.invoke(app, ["solve", "--dsl", NET, "--max-macs", "1M", "--max-memory", "1GiB"])
    assert both.exit_code == 2 and "exactly one budget" in both.output
    bad = runner.invoke(app, ["solve", "--dsl", NET, "--max-memory", "8 parsecs"])
    assert bad.exit_code == 2 and "--max-memory" in bad.output and "Traceback" not in bad.output
    tiny = runner.invoke(app, ["solve", "--dsl", NET, "--max-macs", "10"])
    assert tiny.exit_code == 2 and "over the budget" in tiny.output
