"""A node's attributes, read with their types and ranges checked, and written in cnncalc's spelling.

Every operator family reads its settings through `Attrs`, so that a malformed attribute is
refused the same way wherever it is read (naming the node and the attribute), and writes
pads and per-axis values back in the shortest form a spec takes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cnncalc.errors import Diagnostic
from cnncalc.features.interop.common import InteropError
from cnncalc.features.interop.onnx.screen import shown

if TYPE_CHECKING:
    from onnx import AttributeProto, NodeProto


def pads_spelled(pads: Sequence[int], ndim: int) -> int | list[int] | list[list[int]]:
    """ONNX pads [b1, b2, ..., e1, e2, ...] in the shortest cnncalc spelling."""
    if not pads:
        return 0
    before, after = list(pads[:ndim]), list(pads[ndim:])
    if before == after:
        return before[0] if len(set(before)) == 1 else before
    return [[b, a] for b, a in zip(before, after, strict=True)]


def one_value(values: Sequence[int]) -> int | list[int]:
    """(3, 3) -> 3; (3, 5) -> [3, 5]."""
    return values[0] if len(set(values)) == 1 else list(values)


class Attrs:
    """A node's attributes, each read with its type and range checked.

    A malformed attribute (a float where ONNX wants ints, a missing required one, a stride of
    0) is the file's fault: it is refused naming the node and the attribute.
    """

    def __init__(self, node: NodeProto, where: str) -> None:
        self.where = where
        self.by_name: dict[str, AttributeProto] = {}
        for attr in node.attribute:
            if attr.name in self.by_name:
                raise self.error(attr.name, "is given twice")
            self.by_name[attr.name] = attr

    def error(self, name: str, problem: str) -> InteropError:
        message = f"{self.where}: attribute {shown(name)} {problem}"
        return InteropError([Diagnostic(message, hint="the model file is damaged; export it again")])

    def get(self, name: str, kind: int, required: bool) -> AttributeProto | None:
        from onnx import AttributeProto

        attr = self.by_name.get(name)
        if attr is None:
            if required:
                raise self.error(name, "is missing (ONNX requires it)")
            return None
        if attr.type != kind:
            wanted = AttributeProto.AttributeType.Name(kind).lower()
            raise self.error(name, f"is not of type {wanted}")
        return attr

    def has(self, name: str) -> bool:
        return name in self.by_name

    def integer(self, name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.INT, False)
        value = default if attr is None else int(attr.i)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise self.error(name, f"is {value}; it must be {bounds}")
        return value

    def integers(
        self, name: str, minimum: int | None = None, length: int | None = None, required: bool = False
    ) -> list[int]:
        """The list (empty if absent and not required), every value at least `minimum`."""
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.INTS, required)
        values = [] if attr is None else list(attr.ints)
        if attr is not None and length is not None and len(values) != length:
            raise self.error(name, f"has {len(values)} values; {length} expected")
        if minimum is not None and any(v < minimum for v in values):
            raise self.error(name, f"has a value below {minimum}")
        return values

    def number(self, name: str, default: float) -> float:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.FLOAT, False)
        value = default if attr is None else float(attr.f)
        if not math.isfinite(value):
            raise self.error(name, "is not a finite number")
        return value

    def numbers(self, name: str) -> list[float] | None:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.FLOATS, False)
        return None if attr is None else list(attr.floats)

    def text(self, name: str, default: str) -> str:
        from onnx import AttributeProto

        attr = self.get(name, AttributeProto.STRING, False)
        if attr is None:
            return default
        try:
            return str(attr.s.decode("utf-8"))
        except UnicodeDecodeError:
            raise self.error(name, "is not UTF-8 text") from None
