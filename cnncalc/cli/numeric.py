"""`cnncalc verify`: run the network in NumPy and check every symbolic number against it.

NumPy and the numeric core are imported inside the command, so that start-up of the
other commands never pays for them.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cnncalc.cli.common import (
    BatchOverride,
    DtypeOverride,
    InputOverride,
    KerasBnOption,
    LayoutOption,
    handles_errors,
    load_any,
    override,
    stdout_console,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from cnncalc.numeric.verify import Check, VerifyResult
    from cnncalc.spec.model import Layout


class VerifyFormat(StrEnum):
    table = "table"
    json = "json"


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
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(name, total=total, completed=done)
        assert self.task is not None
        self.bar.update(self.task, completed=done, description=name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def verify(
    spec: Annotated[
        str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")
    ] = None,
    dsl: Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")] = None,
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
    fmt: Annotated[VerifyFormat, typer.Option("--format", "-f", help="Output format.")] = VerifyFormat.table,
    dtype: DtypeOverride = None,
    batch: BatchOverride = None,
    input_shape: InputOverride = None,
    layout: Annotated[
        LayoutOption | None, typer.Option(help="Layout of shapes shown and of --input (default: the spec's).")
    ] = None,
    keras_bn: KerasBnOption = False,
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
    from cnncalc.conventions import Conventions
    from cnncalc.numeric.verify import parse_size
    from cnncalc.numeric.verify import verify as run_verify

    loaded = load_any(spec, dsl)
    loaded = override(loaded, dtype.value if dtype else None, batch, input_shape, layout.value if layout else None)
    limit = parse_size(max_memory, "--max-memory") if max_memory is not None else None
    scratch = parse_size(workspace, "--workspace")
    progress = LazyProgress(Console(stderr=True))
    try:
        conventions = Conventions(bn_running_stats=keras_bn)
        shown: Layout | None = None if layout is None else ("chw" if layout is LayoutOption.chw else "hwc")
        result = run_verify(loaded, conventions, seed, scratch, limit, progress=progress, layout=shown)
    finally:
        progress.close()
    if fmt is VerifyFormat.json:
        typer.echo(json.dumps(to_json(result, seed), indent=2))
    else:
        render(result, stdout_console(), seed)
    mismatches = result.mismatches()
    for line in mismatches:
        typer.echo(f"error: {line}", err=True)
    if mismatches:
        typer.echo(f"verify: {len(mismatches)} number(s) differ between the summary and the run", err=True)
        raise typer.Exit(1)


def _cell(check: Check, text: str) -> str:
    return text if check.ok else f"[bold red]{text} ≠ {_value(check.measured)}[/]"


def _value(v: int | tuple[int, ...]) -> str:
    return "x".join(map(str, v[1:])) if isinstance(v, tuple) else f"{v:,}"


def render(result: VerifyResult, console: Console, seed: int) -> None:
    """The per-layer table (symbolic numbers; a differing measurement shown after ≠) and a summary."""
    from rich.table import Table

    report = result.report
    table = Table(title=f"verify {report.name}: symbolic vs measured", title_justify="left")
    for column, justify in (
        ("#", "right"),
        ("Layer", "left"),
        ("Kind", "left"),
        ("Output", "left"),
        ("Params", "right"),
        ("MACs", "right"),
        ("Memory (B)", "right"),
        ("ms", "right"),
        ("", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for layer in result.layers:
        shape, params, macs, memory = layer.checks
        table.add_row(
            str(layer.index),
            layer.name,
            layer.kind,
            _cell(shape, _value(shape.symbolic)),
            _cell(params, _value(params.symbolic)),
            _cell(macs, _value(macs.symbolic)),
            _cell(memory, _value(memory.symbolic)),
            f"{layer.seconds * 1000:.1f}",
            "ok" if layer.ok else "[bold red]MISMATCH[/]",
        )
    console.print(table)
    e = result.execution
    totals = report.totals
    flops = 2 * totals.macs / e.forward_seconds / 1e9 if e.forward_seconds > 0 else 0.0
    peak = result.peak
    console.print(
        f"peak activation memory: {peak.symbolic:,} B symbolic, {peak.measured:,} B measured "
        + ("ok" if peak.ok else "[bold red]MISMATCH[/]")
    )
    console.print(
        f"params {totals.params:,}, MACs {totals.macs:,}; {report.dtype} counted at {report.dtype_bytes} B, "
        f"computed in {e.compute_dtype}, batch {report.batch}, seed {seed}"
    )
    console.print(
        f"time: weights {e.init_seconds:.2f} s, forward {e.forward_seconds:.2f} s ({flops:.1f} GFLOP/s); "
        f"memory predicted {result.predicted_bytes:,} B of {result.limit_bytes:,} B allowed "
        f"(workspace {result.workspace:,} B)"
    )
    bad = len(result.mismatches())
    console.print(
        f"verify: {len(result.layers)} rows, every number agrees"
        if bad == 0
        else f"[bold red]verify: {bad} number(s) differ[/]"
    )


def to_json(result: VerifyResult, seed: int) -> dict[str, object]:
    """Exact integers, as the summary's JSON; shapes per sample, in the report's layout."""
    report = result.report
    e = result.execution

    def check(c: Check) -> dict[str, object]:
        if isinstance(c.symbolic, tuple) and isinstance(c.measured, tuple):
            return {"symbolic": list(c.symbolic[1:]), "measured": list(c.measured[1:]), "ok": c.ok}
        return {"symbolic": c.symbolic, "measured": c.measured, "ok": c.ok}

    return {
        "name": report.name,
        "ok": result.ok,
        "dtype": report.dtype,
        "dtype_bytes": report.dtype_bytes,
        "compute_dtype": e.compute_dtype,
        "batch": report.batch,
        "seed": seed,
        "layers": [
            {
                "index": layer.index,
                "name": layer.name,
                "kind": layer.kind,
                "ok": layer.ok,
                "seconds": layer.seconds,
                **{c.what: check(c) for c in layer.checks},
            }
            for layer in result.layers
        ],
        "peak_activation_bytes": check(result.peak),
        "totals": {"params": report.totals.params, "macs": report.totals.macs},
        "timing": {"init_seconds": e.init_seconds, "forward_seconds": e.forward_seconds},
        "memory": {
            "predicted_bytes": result.predicted_bytes,
            "limit_bytes": result.limit_bytes,
            "workspace_bytes": result.workspace,
        },
        "output_finite": e.finite,
        "mismatches": result.mismatches(),
    }


def register(app: typer.Typer) -> None:
    """Add `cnncalc verify` to the app."""
    app.command()(handles_errors(verify))
