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
from cnncalc.cli.common import counting, echo_error, echo_text, handles_errors
from cnncalc.cli.files import check_output, os_error_message, write_text_safely
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.core.conventions import Conventions
    from cnncalc.errors import Diagnostic
    from cnncalc.features.grade import ClassResult, Grader, GradeResult
    from cnncalc.features.grade.assignment import Assignment, AssignmentScore
    from cnncalc.features.grade.cells import Precision, Prefixes
    from cnncalc.features.grade.lms import Lms, Student
    from cnncalc.features.grade.sheet import SheetFormat

FORMATS = (OutputFormat.text, OutputFormat.json, OutputFormat.gradescope)


#: the files of a folder that are answer sheets
SHEET_SUFFIXES = (".csv", ".tsv", ".md", ".markdown", ".yaml", ".yml", ".json", ".txt")


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
        OutputFormat,
        options.format_option(
            *FORMATS, help="json for a learning platform; gradescope: the autograder's results.json."
        ),
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
        int | None,
        typer.Option(
            "--sig-figs",
            min=1,
            max=12,
            help="Significant figures a rounded answer keeps at least (2: 3.7M, not 4M; default 2, "
            "or the assignment's, which this overrides).",
        ),
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Only exact integers are right, no rounding (overrides the assignment's precision.strict).",
        ),
    ] = None,
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
    lms: Annotated[
        str | None,
        typer.Option(
            "--lms", help="With --gradebook: numeric points per question and the total for canvas, moodle or plain."
        ),
    ] = None,
    roster: Annotated[
        Path | None,
        typer.Option("--roster", help="A CSV mapping sheet files to students: file, name, and id, SIS ids, section."),
    ] = None,
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

    inputs = [Path(spec), *([Path(answers)] if answers is not None else []), *([roster] if roster else [])]
    assignment = _assignment(spec)
    if assignment is not None:
        spec = assignment.network_path()
        columns = ",".join(assignment.columns) or "params"
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
    if assignment is not None:
        from cnncalc.core.walk import analyze
        from cnncalc.features.grade.assignment import network_rows

        assignment.check_rows(network_rows(analyze(loaded)))
    if template:
        wanted = options.sheet_columns(columns)
        suffix = output.suffix.lower() if output else ""
        sheet_fmt: SheetFormat = "csv"
        if suffix in (".md", ".markdown", ".yaml", ".yml"):
            sheet_fmt = "markdown" if suffix.startswith(".m") else "yaml"
        if assignment is not None:
            from cnncalc.features.grade.blank import blank_sheet

            title = f"{assignment.title} ({loaded.name}): answer sheet"
            text = blank_sheet(assignment.rows, wanted, sheet_fmt, title=title)
        else:
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
    grader = Grader(loaded, *_policy(assignment, no_bias, keras_bn, sig_figs, strict))
    outputs = Outputs(csv_path, gradebook, feedback, force, _lms(lms, gradebook, roster), _roster(roster), assignment)
    if path.is_dir() and fmt is OutputFormat.gradescope:
        raise SpecError.single(
            "--format gradescope grades one sheet: Gradescope runs the autograder once per submission",
            hint=f"`cnncalc grade {spec} SHEET --format gradescope > /autograder/results/results.json`",
        )
    if path.is_dir():
        _grade_folder(grader, path, fmt, outputs, inputs, assignment)
        return
    from cnncalc.features.grade import ClassResult
    from cnncalc.features.grade.output import SHEET_WRITERS, SheetView
    from cnncalc.features.grade.sheet import read_sheet
    from cnncalc.render.table import terminal_width

    result = grader.grade(read_sheet(path))
    outputs.write(ClassResult(result.spec, (result,), (), grader.order()), inputs)
    marks = _marks(assignment, result)
    echo_text(SHEET_WRITERS.write(fmt, SheetView(result, assignment, marks), terminal_width()))
    if fmt is OutputFormat.gradescope:
        raise typer.Exit(0)  # the score is in the file: the autograder must not fail on a wrong answer
    raise typer.Exit(0 if (marks.all_right if marks is not None else result.all_right) else 1)


