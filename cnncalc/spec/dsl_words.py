"""What the DSL's words mean: layer words, their number forms, option keys, activation names.

The vocabulary of the one-line DSL (`cnncalc.spec.dsl`), apart from the parser that reads it
(`dsl_parser`): the layer words come from the kind registry at parse time (a kind registered
after import is a word too), and the option keys, their long spellings, the activations `act=`
takes and the hints under a malformed word are tables here. A new option or spelling goes here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import get_args

from cnncalc.layers import DslWord
from cnncalc.layers.base import ActivationKind
from cnncalc.layers.elementwise import Activation
from cnncalc.layers.registry import dsl_words
from cnncalc.spec.dsl_lexer import DIMS, FLOAT

_ACTIVATION_NAMES: tuple[str, ...] = (*get_args(ActivationKind), "linear")
#: activation spellings for `act=` (folded, without '_') -> canonical activation kind
ACTIVATIONS: dict[str, str] = {name.replace("_", ""): name for name in _ACTIVATION_NAMES}
ACTIVATIONS.update({alias.replace("_", ""): kind for alias, kind in Activation.aliases.items()})


def families() -> dict[str, DslWord]:
    """Every layer word of the registered kinds (folded, without '_'), read at parse time:
    a kind registered after import is a word of the DSL too."""
    return dsl_words()


def words() -> list[str]:
    """The layer words, longest first, so that `relu6` is not read as `relu` followed by 6."""
    return _sorted_words(tuple(families()))


@lru_cache(maxsize=8)
def _sorted_words(words: tuple[str, ...]) -> list[str]:
    return sorted(words, key=len, reverse=True)


#: what may follow a word's letters, per family grammar (matched on the folded word)
RESTS: dict[str, re.Pattern[str]] = {
    "conv": re.compile(rf"(?P<kernel>{DIMS})(?:-(?P<filters>[0-9]+))?"),
    "dwconv": re.compile(rf"(?P<kernel>{DIMS})(?:-(?P<filters>[0-9]+))?"),
    "pool": re.compile(rf"(?P<kernel>{DIMS})?(?:/(?P<stride>{DIMS}))?"),
    "units": re.compile(r"-?(?P<units>[0-9]+)"),
    "rate": re.compile(rf"(?:-?(?P<rate>{FLOAT}))?"),
    "size": re.compile(r"(?:-?(?P<size>[0-9]+))?"),
    "none": re.compile(r""),
}


@dataclass(frozen=True)
class Option:
    """A `key=value` option: the field it sets and how its value is read."""

    field: str
    value: str  # "dims", "padding", "int", "float", "act", "flag"
    flag_value: bool = False
    meta: str = ""  # how it is written, for hints


def _valued(value: str, **fields: str) -> dict[str, Option]:
    """Options written `key=<field>` whose value reads as `value`, by key; the hint names the
    field with spaces for underscores, as people say it."""
    return {key: Option(field, value, meta=f"{key}=<{field.replace('_', ' ')}>") for key, field in fields.items()}


def _flags(value: bool, **fields: str) -> dict[str, Option]:
    """Options written as a bare word that set their field to `value`, by key."""
    return {key: Option(field, "flag", value, key) for key, field in fields.items()}


OPTIONS: dict[str, Option] = {
    **_valued("dims", s="stride", d="dilation", op="output_padding"),
    **_valued("padding", p="padding"),
    **_valued("int", g="groups", m="multiplier"),
    **_valued("act", act="activation"),
    **_valued("float", slope="negative_slope", eps="epsilon", alpha="alpha", beta="beta", k="k"),
    **_flags(False, nobias="bias", noaffine="affine", frozen="trainable"),
    **_flags(True, ceil="ceil_mode", keepdims="keepdims"),
}
#: long spellings of option keys (folded, without '_')
OPTION_ALIASES: dict[str, str] = {
    "stride": "s",
    "padding": "p",
    "pad": "p",
    "dilation": "d",
    "groups": "g",
    "multiplier": "m",
    "mult": "m",
    "outputpadding": "op",
    "activation": "act",
    "negativeslope": "slope",
    "epsilon": "eps",
    "ceilmode": "ceil",
}
INPUT_OPTIONS = ("name", "batch", "dtype")
LAYOUTS = {"hwc": "hwc", "chw": "chw", "nhwc": "hwc", "nchw": "chw"}


def is_pool(kind: str) -> bool:
    """A kind written as a pool word: its stride defaults to its kernel, its padding to 0."""
    return any(w.kind == kind and w.grammar == "pool" for w in families().values())


WORD_HINTS: dict[str, str] = {
    "conv": "e.g. conv3-64, conv3x3-64 or conv1x7-128; options follow after a space: conv3-64 s=2 p=valid",
    "dwconv": "e.g. dwconv3, dwconv3 s=2 m=2",
    "pool": "e.g. maxpool, maxpool3, maxpool3/2 or maxpool2x2",
    "units": "e.g. fc-4096 or fc4096",
    "rate": "e.g. dropout or dropout-0.3",
    "size": "e.g. lrn or lrn5",
    "none": "this layer takes no number; options follow after a space",
}


def known_forms() -> list[str]:
    """The example of each registered kind that has one, for the hint under an unknown word."""
    return [w.example for w in families().values() if w.example]


__all__ = [
    "ACTIVATIONS",
    "INPUT_OPTIONS",
    "LAYOUTS",
    "OPTIONS",
    "OPTION_ALIASES",
    "RESTS",
    "WORD_HINTS",
    "Option",
    "families",
    "is_pool",
    "known_forms",
    "words",
]
