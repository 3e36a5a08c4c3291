"""The layer kinds: one model class per family, each registered in cnncalc.layers.registry.

Adding a kind means one class in one module of this package (declaring its aliases, DSL
words, sheet words and family beside its rules) and one line here; or, from outside the
package, `register_kind(cls)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.layers.base import ALIASES, Counts, DslWord, LayerBase, Shape, canonical_kind
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.crop import Crop
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import (
    Activation,
    BatchNorm,
    ChannelShuffle,
    ChannelSlice,
    Dropout,
    Flatten,
    LayerNorm,
    LocalResponseNorm,
    Scale,
)
from cnncalc.layers.merge import Add, Concat, MergeBase, Multiply, Origin
from cnncalc.layers.pad import Pad
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.registry import (
    REGISTRY,
    UNKNOWN_KIND,
    LiveUnion,
    RegistryError,
    family_kinds,
    kind_class,
    layer_classes,
    layer_tag,
    live_union,
    register_kind,
    sheet_words,
    state_per_channel,
    tagged_layers,
    unregister_kind,
)
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten

#: the kinds cnncalc ships, in the order of reports and the schema; `layer_classes()` adds
#: those registered later
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
    LayerNorm,
    Scale,
    ChannelShuffle,
    ChannelSlice,
    Upsample,
    Add,
    Concat,
    Multiply,
    Unflatten,
    Normalize,
    Crop,
    Pad,
)

for _cls in LAYER_CLASSES:
    register_kind(_cls)

#: any one layer, validated by the class its `kind` names among those registered at the time
if TYPE_CHECKING:
    Layer = LayerBase
else:
    Layer = live_union(layer_tag)

__all__ = [
    "ALIASES",
    "LAYER_CLASSES",
    "REGISTRY",
    "UNKNOWN_KIND",
    "Counts",
    "DslWord",
    "Layer",
    "LayerBase",
    "LiveUnion",
    "MergeBase",
    "Origin",
    "RegistryError",
    "Shape",
    "canonical_kind",
    "family_kinds",
    "kind_class",
    "layer_classes",
    "layer_tag",
    "live_union",
    "register_kind",
    "sheet_words",
    "state_per_channel",
    "tagged_layers",
    "unregister_kind",
]
