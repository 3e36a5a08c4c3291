"""The one expression evaluator (cnncalc.core.evaluator) in its two dialects, and its use by specs and steps."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from cnncalc.core.evaluator import BLOCK, STEPS, ExprError, evaluate
from cnncalc.errors import SpecError
from cnncalc.spec import load_spec_text


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("filters * 4", {"filters": 64}, 256),
        ("c // 2 + c % 3", {"c": 7}, 4),
        ("stride != 1 or project", {"stride": 1, "project": False}, False),
        ("not project and 1 <= k < 5", {"project": False, "k": 3}, True),
        ("act == act", {"act": "relu"}, True),
        ("act", {"act": "relu"}, "relu"),
        ("-(a - 10)", {"a": 3}, 7),
    ],
)
def test_block_dialect_values(text: str, names: dict[str, Any], expected: Any) -> None:
    assert evaluate(text, BLOCK, names) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("((5*5*3)+1)*8", Fraction(608)),
        ("floor((7 - 3)/3) + 1", Fraction(2)),
        ("ceil(7/2)", Fraction(4)),
        ("max(3, 9, 4) - min(2, 1)", Fraction(8)),
        ("1/3 + 1/6", Fraction(1, 2)),
        ("+".join(["1"] * 1_000), Fraction(1_000)),  # a long flat sum is walked as a loop
    ],
)
def test_steps_dialect_values(text: str, expected: Fraction) -> None:
    assert evaluate(text, STEPS) == expected


@pytest.mark.parametrize(
    ("text", "names", "message"),
    [
        ("-s", {"s": "relu"}, "'relu' is not a number"),
        ("s + 1", {"s": "relu"}, "'relu' is not a number"),
        ("s < 1", {"s": "relu"}, "'relu' is not a number"),
        ("s * n", {"s": "x", "n": 10**9}, "'x' is not a number"),  # no string repetition
        ("[1] * n", {"n": 3}, "'[1]' is not allowed"),
        ("n * n", {"n": 2**40}, "too large"),
        ("n", {"n": 10**4000}, "too large"),
        ("9" * 30, {}, "too large"),
        ("f ** 99", {"f": 8}, "'**' is not allowed"),
        ("f / 2", {"f": 8}, "'/' is not allowed"),
        ("__import__('os')", {}, "'__import__()' is not allowed"),
        ("f.real", {"f": 8}, "'f.real' is not allowed"),
        ("(lambda: 1)()", {}, "not allowed"),
        ("'ab'", {}, "the constant 'ab' is not allowed"),
        ("1 // 0", {}, "division by zero"),
        ("x" * 201, {}, "longer than 200 characters"),
        ("-" * 150 + "1", {}, "nests too deeply"),
        ("1 +", {}, "cannot read"),
    ],
)
def test_block_dialect_refusals(text: str, names: dict[str, Any], message: str) -> None:
    with pytest.raises(ExprError, match=None) as caught:
        evaluate(text, BLOCK, names)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x + 1", "'x' has no value"),
        ("5 % 2", "'%' is not allowed"),
        ("(" * 101 + "1" + ")" * 101, "nests too deeply"),
        ("-" * 150 + "1", "nests too deeply"),
        ("1 < 2", "not allowed"),
        ("not 1", "not allowed"),
        ("floor(1, 2)", "takes one argument"),
        ("1/0", "division by zero"),
        ("10" * 101 + " * " + "10" * 101, "too large"),
        ("-" * 200_001, "longer than"),
        ("open('f')", "'open()' is not allowed"),
    ],
)
def test_steps_dialect_refusals(text: str, message: str) -> None:
    with pytest.raises(ExprError) as caught:
        evaluate(text, STEPS)
    assert message in caught.value.message


def test_steps_of_explanations_and_cells_use_the_same_evaluator() -> None:
    from cnncalc.core import algebra as steps

    assert steps.ExprError is ExprError
    assert steps.evaluate("1/3 + 1/6") == Fraction(1, 2)
    with pytest.raises(ExprError):
        steps.evaluate("__import__('os')")


_BLOCK_SPEC = """input: 8x8x3
blocks:
  b:
    args: {{s: relu, n: 4}}
    layers: [{{kind: conv, filters: '${{{expr}}}', kernel: 1}}]
layers: [{{block: b}}]
"""


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("-s", "'relu' is not a number"),
        ("s + 1", "'relu' is not a number"),
        ("s < 1", "'relu' is not a number"),
        ("s * n", "'relu' is not a number"),
        (" * ".join(["n"] * 32), "too large"),
        ("m + 1", "unknown block argument '$m'"),
        ("n ** 2", "'**' is not allowed"),
    ],
)
def test_block_expression_errors_are_located(expr: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec_text(_BLOCK_SPEC.format(expr=expr), "net.yaml").layers  # noqa: B018
        from cnncalc.core.graph import build_graph

        build_graph(load_spec_text(_BLOCK_SPEC.format(expr=expr), "net.yaml"))
    text = str(caught.value)
    assert text.startswith("net.yaml:5:"), text
    assert message in text
    assert "hint:" in text or "unknown block argument" in text
