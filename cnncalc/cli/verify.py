"""`cnncalc verify`: run the network in NumPy and check every symbolic number against it.

NumPy and the numeric core are imported inside the command, so that start-up of the
other commands never pays for them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, echo_text, handles_errors
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

FORMATS = (OutputFormat.table, OutputFormat.json)


#: a run shorter than this shows no progress bar
PROGRESS_DELAY_S = 1.0


class LazyProgress:
    """A progress bar over layers that appears only once a run has lasted PROGRESS_DELAY_S.

    Drawn on stderr, and only on a terminal: piped output and tests see nothing of it.
    """

    def __init__(self, console: Console, delay: float = PROGRESS_DELAY_S) -> None:
        self.console = console
        self.delay = delay
        self.started = time.perf_counter()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int, name: str) -> None:
        if self.bar is None:
            if not self.console.is_terminal or time.perf_counter() - self.started < self.delay:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("verify"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}", markup=False),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(terminal(name), total=total, completed=done)
        assert self.task is not None
        self.bar.update(self.task, completed=done, description=terminal(name))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@handles_errors
@expand_groups
def verify(
    *,
    network: options.NetworkArgs,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the random weights and input.")] = 0,
    max_memory: Annotated[
        str | None,
        typer.Option(
            "--max-memory", help="Refuse runs predicted to need more, e.g. 4G, 2GiB (default: 3/4 of free RAM)."
        ),
    ] = None,
    workspace: Annotated[
        str, typer.Option(help="Bound of the kernels' scratch memory (im2col tiles), e.g. 256MiB.")
    ] = "256MiB",
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
    counts: Annotated[options.CountingArgs, Take("keras_bn")],
) -> None:
    """Run the network on random arrays in NumPy and check every number of its summary.

    Per layer: output shape, params (the arrays allocated), MACs (counted from the matrix
    products executed) and activation bytes; then the peak of live activation memory.
    Exit 1 on any mismatch, naming the layer and both numbers.

    Examples:

        cnncalc verify vgg16

        cnncalc verify resnet152 --input 64x64x3 --format json

        cnncalc verify --dsl "32x32x3 | conv3-8 | maxpool | fc-10" --dtype float16 --batch 4
    """
    from cnncalc.features.verify.run import parse_size
    from cnncalc.features.verify.run import verify as run_verify

    loaded = network.load()
    limit = parse_size(max_memory, "--max-memory") if max_memory is not None else None
    scratch = parse_size(workspace, "--workspace")
    from rich.console import Console

    progress = LazyProgress(Console(stderr=True))
    try:
        conventions = counts.conventions()
        result = run_verify(loaded, conventions, seed, scratch, limit, progress=progress, layout=network.layout_shown())
    finally:
        progress.close()
    from cnncalc.features.verify.output import WRITERS, VerifyView
    from cnncalc.render.table import terminal_width

    echo_text(WRITERS.write(fmt, VerifyView(result, seed), terminal_width()))
    mismatches = result.mismatches()
    for line in mismatches:
        echo_error(f"error: {line}")
    if mismatches:
        echo_error(f"verify: {len(mismatches)} number(s) differ between the summary and the run")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `cnncalc verify` to the app."""
    app.command()(verify)
