"""Grading results as data for other programs: JSON for a learning-management system, a class's CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from cnncalc.homework.grade.results import ClassResult, GradeResult
from cnncalc.homework.mistakes import CATALOG
from cnncalc.homework.sheet import COLUMNS

JSON_SCHEMA_VERSION = 1


def to_json(result: GradeResult) -> dict[str, Any]:
    """The grading for a learning-management system: exact integers, one entry per cell."""
    score = result.score
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "spec": result.spec,
        "student": result.student,
        "file": result.path,
        "all_right": result.all_right,
        "score": {
            "right": score.right,
            "graded": score.graded,
            "columns": {c: {"right": r, "graded": g} for c, (r, g) in score.columns.items()},
        },
        "rows": [
            {
                "line": row.line,
                "label": row.label,
                "layers": list(row.layers),
                "total": row.total,
                "cells": [
                    {
                        "column": cell.column,
                        "written": cell.written,
                        "status": cell.status,
                        "right": cell.right,
                        "expected": cell.expected,
                        "expected_value": (
                            list(cell.expected_value) if isinstance(cell.expected_value, tuple) else cell.expected_value
                        ),
                        "how": cell.how,
                        "mistakes": list(cell.mistakes),
                        "mistake_names": [CATALOG[m].name for m in cell.mistakes],
                        "detail": cell.detail,
                        "explanation": cell.step,
                        "verdict": cell.verdict(),
                    }
                    for cell in row.cells
                ],
            }
            for row in result.rows
        ],
        "missing": list(result.missing),
        "missing_with_params": list(result.missing_with_params),
        "extra_rows": [{"line": line, "label": label} for line, label in result.extra],
        "ignored_columns": list(result.ignored),
        "mistakes": dict(result.mistakes()),
        "notes": list(result.notes),
        "conventions": result.conventions,
    }


SCORE_COLUMNS = ["student", "file", "right", "graded", "percent", "all_right"]


def scores_csv(results: ClassResult) -> str:
    """One row per student: the score, per column, the mistakes; unreadable sheets with their error."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [c for c in COLUMNS if any(c in r.columns for r in results.results)]
    writer.writerow([*SCORE_COLUMNS, *(f"{c}_right" for c in columns), "missing", "mistakes", "error"])
    for r in results.results:
        score = r.score
        per = [f"{score.columns[c][0]}/{score.columns[c][1]}" if c in score.columns else "" for c in columns]
        percent = f"{100 * score.right / score.graded:.1f}" if score.graded else ""
        mistakes = "; ".join(f"{CATALOG[m].name} x{n}" for m, n in r.mistakes().most_common())
        row = [r.student, r.path, score.right, score.graded, percent, "yes" if r.all_right else "no"]
        writer.writerow([*row, *per, "; ".join(r.missing), mistakes, ""])
    for path, message in results.unreadable:
        writer.writerow(["", path, "", "", "", "", *[""] * len(columns), "", "", message])
    return out.getvalue()


def class_json(results: ClassResult) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "spec": results.spec,
        "sheets": [to_json(r) for r in results.results],
        "unreadable": [{"file": path, "error": message} for path, message in results.unreadable],
        "summary": {
            "sheets": len(results.results),
            "all_right": sum(r.all_right for r in results.results),
            "mistakes": [
                {"mistake": m, "name": CATALOG[m].name, "cells": cells, "sheets": sheets}
                for m, cells, sheets in results.mistakes()
            ],
            "hardest_cells": [{"cell": cell, "sheets": n} for cell, n in results.hardest()],
        },
    }


__all__ = ["JSON_SCHEMA_VERSION", "SCORE_COLUMNS", "class_json", "scores_csv", "to_json"]
