"""The options several commands share, each declared once, and the groups they come in.

typer reads every option from its command's signature. An option one command alone takes is
declared in that command's module; one that several take is declared here (flag, type, help)
and named in a signature by its alias:

    def draw(*, ..., depth: options.Depth = None, force: options.ForceOutput = False)

Options that travel together are a group (cnncalc.cli.groups), taken as one parameter:
NetworkArgs, the network a command reads with what the command line overrides in it, and
CountingArgs, how it is counted. A command takes a group whole or a part of it:

    def draw(*, network: Annotated[options.NetworkArgs, Take("spec", "dsl", "input_shape", "layout")], ...)
    def summarize(*, network: options.NetworkArgs, ..., counts: options.CountingArgs, ...)

and gets the loaded network from `network.load()`, the counting rules from `counts.conventions()`.

Commands import the module, not its names, so that the same group of options costs one
import line wherever it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

# the choice enums, so that a signature needs this module alone (defaults: options.UnitsOption.si)
from cnncalc.cli.common import ConventionOption as ConventionOption
from cnncalc.cli.common import DeviceOption as DeviceOption
from cnncalc.cli.common import DtypeOption as DtypeOption
from cnncalc.cli.common import LayoutOption as LayoutOption
from cnncalc.cli.common import OptimizerOption as OptimizerOption
from cnncalc.cli.common import UnitsOption as UnitsOption
from cnncalc.cli.common import counting, layout_of, load_any, override
from cnncalc.render.formats import FormatError, OutputFormat, choose

if TYPE_CHECKING:
    from cnncalc.core.conventions import Conventions
    from cnncalc.features.grade.sheet import Column
    from cnncalc.spec import model

# --- the network a command reads (NetworkArgs below)
Spec = Annotated[str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")]
Dsl = Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")]

# --- what the command line overrides in it
Dtype = Annotated[DtypeOption | None, typer.Option("--dtype", help="Element type (overrides the spec).")]
Batch = Annotated[int | None, typer.Option("--batch", min=1, max=2**31 - 1, help="Batch size (overrides the spec).")]
Input = Annotated[str | None, typer.Option("--input", help="Override the input shape, e.g. 320x320x3.")]
#: --input of a command that reads several specs: one size for all of them
EveryInput = Annotated[
    str | None,
    typer.Option(
        "--input",
        help="Analyse every spec at this input shape, e.g. 64x64x3 (a spec whose input names symbols needs it).",
    ),
]
Layout = Annotated[
    LayoutOption | None, typer.Option("--layout", help="Layout of shapes shown and of --input (default: the spec's).")
]

# --- how it is counted (CountingArgs below)
NoBias = Annotated[bool, typer.Option("--no-bias", help="Count weights only, as slides that omit biases.")]
KerasBn = Annotated[bool, typer.Option("--keras-bn", help="Count batch-norm running mean/var as non-trainable params.")]
Units = Annotated[UnitsOption, typer.Option(help="Prefixes of human figures: si (K=1000) or binary.")]
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
Optimizer = Annotated[
    OptimizerOption | None, typer.Option("--optimizer", help="Optimizer whose state --training counts (default: sgd).")
]
Device = Annotated[
    DeviceOption | None,
    typer.Option(
        "--device",
        help="Where --training's step runs: cpu (PyTorch's CPU allocations, checked against its profiler) or "
        "cuda (an estimate: the caching allocator's rounding and a cuDNN workspace margin); default: cpu.",
    ),
]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        max=4096,
        help="PyTorch's intra-op threads for --training's CPU step: they choose each convolution's kernel and "
        "its scratch (default: what PyTorch takes here, one per CPU, os.cpu_count()).",
    ),
]


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


def sheet_columns(text: str) -> list[Column]:
    """The answer-sheet columns a comma-separated list names (`--columns` of `grade` and `assign`).

    Both commands read the same names, of cnncalc.features.grade.sheet.COLUMNS; an unknown one
    is refused with the list of them.
    """
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


# --- the groups: options that travel together, taken as one parameter (cnncalc.cli.groups)


class NetworkArgs(NamedTuple):
    """The network a command reads (a spec or --dsl) and what the command line overrides in it."""

    spec: Spec = None
    dsl: Dsl = None
    dtype: Dtype = None
    batch: Batch = None
    input_shape: Input = None
    layout: Layout = None

    def load(self, any_size: bool = False) -> model.Spec:
        """The network, with the overrides applied (a usage error when neither or both are named).

        A spec whose input sizes are symbols loads when --input gives the sizes, or when the
        command tries sizes of its own (`any_size`); otherwise it is refused, saying so.
        """
        return self.apply_to(load_any(self.spec, self.dsl, sized=any_size or self.input_shape is not None))

    def apply_to(self, network: model.Spec) -> model.Spec:
        """`network` (loaded some other way) with the overrides applied, its source positions kept."""
        dtype = self.dtype.value if self.dtype else None
        return override(network, dtype, self.batch, self.input_shape, self.layout_shown())

    def layout_shown(self) -> model.Layout | None:
        """The layout --layout chose for the shapes shown; None: the spec's own."""
        return layout_of(self.layout)


class CountingArgs(NamedTuple):
    """How a command counts: biases, batch-norm running statistics, the prefixes of its figures."""

    no_bias: NoBias = False
    keras_bn: KerasBn = False
    units: Units = UnitsOption.si

    def conventions(self) -> Conventions:
        """The counting rules these options choose."""
        return counting(self.no_bias, self.keras_bn, self.units)
