"""The options several commands share, each declared once.

typer reads every option from its command's signature, so a command still names each
parameter itself; what it takes from here is the declaration (flag, type, help):

    def explain(spec: options.Spec = None, dsl: options.Dsl = None, dtype: options.Dtype = None, ...)

Commands import the module, not its names, so that the same group of options costs one
import line wherever it is used.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

# the choice enums, so that a signature needs this module alone (defaults: options.UnitsOption.si)
from cnncalc.cli.common import ConventionOption as ConventionOption
from cnncalc.cli.common import DtypeOption as DtypeOption
from cnncalc.cli.common import LayoutOption as LayoutOption
from cnncalc.cli.common import OptimizerOption as OptimizerOption
from cnncalc.cli.common import UnitsOption as UnitsOption
from cnncalc.render.formats import FormatError, OutputFormat, choose

# --- the network a command reads (cnncalc.cli.common.load_network)
Spec = Annotated[str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")]
Dsl = Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")]

# --- what the command line overrides in it
Dtype = Annotated[DtypeOption | None, typer.Option("--dtype", help="Element type (overrides the spec).")]
Batch = Annotated[int | None, typer.Option("--batch", min=1, max=2**31 - 1, help="Batch size (overrides the spec).")]
Input = Annotated[str | None, typer.Option("--input", help="Override the input shape, e.g. 320x320x3.")]
Layout = Annotated[
    LayoutOption | None, typer.Option("--layout", help="Layout of shapes shown and of --input (default: the spec's).")
]

# --- how it is counted (cnncalc.cli.common.counting)
NoBias = Annotated[bool, typer.Option("--no-bias", help="Count weights only, as slides that omit biases.")]
KerasBn = Annotated[bool, typer.Option("--keras-bn", help="Count batch-norm running mean/var as non-trainable params.")]
Convention = Annotated[
    ConventionOption,
    typer.Option(
        "--convention",
        help="Count as cnncalc does, or reproduce a tool's totals (torchinfo, fvcore, thop, ptflops, keras, "
        "paper); `all` lists every one with the rule that makes it differ.",
    ),
]
Training = Annotated[
    bool,
    typer.Option(
        "--training", help="Add training memory as PyTorch spends it: saved tensors, gradients, optimizer, peak."
    ),
]
Optimizer = Annotated[OptimizerOption, typer.Option("--optimizer", help="Optimizer whose state --training counts.")]

# --- what it shows and where it writes
Depth = Annotated[
    int | None, typer.Option(min=1, help="Levels of blocks to open, as torchinfo's depth (1 = top level).")
]
ForceOutput = Annotated[bool, typer.Option("--force", help="Replace the file of --output if it exists.")]


def format_option(*allowed: OutputFormat, help: str = "Output format.") -> Any:
    """The `--format/-f` option of a command that prints `allowed` (the first is the default).

    Every command takes its formats from the one OutputFormat enum; a format the command
    does not print is a usage error (exit 2) that lists the ones it does.
    """

    def parse(value: str | OutputFormat) -> OutputFormat:
        try:
            return choose(str(value), allowed)
        except FormatError as e:
            raise typer.BadParameter(str(e)) from None

    names = ", ".join(f.value for f in allowed)
    metavar = "[" + "|".join(f.value for f in allowed) + "]"
    return typer.Option("--format", "-f", parser=parse, metavar=metavar, help=f"{help} One of: {names}.")