def _policy(
    assignment: Assignment | None, no_bias: bool, keras_bn: bool, sig_figs: int | None, strict: bool | None
) -> tuple[Conventions, Precision, Prefixes]:
    """The counting conventions, precision policy and prefixes a run grades under: the
    assignment's, each overridden by an option given on the command line, which says so on
    stderr (the file and the run then disagree, and the teacher should know which won)."""
    from dataclasses import replace

    from cnncalc.features.grade.cells import Precision, Prefixes

    if assignment is None:
        return counting(no_bias, keras_bn), Precision(sig_figs=sig_figs or 2, strict=bool(strict)), Prefixes()
    mine = assignment.precision
    where = f"the assignment's ({terminal(assignment.path)})"
    if sig_figs is not None and sig_figs != mine.sig_figs:
        echo_error(f"note: --sig-figs {sig_figs} overrides {where} precision.sig_figs: {mine.sig_figs}")
    if strict is not None and strict != mine.strict:
        option = "--strict" if strict else "--no-strict"
        echo_error(f"note: {option} overrides {where} precision.strict: {str(mine.strict).lower()}")
    if no_bias and assignment.conventions.bias:
        echo_error(f"note: --no-bias overrides {where} conventions.bias: true")
    precision = replace(
        mine,
        sig_figs=mine.sig_figs if sig_figs is None else sig_figs,
        strict=mine.strict if strict is None else strict,
    )
    conventions = counting(no_bias or not assignment.conventions.bias, keras_bn)
    return conventions, precision, assignment.conventions.prefixes


def _lms(name: str | None, gradebook: Path | None, roster: Path | None) -> Lms | None:
    from cnncalc.errors import SpecError
    from cnncalc.features.grade.lms import LMS

    if name is None:
        return None
    found = next((x for x in LMS if x == name.strip().lower()), None)
    if found is None:
        raise SpecError.single(f"--lms: {name!r} is not one of {', '.join(LMS)}")
    if gradebook is None:
        raise SpecError.single("--lms names the format of --gradebook", hint="--gradebook book.csv --lms canvas")
    if found == "moodle" and roster is None:  # refused before grading, not after
        raise SpecError.single(
            "--lms moodle needs --roster: Moodle maps each row to a user by an ID number or an email address",
            hint="--roster roster.csv with columns file, name and `id number` or `email`",
        )
    return found


def _roster(path: Path | None) -> dict[str, Student] | None:
    if path is None:
        return None
    from cnncalc.features.grade.lms import read_roster
    from cnncalc.features.grade.sheet import MAX_SHEET_BYTES, SheetError
    from cnncalc.spec.loader import read_text_file

    return read_roster(read_text_file(path, "a roster", MAX_SHEET_BYTES, SheetError), str(path))


def _assignment(spec: str) -> Assignment | None:
    """The assignment file named instead of a network, or None (grading by network name)."""
    from cnncalc.features.grade.assignment import is_assignment, read_assignment

    path = Path(spec)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return None
    from cnncalc.features.grade.sheet import MAX_SHEET_BYTES, SheetError
    from cnncalc.spec.loader import read_text_file

    text = read_text_file(path, "an assignment", MAX_SHEET_BYTES, SheetError)
    return read_assignment(text, spec) if is_assignment(text) else None


def _marks(assignment: Assignment | None, result: GradeResult) -> AssignmentScore | None:
    from cnncalc.features.grade.assignment import score

    return score(assignment, result) if assignment is not None else None


@dataclass(frozen=True)
class Outputs:
    """The files a grading run writes besides its report: scores, gradebook, feedback."""

    csv_path: Path | None
    gradebook: Path | None
    feedback: Path | None
    force: bool
    lms: Lms | None = None
    roster: dict[str, Student] | None = None
    assignment: Assignment | None = None

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
            if self.lms is not None:
                from cnncalc.features.grade.lms import gradebook as lms_gradebook

                book = lms_gradebook(graded, self.lms, self.roster, self.assignment)
            else:
                book = gradebook_csv(graded)
            targets.append((self.gradebook, book, "--gradebook"))
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


def _grade_folder(
    grader: Grader,
    folder: Path,
    fmt: OutputFormat,
    outputs: Outputs,
    inputs: list[Path],
    assignment: Assignment | None = None,
) -> None:
    from cnncalc.errors import CnncalcError, SpecError
    from cnncalc.features.grade import ClassResult
    from cnncalc.features.grade.output import CLASS_WRITERS, ClassView
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
    marks = [m for r in results if (m := _marks(assignment, r)) is not None]
    echo_text(CLASS_WRITERS.write(fmt, ClassView(graded, marks if assignment is not None else None), terminal_width()))
    if not results:
        raise typer.Exit(2)
    right = all(m.all_right for m in marks) if assignment is not None else all(r.all_right for r in results)
    raise typer.Exit(0 if not unreadable and right else 1)


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
