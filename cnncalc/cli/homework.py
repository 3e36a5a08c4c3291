"""`cnncalc explain` (every number step by step) and `cnncalc grade` (answer sheets).

Thin: options are parsed here, the work is cnncalc.homework.explain and cnncalc.homework.grade, and this
module only prints (rich in a terminal, Markdown or JSON for pasting and for machines).
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli.common import (
    BatchOverride,
    DtypeOption,
    DtypeOverride,
    InputOverride,
    KerasBnOption,
    NoBiasOption,
    handles_errors,
    load_any,
    override,
    stdout_console,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from cnncalc.errors import Diagnostic
    from cnncalc.homework.explain import Explanation
    from cnncalc.homework.grade import ClassResult, Grader, GradeResult
    from cnncalc.homework.sheet import Column, SheetFormat


class ExplainFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


class GradeFormat(StrEnum):
    text = "text"
    json = "json"


#: the files of a folder that are answer sheets
SHEET_SUFFIXES = (".csv", ".tsv", ".md", ".markdown", ".yaml", ".yml", ".json", ".txt")


def register(app: typer.Typer) -> None:
    """Add `explain` and `grade` to the app."""
    app.command("explain")(handles_errors(explain_command))
    app.command("grade")(handles_errors(grade_command))


# --- explain -----------------------------------------------------------------------------------


def explain_command(
    spec: Annotated[
        str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")
    ] = None,
    dsl: Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")] = None,
    layer: Annotated[
        str | None, typer.Option("--layer", "-l", help="Only this layer (or every layer of this block).")
    ] = None,
    fmt: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = ExplainFormat.text,
    latex: Annotated[bool, typer.Option("--latex", help="Markdown with LaTeX math ($...$) for the formulas.")] = False,
    no_bias: NoBiasOption = False,
    dtype: DtypeOverride = None,
    batch: BatchOverride = None,
    input_shape: InputOverride = None,
    keras_bn: KerasBnOption = False,
) -> None:
    """Every number of a network step by step: the lecture's formulas with the numbers filled in.

    Output size (n + 2p - f)/s + 1 (with the floor and the pixels dropped when the stride
    does not tile), parameters ((f*f*c_in)+1)*k and (p*c)+c, activation size and memory,
    MACs, and the totals as the sums they are; the same numbers as `summarize`.

    Examples:

        cnncalc explain lenet5

        cnncalc explain exercise-valid --format markdown > homework.md

        cnncalc explain alexnet --layer conv2 --format markdown --latex
    """
    from cnncalc.conventions import Conventions
    from cnncalc.homework.explain import explain, select, to_json, to_markdown

    loaded = load_any(spec, dsl)
    loaded = override(loaded, dtype.value if dtype else None, batch, input_shape, None)
    explanation = explain(loaded, Conventions(bias=not no_bias, bn_running_stats=keras_bn))
    if layer is not None:
        explanation = select(explanation, layer)
    if fmt is ExplainFormat.json:
        typer.echo(json.dumps(to_json(explanation), indent=2))
    elif fmt is ExplainFormat.markdown or latex:
        typer.echo(to_markdown(explanation, latex=latex), nl=False)
    else:
        render_explanation(explanation, stdout_console())


def render_explanation(explanation: Explanation, console: Console) -> None:
    """The steps in the terminal: a heading per layer, a line per number."""
    from rich.text import Text

    from cnncalc.homework.explain import display_lines, heading, total_lines

    report = explanation.report
    shape = "x".join(map(str, report.shown(report.input_shape)))
    console.print(
        Text(
            f"{report.name}: every number, step by step (input {shape} {report.layout.upper()}, "
            f"{report.dtype}, batch {report.batch})",
            style="bold",
        )
    )
    for layer in explanation.layers:
        console.print()
        console.print(Text(f"{layer.row.index}. {heading(layer, report)}", style="bold cyan"))
        _print_lines(console, [(ln.label, ln.text(), ln.note) for ln in display_lines(layer, report)])
        for warning in layer.warnings:
            if "does not tile" not in warning:
                console.print(Text(f"  warning: {warning}", style="yellow"), soft_wrap=True)
    if explanation.totals:
        console.print()
        console.print(Text("Totals", style="bold cyan"))
        _print_lines(console, [(ln.label, ln.text(), ln.note) for ln in total_lines(explanation)])
    console.print()
    console.print(Text(report.conventions.footer(), style="dim"), soft_wrap=True)


def _print_lines(console: Console, lines: list[tuple[str, str, str]]) -> None:
    """Label, 'formula = expression = value' and the note, the labels in one column."""
    from rich.text import Text

    width = max((len(label) for label, _, _ in lines), default=0)
    for label, text, note in lines:
        line = Text(f"  {label.ljust(width)}  ", style="green") + Text(text)
        if note:
            line.append(f"  ({note})", style="dim")
        console.print(line, soft_wrap=True)


# --- grade -------------------------------------------------------------------------------------


def grade_command(
    spec: Annotated[str, typer.Argument(help="The network the sheets answer: a spec file or a bundled name.")],
    answers: Annotated[
        str | None,
        typer.Argument(help="A student's sheet (CSV, TSV, Markdown table or YAML), or a folder of sheets."),
    ] = None,
    template: Annotated[
        bool, typer.Option("--template", help="Write a blank answer sheet for SPEC instead of grading.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="With --template: the file to write (.csv, .md or .yaml)."),
    ] = None,
    columns: Annotated[
        str, typer.Option("--columns", help="With --template: the answer columns, of shape,size,params,macs,memory.")
    ] = "shape,size,params",
    fmt: Annotated[GradeFormat, typer.Option("--format", "-f", help="text, or json for a learning platform.")] = (
        GradeFormat.text
    ),
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write the scores, one row per student, to this CSV file.")
    ] = None,
    no_bias: Annotated[
        bool, typer.Option("--no-bias", help="The sheet counts weights only (as slides that omit biases).")
    ] = False,
    dtype: Annotated[DtypeOption | None, typer.Option(help="Element type for memory (overrides the spec).")] = None,
    keras_bn: KerasBnOption = False,
) -> None:
    """Grade a student's answer sheet (or a folder of them) cell by cell against SPEC.

    Each cell is right (at the precision written: "6.3K", "35K", "138 million"; K = 1000 or
    1024) or wrong with the expected value, the step that gives it and the mistake when it
    is a common one. Exit 0 when every cell is right, 1 otherwise.

    Examples:

        cnncalc grade lenet5 alice.csv

        cnncalc grade lenet5 sheets/ --csv scores.csv

        cnncalc grade --template exercise-valid -o sheet.md
    """
    from cnncalc.conventions import Conventions
    from cnncalc.errors import SpecError
    from cnncalc.homework.grade import Grader
    from cnncalc.homework.grade import template as blank

    loaded = load_any(spec, None)
    loaded = override(loaded, dtype.value if dtype else None, None, None, None)
    if template:
        wanted = _columns(columns)
        suffix = output.suffix.lower() if output else ""
        sheet_fmt: SheetFormat = "csv"
        if suffix in (".md", ".markdown", ".yaml", ".yml"):
            sheet_fmt = "markdown" if suffix.startswith(".m") else "yaml"
        text = blank(loaded, wanted, sheet_fmt)
        if output is None:
            typer.echo(text, nl=False)
        else:
            write_file(output, text)
            typer.echo(f"wrote a blank sheet for {loaded.name} to {output}", err=True)
        return
    if answers is None:
        raise SpecError.single(
            "no answer sheet given", hint=f"`cnncalc grade {spec} SHEET` or a folder; `--template` writes a blank one"
        )
    grader = Grader(loaded, Conventions(bias=not no_bias, bn_running_stats=keras_bn))
    path = Path(answers)
    if os.path.isdir(path):  # noqa: PTH112 (False, not an error, for a name too long to be a path)
        _grade_folder(grader, path, fmt, csv_path)
        return
    from cnncalc.homework.grade import ClassResult, scores_csv, to_json
    from cnncalc.homework.sheet import read_sheet

    result = grader.grade(read_sheet(path))
    if csv_path is not None:
        write_file(csv_path, scores_csv(ClassResult(result.spec, (result,), ())))
    if fmt is GradeFormat.json:
        typer.echo(json.dumps(to_json(result), indent=2))
    else:
        render_result(result, stdout_console())
    raise typer.Exit(0 if result.all_right else 1)


def write_file(path: Path, text: str) -> None:
    """Write an output file; a path that cannot be written is the user's to fix (exit 2)."""
    from cnncalc.errors import SpecError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise SpecError.single(f"{path}: cannot write: {e.strerror}") from None


