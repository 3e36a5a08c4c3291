"""The one evaluator of the small expressions users write: block `${...}` and worked steps.

Two dialects of one language share this walk over Python's AST, which accepts only the
node types listed here, so no text can call, index or import anything:

- BLOCK (a spec's `${filters * 4}`, `${stride != 1 or project}`): integers, argument
  names, + - * // %, comparisons and and/or/not; arithmetic and ordering only on
  integers, so an argument that holds a string gives a located error, not a crash.
- STEPS (an explanation step or a student's cell, `floor((7 - 3)/3) + 1`): integers,
  + - * / //, parentheses, floor(), ceil(), max(), min(); division is exact (fractions).

Every bound is checked before the work it limits: the text's length, its nesting, and
the size of each value (a product of two bounded values is computed only if its size,
the sum of theirs, fits), so hostile text costs microseconds.

>>> evaluate("filters * 4", BLOCK, {"filters": 64})
256
>>> evaluate("floor((7 - 3)/3) + 1", STEPS)
Fraction(2, 1)
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor
from typing import Any

#: most nested operands (parentheses, unary signs, calls); a long flat sum does not count
MAX_NESTING = 100


class ExprError(ValueError):
    """The text is not an expression of the dialect, or its value is out of bounds."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Dialect:
    """What one kind of expression may contain, and how large it and its values may be."""

    name: str
    max_text: int  # characters
    max_bits: int  # of any integer value, numerator or denominator
    exact_division: bool  # `/` allowed, giving a fraction
    logic: bool  # comparisons and and/or/not
    functions: frozenset[str]
    allowed: str  # what the error says is allowed


BLOCK = Dialect(
    name="block expression",
    max_text=200,
    max_bits=63,  # an int64: far above any typed field (those stop at 2^31 - 1)
    exact_division=False,
    logic=True,
    functions=frozenset(),
    allowed="integers, argument names, + - * // %, comparisons, and/or/not",
)
STEPS = Dialect(
    name="worked step",
    max_text=200_000,  # the sum over the layers of a 1,000-layer network fits
    max_bits=665,  # 200 decimal digits
    exact_division=True,
    logic=False,
    functions=frozenset({"floor", "ceil", "max", "min"}),
    allowed="integers, + - * /, parentheses, floor(), ceil(), max() and min()",
)

