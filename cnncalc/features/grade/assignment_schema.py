"""The JSON Schema of an assignment file, made from the same constants its reader checks.

`cnncalc schema assignment` prints it; cnncalc/schema/assignment.schema.json ships it
(tests/features/grade/test_assignment_file.py keeps the two equal and runs both the schema
and cnncalc's own reader on the same good and bad files).
"""

from __future__ import annotations

import json
from typing import Any

from cnncalc.features.grade.assignment import FORMAT_KEY, MAX_POINTS, MAX_QUESTIONS, MAX_SIG_FIGS
from cnncalc.features.grade.cells import AMBIGUOUS, KILO, MEGABYTE
from cnncalc.features.grade.sheet import COLUMNS


def assignment_schema() -> dict[str, Any]:
    """The schema: every key the reader knows, nothing else (an unknown key is a typo)."""
    points: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": MAX_POINTS}
    column_list: dict[str, Any] = {"type": ["array", "null"], "items": {"enum": list(COLUMNS)}}
    properties: dict[str, Any] = {
        FORMAT_KEY: {"const": 1, "description": "The version of the assignment format."},
        "title": {
            "type": ["string", "number"],
            "description": "The assignment's name: the score line and the gradebook's columns (default: the file's).",
        },
        "network": {
            "type": "string",
            "pattern": "\\S",
            "description": "A bundled network (lenet5) or a spec file, relative to the assignment's folder.",
        },
        "conventions": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "description": "How the course counts, and what its prefixes mean.",
            "properties": {
                "bias": {"type": "boolean", "description": "Biases counted in params (false: weights only)."},
                "k": {
                    "enum": [*KILO, 1000, 1024],
                    "description": "K, M, G in a count: powers of 1000, of 1024, or either.",
                },
                "mb": {
                    "enum": list(MEGABYTE),
                    "description": "kB, MB, GB of memory: MB (10^6 bytes), MiB (2^20) or either.",
                },
            },
        },
        "precision": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "description": "How precise a rounded answer must be.",
            "properties": {
                "sig_figs": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_SIG_FIGS,
                    "description": "Significant figures a rounded answer keeps at least.",
                },
                "strict": {"type": "boolean", "description": "Only numbers written in full are right."},
                "ambiguous": {
                    "enum": list(AMBIGUOUS),
                    "description": "A rounding a known mistake also gives: flag (not counted), right or wrong.",
                },
            },
        },
        "columns": {**column_list, "description": "The columns asked of each row."},
        "points": {**points, "description": "Points per cell."},
        "column_points": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": dict.fromkeys(COLUMNS, points),
            "description": "Points per cell of a column, over `points`.",
        },
        "carried_forward": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Share of a cell's points when it is worked right from the student's own wrong answer.",
        },
        "rows": {
            "type": ["array", "null"],
            "items": {"type": ["string", "integer"], "pattern": "\\S"},
            "maxItems": MAX_QUESTIONS,
            "description": "The rows asked: the network's layer names ([] with totals only).",
        },
        "total": {**column_list, "description": "The Total row's cells asked."},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cnncalc assignment",
        "description": "What answer sheets are asked of a network, how answers are read, and the points "
        "(`cnncalc assign NETWORK -o hw1.yaml` writes one; docs/homework.md describes every field).",
        "type": "object",
        "required": [FORMAT_KEY, "network"],
        "additionalProperties": False,
        "properties": properties,
    }


def assignment_schema_text() -> str:
    """The schema as `cnncalc schema assignment` prints it and the shipped file holds it."""
    return json.dumps(assignment_schema(), indent=2, ensure_ascii=False) + "\n"


__all__ = ["assignment_schema", "assignment_schema_text"]