def _columns(text: str) -> list[Column]:
    from cnncalc.errors import SpecError
    from cnncalc.homework.sheet import COLUMNS

    wanted: list[Column] = []
    bad: list[str] = []
    for name in (c.strip().lower() for c in text.split(",") if c.strip()):
        column = next((c for c in COLUMNS if c == name), None)
        if column is None:
            bad.append(name)
        else:
            wanted.append(column)
    if bad or not wanted:
        raise SpecError.single(
            f"--columns: unknown column(s) {', '.join(bad) or '(none)'}", hint=f"of {', '.join(COLUMNS)}"
        )
    return wanted


def _grade_folder(grader: Grader, folder: Path, fmt: GradeFormat, csv_path: Path | None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.text import Text

    from cnncalc.errors import CnncalcError, SpecError
    from cnncalc.homework.grade import ClassResult, class_json, scores_csv
    from cnncalc.homework.sheet import read_sheet

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SHEET_SUFFIXES)
    if not files:
        raise SpecError.single(f"{folder}: no answer sheets ({', '.join(SHEET_SUFFIXES)}) in this folder")
    errors = Console(stderr=True, no_color="NO_COLOR" in os.environ, highlight=False)
    results: list[GradeResult] = []
    unreadable: list[tuple[str, str]] = []
    with Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(files))
        for file in files:
            progress.update(task, description=file.name)
            try:
                results.append(grader.grade(read_sheet(file)))
            except CnncalcError as e:
                message = "; ".join(_plain(d) for d in e.diagnostics)
                unreadable.append((str(file), message))
                errors.print(Text(f"{message} (skipped)", style="red"), soft_wrap=True)
            except (ValueError, RecursionError) as e:  # a sheet no rule foresaw: never the end of the run
                if os.environ.get("CNNCALC_DEBUG"):
                    raise
                unreadable.append((str(file), f"{file}: could not grade: {e}"))
                errors.print(Text(f"{file}: could not grade: {e} (skipped)", style="red"), soft_wrap=True)
            progress.advance(task)
    graded = ClassResult(grader.report.name, tuple(results), tuple(unreadable))
    if csv_path is not None:
        write_file(csv_path, scores_csv(graded))
    if fmt is GradeFormat.json:
        typer.echo(json.dumps(class_json(graded), indent=2))
    else:
        render_class(graded, stdout_console())
    if not results:
        raise typer.Exit(2)
    raise typer.Exit(0 if not unreadable and all(r.all_right for r in results) else 1)


