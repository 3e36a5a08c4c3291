"""cnncalc: the numbers of a convolutional network, exact and explained.

>>> from cnncalc import analyze, load_spec_text
>>> report = analyze(load_spec_text("input: 32x32x3\\nlayers: [{kind: conv, filters: 10, kernel: 5, padding: 2}]"))
>>> report.totals.params
760
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnncalc.analysis import analyze
    from cnncalc.conventions import Conventions
    from cnncalc.errors import CnncalcError, ShapeError, SpecError
    from cnncalc.report import LayerRow, Report, Totals
    from cnncalc.spec import Spec, load_spec, load_spec_text

__version__ = "0.1.0"

#: where each public name lives; imported on first use, so `cnncalc --version` loads none of them
_LAZY = {
    "analyze": "cnncalc.analysis",
    "Conventions": "cnncalc.conventions",
    "CnncalcError": "cnncalc.errors",
    "ShapeError": "cnncalc.errors",
    "SpecError": "cnncalc.errors",
    "LayerRow": "cnncalc.report",
    "Report": "cnncalc.report",
    "Totals": "cnncalc.report",
    "Spec": "cnncalc.spec",
    "load_spec": "cnncalc.spec",
    "load_spec_text": "cnncalc.spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
