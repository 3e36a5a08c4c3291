"""The spec: a network as validated data (pydantic), whatever it was written in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator

from cnncalc.errors import Location
from cnncalc.layers import UNKNOWN_KIND, Layer, LayerBase, layer_tag, tagged_layers
from cnncalc.layers.base import MAX_INT, Positive, Refs, Shape

Layout = Literal["hwc", "chw"]
Dtype = Literal["float64", "float32", "float16", "bfloat16", "float8", "int64", "int32", "int16", "int8", "uint8"]
Path = tuple[str | int, ...]


def to_channels_first(shape: Sequence[int], layout: Layout) -> Shape:
    """(H, W, C) -> (C, H, W) for HWC; CHW and flat shapes pass unchanged."""
    if layout == "hwc" and len(shape) > 1:
        return (shape[-1], *shape[:-1])
    return tuple(shape)


def from_channels_first(shape: Shape, layout: Layout) -> Shape:
    """(C, H, W) -> (H, W, C) for HWC, for display in the user's layout."""
    if layout == "hwc" and len(shape) > 1:
        return (*shape[1:], shape[0])
    return shape


def parse_dims(text: str) -> list[int]:
    """'224x224x3', '224 × 224 × 3', '(224, 224, 3)' -> [224, 224, 3]; ValueError if not dims."""
    cleaned = text.strip().strip("()[]")
    for sep in ("×", "*", ",", " "):
        cleaned = cleaned.replace(sep, "x")
    parts = [p for p in cleaned.lower().split("x") if p]
    if not parts or not all(p.isdigit() and len(p) <= 10 for p in parts):
        raise ValueError(f"expected dimensions such as 224x224x3, got {text!r}")
    return [int(p) for p in parts]


class InputSpec(BaseModel):
    """Shape of one input sample, in an explicit layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: Annotated[list[Positive], Field(min_length=1, max_length=4)] = Field(
        description="One sample's shape: [H, W, C] for an image in HWC; 2 to 4 values "
        "(1, 2 or 3 spatial axes plus channels), or 1 value for a flat vector.",
        examples=[[224, 224, 3], [3, 224, 224], [1000, 1], [16, 112, 112, 3]],
    )
    layout: Layout = Field(
        default="hwc",
        description="Where the channels are: last (hwc, as the lecture tables write shapes) "
        "or first (chw, as PyTorch).",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `input: 224x224x3` and `input: [224, 224, 3]` both mean HWC
        if isinstance(data, str):
            try:
                return {"shape": parse_dims(data)}
            except ValueError as e:
                raise ValueError(str(e)) from None
        if isinstance(data, list):
            return {"shape": data}
        if isinstance(data, int) and not isinstance(data, bool):
            return {"shape": [data]}
        return data

    def channels_first(self) -> Shape:
        return to_channels_first(self.shape, self.layout)


@dataclass
class SourceMap:
    """Where each value of a spec was written, by its path in the data."""

    source: str
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int], key: bool = False) -> Location | None:
        """The position of `path`, or of its deepest ancestor that was written down."""
        path = tuple(path)
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return None


class BlockCall(BaseModel):
    """One or more instances of a block from `blocks:`, chained one after the other."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    block: str = Field(description="Name of a block defined under `blocks:`.", examples=["bottleneck"])
    name: str | None = Field(
        default=None, description="Prefix of the layer names inside (layer3 -> layer3.1.conv2).", max_length=200
    )
    id: str | None = Field(default=None, description="Handle for `from:`; the output of the last instance.")
    from_: Refs | None = Field(default=None, alias="from", description="Input of the first instance.")
    args: dict[str, Any] = Field(default_factory=dict, description="Values of the block's arguments.")
    first: dict[str, Any] = Field(
        default_factory=dict, description="Arguments that differ for the first instance (e.g. stride: 2)."
    )
    repeat: Positive = Field(default=1, description="Number of instances, each reading the one before.")
    shares: str | None = Field(
        default=None, description="Name of an earlier call of the same block whose weights these instances reuse."
    )
    when: bool = Field(default=True, description="false skips the call (its output is its input).")


def _item_tag(value: Any) -> str | None:
    has_block = (isinstance(value, dict) and "block" in value) or isinstance(value, BlockCall)
    return "BlockCall" if has_block else layer_tag(value)


if TYPE_CHECKING:
    LayerItem = LayerBase | BlockCall
else:
    LayerItem = Annotated[
        Union[(*tagged_layers(), Annotated[BlockCall, Tag("BlockCall")])],
        Discriminator(_item_tag, custom_error_type="unknown_kind", custom_error_message="unknown layer kind"),
    ]


class BlockDef(BaseModel):
    """A reusable group of layers with arguments: `$name` or `${expression}` in its layers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = Field(default=None, description="What the block is.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Argument names and defaults; null marks a required argument.",
        examples=[{"filters": None, "stride": 1, "project": False}],
    )
    layers: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=1000)] = Field(
        description="The block's layers; `from: input` is the block's input."
    )
    output: str | None = Field(default=None, description="Id of the block's output; defaults to its last layer.")


class Spec(BaseModel):
    """A network: an input, a dtype, a batch and an ordered list of layers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="network", description="Name of the network.", max_length=200, examples=["vgg16"])
    description: str | None = Field(default=None, description="Free text: source, paper, notes.")
    input: InputSpec = Field(description="Shape of one input sample.", examples=["224x224x3"])
    dtype: Dtype = Field(default="float32", description="Element type of activations and parameters.")
    batch: Positive = Field(default=1, description="Samples per forward pass; multiplies activations and MACs.")
    blocks: dict[str, BlockDef] = Field(default_factory=dict, description="Reusable blocks, by name.")
    layers: Annotated[list[LayerItem], Field(min_length=1, max_length=20_000)] = Field(
        description="Layers in execution order: each has a `kind` and its hyper-parameters, or calls a `block`."
    )

    _source: SourceMap | None = PrivateAttr(default=None)

    def locate(self, path: Sequence[str | int], key: bool = False) -> Location | None:
        return self._source.locate(path, key) if self._source else None

    def with_source(self, source: SourceMap) -> Spec:
        self._source = source
        return self


__all__ = [
    "MAX_INT",
    "UNKNOWN_KIND",
    "BlockCall",
    "BlockDef",
    "Dtype",
    "InputSpec",
    "Layer",
    "LayerItem",
    "Layout",
    "SourceMap",
    "Spec",
]
