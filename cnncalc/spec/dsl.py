"""The one-line DSL: a network as the lecture tables write it, parsed into spec data.

`parse_dsl` turns the string into the same plain dict a YAML spec gives, and a SourceMap
that points every layer and field at its column, so validation and shape errors read
`<dsl>:1:COL: error: ...` exactly as they do for a file. `load_dsl` validates it.

Grammar
-------
Items are separated by `|`. Layer words and option keys are case-insensitive, and `_`
in them is ignored (`Max_Pool3/2` = `maxpool3/2`).

- Input (the first item): `224x224x3` is HWC, channels last, as the lecture tables
  write it; a layout word may follow: `3x224x224 chw`. 1 to 3 spatial dims then the
  channels (`1000x1` is a 1-D spectrum, `16x112x112x3` a clip), or one number for a
  flat vector (`4096`). `224 x 224 x 3`, `(224, 224, 3)` and `28×28×1` work too.
  Options: `name=vgg16`, `batch=8`, `dtype=float16`.
- A layer item: `[N x ][NAME:]WORD [OPTION ...]`.
  - `2x conv3-64` or `2* conv3-64` repeats the layer (1 to 10,000 times).
  - `CONV1:conv5-8` names the layer (put a space after the repeat: `2x CONV:conv3-64`).
    A repeated name is numbered: `2x conv1:conv3-64` gives conv1_1, conv1_2 (Caffe's VGG
    names), `2x block1_conv:conv3-64` gives block1_conv1, block1_conv2 (Keras's).
  - Options are `key=value` (no spaces around `=`) or bare flags, separated by spaces.
    Long keys work too: `stride=`, `padding=`, `dilation=`, `groups=`, `activation=`.
- Convolutions; `<k>` is `3`, or one size per axis: `3x5`.
  - `conv<k>-<filters>`, also `conv3x3-64`: stride 1 and padding **same** (VGG's
    "conv3-64" keeps the size). Options: `s=2` stride, `p=` padding (`same`, `valid`,
    `0` for none, `1`, one per axis `1x2`, before/after pairs `0/1x0/1`), `d=2`
    dilation, `g=2` groups, `act=relu` fused activation, `nobias`.
    Per-axis values are written `2x1` or `2,1`.
  - `dwconv<k>` depthwise (padding same; `s= p= d= m=` multiplier, `act= nobias`).
  - `sepconv<k>-<filters>` separable (padding same; `s= p= d= m= act= nobias`).
  - `deconv<k>-<filters>` transposed (padding same; `s= p= d= g= op=` output padding,
    `act= nobias`).
  - `lc<k>-<filters>` locally connected (padding **0**, as Keras; `s= p= d= act= nobias`).
- Pools: `maxpool` (kernel 2, stride = kernel), `maxpool3` (kernel 3), `maxpool3/2`
  (kernel 3, stride 2), `maxpool2x2`; options `s= p= d=` and the flag `ceil`. The same
  for `avgpool`, `sumpool`, `l2pool`. Global: `gap` / `globalavgpool`, `gmp` /
  `globalmaxpool`, flag `keepdims`.
- Dense: `fc-4096`, `fc4096`, `dense-4096`, `linear-4096`; options `act=`, `nobias`.
- Activations by name: `relu`, `relu6`, `leakyrelu` / `leaky_relu` / `leaky-relu`
  (`slope=0.2`), `elu`, `selu`, `gelu`, `sigmoid`, `tanh`, `softmax`, `swish` / `silu`,
  `hardswish`, `hardsigmoid`, `softplus`. (`linear` is the dense layer, as `kind: linear`
  is in a YAML spec; `act=linear` is the identity.)
- `dropout`, `dropout-0.3` (the rate); `bn` / `batchnorm` (`eps=`, `noaffine`); `lrn`,
  `lrn5` (the size; `alpha= beta= k=`); `flatten`.

Example (VGG-16, 138,357,544 params):
`224x224x3 | 2x conv3-64 | maxpool | 2x conv3-128 | maxpool | 3x conv3-256 | maxpool |
3x conv3-512 | maxpool | 3x conv3-512 | maxpool | fc-4096 | fc-4096 | fc-1000 | softmax`

Hostile input is refused in bounded time: more than 100,000 characters, a repeat count
above 10,000, a number of more than 9 digits, or more layers than a spec may hold. The
errors of every item are reported together, each at its own column.
"""

