"""Grading a student's answer sheet against a spec, cell by cell, as a patient teacher would.

1. The rows of the sheet are matched to the layers of the network: by name (any case,
   "CONV1 (f=5, s=1)" is CONV1, "inception (3a)" is inception_3a), else by kind and
   order. Layers a lecture table leaves out (the input, in-place activations, dropout,
   LRN) may be missing; one row may stand for a few layers ("convolution 3x3/1" of the
   GoogLeNet table is conv2_reduce and conv2), or for a whole block (an inception module).
2. Each cell is read as people write it (cnncalc.homework.cells) and is right when the
   true value rounds (or is cut) to it at the precision written; the verdict says which
   rounding was assumed.
3. A wrong cell gets the expected value, the explanation step that gives it
   (cnncalc.homework.explain), and, when the student's figure is what a common mistake gives, the
   mistake by name (cnncalc.homework.mistakes), or "carried forward" when the right rule
   was applied to the student's own earlier wrong answer.
4. Rows named Total (or "conv layers", "fully connected layers") are graded against the
   sums; the score is cells right / cells graded, overall and per column.

Everything here is pure; reading files is cnncalc.homework.sheet, printing is the command's.

The package, along those steps: labels (what a row's label names), alignment (rows matched
to layers), judging (a cell's verdict), results (the records, the score, a class's summary),
grader (the three put together), output (JSON and CSV of the results).
"""

from __future__ import annotations

from cnncalc.homework.grade.alignment import Unit, units_of
from cnncalc.homework.grade.grader import Grader, grade, template
from cnncalc.homework.grade.judging import BLANK, in_unit
from cnncalc.homework.grade.labels import TotalKind, label_kinds, label_names, total_kind
from cnncalc.homework.grade.output import JSON_SCHEMA_VERSION, class_json, scores_csv, to_json
from cnncalc.homework.grade.results import CellResult, ClassResult, GradeResult, RowResult, Score, Status
from cnncalc.homework.mistakes import CATALOG

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
    "scores_csv",
    "template",
    "to_json",
    "total_kind",
    "units_of",
]
