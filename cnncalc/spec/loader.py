"""Reading specs: files, bundled names and YAML text, with every error located.

YAML is composed with PyYAML's safe loader into nodes, then turned into plain data by
our own walk, which records the line and column of every key and value and refuses
alias bombs, deep nesting and huge files in bounded time and memory.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from cnncalc.core.gcpause import paused_gc
from cnncalc.errors import CnncalcError, Diagnostic, Location, SpecError
from cnncalc.layers import REGISTRY, canonical_kind
from cnncalc.spec.model import BlockCall, BlockDef, Budgets, InputSpec, Path, SourceMap, Spec

MAX_SPEC_BYTES = 4 * 1024 * 1024  # far above any real network spec


def specs_root() -> FsPath:
    """Where the bundled networks are: the installed cnncalc.specs, or specs/ beside a source checkout.

    An installed wheel and an editable install both provide cnncalc.specs. A package that runs
    from a clone (PYTHONPATH set) reads the specs/ of that clone, even when another checkout is
    installed in editable mode (whose cnncalc.specs would be that other checkout's). Found with
    importlib.util rather than importlib.resources, which costs a tenth of `cnncalc summarize`'s
    start-up to import.
    """
    checkout = FsPath(__file__).resolve().parent.parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "specs" / "__init__.py").is_file():
        return checkout / "specs"
    try:
        found = importlib.util.find_spec("cnncalc.specs")
    except ModuleNotFoundError:
        found = None
    if found is not None and found.submodule_search_locations:
        return FsPath(next(iter(found.submodule_search_locations)))
    return checkout / "specs"


def bundled_names() -> list[str]:
    """Names of the networks shipped in specs/ (installed as cnncalc.specs), sorted."""
    root = specs_root()
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def read_source(ref: str) -> tuple[str, str]:
    """(text, source name) for a file path or a bundled network name."""
    try:
        FsPath(ref).stat()
        exists = True
    except FileNotFoundError:
        exists = False
    except (OSError, ValueError):
        exists = True  # a name too long, a loop of links...: read_text_file says what is wrong
    if exists:
        return read_text_file(FsPath(ref)), ref
    if ref in bundled_names():
        text = (specs_root() / f"{ref}.yaml").read_text(encoding="utf-8")
        return text, f"{ref}.yaml"
    close = difflib.get_close_matches(ref, bundled_names(), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise SpecError.single(
        f"no spec file or bundled network named '{_clip(ref)}'",
        hint=f"{hint}`cnncalc list` shows the bundled networks; a DSL string goes after --dsl",
    )


def _clip(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


_FILE_TYPES = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_text_file(
    path: FsPath,
    what: str = "a YAML spec",
    limit: int = MAX_SPEC_BYTES,
    error: type[CnncalcError] = SpecError,
) -> str:
    """The one reader of a text file a user gave (spec, answer sheet, budgets file, matrix).

    Only a regular file is read: a directory, a FIFO, a device (/dev/zero) or a socket is
    refused at once, without blocking (the file is opened non-blocking and checked with
    fstat on the open descriptor). The read stops at `limit` bytes, so a file that grows
    while read costs no more; a binary or non-UTF-8 file is refused; a UTF-8 BOM (as
    spreadsheets write) is dropped.
    """
    name = _clip(str(path))
    where = Location(name, 1, 1)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise error.single(f"cannot read {what}: {reason}", where, hint="check the path") from None
    try:
        info = os.fstat(fd)
        kind = _FILE_TYPES.get(stat.S_IFMT(info.st_mode))
        if kind is not None or not stat.S_ISREG(info.st_mode):
            raise error.single(
                f"{kind or 'not a regular file'}, not {what}",
                where,
                hint="give the path of a text file" + (" inside it" if kind == "a directory" else ""),
            )
        if info.st_size > limit:
            raise error.single(
                f"file is {info.st_size:,} bytes; {what} is limited to {limit:,}", where, hint="is it the right file?"
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as e:
        raise error.single(f"cannot read {what}: {e.strerror or e}", where) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error.single(f"file is larger than {limit:,} bytes; {what} is limited to that", where)
    if b"\0" in data:
        raise error.single(f"a binary file, not {what}", where, hint="save it as UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error.single(f"not UTF-8 text (byte {e.start})", where, hint="save it as UTF-8") from None


def load_spec(ref: str) -> Spec:
    """Load and validate a spec from a file path or a bundled network name.

    Specs only: cnncalc.features.interop.load_spec also takes a model file (.onnx, .keras,
    a Keras .json), and is what the commands read a spec with.
    """
    text, source = read_source(ref)
    return load_spec_text(text, source)


def load_spec_text(text: str, source: str = "<string>") -> Spec:
    """Parse YAML text and validate it into a Spec; errors carry file:line:col."""
    with paused_gc():
        data, source_map = parse_yaml(text, source)
        return validate_spec(data, source_map)


def parse_yaml(text: str, source: str, what: str = "spec") -> tuple[Any, SourceMap]:
    """YAML text -> plain data and where each value was written (cnncalc.spec.yamlread: YAML 1.2
    numbers, bounded size, values, depth and digits)."""
    from cnncalc.spec.yamllines import read_lines
    from cnncalc.spec.yamlread import MAX_TEXT, read_yaml

    # the one-line-per-layer layout programs write is read line by line (spec.yamllines, which
    # builds on yamlread); anything else, and a text over the limit, goes to the parser
    simple = read_lines(text, source) if len(text) <= MAX_TEXT else None
    if simple is not None:
        return simple
    return read_yaml(text, source, what, empty_hint=_SKELETON_HINT if what == "spec" else None)


_SKELETON_HINT = "a spec needs at least `input: 32x32x3` and `layers: [{kind: conv, filters: 8, kernel: 5}]`"


def validate_spec(data: Any, source_map: SourceMap) -> Spec:
    """Validate plain data into a Spec; every problem becomes one located diagnostic."""
    if not isinstance(data, dict):
        raise SpecError.single(
            "a spec is a mapping with `input` and `layers`", source_map.locate(()), hint=_SKELETON_HINT
        )
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        raise SpecError(validation_diagnostics(e, data, source_map)) from None
    return spec.with_source(source_map)


def validation_diagnostics(
    error: ValidationError,
    data: Any,
    source_map: SourceMap | None = None,
    *,
    model: type[BaseModel] | None = None,
    at: Path = (),
    label: Callable[[Path], str] | None = None,
) -> list[Diagnostic]:
    """The one translation of a pydantic ValidationError into what a user reads.

    `data` was validated as `model` (a Spec unless said otherwise) and sits at `at` in the
    file `source_map` describes; `label` names a value where it did not come from a file
    (an option: `--max-params '25Q'`). One diagnostic per offending value, however many
    union branches pydantic tried; unknown keys get the closest allowed one.
    """
    context = _Context(data, source_map or SourceMap("<input>"), model or Spec, at, label)
    return _diagnostics(error.errors(), context)


@dataclass(frozen=True)
class _Context:
    data: Any
    source_map: SourceMap
    model: type[BaseModel]
    at: Path
    label: Callable[[Path], str] | None

    def locate(self, path: Path, key: bool = False) -> Location | None:
        return self.source_map.locate((*self.at, *path), key=key)


def _diagnostics(errors: Sequence[Any], context: _Context) -> list[Diagnostic]:
    grouped: dict[Path, list[dict[str, Any]]] = {}
    for item in _flatten(errors):
        path = _data_path(item["loc"], context.data, item["type"])
        grouped.setdefault(path, []).append(dict(item))
    diagnostics = [_diagnostic(path, items, context) for path, items in grouped.items()]
    # "missing 'filters'" says nothing new beside "unknown key 'fliters' (did you mean 'filters'?)"
    suggested = {m.group(1) for d in diagnostics if (m := re.search(r"did you mean '([^']+)'", d.message))}
    return [d for d in diagnostics if not any(d.message.startswith(f"missing key '{k}'") for k in suggested)]


def _flatten(errors: Sequence[Any]) -> list[Any]:
    """A layer's own errors in place of the one `invalid_item` error that carries them."""
    flat: list[Any] = []
    for item in errors:
        if item["type"] == "invalid_item":
            flat += [{**inner, "loc": (*item["loc"], *inner["loc"])} for inner in item["ctx"]["errors"]]
        else:
            flat.append(item)
    return flat


def _data_path(loc: tuple[Any, ...], data: Any, kind: str) -> Path:
    """Drop the union tags pydantic puts in `loc`, keeping what exists in the data."""
    path: list[str | int] = []
    node = data
    for i, step in enumerate(loc):
        in_dict = isinstance(node, dict) and step in node
        if in_dict or (isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)):
            node = node[step]
            path.append(step)
        elif i == len(loc) - 1 and kind == "missing" and isinstance(step, str):
            path.append(step)
            break
    return tuple(path)