from __future__ import annotations

import copy
import difflib
import re
import string
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NoReturn, get_args

from cnncalc.errors import Diagnostic, Location, SpecError
from cnncalc.layers import REGISTRY, DslWord
from cnncalc.layers.base import ActivationKind
from cnncalc.layers.elementwise import Activation
from cnncalc.layers.registry import dsl_words
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import Path, SourceMap, Spec

MAX_DSL_CHARS = 100_000
MAX_REPEAT = 10_000
MAX_DIGITS = 9
MAX_EXPONENT_DIGITS = 2  # 1e99 at most: never an infinite float
MAX_INPUT_DIMS = 4  # InputSpec's limit: 3 spatial axes and channels


def _spec_layer_limit() -> int:
    """Spec.layers' own limit, checked while expanding repeats so memory stays bounded."""
    for meta in Spec.model_fields["layers"].metadata:
        limit = getattr(meta, "max_length", None)
        if isinstance(limit, int):
            return limit
    return 100_000


MAX_LAYERS = _spec_layer_limit()
#: enough to fix a string in one go without flooding the terminal
MAX_DIAGNOSTICS = 20

EXAMPLE = "224x224x3 | 2x conv3-64 | maxpool | fc-10 | softmax"

_ACTIVATION_NAMES: tuple[str, ...] = (*get_args(ActivationKind), "linear")
#: activation spellings for `act=` (folded, without '_') -> canonical activation kind
ACTIVATIONS: dict[str, str] = {name.replace("_", ""): name for name in _ACTIVATION_NAMES}
ACTIVATIONS.update({alias.replace("_", ""): kind for alias, kind in Activation.aliases.items()})


def _families() -> dict[str, DslWord]:
    """Every layer word of the registered kinds (folded, without '_'), read at parse time:
    a kind registered after import is a word of the DSL too."""
    return dsl_words()


def _words() -> list[str]:
    """The layer words, longest first, so that `relu6` is not read as `relu` followed by 6."""
    return _sorted_words(tuple(_families()))


@lru_cache(maxsize=8)
def _sorted_words(words: tuple[str, ...]) -> list[str]:
    return sorted(words, key=len, reverse=True)


_DIMS = r"[0-9]+(?:x[0-9]+)*"
_FLOAT = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?"
#: what may follow a word's letters, per family grammar (matched on the folded word)
_RESTS: dict[str, re.Pattern[str]] = {
    "conv": re.compile(rf"(?P<kernel>{_DIMS})(?:-(?P<filters>[0-9]+))?"),
    "dwconv": re.compile(rf"(?P<kernel>{_DIMS})(?:-(?P<filters>[0-9]+))?"),
    "pool": re.compile(rf"(?P<kernel>{_DIMS})?(?:/(?P<stride>{_DIMS}))?"),
    "units": re.compile(r"-?(?P<units>[0-9]+)"),
    "rate": re.compile(rf"(?:-?(?P<rate>{_FLOAT}))?"),
    "size": re.compile(r"(?:-?(?P<size>[0-9]+))?"),
    "none": re.compile(r""),
}


@dataclass(frozen=True)
class _Option:
    """A `key=value` option: the field it sets and how its value is read."""

    field: str
    value: str  # "dims", "padding", "int", "float", "act", "flag"
    flag_value: bool = False
    meta: str = ""  # how it is written, for hints


def _valued(value: str, **fields: str) -> dict[str, _Option]:
    """Options written `key=<field>` whose value reads as `value`, by key; the hint names the
    field with spaces for underscores, as people say it."""
    return {key: _Option(field, value, meta=f"{key}=<{field.replace('_', ' ')}>") for key, field in fields.items()}


def _flags(value: bool, **fields: str) -> dict[str, _Option]:
    """Options written as a bare word that set their field to `value`, by key."""
    return {key: _Option(field, "flag", value, key) for key, field in fields.items()}


