"""Grading results as data for other programs: JSON for a learning-management system, a class's CSV."""

from __future__ import annotations

from typing import Any

from cnncalc.features.grade.mistakes import CATALOG
from cnncalc.features.grade.results import ClassResult, GradeResult
from cnncalc.render.envelope import SCHEMA_VERSION as JSON_SCHEMA_VERSION


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
            "missing": score.missing,
            "ambiguous": score.ambiguous,
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


def class_json(results: ClassResult) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "spec": results.spec,
        "sheets": [to_json(r) for r in results.results],
        "unreadable": [{"file": path, "error": message} for path, message in results.unreadable],
        "questions": results.questions(),
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


__all__ = ["JSON_SCHEMA_VERSION", "class_json", "to_json"]
