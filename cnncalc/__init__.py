"""cnncalc: the numbers of a convolutional network, exact and explained.

>>> from cnncalc import analyze, load_spec_text
>>> report = analyze(load_spec_text("input: 32x32x3\\nlayers: [{kind: conv, filters: 10, kernel: 5, padding: 2}]"))
>>> report.totals.params
760
"""

from cnncalc.analysis import analyze
from cnncalc.conventions import Conventions
from cnncalc.errors import CnncalcError, ShapeError, SpecError
from cnncalc.report import LayerRow, Report, Totals
from cnncalc.spec import Spec, load_spec, load_spec_text

__version__ = "0.1.0"

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