def _layer_of(path: Path, context: _Context) -> tuple[str, type[BaseModel] | None] | None:
    """('conv layer 'CONV2'', its class) when `path` points inside a layer of a spec."""
    if context.model is not Spec or len(path) < 2 or path[0] != "layers" or not isinstance(path[1], int):
        return None
    raw = context.data["layers"][path[1]]
    if not isinstance(raw, dict):
        return f"layer #{path[1] + 1}", None
    kind = raw.get("kind")
    label = f"layer #{path[1] + 1}" if raw.get("name") is None else f"layer '{raw['name']}'"
    if "block" in raw:
        return label, BlockCall
    if not isinstance(kind, str) or canonical_kind(kind) not in REGISTRY:
        return label, None
    return f"{canonical_kind(kind)} {label}", REGISTRY[canonical_kind(kind)]


def _model_at(parent: Path, context: _Context, layer: type[BaseModel] | None) -> type[BaseModel] | None:
    """The model whose fields the mapping at `parent` holds."""
    if not parent:
        return context.model
    if context.model is not Spec:
        return None
    if len(parent) == 2 and parent[0] == "layers":
        return layer
    if len(parent) == 1:
        section: dict[str, type[BaseModel]] = {"input": InputSpec, "budgets": Budgets}
        return section.get(str(parent[0]))
    if len(parent) == 2 and parent[0] == "blocks":
        return BlockDef
    return None


