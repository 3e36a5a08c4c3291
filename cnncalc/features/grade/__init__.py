"""Grading a student's answer sheet against a spec, cell by cell, as a patient teacher would.

1. The rows of the sheet are matched to the layers of the network: by name (any case,
   "CONV1 (f=5, s=1)" is CONV1, "inception (3a)" is inception_3a), else by kind and
   order. Layers a lecture table leaves out (the input, in-place activations, dropout,
   LRN, batch norm) may be missing; one row may stand for a few layers ("convolution 3x3/1"
   of the GoogLeNet table is conv2_reduce and conv2), or for a whole block (an inception
   module), but a row labelled as one layer with two layers' figures merged them.
2. Each cell is read as people write it (cnncalc.features.grade.cells) and is right when the
   true value rounds (or is cut) to it at the precision written; the verdict says which
   rounding was assumed.
3. A wrong cell gets the expected value, the explanation step that gives it
   (cnncalc.features.explain.explanation), and, when the student's figure is what a common mistake gives, the
   mistake by name (cnncalc.features.grade.mistakes), or "carried forward" when the right rule
   was applied to the student's own earlier wrong answer.
4. Rows named Total (or "conv layers", "fully connected layers") are graded against the
   sums; the score is cells right / cells graded, overall and per column.

Everything here is pure; reading files is cnncalc.features.grade.sheet, printing is the command's.

The package, along those steps: labels (what a row's label names), alignment (rows matched
to layers), judging (a cell's verdict: right at its precision by rounding, else the mistake
diagnosis names), results (the records, the score, a class's summary),
grader (the three put together), documents (the JSON of the results); beside them, cells
(a cell as people write it), sheet (reading an answer sheet), mistakes (the common mistakes,
recomputed with the layer rules under the wrong convention), blank (a blank sheet to hand
out) and output (the tables, feedback and CSV files the command prints).
"""

from __future__ import annotations

from cnncalc.features.grade.alignment import Unit, units_of
from cnncalc.features.grade.documents import JSON_SCHEMA_VERSION, class_json, to_json
from cnncalc.features.grade.grader import Grader, grade, template
from cnncalc.features.grade.judging import BLANK
from cnncalc.features.grade.labels import TotalKind, label_kinds, label_names, total_kind
from cnncalc.features.grade.mistakes import CATALOG
from cnncalc.features.grade.results import CellResult, ClassResult, GradeResult, RowResult, Score, Status
from cnncalc.features.grade.rounding import in_unit

__all__ = [
    "BLANK",
    "CATALOG",
    "JSON_SCHEMA_VERSION",
    "CellResult",
    "ClassResult",
    "GradeResult",
    "Grader",
    "RowResult",
    "Score",
    "Status",
    "TotalKind",
    "Unit",
    "class_json",
    "grade",
    "in_unit",
    "label_kinds",
    "label_names",
    "template",
    "to_json",
    "total_kind",
    "units_of",
]
