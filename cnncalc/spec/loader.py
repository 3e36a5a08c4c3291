"""Reading specs: files, bundled names and YAML text, with every error located.

YAML is composed with PyYAML's safe loader into nodes, then turned into plain data by
our own walk, which records the line and column of every key and value and refuses
alias bombs, deep nesting and huge files in bounded time and memory.
"""

from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from cnncalc.errors import CnncalcError, Diagnostic, Location, SpecError
from cnncalc.layers import REGISTRY, LayerBase, canonical_kind

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

from cnncalc.spec.model import BlockCall, BlockDef, Budgets, InputSpec, Path, SourceMap, Spec

MAX_SPEC_BYTES = 4 * 1024 * 1024  # far above any real network spec
MAX_NODES = 200_000  # values after alias expansion; a billion-laughs file hits this at once
MAX_DEPTH = 64


def specs_root() -> Traversable:
    """Where the bundled networks are: the installed cnncalc.specs, or specs/ beside a source checkout.

    An installed wheel and an editable install both provide cnncalc.specs. A package that runs
    from a clone (PYTHONPATH set) reads the specs/ of that clone, even when another checkout is
    installed in editable mode (whose cnncalc.specs would be that other checkout's).
    """
    checkout = FsPath(__file__).resolve().parent.parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "specs" / "__init__.py").is_file():
        # this package runs from a clone: its own specs/, even if another copy is installed
        return checkout / "specs"
    return resources.files("cnncalc.specs")


