"""`cnncalc grade`: answer sheets graded cell by cell against a network.

Thin: options are parsed here, the work is cnncalc.features.grade, the output cnncalc.features.grade.output.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import counting, echo_error, echo_json, echo_lines, handles_errors
from cnncalc.cli.files import check_output, os_error_message, write_text_safely
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.errors import Diagnostic
    from cnncalc.features.grade import ClassResult, Grader, GradeResult
    from cnncalc.features.grade.sheet import Column, SheetFormat

FORMATS = (OutputFormat.text, OutputFormat.json)


#: the files of a folder that are answer sheets
SHEET_SUFFIXES = (".csv", ".tsv", ".md", ".markdown", ".yaml", ".yml", ".json", ".txt")


# --- grade -------------------------------------------------------------------------------------


@handles_errors
def grade(
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
    fmt: Annotated[
        OutputFormat, options.format_option(*FORMATS, help="json for a learning platform.")
    ] = OutputFormat.text,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write the scores, one row per student, to this CSV file.")
    ] = None,
    no_bias: Annotated[
        bool, typer.Option("--no-bias", help="The sheet counts weights only (as slides that omit biases).")
    ] = False,
    dtype: Annotated[
        options.DtypeOption | None, typer.Option(help="Element type for memory (overrides the spec).")
    ] = None,
    keras_bn: options.KerasBn = False,
    sig_figs: Annotated[
        int,
        typer.Option(
            "--sig-figs", min=1, max=12, help="Significant figures a rounded answer keeps at least (2: 3.7M, not 4M)."
        ),
    ] = 2,
    strict: Annotated[bool, typer.Option("--strict", help="Only exact integers are right, no rounding.")] = False,
    gradebook: Annotated[
        Path | None,
        typer.Option("--gradebook", help="Write a gradebook CSV: one row per student, one column per question."),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option("--feedback", help="Write one Markdown feedback file per student into this folder."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the files of --csv, --gradebook, --feedback or --output.")
    ] = False,
) -> None:
    """Grade a student's answer sheet (or a folder of them) cell by cell against SPEC.

    Each cell is right (a number in full exactly; a rounded one at the precision written,
    with at least --sig-figs figures: "6.3K", "35K", "138 million"; K = 1000 or 1024) or
    wrong with the expected value, the step that gives it and the mistake when it
    is a common one. Exit 0 when every cell is right, 1 otherwise.

    Files written (--csv, --gradebook, --feedback, --output) never replace an input of the
    run, are never written through a symbolic link, and replace an existing file only with
    --force; all are checked before any is written, so a refusal leaves none behind. In a
    folder of sheets, symbolic links (to files or folders, inside or out) are never followed:
    each is skipped with a note.

    Examples:

        cnncalc grade lenet5 alice.csv

        cnncalc grade lenet5 sheets/ --csv scores.csv

        cnncalc grade --template exercise-valid -o sheet.md
    """
    from cnncalc.errors import SpecError
    from cnncalc.features.grade import Grader
    from cnncalc.features.grade import template as blank

    inputs = [Path(spec), *([Path(answers)] if answers is not None else [])]
    # refuse a bad output path before any work, and again (atomically) when writing
    if template and output is not None:
        check_output(output, "--output", inputs, force)
    if not template:
        for option, chosen in (("--csv", csv_path), ("--gradebook", gradebook)):
            if chosen is not None:
                check_output(chosen, option, inputs, force)
        if feedback is not None:
            _check_feedback_folder(feedback)
    loaded = options.NetworkArgs(spec, dtype=dtype).load()
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
            write_text_safely(output, text, "--output", inputs, force)
            echo_error(f"wrote a blank sheet for {loaded.name} to {output}")
        return
    if answers is None:
        raise SpecError.single(
            "no answer sheet given", hint=f"`cnncalc grade {spec} SHEET` or a folder; `--template` writes a blank one"
        )
    path = Path(answers)
    from cnncalc.features.grade.cells import Precision

    grader = Grader(loaded, counting(no_bias, keras_bn), Precision(sig_figs=sig_figs, strict=strict))
    outputs = Outputs(csv_path, gradebook, feedback, force)
    if path.is_dir():
        _grade_folder(grader, path, fmt, outputs, inputs)
        return
    from cnncalc.features.grade import ClassResult, to_json
    from cnncalc.features.grade.output import result_lines
    from cnncalc.features.grade.sheet import read_sheet
    from cnncalc.render.table import terminal_width

    result = grader.grade(read_sheet(path))
    outputs.write(ClassResult(result.spec, (result,), (), grader.order()), inputs)
    if fmt is OutputFormat.json:
        echo_json(to_json(result))
    else:
        echo_lines(result_lines(result, terminal_width()))
    raise typer.Exit(0 if result.all_right else 1)


def _columns(text: str) -> list[Column]:
    from cnncalc.errors import SpecError
    from cnncalc.features.grade.sheet import COLUMNS

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


@dataclass(frozen=True)
class Outputs:
    """The files a grading run writes besides its report: scores, gradebook, feedback."""

    csv_path: Path | None
    gradebook: Path | None
    feedback: Path | None
    force: bool

    def write(self, graded: ClassResult, inputs: list[Path]) -> None:
        """Every file checked (check_output) before any is written, then each through write_text_safely.

        A run that refuses one target (an existing file without --force, a link, an input, a
        folder in the way, two targets on one path) writes none: a half-written set of
        feedback files would be mistaken for a complete one.
        """
        from cnncalc.errors import SpecError
        from cnncalc.features.grade.output import feedback_markdown, gradebook_csv, scores_csv

        targets: list[tuple[Path, str, str]] = []  # (path, text, option)
        if self.csv_path is not None:
            targets.append((self.csv_path, scores_csv(graded), "--csv"))
        if self.gradebook is not None:
            targets.append((self.gradebook, gradebook_csv(graded), "--gradebook"))
        if self.feedback is not None:
            _check_feedback_folder(self.feedback)
            names: set[str] = set()
            for result in graded.results:
                name = _feedback_name(Path(result.path), names)
                targets.append((self.feedback / name, feedback_markdown(result), "--feedback"))
        seen: dict[Path, str] = {}
        for path, _, option in targets:
            check_output(path, option, inputs, self.force)
            where = path.resolve()
            if where in seen:
                raise SpecError.single(
                    f"{option} {path}: is also the file of {seen[where]}", hint="give each output its own path"
                )
            seen[where] = option
        if self.feedback is not None:
            try:
                self.feedback.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise SpecError.single(
                    os_error_message(e, "--feedback"), hint="give a folder (created if missing) for the feedback files"
                ) from None
        for path, text, option in targets:
            write_text_safely(path, text, option, inputs, self.force)
        if self.feedback is not None:
            echo_error(f"wrote {len(graded.results)} feedback file(s) to {self.feedback}")


def _feedback_name(sheet: Path, taken: set[str]) -> str:
    """'bob.csv' -> 'bob.feedback.md', unique in the folder (bob.csv and bob.md both graded)."""
    base = f"{sheet.stem}.feedback"
    name, n = f"{base}.md", 2
    while name in taken:
        name, n = f"{base}-{n}.md", n + 1
    taken.add(name)
    return name


def _check_feedback_folder(folder: Path) -> None:
    from cnncalc.errors import SpecError

    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise SpecError.single(
            f"--feedback: {folder} is not a folder", hint="give a folder (created if missing) for the feedback files"
        )


#: files a teacher finds in a class folder that are not sheets, and what to do with them
_NOT_SHEETS = {
    ".xlsx": "a spreadsheet: save it as CSV",
    ".xls": "a spreadsheet: save it as CSV",
    ".ods": "a spreadsheet: save it as CSV",
    ".numbers": "a spreadsheet: save it as CSV",
    ".docx": "a word-processor document: copy its table into a Markdown or CSV file",
    ".doc": "a word-processor document: copy its table into a Markdown or CSV file",
    ".odt": "a word-processor document: copy its table into a Markdown or CSV file",
    ".pdf": "a PDF: copy its table into a Markdown or CSV file",
}


def _grade_folder(grader: Grader, folder: Path, fmt: OutputFormat, outputs: Outputs, inputs: list[Path]) -> None:
    from cnncalc.errors import CnncalcError, SpecError
    from cnncalc.features.grade import ClassResult, class_json
    from cnncalc.features.grade.output import class_lines
    from cnncalc.features.grade.sheet import read_sheet
    from cnncalc.render.table import terminal_width

    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    for link in (p for p in entries if p.is_symlink()):
        # never followed, inside or out: a link could make a sheet of any file the teacher can read
        echo_error(f"{terminal(str(link))}: a symbolic link; links in a folder of sheets are not followed (skipped)")
    entries = [p for p in entries if not p.is_symlink() and p.is_file()]
    files = [p for p in entries if p.suffix.lower() in SHEET_SUFFIXES]
    unreadable: list[tuple[str, str]] = []
    for other in (p for p in entries if p.suffix.lower() not in SHEET_SUFFIXES):
        why = _NOT_SHEETS.get(other.suffix.lower(), f"not an answer sheet ({', '.join(SHEET_SUFFIXES)})")
        unreadable.append((str(other), f"{other}: {why}"))
    files = [p for p in files if not p.name.endswith(".feedback.md")]  # --feedback's own files
    if not files:
        raise SpecError.single(f"{folder}: no answer sheets ({', '.join(SHEET_SUFFIXES)}) in this folder")
    inputs = [*inputs, *files]
    results: list[GradeResult] = []
    with _progress(len(files)) as advance:
        for file in files:
            try:
                results.append(grader.grade(read_sheet(file)))
            except CnncalcError as e:
                message = "; ".join(_plain(d) for d in e.diagnostics)
                unreadable.append((str(file), message))
                echo_error(f"{message} (skipped)")
            except OSError as e:  # unreadable (permissions, vanished): skip it, grade the others
                message = os_error_message(e, "sheet")
                unreadable.append((str(file), message))
                echo_error(f"{message} (skipped)")
            except (ValueError, RecursionError) as e:  # a sheet no rule foresaw: never the end of the run
                if os.environ.get("CNNCALC_DEBUG"):
                    raise
                unreadable.append((str(file), f"{file}: could not grade: {e}"))
                echo_error(f"{file}: could not grade: {e} (skipped)")
            advance(file.name)
    unreadable.sort()
    graded = ClassResult(grader.report.name, tuple(results), tuple(unreadable), grader.order())
    outputs.write(graded, inputs)
    if fmt is OutputFormat.json:
        echo_json(class_json(graded))
    else:
        echo_lines(class_lines(graded, terminal_width()))
    if not results:
        raise typer.Exit(2)
    raise typer.Exit(0 if not unreadable and all(r.all_right for r in results) else 1)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr while a folder is graded: only on a terminal, no colour under NO_COLOR.

    It shows counts only, never a file name, so nothing from a student reaches the terminal here.
    """
    if not sys.stderr.isatty():
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True, no_color="NO_COLOR" in os.environ, highlight=False)
    with Progress(
        TextColumn("grading"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task("", total=total)

        def advance(name: str) -> None:
            progress.advance(task)

        yield advance


def _plain(diagnostic: Diagnostic) -> str:
    """A diagnostic on one line, for a CSV cell and the summary: 'file:3:1: message (hint: ...)'."""
    where = f"{diagnostic.location}: " if diagnostic.location else ""
    hint = f" (hint: {diagnostic.hint})" if diagnostic.hint else ""
    return f"{where}{diagnostic.message}{hint}"


def register(app: typer.Typer) -> None:
    """Add `grade` to the app."""
    app.command()(grade)
