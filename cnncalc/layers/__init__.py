"""The registry of layer kinds: one model class per family, found by its `kind`.

Adding a kind means one class in one module of this package and one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Discriminator, Tag

from cnncalc.layers.base import ALIASES, Counts, LayerBase, Shape, canonical_kind
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import Activation, BatchNorm, Dropout, Flatten, LocalResponseNorm
from cnncalc.layers.merge import Add, Concat, MergeBase, Multiply
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.resample import Upsample

LAYER_CLASSES: tuple[type[LayerBase], ...] = (
    Conv,
    DepthwiseConv,
    SeparableConv,
    ConvTranspose,
    LocallyConnected,
    Pool,
    GlobalPool,
    Dense,
    Flatten,
    Activation,
    Dropout,
    BatchNorm,
    LocalResponseNorm,
    Upsample,
    Add,
    Concat,
    Multiply,
)


def _kinds(cls: type[LayerBase]) -> tuple[str, ...]:
    annotation = cls.model_fields["kind"].annotation
    return tuple(annotation.__args__)  # type: ignore[union-attr]


#: kind name -> model class
REGISTRY: dict[str, type[LayerBase]] = {kind: cls for cls in LAYER_CLASSES for kind in _kinds(cls)}


def layer_tag(value: Any) -> str | None:
    """The class name of the layer kind `value` (a dict or a model) names, or None."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    if not isinstance(kind, str):
        return None
    canonical = canonical_kind(kind)
    return REGISTRY[canonical].__name__ if canonical in REGISTRY else None


def tagged_layers() -> tuple[Any, ...]:
    """Each layer class tagged with its name, for a discriminated union."""
    return tuple(Annotated[cls, Tag(cls.__name__)] for cls in LAYER_CLASSES)


UNKNOWN_KIND = Discriminator(layer_tag, custom_error_type="unknown_kind", custom_error_message="unknown layer kind")

#: any one layer, validated by the class its `kind` names
if TYPE_CHECKING:
    Layer = LayerBase
else:
    Layer = Annotated[Union[tagged_layers()], UNKNOWN_KIND]  # noqa: UP007

__all__ = [
    "ALIASES",
    "LAYER_CLASSES",
    "REGISTRY",
    "Counts",
    "Layer",
    "LayerBase",
    "MergeBase",
    "Shape",
    "canonical_kind",
    "layer_tag",
    "tagged_layers",
]