def bundled_names() -> list[str]:
    """Names of the networks shipped in specs/ (installed as cnncalc.specs), sorted."""
    root = specs_root()
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def read_source(ref: str) -> tuple[str, str]:
    """(text, source name) for a file path or a bundled network name."""
    path = FsPath(ref)
    if path.is_file():
        return read_text_file(path), ref
    if path.is_dir():
        raise SpecError.single(f"{ref} is a directory, not a spec file")
    if ref in bundled_names():
        text = (specs_root() / f"{ref}.yaml").read_text(encoding="utf-8")
        return text, f"{ref}.yaml"
    close = difflib.get_close_matches(ref, bundled_names(), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise SpecError.single(
        f"no spec file or bundled network named '{ref}'",
        hint=f"{hint}`cnncalc list` shows the bundled networks; a DSL string goes after --dsl",
    )


def read_text_file(
    path: FsPath,
    what: str = "a YAML spec",
    limit: int = MAX_SPEC_BYTES,
    error: type[CnncalcError] = SpecError,
) -> str:
    """A text file a user gave (spec, answer sheet): huge, binary and undecodable files refused.

    The size is checked before reading, so a hostile file costs nothing; a UTF-8 BOM (as
    spreadsheets write) is dropped.
    """
    try:
        size = path.stat().st_size
        if size > limit:
            raise error.single(f"{path}: file is {size:,} bytes; {what} is limited to {limit:,}")
        data = path.read_bytes()
    except OSError as e:
        raise error.single(f"{path}: cannot read: {e.strerror}") from None
    if b"\0" in data:
        raise error.single(f"{path}: a binary file, not {what}", hint="save it as UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error.single(f"{path}: not UTF-8 text (byte {e.start})", hint="save it as UTF-8") from None


def load_spec(ref: str) -> Spec:
    """Load and validate a spec from a file path or a bundled network name."""
    text, source = read_source(ref)
    return load_spec_text(text, source)


def load_spec_text(text: str, source: str = "<string>") -> Spec:
    """Parse YAML text and validate it into a Spec; errors carry file:line:col."""
    data, source_map = parse_yaml(text, source)
    return validate_spec(data, source_map)


def parse_yaml(text: str, source: str) -> tuple[Any, SourceMap]:
    """YAML text -> plain data and where each value was written."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError.single(f"{source}: text is {len(text):,} characters; specs are limited to {MAX_SPEC_BYTES:,}")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else None
        raise SpecError.single(f"invalid YAML: {e.problem or e.context}", where) from None
    except yaml.YAMLError as e:
        raise SpecError.single(f"invalid YAML: {e}", Location(source, 1, 1)) from None
    source_map = SourceMap(source)
    if node is None:
        raise SpecError.single("the spec is empty", Location(source, 1, 1), hint=_SKELETON_HINT)
    data = _NodeReader(source_map).read(node, (), 0)
    return data, source_map


_SKELETON_HINT = "a spec needs at least `input: 32x32x3` and `layers: [{kind: conv, filters: 8, kernel: 5}]`"


_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}


class _NodeReader:
    """Turns composed YAML nodes into data, recording positions and bounding the work."""

    def __init__(self, source_map: SourceMap) -> None:
        self.map = source_map
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def _loc(self, node: yaml.Node) -> Location:
        return Location(self.map.source, node.start_mark.line + 1, node.start_mark.column + 1)

    def read(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise SpecError.single(
                f"the spec expands to more than {MAX_NODES:,} values (YAML aliases?)", self._loc(node)
            )
        if depth > MAX_DEPTH:
            raise SpecError.single(f"the spec nests deeper than {MAX_DEPTH} levels", self._loc(node))
        self.map.values.setdefault(path, self._loc(node))
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise SpecError.single(f"YAML tag '{tag}' is not allowed in a spec", self._loc(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as e:
            raise SpecError.single(f"unreadable value {str(node.value)[:40]!r}: {e}", self._loc(node)) from None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError.single("YAML merge keys (<<) are not supported in specs", self._loc(key_node))
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise SpecError.single("mapping keys must be plain names", self._loc(key_node))
            if key in result:
                raise SpecError.single(f"key '{key}' appears twice", self._loc(key_node))
            self.map.keys[(*path, key)] = self._loc(key_node)
            result[key] = self.read(value_node, (*path, key), depth + 1)
        return result


def validate_spec(data: Any, source_map: SourceMap) -> Spec:
    """Validate plain data into a Spec; every problem becomes one located diagnostic."""
    if not isinstance(data, dict):
        raise SpecError.single(
            "a spec is a mapping with `input` and `layers`", source_map.locate(()), hint=_SKELETON_HINT
        )
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        raise SpecError(_diagnostics(e.errors(), data, source_map)) from None
    return spec.with_source(source_map)


def _diagnostics(errors: list[Any], data: Any, source_map: SourceMap) -> list[Diagnostic]:
    """One diagnostic per offending value, however many union branches pydantic tried."""
    grouped: dict[Path, list[dict[str, Any]]] = {}
    for item in errors:
        path = _data_path(item["loc"], data, item["type"])
        grouped.setdefault(path, []).append(dict(item))
    diagnostics = [_diagnostic(path, items, data, source_map) for path, items in grouped.items()]
    # "missing 'filters'" says nothing new beside "unknown key 'fliters' (did you mean 'filters'?)"
    suggested = {m.group(1) for d in diagnostics if (m := re.search(r"did you mean '([^']+)'", d.message))}
    return [d for d in diagnostics if not any(d.message.startswith(f"missing key '{k}'") for k in suggested)]


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


def _layer_of(path: Path, data: Any) -> tuple[str, type[LayerBase] | None] | None:
    """('conv layer 'CONV2'', its class) when `path` points inside a layer."""
    if len(path) < 2 or path[0] != "layers" or not isinstance(path[1], int):
        return None
    raw = data["layers"][path[1]]
    if not isinstance(raw, dict):
        return f"layer #{path[1] + 1}", None
    kind = raw.get("kind")
    label = f"layer #{path[1] + 1}" if raw.get("name") is None else f"layer '{raw['name']}'"
    if not isinstance(kind, str) or canonical_kind(kind) not in REGISTRY:
        return label, None
    return f"{canonical_kind(kind)} {label}", REGISTRY[canonical_kind(kind)]


def _diagnostic(path: Path, items: list[dict[str, Any]], data: Any, source_map: SourceMap) -> Diagnostic:
    kinds = {item["type"] for item in items}
    layer = _layer_of(path, data)
    where = f" in {layer[0]}" if layer else ""
    field = path[-1] if path else ""
    model_fields = _fields_at(path, layer[1] if layer else None, data)
    if "extra_forbidden" in kinds:
        close = difflib.get_close_matches(str(field), model_fields, n=1)
        return Diagnostic(
            f"unknown key '{field}'{where}" + (f" (did you mean '{close[0]}'?)" if close else ""),
            source_map.locate(path, key=True),
            hint=None if close else f"allowed keys: {', '.join(model_fields)}",
        )
    if "missing" in kinds:
        return Diagnostic(f"missing key '{field}'{where}", source_map.locate(path[:-1]))
    if "unknown_kind" in kinds:
        raw = items[0]["input"]
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind is None:
            return Diagnostic(
                f"layer #{path[-1] + 1 if isinstance(path[-1], int) else '?'} has no 'kind'",
                source_map.locate(path),
                hint=f"e.g. kind: conv; kinds: {', '.join(sorted(REGISTRY))}",
            )
        close = difflib.get_close_matches(canonical_kind(str(kind)), sorted(REGISTRY), n=1)
        return Diagnostic(
            f"unknown layer kind '{kind}'" + (f" (did you mean '{close[0]}'?)" if close else ""),
            source_map.locate((*path, "kind")),
            hint=None if close else f"kinds: {', '.join(sorted(REGISTRY))}",
        )
    value = items[0].get("input")
    expected = _expected(items)
    literal = _close_literal(items, value)
    label = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path[2:] if layer) or _dotted(path)
    suggestion = f" (did you mean '{literal}'?)" if literal else ""
    return Diagnostic(f"{label}{where}: expected {expected}, got {_show(value)}{suggestion}", source_map.locate(path))


def _dotted(path: Path) -> str:
    """('layers', 2, 'padding') -> 'layers[2].padding'."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _fields_at(path: Path, layer_cls: type[BaseModel] | None, data: Any) -> list[str]:
    """The keys a mapping at `path` accepts, as a user writes them (`from`, not `from_`)."""
    model: type[BaseModel] | None = None
    if len(path) == 3 and path[0] == "layers":
        raw = data["layers"][path[1]] if isinstance(data.get("layers"), list) else None
        model = BlockCall if isinstance(raw, dict) and "block" in raw else layer_cls
    elif len(path) == 1:
        model = Spec
    elif len(path) == 2:
        section: dict[str, type[BaseModel]] = {"input": InputSpec, "budgets": Budgets}
        model = section.get(str(path[0]))
    elif len(path) == 3 and path[0] == "blocks":
        model = BlockDef
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


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
    source = spec._source or SourceMap("<spec>")
    view = SourceMap(source.source)
    depth = len(path)
    for table, target in ((source.values, view.values), (source.keys, view.keys)):
        for key, where in table.items():
            if key[:depth] == path:
                target[("layers", 0, *key[depth:])] = where
    label = f"layer #{int(path[-1]) + 1} of block '{path[1]}'" if len(path) == 4 else "layer"
    errors = [{**x, "loc": ("layers", 0, *x["loc"])} for x in error.errors()]
    return [
        Diagnostic(d.message.replace("layer #1", label), d.location, d.hint)
        for d in _diagnostics(errors, {"layers": [item]}, view)
    ]
