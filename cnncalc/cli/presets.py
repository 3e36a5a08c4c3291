"""`summarize --convention NAME`: a peer tool's totals (cnncalc.features.peers.presets), printed in each format."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.cli.common import echo_text
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.core.conventions import Units
    from cnncalc.spec.model import Spec


def refuse_clashes(convention: str, no_bias: bool, keras_bn: bool, depth: int | None) -> None:
    """A tool's totals follow its own rules: options that would change them are refused (exit 2)."""
    from cnncalc.errors import SpecError

    clash = [name for name, given in (("--no-bias", no_bias), ("--keras-bn", keras_bn), ("--depth", depth)) if given]
    if clash:
        raise SpecError.single(
            f"--convention {convention} counts by a tool's own rules; {', '.join(clash)} cannot change them",
            hint="drop " + ", ".join(clash) + " (or use --convention cnncalc)",
        )


def print_presets(
    spec: Spec, convention: str, fmt: OutputFormat, units: Units, no_bias: bool, keras_bn: bool, depth: int | None
) -> None:
    """Print one preset's totals, or (`all`) every preset's side by side."""
    from cnncalc.features.peers.output import WRITERS, PresetsView
    from cnncalc.features.peers.presets import PRESETS, evaluate
    from cnncalc.render.table import terminal_width

    refuse_clashes(convention, no_bias, keras_bn, depth)
    names = PRESETS if convention == "all" else (convention,)
    results = [evaluate(spec, name) for name in names]
    echo_text(WRITERS.write(fmt, PresetsView(spec.name, results, units), terminal_width()))
