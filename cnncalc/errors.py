"""Errors a user can cause, each with a place in their file and a hint.

The core raises these; the CLI turns them into `file:line:col: error: ...` lines and
exit code 2 in one place, so no command formats errors on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Location(NamedTuple):
    """1-based position in a source (a file path, or `<dsl>` for a DSL string).

    A named tuple, not a dataclass: a 20,000-layer spec records 100,000 of them.
    """

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem: what is wrong, where, and how to fix it."""

    message: str
    location: Location | None = None
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class CnncalcError(Exception):
    """Invalid input a user gave: a spec, a DSL string, an option or a file (exit 2)."""

    exit_code = 2

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(d.render() for d in diagnostics))
        self.diagnostics = diagnostics

    @classmethod
    def single(cls, message: str, location: Location | None = None, hint: str | None = None) -> CnncalcError:
        return cls([Diagnostic(message, location, hint)])


class SpecError(CnncalcError):
    """The spec or DSL string does not parse or does not validate."""


class ShapeError(CnncalcError):
    """The spec validates but a layer cannot be applied to the shape it receives."""


class InputRankError(ShapeError):
    """The input's numbers can be read two ways (`28x28`: an image without channels, or a signal
    with 28 of them), and a layer reads them as the other: no input size of that spec helps."""


class LayerRuleError(Exception):
    """Raised by a layer rule, which knows neither its own index nor the source file.

    The analysis catches it and adds which layer, and where it was written.
    """

    def __init__(self, message: str, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint
