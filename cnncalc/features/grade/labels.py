"""Reading a sheet row's label: the layer names it may mean, the kinds its words name, and total rows.

'CONV1 (f=5, s=1)' is CONV1, 'inception (3a)' is inception_3a, 'max pool' names the max pools
(the words each kind accepts are declared by its class: LayerBase.sheet_words), 'Total' and
'conv layers' are totals.
"""

from __future__ import annotations

import re
from typing import Literal

from cnncalc.layers.registry import sheet_words

_INPUT_NAMES = {"input", "inputlayer", "image", "inputimage", "data", "inputvolume"}
#: label words for rows that are not a layer kind; the kinds' own words are declared by
#: their classes (LayerBase.sheet_words) and read from the registry
_OTHER_WORDS: dict[str, tuple[str, ...]] = {"inception": ("block",), "input": ("input",)}


def name_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def label_names(label: str) -> set[str]:
    """The names a row label may mean: 'CONV1 (f=5, s=1)' -> {'conv1f5s1', 'conv1'}."""
    text = re.sub(r"^\s*\d+[.)]\s+", "", label).strip().rstrip(":").strip()
    names = {name_key(text), name_key(re.split(r"[(\[:]", text, maxsplit=1)[0])} - {""}
    return names | {"input"} if names & _INPUT_NAMES else names


def label_kinds(label: str) -> tuple[str, ...]:
    """Layer kinds a label's words name: 'max pool' -> max_pool, 'convolution 7x7/2' -> the convs."""
    head = re.split(r"[(\[:]", label.strip().lower(), maxsplit=1)[0]
    words = re.sub(r"[^a-z ]", " ", head).split()
    joined = "".join(words)
    known = {**sheet_words(), **_OTHER_WORDS}
    for key in (joined, *(w for w in words)):
        if key in known:
            return known[key]
    return ()


#: dense_one: "the fully connected layer" of the 000 exercise, its hidden dense layer (fc1), the
#: output layer asked apart; dense: "fully connected layers", all of them
TotalKind = Literal["total", "conv", "dense", "dense_one"]


def total_kind(label: str) -> TotalKind | None:
    """'Total', 'TOTAL params', 'entire network' -> total; 'conv layers' -> conv; 'FC layers' -> dense."""
    words = re.sub(r"[^a-z ]", " ", label.lower()).split()
    if not words:
        return None
    text = " ".join(words)
    if words[0] in ("total", "totals", "sum") or text in ("entire network", "whole network", "network", "all layers"):
        rest = [w for w in words[1:] if w not in ("of", "the", "in", "params", "parameters", "for")]
        words = rest or ["network"]
        text = " ".join(words)
        if not rest or text in ("network", "entire network", "whole network"):
            return "total"
    marker = any(w in ("layers", "layer", "total", "part") for w in words)
    if marker and words[0] in ("conv", "convolution", "convolutional", "convolutions"):
        return "conv"
    if marker and (words[0] in ("fc", "dense", "linear") or text.startswith("fully connected")):
        return "dense_one" if "layer" in words and "layers" not in words else "dense"
    return None


__all__ = ["TotalKind", "label_kinds", "label_names", "name_key", "total_kind"]
