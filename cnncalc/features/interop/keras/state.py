"""The importer's state: the tensors and layers written so far, and the one place a layer is written.

A call of a layer (`Call`) carries its checked fields, the tensors it reads and makes, and the
scope of the nested model it runs in (`Scope`); a ZeroPadding not written yet is a `Padding`.
`ImporterBase.add` writes a layer, sharing the weights of a Keras layer's first call with
its later calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnncalc.features.interop.common import InteropError, SpecWriter, unsupported
from cnncalc.features.interop.keras.config import Fields, input_dims
from cnncalc.features.interop.keras.kinds import KERAS_LAYERS, NO_WEIGHTS


@dataclass(frozen=True)
class Scope:
    """Where a nested model's layers live: `tensors` prefixes the names of the tensors of one call
    of it, `owners` the names of its layers, the same for every call (so a second call shares);
    `frozen`: the model, or one around it, is trainable=False."""

    tensors: str = ""
    owners: str = ""
    frozen: bool = False

    def inner(self, name: str, call: int, frozen: bool) -> Scope:
        return Scope(f"{self.tensors}{name}/{call}/", f"{self.owners}{name}/", self.frozen or frozen)


@dataclass
class Padding:
    """A ZeroPadding not written (yet): the tensor it pads, [before, after] per spatial axis, and
    the Keras layer it stands for. A conv or pool that reads it takes it as its own padding (the
    layer counts of a model stay those of the figures people quote); any other reader has it
    written as a `pad` layer, once (`made`: that layer), and so does a padding nothing reads."""

    source: str
    pairs: list[list[int]]
    name: str
    owner: str
    read: bool = False
    made: str | None = None


@dataclass(frozen=True)
class Call:
    """One call of a layer: its config, the tensors it reads and makes, the numbers it is called with."""

    fields: Fields
    inputs: list[str]
    out: str
    numbers: list[float] = field(default_factory=list)
    call: int = 0
    scope: Scope = Scope()


class ImporterBase:
    """What the import has written so far, and the helpers every layer's translation uses."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.writer = SpecWriter()
        self.input: dict[str, Any] | None = None
        self.rank: dict[str, int] = {}  # tensor -> spatial axes (0 for a vector)
        self.pads: dict[str, Padding] = {}  # output of a ZeroPadding not written as a layer -> the padding
        self.owners: dict[str, str] = {}  # Keras layer -> cnncalc layer of its first call
        self.channels_first = False

    def set_input(self, tensor: str, batch_shape: Any, where: str, data_format: Any = None) -> None:
        dims = input_dims(batch_shape, where)
        layout = "chw" if data_format == "channels_first" else "hwc"
        self.input = {"input": {"shape": dims, "layout": layout}}
        self.writer.tensors[tensor] = "input"
        self.rank[tensor] = len(dims) - 1

    def same(self, tensor: str, source: str) -> None:
        """`tensor` is `source` under another name (a nested model's input or output, an identity)."""
        self.writer.alias(tensor, source)
        self.rank[tensor] = self.rank[source]
        if source in self.pads:
            self.pads[tensor] = self.pads[source]

    def unsupported(self, cls: str, name: str, why: str = "") -> InteropError:
        return unsupported(cls, name, self.writer, ", ".join(KERAS_LAYERS), why)

    def add(self, layer: dict[str, Any], inputs: list[str], out: str, keras_name: str, owner: str) -> None:
        """Write one cnncalc layer; a second call of the Keras layer `owner` shares the first's weights."""
        entry = self.writer.add(layer, inputs, [out], keras_name)
        if owner in self.owners and layer["kind"] not in NO_WEIGHTS:
            entry["shares"] = self.owners[owner]
            entry.pop("trainable", None)  # the weights are the first call's: frozen or not as it is
        self.owners.setdefault(owner, entry["name"])