#: what an unknown key is called in the messages, by the model it was given to
_NOUNS: dict[str, str] = {"Budgets": "budget"}


def _diagnostic(path: Path, items: list[dict[str, Any]], context: _Context) -> Diagnostic:
    kinds = {item["type"] for item in items}
    layer = _layer_of(path, context)
    where = f" in {layer[0]}" if layer else ""
    field = path[-1] if path else ""
    model = _model_at(path[:-1], context, layer[1] if layer else None)
    model_fields = [f.alias or name for name, f in model.model_fields.items()] if model else []
    if "extra_forbidden" in kinds:
        noun = _NOUNS.get(model.__name__, "key") if model else "key"
        close = difflib.get_close_matches(str(field), model_fields, n=1)
        return Diagnostic(
            f"unknown {noun} '{field}'{where}" + (f" (did you mean '{close[0]}'?)" if close else ""),
            context.locate(path, key=True),
            hint=None if close else f"allowed keys: {', '.join(model_fields)}",
        )
    if "missing" in kinds:
        return Diagnostic(f"missing key '{field}'{where}", context.locate(path[:-1]))
    if "unknown_kind" in kinds:
        raw = items[0]["input"]
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind is None:
            return Diagnostic(
                f"layer #{path[-1] + 1 if isinstance(path[-1], int) else '?'} has no 'kind'",
                context.locate(path),
                hint=f"e.g. kind: conv; kinds: {', '.join(sorted(REGISTRY))}",
            )
        close = difflib.get_close_matches(canonical_kind(str(kind)), sorted(REGISTRY), n=1)
        return Diagnostic(
            f"unknown layer kind '{kind}'" + (f" (did you mean '{close[0]}'?)" if close else ""),
            context.locate((*path, "kind")),
            hint=None if close else f"kinds: {', '.join(sorted(REGISTRY))}",
        )
    value = items[0].get("input")
    expected = _expected(items)
    literal = _close_literal(items, value)
    suggestion = f" (did you mean '{literal}'?)" if literal else ""
    if context.label is not None:
        return Diagnostic(f"{context.label(path)}: expected {expected}{suggestion}")
    label = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path[2:] if layer) or _dotted(path)
    return Diagnostic(f"{label}{where}: expected {expected}, got {_show(value)}{suggestion}", context.locate(path))


def _dotted(path: Path) -> str:
    """('layers', 2, 'padding') -> 'layers[2].padding'."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _expected(items: list[dict[str, Any]]) -> str:
    texts: list[str] = []
    for item in items:
        msg = str(item["msg"])
        msg = re.sub(r"^(Input should be|Value error,|Assertion failed,)\s*", "", msg).replace("a valid ", "")
        if msg not in texts:
            texts.append(msg)
    return " or ".join(texts)


def _close_literal(items: list[dict[str, Any]], value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    options: list[str] = []
    for item in items:
        if item["type"] == "literal_error":
            options += re.findall(r"'([^']+)'", str(item.get("ctx", {}).get("expected", "")))
    close = difflib.get_close_matches(value.lower(), options, n=1)
    return close[0] if close else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def item_diagnostics(error: ValidationError, item: Any, spec: Spec, path: Path) -> list[Diagnostic]:
    """Diagnostics for one layer of a block body, located where the block defines it."""
    source = (spec._source or SourceMap("<spec>")).filled()
    view = SourceMap(source.source)
    depth = len(path)
    for table, target in ((source.values, view.values), (source.keys, view.keys)):
        for key, where in table.items():
            if key[:depth] == path:
                target[("layers", 0, *key[depth:])] = where
    label = f"layer #{int(path[-1]) + 1} of block '{path[1]}'" if len(path) == 4 else "layer"
    errors = [{**x, "loc": ("layers", 0, *x["loc"])} for x in error.errors()]
    context = _Context({"layers": [item]}, view, Spec, (), None)
    return [Diagnostic(d.message.replace("layer #1", label), d.location, d.hint) for d in _diagnostics(errors, context)]
