r"""The arithmetic of a worked step: evaluated exactly, printed as text or as LaTeX.

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
from math import ceil, floor

MAX_TEXT = 200_000  # characters: the sum over the layers of a 1,000-layer network fits
MAX_DIGITS = 200  # of any intermediate value


class ExprError(ValueError):
    """The text is not an expression of the step language."""


_FUNCTIONS = {"floor", "ceil", "max", "min"}


def _parse(text: str) -> ast.expr:
    if len(text) > MAX_TEXT:
        raise ExprError(f"expression longer than {MAX_TEXT} characters")
    if text.count("(") > 100:
        raise ExprError("expression nests too deeply")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ExprError(f"not an arithmetic expression: {text!r}") from None
    return tree.body


def evaluate(text: str) -> Fraction:
    """The exact value of an expression without names; ExprError otherwise."""
    return _value(_parse(text))


def _value(node: ast.expr) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        if node.value.bit_length() > MAX_DIGITS * 3:
            raise ExprError("a number in the expression is too large")
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        # a long sum nests to the left (((a + b) + c) + ...): walk that spine without recursion
        spine: list[tuple[ast.operator, ast.expr]] = []
        while isinstance(node, ast.BinOp):
            spine.append((node.op, node.right))
            node = node.left
        result = _value(node)
        for op, right in reversed(spine):
            result = _binary(op, result, _value(right))
            if max(len(str(abs(result.numerator))), len(str(result.denominator))) > MAX_DIGITS:
                raise ExprError("a value in the expression is too large")
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        if node.keywords or not node.args:
            raise ExprError(f"{node.func.id}() takes plain arguments")
        args = [_value(a) for a in node.args]
        if node.func.id in ("floor", "ceil"):
            if len(args) != 1:
                raise ExprError(f"{node.func.id}() takes one argument")
            return Fraction(floor(args[0]) if node.func.id == "floor" else ceil(args[0]))
        return max(args) if node.func.id == "max" else min(args)
    if isinstance(node, ast.Name):
        raise ExprError(f"'{node.id}' has no value")
    raise ExprError("only integers, + - * /, parentheses, floor(), ceil(), max() and min() are allowed")


def _binary(op: ast.operator, left: Fraction, right: Fraction) -> Fraction:
    if isinstance(op, ast.Add):
        return left + right
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.Mult):
        return left * right
    if isinstance(op, ast.Div | ast.FloorDiv):
        if right == 0:
            raise ExprError("division by zero")
        return left / right if isinstance(op, ast.Div) else Fraction(left // right)
    raise ExprError("only + - * / are allowed")


# --- LaTeX ----------------------------------------------------------------------------------

_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 3, ast.FloorDiv: 3}


def to_latex(text: str) -> str:
    """LaTeX math for an expression or formula; plain text in \\text{} when it is neither."""
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
        left = _wrapped(node.left, level)
        # a - (b + c) keeps its parentheses
        right = _wrapped(node.right, level + (1 if isinstance(node.op, ast.Sub) else 0))
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "\\cdot"}[type(node.op)]
        if symbol == "\\cdot" and not _has_names(node):
            symbol = "\\times"  # 5 \times 5 \times 3 as the slides write numbers; 2 \cdot p in formulas
        return f"{left} {symbol} {right}"
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
