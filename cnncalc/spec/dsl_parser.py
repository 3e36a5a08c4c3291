"""The DSL's grammar: an input item and layer items, read into spec data with every value located.

The middle of the one-line DSL (`cnncalc.spec.dsl`, which documents the grammar): the lexer
(`dsl_lexer`) gives located pieces and numbers, the vocabulary (`dsl_words`) says what a word or
option means, and `dsl_expand` turns each parsed item into spec layers. The parser reads the
input shape and its options, each layer item's repeat count, name, word and options, refuses
what does not fit with a located error and a hint, and gathers every item's error.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from cnncalc.errors import Diagnostic, SpecError
from cnncalc.layers import DslWord
from cnncalc.spec.dsl_expand import ParsedLayer, drop_defaults, expand
from cnncalc.spec.dsl_lexer import (
    EXAMPLE,
    MAX_DIAGNOSTICS,
    MAX_INPUT_DIMS,
    MAX_LAYERS,
    MAX_REPEAT,
    Lexer,
    Span,
    fold,
    nearest,
    show,
)
from cnncalc.spec.dsl_words import (
    ACTIVATIONS,
    INPUT_OPTIONS,
    LAYOUTS,
    OPTION_ALIASES,
    OPTIONS,
    RESTS,
    WORD_HINTS,
    families,
    known_forms,
    words,
)
from cnncalc.spec.model import SourceMap

_REPEAT = re.compile(r"([0-9]+)\s*[xX×*]\s*")
_NAME = re.compile(r"([^\s:]*):\s*")
_INPUT_DIMS = re.compile(
    r"\(\s*(?P<a>{d})\s*\)|\[\s*(?P<b>{d})\s*\]|(?P<c>{d})".format(d=r"[0-9]+(?:\s*[xX×*,]\s*[0-9]+)*")
)


class Parser(Lexer):
    """Parses one DSL string into spec data and a SourceMap of where each value was written."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source)
        self.map = SourceMap(source)

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
            expand(layer, repeat, item.start, layers, self.loc, self.map)
        if errors:
            raise SpecError(errors)
        data: dict[str, Any] = {"name": top.pop("name", "network"), "input": shape_input, **top, "layers": layers}
        return data, self.map

    # --- the input item -----------------------------------------------------------------

    def _input(self, item: Span, top: dict[str, Any]) -> dict[str, Any]:
        """`224x224x3 [hwc|chw] [name=..] [batch=..] [dtype=..]` -> the spec's input mapping."""
        found = _INPUT_DIMS.match(item.text)
        if found is None or (found.end() < len(item.text) and not item.text[found.end()].isspace()):
            self._not_a_shape(item)
        group = next(g for g in ("a", "b", "c") if found.group(g) is not None)
        dims_start = item.start + found.start(group)
        numbers = [
            Span(m.group(), item.start + found.start(group) + m.start())
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
            key, eq, _ = fold(token.text).partition("=")
            if not eq and key in LAYOUTS:
                self._once("layout", seen, token)
                layout = LAYOUTS[key]
                self.map.values[("input", "layout")] = self.loc(token.start)
                self.map.keys[("input", "layout")] = self.loc(token.start)
            elif eq and key in INPUT_OPTIONS:
                self._once(key, seen, token)
                raw = token.text[len(key) + 1 :]
                if not raw:
                    self.fail(f"option '{key}' needs a value, e.g. {key}=...", token.start)
                top[key] = self._int(raw, token.start + len(key) + 1) if key == "batch" else raw
                if key == "dtype":
                    top[key] = fold(raw)
                self.map.values[(key,)] = self.loc(token.start)
                self.map.keys[(key,)] = self.loc(token.start)
            else:
                close = nearest(key, [*LAYOUTS, *INPUT_OPTIONS])
                self.fail(
                    f"unexpected '{show(token.text)}' after the input shape"
                    + (f" (did you mean '{close}'?)" if close else ""),
                    token.start,
                    hint="the input takes a layout (hwc or chw) and options name=, batch=, dtype=; "
                    "separate layers with '|'",
                )
        return {"shape": shape, "layout": layout}

    def _not_a_shape(self, item: Span) -> NoReturn:
        first = item.text.split()[0]
        looks_like_layer = self._word_family(fold(re.sub(r"^.*:", "", first)).replace("_", "")) is not None
        self.fail(
            f"expected the input shape such as 224x224x3, got '{show(first)}'",
            item.start,
            hint=f"a DSL string starts with the input shape, then the layers: {EXAMPLE}"
            if looks_like_layer or not first[:1].isdigit()
            else "numbers separated by 'x', then optionally hwc or chw: 224x224x3, 3x224x224 chw, 4096",
        )

    # --- a layer item -------------------------------------------------------------------

    def _layer(self, item: Span) -> tuple[ParsedLayer, int]:
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
            rest = Span(rest.text[found.end() :], rest.start + found.end())
        name: Span | None = None
        found = _NAME.match(rest.text)
        if found:
            name = Span(found.group(1), rest.start)
            if not name.text:
                self.fail("empty layer name before ':'", rest.start, hint="e.g. CONV1:conv5-8, or drop the ':'")
            rest = Span(rest.text[found.end() :], rest.start + found.end())
        tokens = self._tokens(rest.text, rest.start)
        if not tokens:
            what = f"'{show(name.text)}:'" if name else "the repeat count"
            self.fail(f"expected a layer after {what}", rest.start, hint="e.g. 2x CONV:conv3-64")
        family, layer = self._word(tokens[0], name)
        for token in tokens[1:]:
            self._option(token, family, layer)
        if family.padding is not None and "padding" not in layer.fields:
            layer.fields["padding"] = family.padding
            layer.where[("padding",)] = tokens[0].start
        drop_defaults(layer)
        return layer, repeat

    def _word_family(self, norm: str) -> tuple[str, DslWord] | None:
        """The layer word `norm` begins with (folded, without '_'), and its family."""
        for word in words():
            if norm.startswith(word):
                return word, families()[word]
        bare = norm.replace("-", "")  # leaky-relu, hard-swish
        if bare in families() and families()[bare].grammar == "none":
            return norm, families()[bare]
        return None

    def _word(self, token: Span, name: Span | None) -> tuple[DslWord, ParsedLayer]:
        """The layer word: its kind, and the numbers written in it (kernel, filters, ...)."""
        folded = fold(token.text)
        keep = [i for i, ch in enumerate(folded) if ch != "_"]
        norm = "".join(folded[i] for i in keep)

        def at(j: int) -> int:  # offset of norm[j] in the string
            return token.start + (keep[j] if j < len(keep) else len(token.text))

        found = self._word_family(norm)
        if found is None or (norm[len(found[0]) :][:1].isalpha()):
            self._unknown_word(token, norm)
        word, family = found
        layer = ParsedLayer(family.kind, name.text if name else None)
        layer.where[("kind",)] = token.start
        if name:
            layer.where[("name",)] = name.start
        rest = norm[len(word) :]
        match = RESTS[family.grammar].fullmatch(rest)
        if match is None:
            self._malformed(token, norm, word, family)
        groups = {g: (v, at(len(word) + match.start(g))) for g, v in match.groupdict().items() if v is not None}
        if family.grammar in ("conv", "dwconv"):
            if family.grammar == "conv" and "filters" not in groups:
                self.fail(
                    f"'{show(token.text)}' needs a filter count: {family.form}, e.g. {word}{rest}-64",
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

    def _malformed(self, token: Span, norm: str, word: str, family: DslWord) -> NoReturn:
        """A known layer word whose number part does not fit its form."""
        if not norm[len(word) :] and family.grammar in ("conv", "dwconv", "units"):
            needs = {"conv": "a kernel size and a filter count", "dwconv": "a kernel size", "units": "a unit count"}
            self.fail(
                f"'{show(token.text)}' needs {needs[family.grammar]}: {family.form}",
                token.start,
                hint=WORD_HINTS[family.grammar],
            )
        close = nearest(norm, [w for w in words() if w != word]) if family.grammar == "none" else None
        self.fail(
            f"malformed {family.kind} layer '{show(token.text)}': expected {family.form}"
            + (f" (did you mean '{close}'?)" if close else ""),
            token.start,
            hint=WORD_HINTS[family.grammar],
        )

    def _unknown_word(self, token: Span, norm: str) -> NoReturn:
        """An unknown layer word, with the nearest known word in the same form."""
        letters = re.match(r"[a-z]*", norm)
        lead = letters.group() if letters else ""
        suggestion = None
        if lead:
            close = nearest(lead, words())
            suggestion = close + norm[len(lead) :] if close else None
        if suggestion is None:
            close = nearest(norm, words())
            suggestion = close if close else None
        if suggestion is None and norm[:1].isdigit():
            self.fail(
                f"expected a layer such as conv3-64, maxpool or fc-4096, got '{show(token.text)}'",
                token.start,
                hint="a repeat count is written `2x conv3-64` or `2* conv3-64`; only the first item is a shape",
            )
        self.fail(
            f"unknown layer '{show(token.text)}'" + (f" (did you mean '{show(suggestion)}'?)" if suggestion else ""),
            token.start,
            hint=None if suggestion else "layers: " + ", ".join(known_forms()),
        )

    def _option(self, token: Span, family: DslWord, layer: ParsedLayer) -> None:
        """One `key=value` or flag after the layer word."""
        raw_key, eq, raw_value = token.text.partition("=")
        if not raw_key:
            self.fail(f"expected key=value, got '{show(token.text)}'", token.start, hint="e.g. s=2, without spaces")
        key = fold(raw_key).replace("_", "")
        key = OPTION_ALIASES.get(key, key)
        option = OPTIONS.get(key)
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
                f"option '{show(raw_key)}' needs a value: {option.meta}",
                token.start,
                hint="write key=value without spaces, e.g. s=2",
            )
        value = fold(raw_value)
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
                close = nearest(value.replace("_", ""), list(ACTIVATIONS))
                self.fail(
                    f"unknown activation '{show(raw_value)}'" + (f" (did you mean '{close}'?)" if close else ""),
                    value_start,
                    hint=None if close else "activations: " + ", ".join(sorted(ACTIVATIONS)),
                )
            self._set(layer, option.field, act, token.start)

    def _unknown_option(self, token: Span, family: DslWord, key: str) -> NoReturn:
        """An option this layer does not take: the nearest one, or the ones it does take."""
        word = family.form.split("<")[0].split("[")[0].rstrip("-")
        if not family.options:
            hint = f"{word} takes no options"
        else:
            hint = f"{word} options: " + ", ".join(OPTIONS[o].meta for o in family.options)
        if self._word_family(fold(token.text).replace("_", "")) is not None and "=" not in token.text:
            hint = f"each layer is its own item: is a '|' missing before '{show(token.text)}'?"
        names = [*family.options, *(a for a, o in OPTION_ALIASES.items() if o in family.options)]
        close = nearest(key, names)
        self.fail(
            f"unknown option '{show(token.text.partition('=')[0])}' for {word}"
            + (f" (did you mean '{close}'?)" if close else ""),
            token.start,
            hint=hint,
        )

    # --- values -------------------------------------------------------------------------

    def _set(self, layer: ParsedLayer, name: str, value: Any, offset: int) -> None:
        """Record a field and where it was written; a field given twice is an error, not a silent override."""
        if name in layer.fields:
            self.fail(f"'{name}' is given twice", offset, hint="keep one of them")
        layer.fields[name] = value
        layer.where[(name,)] = offset

    def _set_dims(self, layer: ParsedLayer, name: str, text: str, start: int, at: int | None = None) -> None:
        """`2` -> 2; `2x1` or `2,1` -> [2, 1], one value per spatial axis."""
        pieces = self._pieces(text, start, name)
        values = [self._int(p.text, p.start) for p in pieces]
        self._set(layer, name, values[0] if len(values) == 1 else values, start if at is None else at)
        if len(values) > 1:
            for k, p in enumerate(pieces):
                layer.where[(name, k)] = p.start

    def _set_padding(self, layer: ParsedLayer, text: str, start: int, at: int) -> None:
        """`same`, `valid`, `1`, `1x2` per axis, `0/1x0/1` (before/after) per axis."""
        if text in ("same", "valid"):
            self._set(layer, "padding", text, at)
            return
        if text[:1].isalpha():
            close = nearest(text, ["same", "valid"])
            self.fail(
                f"padding is same, valid or a number, got '{show(text)}'"
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

    def _once(self, what: str, seen: set[str], token: Span) -> None:
        """Refuse an input word given twice (`hwc chw`), which would otherwise silently win."""
        if what in seen:
            self.fail(f"'{what}' is given twice", token.start, hint="keep one of them")
        seen.add(what)


__all__ = ["Parser"]
