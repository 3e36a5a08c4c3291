"""`cnncalc check` output: a table per spec, JSON, JUnit XML and GitHub workflow commands.

Spec names, file names, layer names and diagnostics come from pull requests: each goes
through the escaping function of the output it lands in (terminal, XML, GitHub's
workflow-command encoding), so none can forge a command, break the XML or colour a log.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from cnncalc.errors import Location
from cnncalc.features.budgets.check import (
    Outcome,
    SpecResult,
    describe,
    describe_layer,
    exit_code,
    format_percent,
    format_value,
    set_in,
    summary_line,
    unit_of,
)
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import github_data, github_line, github_property, terminal, xml_text
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.table import render_grid

COLUMNS = [
    text("Budget"),
    numeric("Actual"),
    numeric("Limit"),
    numeric("Margin", priority=1),
    text("Result"),
    text("Largest layer", priority=2),
    text("Set in", priority=3),
]


def check_lines(results: Sequence[SpecResult], width: int | None) -> list[str]:
    """A table per spec (its budgets, verdicts and where each was set), then the verdict on all."""
    lines: list[str] = []
    for result in results:
        lines += _spec_lines(result, width)
    statuses = [r.status for r in results]
    parts = [f"{statuses.count(s)} {s}" for s in ("ok", "exceeded", "invalid") if statuses.count(s)]
    lines.append(f"cnncalc check: {len(results)} spec(s): {', '.join(parts)}")
    return lines


def _spec_lines(result: SpecResult, width: int | None) -> list[str]:
    if not result.outcomes:
        return [terminal(summary_line(result))]
    title = f"{result.spec}" + (f" ({result.name})" if result.name and result.name not in result.spec else "")
    rows: list[list[Cell]] = []
    for o in result.outcomes:
        unit = unit_of(o.limit.key)
        failed = "MISMATCH" if o.limit.key == "output_shape" else "EXCEEDED"
        rows.append(
            [
                o.limit.key,
                format_value(o.actual, unit),
                format_value(o.limit.value, unit),
                format_percent(o.margin_fraction),
                "ok" if o.ok else failed,
                o.layer or "",
                set_in(o.limit),
            ]
        )
    lines = render_grid(Grid(COLUMNS, rows, title=title), width)
    excess = [f"  {e.location or result.spec}: {describe_layer(o, e)}" for o in result.outcomes for e in o.excess]
    return lines + [terminal(line) for line in [*excess, summary_line(result)]]


def check_json(results: Sequence[SpecResult]) -> dict[str, Any]:
    """The `check --format json` document: exact ints, one entry per spec and per budget."""
    return {
        "exit_code": exit_code(results),
        "specs": [
            {
                "spec": r.spec,
                "name": r.name,
                "status": r.status,
                "budgets": [_outcome_json(o) for o in r.outcomes],
                "errors": [{"message": d.message, "location": _where(d.location), "hint": d.hint} for d in r.errors],
            }
            for r in results
        ],
    }


def _outcome_json(o: Outcome) -> dict[str, Any]:
    fraction = o.margin_fraction
    return {
        "budget": o.limit.key,
        "ok": o.ok,
        "actual": list(o.actual) if isinstance(o.actual, tuple) else o.actual,
        "limit": list(o.limit.value) if isinstance(o.limit.value, tuple) else o.limit.value,
        "unit": unit_of(o.limit.key),
        "margin": o.margin,
        "margin_percent": None if fraction is None else round(float(100 * fraction), 2),
        "origin": o.limit.origin,
        "location": _where(o.limit.location),
        "largest_layer": o.layer,
        "layers_over": [{"name": e.name, "actual": e.actual, "location": _where(e.location)} for e in o.excess],
    }


def _where(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.source, "line": location.line, "column": location.column}


def _element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    """A child element; every attribute value made valid XML 1.0 (the writer escapes the rest)."""
    return ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})


def check_junit(results: Sequence[SpecResult]) -> str:
    """JUnit XML as CI dashboards read it: a suite per spec, a test case for its validity and per budget."""
    root = ET.Element("testsuites", name="cnncalc check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for r in results:
        suite = _element(root, "testsuite", name=r.spec)
        valid = _element(suite, "testcase", classname=r.spec, name="spec is valid", file=r.spec)
        counts = {"tests": 1 + len(r.outcomes), "failures": 0, "errors": 1 if r.errors else 0}
        if r.errors:
            error = _element(valid, "error", type="InvalidSpec", message=r.errors[0].message)
            error.text = xml_text("\n".join(d.render() for d in r.errors))
        for o in r.outcomes:
            name = o.limit.key if o.limit.origin == "spec" else f"{o.limit.key} ({o.limit.origin})"
            file = o.limit.location.source if o.limit.location else r.spec
            case = _element(suite, "testcase", classname=r.spec, name=name, file=file)
            if o.limit.location:
                case.set("line", str(o.limit.location.line))
            if not o.ok:
                counts["failures"] += 1
                failure = _element(case, "failure", type="BudgetExceeded", message=describe(o))
                over = [f"{e.location}: {describe_layer(o, e)}" for e in o.excess]
                failure.text = xml_text("\n".join([f"set in {set_in(o.limit)}", *over]))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def check_github(results: Sequence[SpecResult]) -> list[str]:
    """GitHub workflow commands: an `::error` per exceeded budget, at the budget's line in the spec
    (or in the budgets file), or at the offending layer's line for per-layer limits; an `::error`
    per diagnostic of an invalid spec; then one plain summary line per spec (never a command)."""
    lines: list[str] = []
    for r in results:
        for d in r.errors:
            lines.append(annotation(d.message, d.location, r.spec, "cnncalc: invalid spec"))
        for o in r.outcomes:
            if o.ok:
                continue
            title = f"cnncalc budget {o.limit.key}"
            if o.excess:
                lines += [annotation(describe_layer(o, e), e.location, r.spec, title) for e in o.excess]
            else:
                lines.append(annotation(f"{r.spec}: {describe(o)}", o.limit.location, r.spec, title))
        lines.append(github_line(summary_line(r)))
    return lines


def annotation(message: str, location: Location | None, fallback_file: str, title: str) -> str:
    """`::error file=F,line=L,title=T::message`, escaped as GitHub's workflow commands require."""
    properties = [f"file={github_property(location.source if location else fallback_file)}"]
    if location:
        properties.append(f"line={location.line}")
    properties.append(f"title={github_property(title)}")
    return f"::error {','.join(properties)}::{github_data(message)}"


#: `check`'s formats
WRITERS: Writers[Sequence[SpecResult]] = Writers(
    {
        OutputFormat.table: lambda results, width: joined_lines(check_lines(results, width)),
        OutputFormat.json: lambda results, width: json_parts(check_json(results)),
        OutputFormat.junit: lambda results, width: check_junit(results),
        OutputFormat.github: lambda results, width: joined_lines(check_github(results)),
    }
)


__all__ = ["WRITERS", "annotation", "check_github", "check_json", "check_junit", "check_lines"]