def _plain(diagnostic: Diagnostic) -> str:
    """A diagnostic on one line, for a CSV cell and the summary: 'file:3:1: message (hint: ...)'."""
    where = f"{diagnostic.location}: " if diagnostic.location else ""
    hint = f" (hint: {diagnostic.hint})" if diagnostic.hint else ""
    return f"{where}{diagnostic.message}{hint}"


def _sheets(n: int) -> str:
    return f"{n} sheet{'s' if n != 1 else ''}"


def _mark(right: bool) -> Text:
    from rich.text import Text

    return Text("\u2713", style="green") if right else Text("\u2717", style="bold red")


def render_result(result: GradeResult, console: Console) -> None:
    """One sheet: the table as written with a mark per cell, then what is wrong and why."""
    from rich.table import Table
    from rich.text import Text

    from cnncalc.homework.grade import CATALOG
    from cnncalc.homework.sheet import TITLES

    console.print(Text(f"{result.path}: {result.student}, graded against {result.spec}", style="bold"), soft_wrap=True)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("Line", justify="right", style="dim")
    table.add_column("Layer")
    for column in result.columns:
        table.add_column(TITLES[column], overflow="fold")
    for row in result.rows:
        by_column = {cell.column: cell for cell in row.cells}
        cells: list[Text | str] = []
        for column in result.columns:
            cell = by_column.get(column)
            cells.append(Text.assemble(_mark(cell.right), " ", cell.written) if cell else "")
        table.add_row(str(row.line), row.label, *cells)
    console.print(table)
    wrong = [(row, cell) for row, cell in result.cells() if not cell.right]
    if wrong:
        console.print(Text("Wrong:", style="bold red"))
        for row, cell in wrong:
            console.print(
                Text(f"  line {row.line}, {row.label}, {cell.column} '{cell.written}': ", style="bold")
                + Text(cell.verdict()),
                soft_wrap=True,
            )
    quiet = ("", "exact", "size-1 axes ignored", "blank read as 0")
    rounded = [(row, cell) for row, cell in result.cells() if cell.right and cell.how not in quiet]
    if rounded:
        console.print(Text("Right, as read:", style="bold green"))
        for row, cell in rounded:
            console.print(
                Text(f"  line {row.line}, {row.label}, {cell.column} '{cell.written}': {cell.how}"), soft_wrap=True
            )
    for label, items in (
        ("Layers with no row", result.missing),
        ("Rows that match no layer", tuple(f"line {n}: {t}" for n, t in result.extra)),
        ("Columns not graded", result.ignored),
    ):
        if items:
            console.print(Text(f"{label}: {', '.join(items)}", style="yellow"), soft_wrap=True)
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"), soft_wrap=True)
    mistakes = ", ".join(f"{CATALOG[m].name} x{n}" for m, n in result.mistakes().most_common())
    verdict = "all right" if result.all_right else "not all right"
    console.print(
        Text(
            f"Score: {result.score.text()}; {verdict}" + (f". Mistakes: {mistakes}" if mistakes else ""), style="bold"
        ),
        soft_wrap=True,
    )