Number = int | Fraction
_SYMBOLS: dict[type[ast.operator], str] = {
    ast.Pow: "**",
    ast.Div: "/",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def parse(text: str, dialect: Dialect) -> ast.expr:
    """The syntax tree of `text`, refused when too long or too deeply nested to walk."""
    if len(text) > dialect.max_text:
        raise ExprError(f"{dialect.name} longer than {dialect.max_text:,} characters")
    if text.count("(") > MAX_NESTING:
        raise ExprError(f"{dialect.name} nests too deeply (more than {MAX_NESTING} parentheses)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ExprError(f"cannot read the {dialect.name} {_clip(text)!r}") from None
    _check_nesting(tree.body, dialect)
    return tree.body


def evaluate(text: str, dialect: Dialect, names: Mapping[str, Any] | None = None) -> Any:
    """The value of `text`: an int or bool (BLOCK; a bare name gives its value as is),
    a Fraction (STEPS). ExprError when the text is not in the dialect or too large."""
    value = _Walk(dialect, names or {}).value(parse(text, dialect))
    if dialect.exact_division and isinstance(value, int | Fraction) and not isinstance(value, bool):
        return Fraction(value)
    return value


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _check_nesting(root: ast.expr, dialect: Dialect) -> None:
    # iterative, so that `-------...1` cannot exhaust the stack; the left operand of a
    # binary operator stays at its parent's depth (a long sum is walked as a loop)
    stack: list[tuple[ast.AST, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ExprError(f"{dialect.name} nests too deeply (more than {MAX_NESTING} levels)")
        if isinstance(node, ast.BinOp):
            stack += [(node.left, depth), (node.right, depth + 1)]
        else:
            stack += [(child, depth + 1) for child in ast.iter_child_nodes(node)]


class _Walk:
    def __init__(self, dialect: Dialect, names: Mapping[str, Any]) -> None:
        self.d = dialect
        self.names = names

    def refuse(self, what: str) -> ExprError:
        return ExprError(f"{what} is not allowed in a {self.d.name}", hint=f"use {self.d.allowed}")

    def number(self, value: Any, role: str) -> Number:
        """`value` as an operand of arithmetic or ordering: an int (or fraction), bounded."""
        if isinstance(value, bool) or not isinstance(value, int | Fraction):
            raise ExprError(
                f"{role} {_clip(repr(value))} is not a number",
                hint="arithmetic and <, <=, >, >= take integers; == and != compare anything",
            )
        return self.bounded(value)

    def bounded(self, value: Number) -> Number:
        bits = (
            value.bit_length()
            if isinstance(value, int)
            else max(value.numerator.bit_length(), value.denominator.bit_length())
        )
        if bits > self.d.max_bits:
            limit = "2^63" if self.d.max_bits == 63 else f"about 10^{int(self.d.max_bits * 0.30103)}"
            raise ExprError(f"a value in the {self.d.name} is too large (limit: {limit})")
        return value

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) and self.d.logic:
                return node.value
            if isinstance(node.value, int) and not isinstance(node.value, bool):
                return self.bounded(node.value)
            raise self.refuse(f"the constant {_clip(repr(node.value))}")
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp):
            # a long sum nests to the left (((a + b) + c) + ...): walk that spine as a loop
            spine: list[tuple[ast.operator, ast.expr]] = []
            leftmost: ast.expr = node
            while isinstance(leftmost, ast.BinOp):
                spine.append((leftmost.op, leftmost.right))
                leftmost = leftmost.left
            result = self.value(leftmost)
            for operation, operand in reversed(spine):
                result = self.binary(operation, result, self.value(operand))
            return result
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if self.d.logic and isinstance(node, ast.BoolOp):
            results = [self.value(v) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if self.d.logic and isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            left = self.value(node.left)
            for test, comparator in zip(node.ops, node.comparators, strict=True):
                right = self.value(comparator)
                if not isinstance(test, ast.Eq | ast.NotEq):
                    left, right = self.number(left, "the operand"), self.number(right, "the operand")
                if not _COMPARE[type(test)](left, right):
                    return False
                left = right
            return True
        raise self.refuse(f"'{_clip(ast.unparse(node))}'")

    def name(self, identifier: str) -> Any:
        if identifier not in self.names:
            raise ExprError(f"'{identifier}' has no value")
        value = self.names[identifier]
        if isinstance(value, int) and not isinstance(value, bool):
            self.bounded(value)
        return value

    def unary(self, node: ast.UnaryOp) -> Any:
        if isinstance(node.op, ast.Not) and self.d.logic:
            return not self.value(node.operand)
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.number(self.value(node.operand), "the operand")
            return -operand if isinstance(node.op, ast.USub) else operand
        raise self.refuse(f"'{_clip(ast.unparse(node))}'")

    def binary(self, op: ast.operator, left: Any, right: Any) -> Number:
        a, b = self.number(left, "the operand"), self.number(right, "the operand")
        if isinstance(op, ast.Add):
            return self.bounded(a + b)
        if isinstance(op, ast.Sub):
            return self.bounded(a - b)
        if isinstance(op, ast.Mult):
            return self.bounded(a * b)  # both operands are bounded, so the product is cheap
        if isinstance(op, ast.FloorDiv | ast.Mod) or (isinstance(op, ast.Div) and self.d.exact_division):
            if b == 0:
                raise ExprError(f"division by zero in a {self.d.name}")
            if isinstance(op, ast.Div):
                return self.bounded(Fraction(a) / b)
            if isinstance(op, ast.Mod):
                if self.d.exact_division:
                    raise self.refuse("'%'")
                return a % b
            return self.bounded(a // b if isinstance(a, int) and isinstance(b, int) else Fraction(a // b))
        raise self.refuse(f"'{_SYMBOLS.get(type(op), type(op).__name__)}'")

    def call(self, node: ast.Call) -> Number:
        fn = node.func.id if isinstance(node.func, ast.Name) else None
        if fn is None or fn not in self.d.functions:
            raise self.refuse(f"'{_clip(ast.unparse(node.func))}()'")
        if node.keywords or not node.args:
            raise ExprError(f"{fn}() takes plain arguments")
        args = [self.number(self.value(a), f"the argument of {fn}()") for a in node.args]
        if fn in ("floor", "ceil"):
            if len(args) != 1:
                raise ExprError(f"{fn}() takes one argument")
            return floor(args[0]) if fn == "floor" else ceil(args[0])
        return max(args) if fn == "max" else min(args)
