"""A corpus of realistic answer sheets, each with the verdict a careful teacher gives.

The sheets (tests/data/answers/corpus/) come in every format a class hands in: CSV, TSV,
semicolon CSV, Markdown, YAML, JSON, one-line YAML and JSON; right, partial, blank, messy, and
with every mistake `grade` names. Their verdicts (manifest.yaml) were worked from the lecture
arithmetic, cell by cell; this test holds the grader to them: every cell the manifest does not
list must be right, every listed one must have the status and the mistake the teacher gives.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import Grader, GradeResult
from cnncalc.features.grade.cells import Precision
from cnncalc.features.grade.sheet import read_sheet
from cnncalc.spec import load_spec

CORPUS = Path(__file__).resolve().parents[2] / "data" / "answers" / "corpus"
MANIFEST: list[dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
FORMATS = {".csv", ".tsv", ".md", ".yaml", ".json"}


@cache
def grader(spec: str, bias: bool, sig_figs: int, strict: bool) -> Grader:
    path = CORPUS / spec
    loaded = load_spec(str(path) if path.exists() else spec)
    return Grader(loaded, Conventions(bias=bias), Precision(sig_figs=sig_figs, strict=strict))


def graded(entry: dict[str, Any]) -> GradeResult:
    options = entry.get("options") or {}
    grade = grader(entry["spec"], options.get("bias", True), options.get("sig_figs", 2), options.get("strict", False))
    return grade.grade(read_sheet(CORPUS / entry["sheet"]))


def test_the_corpus_is_large_and_every_sheet_has_a_verdict() -> None:
    sheets = {p.name for p in CORPUS.iterdir() if p.suffix in FORMATS} - {"manifest.yaml", "wide.yaml"}
    listed = [entry["sheet"] for entry in MANIFEST]
    assert len(listed) == len(set(listed)) >= 40
    assert sheets == set(listed)
    assert {Path(name).suffix for name in listed} == FORMATS


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["sheet"] for entry in MANIFEST])
def test_each_sheet_gets_the_teachers_verdict(entry: dict[str, Any]) -> None:
    result = graded(entry)
    expected = {(c["row"], c["column"]): c for c in entry.get("cells") or []}
    seen: set[tuple[str, str]] = set()
    for row, cell in result.cells():
        key = (row.label, cell.column)
        seen.add(key)
        want = expected.get(key)
        if want is None:
            assert cell.right, f"{key}: {cell.verdict()}"
            continue
        assert cell.status == want["status"], f"{key}: {cell.verdict()}"
        mistake = want.get("mistake")
        if mistake is None:
            assert cell.mistakes == (), f"{key}: {cell.verdict()}"
        else:
            assert mistake in cell.mistakes, f"{key}: {cell.verdict()}"
            assert "wrong_padding" not in cell.mistakes or mistake == "wrong_padding", f"{key}: {cell.verdict()}"
    assert set(expected) <= seen, f"cells the teacher marks that were not graded: {set(expected) - seen}"
    if "missing" in entry:
        assert list(result.missing) == entry["missing"]
    assert [label for _, label in result.extra] == entry.get("extra", [])
    assert result.all_right is entry["all_right"]
