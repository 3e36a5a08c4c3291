"""cnncalc: the numbers of a convolutional network, exact and explained.

>>> from cnncalc import analyze, load_spec_text
>>> report = analyze(load_spec_text("input: 32x32x3\\nlayers: [{kind: conv, filters: 10, kernel: 5, padding: 2}]"))
>>> report.totals.params
760

The names below are imported on first use, so that `import cnncalc` (and `cnncalc
--version`) costs nothing and each command pays only for what it uses.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from cnncalc.core.conventions import Conventions
    from cnncalc.core.report import LayerRow, Report, Totals
    from cnncalc.core.walk import analyze
    from cnncalc.errors import CnncalcError, ShapeError, SpecError
    from cnncalc.features.interop import load_spec
    from cnncalc.spec import Spec, load_spec_text

#: public name -> the module that defines it (each module named once, with its names)
_WHERE: dict[str, str] = {
    name: module
    for module, names in (
        ("cnncalc.core.walk", ("analyze",)),
        ("cnncalc.core.conventions", ("Conventions",)),
        ("cnncalc.errors", ("CnncalcError", "ShapeError", "SpecError")),
        ("cnncalc.core.report", ("LayerRow", "Report", "Totals")),
        ("cnncalc.spec", ("Spec", "load_spec_text")),
        ("cnncalc.features.interop", ("load_spec",)),
    )
    for name in names
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "CnncalcError",
    "Conventions",
    "LayerRow",
    "Report",
    "ShapeError",
    "Spec",
    "SpecError",
    "Totals",
    "__version__",
    "analyze",
    "load_spec",
    "load_spec_text",
]