_OPTIONS: dict[str, _Option] = {
    **_valued("dims", s="stride", d="dilation", op="output_padding"),
    **_valued("padding", p="padding"),
    **_valued("int", g="groups", m="multiplier"),
    **_valued("act", act="activation"),
    **_valued("float", slope="negative_slope", eps="epsilon", alpha="alpha", beta="beta", k="k"),
    **_flags(False, nobias="bias", noaffine="affine"),
    **_flags(True, ceil="ceil_mode", keepdims="keepdims"),
}
#: long spellings of option keys (folded, without '_')
_OPTION_ALIASES: dict[str, str] = {
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
_INPUT_OPTIONS = ("name", "batch", "dtype")
_LAYOUTS = {"hwc": "hwc", "chw": "chw", "nhwc": "hwc", "nchw": "chw"}

#: fields in the order a person writes them in YAML
_FIELD_ORDER = (
    "filters", "units", "kernel", "stride", "padding", "dilation", "groups", "multiplier", "output_padding",
    "ceil_mode", "keepdims", "rate", "size", "alpha", "beta", "k", "affine", "epsilon", "negative_slope",
    "bias", "activation",
)  # fmt: skip

_REPEAT = re.compile(r"([0-9]+)\s*[xX×*]\s*")
_NAME = re.compile(r"([^\s:]*):\s*")
_INPUT_DIMS = re.compile(
    r"\(\s*(?P<a>{d})\s*\)|\[\s*(?P<b>{d})\s*\]|(?P<c>{d})".format(d=r"[0-9]+(?:\s*[xX×*,]\s*[0-9]+)*")
)

_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _fold(text: str) -> str:
    """ASCII lower case: keeps every character where it was, so columns stay right."""
    return text.translate(_FOLD)


def _show(text: str, limit: int = 40) -> str:
    """User text quoted in a message: bounded, and printable on any terminal."""
    short = text if len(text) <= limit else text[: limit - 3] + "..."
    return short.encode("utf-8", "backslashreplace").decode("utf-8")


def _close(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The nearest known spelling, for a did-you-mean."""
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


@dataclass(frozen=True)
class _Span:
    """A piece of the DSL string and the offset where it starts."""

    text: str
    start: int


@dataclass
class _Layer:
    """One parsed layer item before it is expanded: its fields and where each was written."""

    kind: str
    name: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    #: path below ("layers", i) -> offset in the string
    where: dict[Path, int] = field(default_factory=dict)


class _Parser:
    """Parses one DSL string; offsets are 0-based, Locations 1-based (line, column)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.map = SourceMap(source)

    def loc(self, offset: int) -> Location:
        """Line and column of an offset; a string pasted from a file may span lines."""
        line = bisect_left(self.newlines, offset)  # newlines before offset
        start = self.newlines[line - 1] + 1 if line else 0
        return Location(self.source, line + 1, offset - start + 1)

    def fail(self, message: str, offset: int, hint: str | None = None) -> NoReturn:
        """Stop this item with a located error; parse() gathers one per item."""
        raise SpecError.single(message, self.loc(offset), hint)

    # --- the whole string ---------------------------------------------------------------

    def parse(self) -> tuple[dict[str, Any], SourceMap]:
        items = self._items()
        self.map.values[()] = self.loc(items[0].start)
        self.map.values[("layers",)] = self.loc(items[1].start)
        # items are independent, so every item's error is reported, not only the first
        errors: list[Diagnostic] = []
        top: dict[str, Any] = {}
        shape_input: dict[str, Any] = {}
        try:
            shape_input = self._input(items[0], top)
        except SpecError as e:
            errors += e.diagnostics
        layers: list[dict[str, Any]] = []
        for item in items[1:]:
            try:
                layer, repeat = self._layer(item)
            except SpecError as e:
                errors += e.diagnostics
                if len(errors) >= MAX_DIAGNOSTICS:
                    break
                continue
            if len(layers) + repeat > MAX_LAYERS:
                # the one error that stops the walk: going on would build the layers it refuses
                errors.append(
                    Diagnostic(f"too many layers: a network has at most {MAX_LAYERS:,}", self.loc(item.start))
                )
                break
            self._expand(layer, repeat, item, layers)
        if errors:
            raise SpecError(errors)
        data: dict[str, Any] = {"name": top.pop("name", "network"), "input": shape_input, **top, "layers": layers}
        return data, self.map

    def _items(self) -> list[_Span]:
        """The `|`-separated items, each stripped, refusing empty ones."""
        if not self.text.strip():
            self.fail("empty DSL string", 0, hint=f"e.g. {EXAMPLE}")
        parts: list[_Span] = []
        offset = 0
        for piece in self.text.split("|"):
            parts.append(_Span(piece, offset))
            offset += len(piece) + 1
        items: list[_Span] = []
        for j, part in enumerate(parts):
            found = re.search(r"\S(?:.*\S)?", part.text, re.DOTALL)
            if found is None:
                if j == 0:
                    self.fail(
                        "missing input shape before the first '|'",
                        part.start + len(part.text),
                        hint=f"the first item is the input shape, e.g. {EXAMPLE}",
                    )
                if j == len(parts) - 1:
                    self.fail(
                        "nothing after the last '|'", part.start - 1, hint="remove the '|' or add a layer after it"
                    )
                self.fail(
                    "empty item between two '|'", part.start - 1, hint="remove one '|' or put a layer between them"
                )
            items.append(_Span(found.group(), part.start + found.start()))
        if len(items) == 1:
            self.fail(
                "no layers after the input shape",
                items[0].start + len(items[0].text),
                hint=f"add layers separated by '|', e.g. {EXAMPLE}",
            )
        return items

    # --- the input item -----------------------------------------------------------------

    def _input(self, item: _Span, top: dict[str, Any]) -> dict[str, Any]:
        """`224x224x3 [hwc|chw] [name=..] [batch=..] [dtype=..]` -> the spec's input mapping."""
        found = _INPUT_DIMS.match(item.text)
        if found is None or (found.end() < len(item.text) and not item.text[found.end()].isspace()):
            self._not_a_shape(item)
        group = next(g for g in ("a", "b", "c") if found.group(g) is not None)
        dims_start = item.start + found.start(group)
        numbers = [
            _Span(m.group(), item.start + found.start(group) + m.start())
            for m in re.finditer("[0-9]+", found.group(group))
        ]
        if len(numbers) > MAX_INPUT_DIMS:
            self.fail(
                f"an input shape has 1 to 4 numbers, got {len(numbers)}",
                dims_start,
                hint="spatial dims then channels: 1000x1, 224x224x3 or 16x112x112x3",
            )
        shape = [self._int(n.text, n.start) for n in numbers]
        self.map.values[("input",)] = self.loc(item.start)
        self.map.values[("input", "shape")] = self.loc(dims_start)
        for k, n in enumerate(numbers):
            self.map.values[("input", "shape", k)] = self.loc(n.start)
        layout = "hwc"
        self.map.values[("input", "layout")] = self.loc(dims_start)
        seen: set[str] = set()
        for token in self._tokens(item.text[found.end() :], item.start + found.end()):
            key, eq, _ = _fold(token.text).partition("=")
            if not eq and key in _LAYOUTS:
                self._once("layout", seen, token)
                layout = _LAYOUTS[key]
                self.map.values[("input", "layout")] = self.loc(token.start)
                self.map.keys[("input", "layout")] = self.loc(token.start)
            elif eq and key in _INPUT_OPTIONS:
                self._once(key, seen, token)
                raw = token.text[len(key) + 1 :]
                if not raw:
                    self.fail(f"option '{key}' needs a value, e.g. {key}=...", token.start)
                top[key] = self._int(raw, token.start + len(key) + 1) if key == "batch" else raw
                if key == "dtype":
                    top[key] = _fold(raw)
                self.map.values[(key,)] = self.loc(token.start)
                self.map.keys[(key,)] = self.loc(token.start)
            else:
                close = _close(key, [*_LAYOUTS, *_INPUT_OPTIONS])
                self.fail(
                    f"unexpected '{_show(token.text)}' after the input shape"
                    + (f" (did you mean '{close}'?)" if close else ""),
                    token.start,
                    hint="the input takes a layout (hwc or chw) and options name=, batch=, dtype=; "
                    "separate layers with '|'",
                )
        return {"shape": shape, "layout": layout}

    def _not_a_shape(self, item: _Span) -> NoReturn:
        first = item.text.split()[0]
        looks_like_layer = self._word_family(_fold(re.sub(r"^.*:", "", first)).replace("_", "")) is not None
        self.fail(
            f"expected the input shape such as 224x224x3, got '{_show(first)}'",
            item.start,
            hint=f"a DSL string starts with the input shape, then the layers: {EXAMPLE}"
            if looks_like_layer or not first[:1].isdigit()
            else "numbers separated by 'x', then optionally hwc or chw: 224x224x3, 3x224x224 chw, 4096",
        )

    # --- a layer item -------------------------------------------------------------------

    def _layer(self, item: _Span) -> tuple[_Layer, int]:
        """`[N x ][NAME:]WORD [OPTION ...]` -> the layer and its repeat count."""
        rest = item
        repeat = 1
        # a name has no spaces, so `2x CONV:conv3-64` is a repeat and `1x1conv:conv1-64` a name
        found = None if _NAME.match(rest.text) else _REPEAT.match(rest.text)
        if found:
            repeat = self._int(found.group(1), rest.start)
            if repeat < 1:
                self.fail("repeat count must be at least 1", rest.start, hint="e.g. 2x conv3-64")
            if repeat > MAX_REPEAT:
                self.fail(f"repeat count {repeat:,} is more than {MAX_REPEAT:,}", rest.start)
            rest = _Span(rest.text[found.end() :], rest.start + found.end())
        name: _Span | None = None
        found = _NAME.match(rest.text)
        if found:
            name = _Span(found.group(1), rest.start)
            if not name.text:
                self.fail("empty layer name before ':'", rest.start, hint="e.g. CONV1:conv5-8, or drop the ':'")
            rest = _Span(rest.text[found.end() :], rest.start + found.end())
        tokens = self._tokens(rest.text, rest.start)
        if not tokens:
            what = f"'{_show(name.text)}:'" if name else "the repeat count"
            self.fail(f"expected a layer after {what}", rest.start, hint="e.g. 2x CONV:conv3-64")
        family, layer = self._word(tokens[0], name)
        for token in tokens[1:]:
            self._option(token, family, layer)
        if family.padding is not None and "padding" not in layer.fields:
            layer.fields["padding"] = family.padding
            layer.where[("padding",)] = tokens[0].start
        self._drop_defaults(layer)
        return layer, repeat

    def _word_family(self, norm: str) -> tuple[str, DslWord] | None:
        """The layer word `norm` begins with (folded, without '_'), and its family."""
        for word in _words():
            if norm.startswith(word):
                return word, _families()[word]
        bare = norm.replace("-", "")  # leaky-relu, hard-swish
        if bare in _families() and _families()[bare].grammar == "none":
            return norm, _families()[bare]
        return None

    def _word(self, token: _Span, name: _Span | None) -> tuple[DslWord, _Layer]:
        """The layer word: its kind, and the numbers written in it (kernel, filters, ...)."""
        folded = _fold(token.text)
        keep = [i for i, ch in enumerate(folded) if ch != "_"]
        norm = "".join(folded[i] for i in keep)

        def at(j: int) -> int:  # offset of norm[j] in the string
            return token.start + (keep[j] if j < len(keep) else len(token.text))

        found = self._word_family(norm)
        if found is None or (norm[len(found[0]) :][:1].isalpha()):
            self._unknown_word(token, norm)
        word, family = found
        layer = _Layer(family.kind, name.text if name else None)
        layer.where[("kind",)] = token.start
        if name:
            layer.where[("name",)] = name.start
        rest = norm[len(word) :]
        match = _RESTS[family.grammar].fullmatch(rest)
        if match is None:
            self._malformed(token, norm, word, family)
        groups = {g: (v, at(len(word) + match.start(g))) for g, v in match.groupdict().items() if v is not None}
        if family.grammar in ("conv", "dwconv"):
            if family.grammar == "conv" and "filters" not in groups:
                self.fail(
                    f"'{_show(token.text)}' needs a filter count: {family.form}, e.g. {word}{rest}-64",
                    token.start,
                )
            if family.grammar == "dwconv" and "filters" in groups:
                self.fail(
                    "dwconv takes no filter count: it keeps the input's channels (times m=<multiplier>)",
                    groups["filters"][1],
                    hint=f"write dwconv{groups['kernel'][0]}, or sepconv{groups['kernel'][0]}-<filters>",
                )
        for group, (text, offset) in groups.items():
            if group in ("kernel", "stride"):
                self._set_dims(layer, group, text, offset)
            elif group == "rate":
                self._set(layer, group, self._float(text, offset), offset)
            else:
                self._set(layer, group, self._int(text, offset), offset)
        return family, layer

    def _malformed(self, token: _Span, norm: str, word: str, family: DslWord) -> NoReturn:
        """A known layer word whose number part does not fit its form."""
        if not norm[len(word) :] and family.grammar in ("conv", "dwconv", "units"):
            needs = {"conv": "a kernel size and a filter count", "dwconv": "a kernel size", "units": "a unit count"}
            self.fail(
                f"'{_show(token.text)}' needs {needs[family.grammar]}: {family.form}",
                token.start,
                hint=_WORD_HINTS[family.grammar],
            )
        close = _close(norm, [w for w in _words() if w != word]) if family.grammar == "none" else None
        self.fail(
            f"malformed {family.kind} layer '{_show(token.text)}': expected {family.form}"
            + (f" (did you mean '{close}'?)" if close else ""),
            token.start,
            hint=_WORD_HINTS[family.grammar],
        )

    def _unknown_word(self, token: _Span, norm: str) -> NoReturn:
        """An unknown layer word, with the nearest known word in the same form."""
        letters = re.match(r"[a-z]*", norm)
        lead = letters.group() if letters else ""
        suggestion = None
        if lead:
            close = _close(lead, _words())
            suggestion = close + norm[len(lead) :] if close else None
        if suggestion is None:
            close = _close(norm, _words())
            suggestion = close if close else None
        if suggestion is None and norm[:1].isdigit():
            self.fail(
                f"expected a layer such as conv3-64, maxpool or fc-4096, got '{_show(token.text)}'",
                token.start,
                hint="a repeat count is written `2x conv3-64` or `2* conv3-64`; only the first item is a shape",
            )
        self.fail(
            f"unknown layer '{_show(token.text)}'" + (f" (did you mean '{_show(suggestion)}'?)" if suggestion else ""),
            token.start,
            hint=None if suggestion else "layers: " + ", ".join(_known_forms()),
        )

    def _option(self, token: _Span, family: DslWord, layer: _Layer) -> None:
        """One `key=value` or flag after the layer word."""
        raw_key, eq, raw_value = token.text.partition("=")
        if not raw_key:
            self.fail(f"expected key=value, got '{_show(token.text)}'", token.start, hint="e.g. s=2, without spaces")
        key = _fold(raw_key).replace("_", "")
        key = _OPTION_ALIASES.get(key, key)
        option = _OPTIONS.get(key)
        if option is None or key not in family.options:
            self._unknown_option(token, family, key)
        value_start = token.start + len(raw_key) + 1
        if option.value == "flag":
            if eq:
                self.fail(f"'{key}' is a flag and takes no value", token.start, hint=f"write just {key}")
            self._set(layer, option.field, option.flag_value, token.start)
            return
        if not eq or not raw_value:
            self.fail(
                f"option '{_show(raw_key)}' needs a value: {option.meta}",
                token.start,
                hint="write key=value without spaces, e.g. s=2",
            )
        value = _fold(raw_value)
        if option.value == "dims":
            self._set_dims(layer, option.field, value, value_start, at=token.start)
        elif option.value == "padding":
            self._set_padding(layer, value, value_start, token.start)
        elif option.value == "int":
            self._set(layer, option.field, self._int(value, value_start), token.start)
        elif option.value == "float":
            self._set(layer, option.field, self._float(value, value_start), token.start)
        else:
            act = ACTIVATIONS.get(value.replace("_", "").replace("-", ""))
            if act is None:
                close = _close(value.replace("_", ""), list(ACTIVATIONS))
                self.fail(
                    f"unknown activation '{_show(raw_value)}'" + (f" (did you mean '{close}'?)" if close else ""),
                    value_start,
                    hint=None if close else "activations: " + ", ".join(sorted(ACTIVATIONS)),
                )
            self._set(layer, option.field, act, token.start)

    def _unknown_option(self, token: _Span, family: DslWord, key: str) -> NoReturn:
        """An option this layer does not take: the nearest one, or the ones it does take."""
        word = family.form.split("<")[0].split("[")[0].rstrip("-")
        if not family.options:
            hint = f"{word} takes no options"
        else:
            hint = f"{word} options: " + ", ".join(_OPTIONS[o].meta for o in family.options)
        if self._word_family(_fold(token.text).replace("_", "")) is not None and "=" not in token.text:
            hint = f"each layer is its own item: is a '|' missing before '{_show(token.text)}'?"
        names = [*family.options, *(a for a, o in _OPTION_ALIASES.items() if o in family.options)]
        close = _close(key, names)
        self.fail(
            f"unknown option '{_show(token.text.partition('=')[0])}' for {word}"
            + (f" (did you mean '{close}'?)" if close else ""),
            token.start,
            hint=hint,
        )

    # --- values -------------------------------------------------------------------------

    def _set(self, layer: _Layer, name: str, value: Any, offset: int) -> None:
        """Record a field and where it was written; a field given twice is an error, not a silent override."""
        if name in layer.fields:
            self.fail(f"'{name}' is given twice", offset, hint="keep one of them")
        layer.fields[name] = value
        layer.where[(name,)] = offset

    def _set_dims(self, layer: _Layer, name: str, text: str, start: int, at: int | None = None) -> None:
        """`2` -> 2; `2x1` or `2,1` -> [2, 1], one value per spatial axis."""
        pieces = self._pieces(text, start, name)
        values = [self._int(p.text, p.start) for p in pieces]
        self._set(layer, name, values[0] if len(values) == 1 else values, start if at is None else at)
        if len(values) > 1:
            for k, p in enumerate(pieces):
                layer.where[(name, k)] = p.start

    def _set_padding(self, layer: _Layer, text: str, start: int, at: int) -> None:
        """`same`, `valid`, `1`, `1x2` per axis, `0/1x0/1` (before/after) per axis."""
        if text in ("same", "valid"):
            self._set(layer, "padding", text, at)
            return
        if text[:1].isalpha():
            close = _close(text, ["same", "valid"])
            self.fail(
                f"padding is same, valid or a number, got '{_show(text)}'"
                + (f" (did you mean '{close}'?)" if close else ""),
                start,
                hint="e.g. p=same, p=valid, p=1, p=1x2 or p=0/1x0/1 (before/after per axis)",
            )
        pieces = self._pieces(text, start, "padding")
        values: list[Any] = []
        for k, p in enumerate(pieces):
            before, slash, after = p.text.partition("/")
            if slash:
                pair = [self._int(before, p.start), self._int(after, p.start + len(before) + 1)]
                values.append(pair)
                layer.where[("padding", k, 0)] = p.start
                layer.where[("padding", k, 1)] = p.start + len(before) + 1
            else:
                values.append(self._int(p.text, p.start))
            layer.where[("padding", k)] = p.start
        single = len(values) == 1 and isinstance(values[0], int)
        self._set(layer, "padding", values[0] if single else values, at)

    def _pieces(self, text: str, start: int, name: str) -> list[_Span]:
        """Split a per-axis value on `x` or `,`, keeping each piece's offset for its own column."""
        pieces: list[_Span] = []
        offset = start
        for piece in re.split("[x,]", text):
            if not piece:
                self.fail(
                    f"malformed {name} '{_show(text)}': expected a number, or one per axis such as 2x1",
                    start,
                )
            pieces.append(_Span(piece, offset))
            offset += len(piece) + 1
        return pieces

    def _int(self, text: str, offset: int) -> int:
        """A whole number of at most MAX_DIGITS ASCII digits (`int('²')` would raise)."""
        if not re.fullmatch("[0-9]+", text):
            self.fail(f"expected a whole number, got '{_show(text)}'", offset)
        if len(text) > MAX_DIGITS:
            self.fail(f"number '{_show(text, 20)}' has more than {MAX_DIGITS} digits", offset)
        return int(text)

    def _float(self, text: str, offset: int) -> float:
        """A decimal such as 0.5 or 1e-5, bounded so that it is never inf or absurdly long."""
        if not re.fullmatch(_FLOAT, text):
            self.fail(f"expected a number such as 0.5 or 1e-5, got '{_show(text)}'", offset)
        mantissa, _, exponent = text.partition("e")
        if sum(ch.isdigit() for ch in mantissa) > MAX_DIGITS or len(exponent.lstrip("+-")) > MAX_EXPONENT_DIGITS:
            self.fail(
                f"number '{_show(text, 20)}' is too long: at most {MAX_DIGITS} digits "
                f"and a {MAX_EXPONENT_DIGITS}-digit exponent",
                offset,
            )
        return float(text)

    def _once(self, what: str, seen: set[str], token: _Span) -> None:
        """Refuse an input word given twice (`hwc chw`), which would otherwise silently win."""
        if what in seen:
            self.fail(f"'{what}' is given twice", token.start, hint="keep one of them")
        seen.add(what)

    @staticmethod
    def _tokens(text: str, start: int) -> list[_Span]:
        """Whitespace-separated words with their offsets in the whole string."""
        return [_Span(m.group(), start + m.start()) for m in re.finditer(r"\S+", text)]

    @staticmethod
    def _drop_defaults(layer: _Layer) -> None:
        """Leave out what equals the kind's default, so the YAML says only what matters."""
        model = REGISTRY[layer.kind]
        for name in list(layer.fields):
            pool = _is_pool(layer.kind)
            if name == "padding" and not pool:
                continue  # the DSL's conv default differs from the spec's: always say it
            value = layer.fields[name]
            default = layer.fields.get("kernel", 2) if name == "stride" and pool else None
            if default is None:
                default = model.model_fields[name].default
            if type(value) is type(default) and value == default:
                del layer.fields[name]

    # --- expansion ----------------------------------------------------------------------

    def _expand(self, layer: _Layer, repeat: int, item: _Span, layers: list[dict[str, Any]]) -> None:
        """Append the layer `repeat` times, numbering a repeated name, and map every path."""
        order = sorted(layer.fields, key=lambda n: _FIELD_ORDER.index(n) if n in _FIELD_ORDER else len(_FIELD_ORDER))
        fields = {name: layer.fields[name] for name in order}
        item_loc = self.loc(item.start)
        where = {path: self.loc(offset) for path, offset in layer.where.items()}
        for r in range(repeat):
            i = len(layers)
            data: dict[str, Any] = {"kind": layer.kind}
            if layer.name is not None:
                data["name"] = _numbered(layer.name, r + 1) if repeat > 1 else layer.name
            data.update(copy.deepcopy(fields))  # no shared lists: the YAML would get anchors
            layers.append(data)
            self.map.values[("layers", i)] = item_loc
            for path, location in where.items():
                self.map.values[("layers", i, *path)] = location
                if len(path) == 1:
                    self.map.keys[("layers", i, *path)] = location


def _is_pool(kind: str) -> bool:
    """A kind written as a pool word: its stride defaults to its kernel, its padding to 0."""
    return any(w.kind == kind and w.grammar == "pool" for w in _families().values())


_WORD_HINTS: dict[str, str] = {
    "conv": "e.g. conv3-64, conv3x3-64 or conv1x7-128; options follow after a space: conv3-64 s=2 p=valid",
    "dwconv": "e.g. dwconv3, dwconv3 s=2 m=2",
    "pool": "e.g. maxpool, maxpool3, maxpool3/2 or maxpool2x2",
    "units": "e.g. fc-4096 or fc4096",
    "rate": "e.g. dropout or dropout-0.3",
    "size": "e.g. lrn or lrn5",
    "none": "this layer takes no number; options follow after a space",
}


def _known_forms() -> list[str]:
    """The example of each registered kind that has one, for the hint under an unknown word."""
    return [w.example for w in _families().values() if w.example]


def _numbered(name: str, n: int) -> str:
    """conv1 -> conv1_1 (Caffe's VGG names); block1_conv -> block1_conv1 (Keras's)."""
    return f"{name}_{n}" if name[-1:].isdigit() else f"{name}{n}"


def parse_dsl(text: str, source: str = "<dsl>") -> tuple[dict[str, Any], SourceMap]:
    """DSL string -> the plain data a YAML spec gives, and where each value was written.

    `yaml.safe_dump(data, sort_keys=False)` is a valid spec file. Raises SpecError, with
    every item's problem located at its column, for anything that does not parse.
    """
    if not isinstance(text, str):
        raise SpecError.single(f"a DSL spec is text, got {type(text).__name__}", Location(source, 1, 1))
    if len(text) > MAX_DSL_CHARS:
        raise SpecError.single(
            f"DSL string is {len(text):,} characters; the limit is {MAX_DSL_CHARS:,}",
            Location(source, 1, 1),
            hint="write a network this large as a YAML spec",
        )
    return _Parser(text, source).parse()


def load_dsl(text: str, source: str = "<dsl>") -> Spec:
    """Parse and validate a DSL string into a Spec; every error carries `<dsl>:1:COL`."""
    data, source_map = parse_dsl(text, source)
    return validate_spec(data, source_map)


__all__ = ["ACTIVATIONS", "MAX_DSL_CHARS", "MAX_REPEAT", "load_dsl", "parse_dsl"]