def render_class(results: ClassResult, console: Console) -> None:
    """A folder: one row per student, then the most frequent mistakes of the class."""
    from rich.table import Table
    from rich.text import Text

    from cnncalc.homework.grade import CATALOG
    from cnncalc.homework.sheet import COLUMNS

    columns = [c for c in COLUMNS if any(c in r.columns for r in results.results)]
    table = Table(title=f"{len(results.results)} sheets graded against {results.spec}", title_justify="left")
    table.add_column("Student")
    table.add_column("File", style="dim")
    table.add_column("Score", justify="right")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_column("Mistakes")
    for r in results.results:
        score = r.score
        per = [f"{score.columns[c][0]}/{score.columns[c][1]}" if c in score.columns else "" for c in columns]
        mistakes = ", ".join(f"{CATALOG[m].name} x{n}" for m, n in r.mistakes().most_common())
        style = "green" if r.all_right else ""
        table.add_row(r.student, Path(r.path).name, Text(f"{score.right}/{score.graded}", style=style), *per, mistakes)
    console.print(table)
    right = sum(r.all_right for r in results.results)
    console.print(Text(f"All right: {right} of {_sheets(len(results.results))}", style="bold"))
    frequent = results.mistakes()
    if frequent:
        console.print(Text("Most frequent mistakes:", style="bold"))
        for mistake, cells, sheets in frequent:
            console.print(
                f"  {CATALOG[mistake].name}: {cells} cell{'s' if cells != 1 else ''} on {_sheets(sheets)} "
                f"({CATALOG[mistake].rule})",
                soft_wrap=True,
            )
    hardest = results.hardest()
    if hardest:
        console.print(
            Text("Cells most often wrong: ", style="bold")
            + Text(", ".join(f"{cell} ({_sheets(n)})" for cell, n in hardest)),
            soft_wrap=True,
        )
    for _, message in results.unreadable:
        console.print(Text(f"unreadable, skipped: {message}", style="red"), soft_wrap=True)
