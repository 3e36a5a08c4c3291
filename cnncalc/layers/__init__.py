"""The registry of layer kinds: one model class per family, found by its `kind`.

Adding a kind means one class in one module of this package and one line here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Tag

from cnncalc.layers.base import ALIASES, Counts, LayerBase, Shape, canonical_kind
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import Activation, BatchNorm, Dropout, Flatten, LocalResponseNorm
from cnncalc.layers.pool import GlobalPool, Pool

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
)


def _kinds(cls: type[LayerBase]) -> tuple[str, ...]:
    annotation = cls.model_fields["kind"].annotation
    return tuple(annotation.__args__)  # type: ignore[union-attr]


#: kind name -> model class
REGISTRY: dict[str, type[LayerBase]] = {kind: cls for cls in LAYER_CLASSES for kind in _kinds(cls)}


def _layer_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    if not isinstance(kind, str):
        return None
    canonical = canonical_kind(kind)
    return REGISTRY[canonical].__name__ if canonical in REGISTRY else None


Layer = Annotated[
    Annotated[Conv, Tag("Conv")]
    | Annotated[DepthwiseConv, Tag("DepthwiseConv")]
    | Annotated[SeparableConv, Tag("SeparableConv")]
    | Annotated[ConvTranspose, Tag("ConvTranspose")]
    | Annotated[LocallyConnected, Tag("LocallyConnected")]
    | Annotated[Pool, Tag("Pool")]
    | Annotated[GlobalPool, Tag("GlobalPool")]
    | Annotated[Dense, Tag("Dense")]
    | Annotated[Flatten, Tag("Flatten")]
    | Annotated[Activation, Tag("Activation")]
    | Annotated[Dropout, Tag("Dropout")]
    | Annotated[BatchNorm, Tag("BatchNorm")]
    | Annotated[LocalResponseNorm, Tag("LocalResponseNorm")],
    Discriminator(_layer_tag, custom_error_type="unknown_kind", custom_error_message="unknown layer kind"),
]

__all__ = ["ALIASES", "LAYER_CLASSES", "REGISTRY", "Counts", "Layer", "LayerBase", "Shape", "canonical_kind"]
