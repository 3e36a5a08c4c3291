"""Every capability table, listed once: which layer kinds each part of cnncalc covers.

Each feature that treats layers by kind declares its table beside its code (the type is
cnncalc.layers.capabilities.Capabilities). The list of all of them lives here, in
cnncalc.features, because it must import every feature and the numeric core: the layers
import no feature (import-linter's layers contract), so cnncalc.layers cannot hold it, and
nothing in cnncalc imports this module (the tests and the docs read it), so listing the
tables costs no command its start-up.

`tables_markdown()` writes the list as docs/architecture.md shows it ("How to add a layer
kind"); a test checks the page against it, and every registered kind against every table.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from cnncalc.features.draw import model as draw_model
from cnncalc.features.interop import pytorch
from cnncalc.features.interop.keras import kinds as keras_kinds
from cnncalc.features.interop.onnx import kinds as onnx_kinds
from cnncalc.features.peers import calls
from cnncalc.features.symbolic import sizes
from cnncalc.features.training import saved
from cnncalc.layers.base import LayerBase
from cnncalc.layers.capabilities import Capabilities
from cnncalc.numeric import kernels


@dataclass(frozen=True)
class Table:
    """One feature's capability table and where it is declared."""

    feature: str
    module: str
    name: str
    table: Capabilities[Any]

    def count(self, classes: tuple[type[LayerBase], ...]) -> tuple[int, int, int]:
        """(covered, unsupported, left to the fallback) over the kinds of `classes`."""
        statuses = [self.table.status(cls, kind) or "" for cls in classes for kind in cls.kinds()]
        return tuple(sum(s.startswith(p) for s in statuses) for p in ("covered", "unsupported", "fallback"))  # type: ignore[return-value]


def _table(feature: str, module: ModuleType, name: str) -> Table:
    table = getattr(module, name)
    assert isinstance(table, Capabilities)
    return Table(feature, module.__name__, name, table)


#: every capability table, in the order the docs list them
TABLES: tuple[Table, ...] = (
    _table("numeric kernels (`verify`)", kernels, "KERNELS"),
    _table("training memory (`--training`)", saved, "TRAINING"),
    _table("symbolic sizes (`--input HxWx3`, `solve`)", sizes, "SIZES"),
    _table("peer presets (`--convention`)", calls, "PEERS"),
    _table("PyTorch export (`export`)", pytorch, "EXPORT"),
    _table("ONNX import (kinds produced)", onnx_kinds, "ONNX_KINDS"),
    _table("Keras import (kinds produced)", keras_kinds, "KERAS_KINDS"),
    _table("draw (`draw`, `report`)", draw_model, "DRAWING"),
)


def tables_markdown() -> str:
    """The tables as docs/architecture.md lists them: feature, module, table, and what a kind
    missing from it gets."""
    lines = [
        "| feature | module | table | a kind it does not list |",
        "|---|---|---|---|",
    ]
    for t in TABLES:
        missing = f"handled: {t.table.fallback}" if t.table.fallback else "refused, exit 2, naming kind and feature"
        if t.name.endswith("_KINDS"):
            missing = "never produced (an importer makes only the kinds it lists)"
        lines.append(f"| {t.feature} | `{t.module}` | `{t.name}` | {missing} |")
    return "\n".join(lines) + "\n"


__all__ = ["TABLES", "Table", "tables_markdown"]
