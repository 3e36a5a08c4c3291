"""Input sizes written as symbols (`HxWx3`, `input: [H, W, 3]`): read, and stood in for.

A symbolic input is read before anything is analysed: from `--input` on the command line or a
spec file's `input:`, and validated at a placeholder size. This is all a command needs to
decide whether its input is symbolic, so it lives apart from the walk and the algebra, which
a command loads only when it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cnncalc.spec.model import InputSpec, Spec

SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: the size a symbolic axis is validated at; the walk never uses it
PLACEHOLDER = 224


def split_symbols(dims: Sequence[object]) -> tuple[list[int], list[str | None]] | None:
    """([placeholder ints], [symbol or None]) when some dims are symbol names, else None."""
    names = [d if isinstance(d, str) and SYMBOL.fullmatch(d.strip()) else None for d in dims]
    if not any(names):
        return None
    ints: list[int] = []
    for d, name in zip(dims, names, strict=True):
        if name is not None:
            ints.append(PLACEHOLDER)
        elif isinstance(d, int) and not isinstance(d, bool):
            ints.append(d)
        elif isinstance(d, str) and d.strip().isdigit():
            ints.append(int(d))
        else:
            return None
    return ints, [n.strip() if n else None for n in names]


def input_symbols(text: str) -> tuple[list[int], list[str | None]] | None:
    """`HxWx3` (or `[H, W, 3]`) -> placeholder ints and symbols; None when it has no symbol."""
    cleaned = text.strip().strip("()[]")
    for sep in ("×", "*", ",", " "):  # noqa: RUF001 -- people write the multiplication sign
        cleaned = cleaned.replace(sep, "x")
    parts = [p for p in re.split(r"(?<=[A-Za-z0-9_])x(?=[A-Za-z0-9_])", cleaned) if p]
    return split_symbols(parts)


def load_symbolic(ref: str) -> tuple[Spec, list[str | None]] | None:
    """A spec file whose `input:` names symbols: the spec (validated at a placeholder size)
    and the symbols in the written layout; None when its input has none."""
    from cnncalc.spec.loader import parse_yaml, read_source, validate_spec

    text, source = read_source(ref)
    data, source_map = parse_yaml(text, source)
    if not isinstance(data, dict):
        return None
    written = data.get("input")
    dims = written.get("shape") if isinstance(written, dict) else written
    found = input_symbols(dims) if isinstance(dims, str) else split_symbols(dims) if isinstance(dims, list) else None
    if found is None:
        return None
    ints, names = found
    layout = written.get("layout", "hwc") if isinstance(written, dict) else "hwc"
    if len(names) < 2 or names[-1 if layout == "hwc" else 0] is not None:
        return None  # a symbol for the channels: the loader's own error says what is wrong
    data["input"] = {**written, "shape": ints} if isinstance(written, dict) else ints
    return validate_spec(data, source_map), names


def with_symbols(spec: Spec, ints: list[int]) -> Spec:
    """`spec` with its input dims (written layout) replaced."""
    return spec.model_copy(update={"input": InputSpec(shape=ints, layout=spec.input.layout)})


__all__ = ["PLACEHOLDER", "SYMBOL", "input_symbols", "load_symbolic", "split_symbols", "with_symbols"]
