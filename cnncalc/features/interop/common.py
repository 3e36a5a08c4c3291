"""What the importers share: the error type, the optional-extra check and a spec writer.

An importer walks a foreign graph in execution order and hands each layer to a
`SpecWriter`, which names it readably and writes `from:` only where the layer does not
simply read the one before, so a chain reads as a chain and a residual or inception
graph as an `id`/`from` graph.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cnncalc.errors import CnncalcError, Diagnostic

#: largest model file read (an ONNX file holds the weights: VGG-16 is about 530 MB)
MAX_MODEL_BYTES = 2 * 1024**3


class InteropError(CnncalcError):
    """A model file that cannot be imported, or a missing optional package (exit 2)."""


def require(module: str, feature: str, extra: str) -> ModuleType:
    """Import an optional package, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InteropError.single(
            f"{feature} needs the {module} package: pip install {module}",
            hint=f"or, in a clone of cnncalc, install cnncalc with the extra: pip install '.[{extra}]'",
        ) from None


def check_model_file(path: Path, what: str) -> None:
    """Refuse a missing, non-regular or oversized model file before a library reads it."""
    try:
        stat = path.stat()
    except OSError as e:
        raise InteropError.single(f"{path}: cannot read {what}: {e.strerror}") from None
    if not path.is_file():
        raise InteropError.single(f"{path}: not a file")
    if stat.st_size > MAX_MODEL_BYTES:
        raise InteropError.single(f"{path}: file is {stat.st_size:,} bytes; {what} is limited to {MAX_MODEL_BYTES:,}")


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def clean_name(text: str) -> str:
    """A foreign node or layer name as a cnncalc layer name: printable, no spaces or slashes."""
    return _UNSAFE.sub("_", text).strip("_.")[:120]


@dataclass
class SpecWriter:
    """Collects layers as plain spec data, with unique readable names and minimal `from:`.

    Tensors are tracked by the foreign graph's own names: `tensor` maps each to the
    cnncalc layer name that produces it ("input" for the network's input).
    """

    tensors: dict[str, str] = field(default_factory=dict)
    layers: list[dict[str, Any]] = field(default_factory=list)
    used: set[str] = field(default_factory=lambda: {"input"})
    counters: dict[str, int] = field(default_factory=dict)

    def unique(self, wanted: str, stem: str) -> str:
        """`wanted` if free, else the stem with a running number (conv1, conv2, ...)."""
        name = clean_name(wanted)
        if name and name not in self.used and name != "input":
            self.used.add(name)
            return name
        base = name or stem
        while True:
            self.counters[base] = self.counters.get(base, 0) + 1
            candidate = f"{base}{self.counters[base]}" if name == "" else f"{base}_{self.counters[base]}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate

    def previous(self) -> str:
        return self.layers[-1]["name"] if self.layers else "input"

    def add(self, layer: dict[str, Any], inputs: list[str], outputs: list[str], wanted: str) -> dict[str, Any]:
        """Append `layer` reading the tensors `inputs` and producing `outputs`; returns the stored dict."""
        name = self.unique(wanted, str(layer["kind"]))
        sources = [self.tensors[t] for t in inputs]
        entry: dict[str, Any] = {"kind": layer["kind"], "name": name}
        if len(sources) > 1 or (sources and sources[0] != self.previous()):
            entry["from"] = sources[0] if len(sources) == 1 else sources
        entry.update({k: v for k, v in layer.items() if k != "kind"})
        self.layers.append(entry)
        for t in outputs:
            self.tensors[t] = name
        return entry

    def alias(self, tensor: str, source: str) -> None:
        """`tensor` is the same value as `source` (Identity, an inference-time no-op)."""
        self.tensors[tensor] = self.tensors[source]

    def imported_so_far(self) -> str:
        """The layers written so far, for an error message about the next one."""
        if not self.layers:
            return "nothing yet"
        names = [f"{layer['name']} ({layer['kind']})" for layer in self.layers]
        shown = names if len(names) <= 8 else [*names[:3], "...", *names[-4:]]
        return f"{len(names)} layer(s): {', '.join(shown)}"


def unsupported(op: str, node: str, writer: SpecWriter, supported: str, why: str = "") -> InteropError:
    """The error for an operator cnncalc cannot import, naming it and what came before."""
    detail = f": {why}" if why else ""
    return InteropError(
        [
            Diagnostic(
                f"unsupported operator {op} at node '{node}'{detail}; imported so far: {writer.imported_so_far()}",
                hint=f"supported: {supported}",
            )
        ]
    )
