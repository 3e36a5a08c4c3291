r"""The arithmetic of a worked step: evaluated exactly (by cnncalc.core.evaluator), printed as text or as LaTeX.

Steps are written as `((5*5*3)+1)*8` or `floor((7 - 3)/3) + 1`: integers, + - * /,
parentheses and floor(), ceil(), max(), min(); a formula may use names (`c_in`, `n_H`).
Division is exact (fractions), so floor() is visible where the lecture needs it. Text
comes from students too (a cell may hold `28x28x8` or `(5*5*3+1)*8`), so the parser
accepts nothing else and bounds the size of what it reads.

>>> evaluate("((5*5*3)+1)*8")
Fraction(608, 1)
>>> evaluate("floor((7 - 3)/3) + 1")
Fraction(2, 1)
>>> print(to_latex("((5*5*3)+1)*8"))
\left(5 \times 5 \times 3 + 1\right) \times 8
>>> print(to_latex("floor((n + 2*p - f)/s) + 1"))
\left\lfloor \frac{n + 2 \cdot p - f}{s} \right\rfloor + 1
"""

from __future__ import annotations

import ast
from fractions import Fraction
from functools import lru_cache

from cnncalc.core.evaluator import STEPS, ExprError, parse
from cnncalc.core.evaluator import evaluate as evaluate_in

MAX_TEXT = STEPS.max_text

__all__ = ["ExprError", "evaluate", "to_latex"]

_FUNCTIONS = STEPS.functions


def _parse(text: str) -> ast.expr:
    return parse(text, STEPS)


def evaluate(text: str) -> Fraction:
    """The exact value of an expression without names; ExprError otherwise (cnncalc.core.evaluator, STEPS)."""
    value: Fraction = evaluate_in(text, STEPS)
    return value


# --- LaTeX ----------------------------------------------------------------------------------

_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 3, ast.FloorDiv: 3}


@lru_cache(maxsize=4096)
def to_latex(text: str) -> str:
    """LaTeX math for an expression or formula; plain text in \\text{} when it is neither.

    Remembered: a network repeats its layers, so `explain` asks for the same formulas and,
    on equal shapes, the same expressions thousands of times.
    """
    try:
        return _latex(_parse(text))
    except ExprError:
        return "\\text{" + text.replace("_", "\\_") + "}"


def _name(identifier: str) -> str:
    base, _, sub = identifier.partition("_")
    base = base if len(base) == 1 else f"\\mathrm{{{base}}}"  # a word, not a product of letters
    return f"{base}_{{{sub}}}" if sub else base


def _latex(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return str(node.value)
    if isinstance(node, ast.Name):
        return _name(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return f"{sign}{_wrapped(node.operand, 2)}"
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div | ast.FloorDiv):
            return f"\\frac{{{_latex(node.left)}}}{{{_latex(node.right)}}}"
        level = _PRECEDENCE.get(type(node.op))
        if level is None:
            raise ExprError("unsupported operator")
        # a long sum nests to the left (((a + b) + c) + ...), as deep as a network is long
        # (explain's totals): its spine is written as a loop, left to right
        spine: list[ast.BinOp] = []
        leftmost: ast.expr = node
        while isinstance(leftmost, ast.BinOp) and _PRECEDENCE.get(type(leftmost.op)) == level:
            spine.append(leftmost)
            leftmost = leftmost.left
        text = _wrapped(leftmost, level)
        for step in reversed(spine):
            # a - (b + c) keeps its parentheses
            right = _wrapped(step.right, level + (1 if isinstance(step.op, ast.Sub) else 0))
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "\\cdot"}[type(step.op)]
            if symbol == "\\cdot" and not _has_names(step):
                symbol = "\\times"  # 5 \times 5 \times 3 as the slides write numbers; 2 \cdot p in formulas
            text = f"{text} {symbol} {right}"
        return text
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        args = [_latex(a) for a in node.args]
        if node.func.id == "floor":
            return f"\\left\\lfloor {args[0]} \\right\\rfloor"
        if node.func.id == "ceil":
            return f"\\left\\lceil {args[0]} \\right\\rceil"
        return f"\\{node.func.id}({', '.join(args)})"
    raise ExprError("unsupported expression")


def _has_names(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Name) and n.id not in _FUNCTIONS for n in ast.walk(node))


def _wrapped(node: ast.expr, level: int) -> str:
    inner = _latex(node)
    if isinstance(node, ast.BinOp) and _PRECEDENCE.get(type(node.op), 9) < level:
        return f"\\left({inner}\\right)"
    return inner
