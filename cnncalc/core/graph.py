"""From a spec to a graph: ids and `from:` resolved, blocks instantiated, repeats unrolled.

Graph building knows nothing of shapes or costs (the layer rules do); it only decides
which concrete layer reads which, names every layer by its block path
(`layer3.1.conv2`), and refuses cycles, unknown ids and recursive blocks with the
place in the spec where they were written.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from pydantic import ValidationError

from cnncalc.errors import Diagnostic, SpecError
from cnncalc.layers import LayerBase
from cnncalc.spec.model import BlockCall, Path, Spec, validate_item


class Node(NamedTuple):
    """One concrete layer of the network (node 0 is the network's input, with no layer)."""

    name: str
    layer: LayerBase | None
    inputs: tuple[int, ...]
    block: tuple[str, ...]  # enclosing block instances, outermost first
    source: Path  # where it was written: ("layers", 3) or ("blocks", "bottleneck", "layers", 2)
    shares: int | None = None  # node whose weights this one reuses


@dataclass(frozen=True)
class Graph:
    """Nodes in execution order: every node comes after the nodes it reads."""

    nodes: tuple[Node, ...]

    def trainable(self, i: int) -> bool:
        """Whether node `i`'s weights are trained (not `trainable: false`): a node that shares the
        weights of another follows that one, the owner of the tensors."""
        node = self.nodes[i]
        while node.shares is not None:  # owners come earlier: the chain ends
            node = self.nodes[node.shares]
        return node.layer is None or node.layer.trainable

    def reader_counts(self) -> list[int]:
        counts = [0] * len(self.nodes)
        for node in self.nodes:
            for i in node.inputs:
                counts[i] += 1
        return counts


#: most concrete layers after blocks and repeats are expanded (as many as `layers:` may list)
MAX_LAYERS = 20_000
#: most block instances, and most block-body items instantiated, counted before each expansion
MAX_INSTANCES = 20_000
MAX_ITEMS = 200_000
#: most blocks nested in one another
MAX_BLOCK_DEPTH = 64
#: largest integer a block argument may hold (the bound of every typed field)
MAX_ARGUMENT = 2**31 - 1


def build_graph(spec: Spec) -> Graph:
    """Resolve ids, instantiate blocks and order the layers; errors carry file:line:col."""
    return _Builder(spec).build()


#: a Node from all its fields in order, without the keyword handling of Node(...) (one a layer)
_node_of: Callable[[tuple[Any, ...]], Node] = partial(tuple.__new__, Node)


@dataclass(frozen=True)
class _Ref:
    """A name to look up in a scope once every layer of the spec is known."""

    scope: int
    name: str
    source: Path


Target = int | _Ref


@dataclass(slots=True)
class _Pending:
    name: str
    layer: LayerBase | None
    inputs: list[Target]
    block: tuple[str, ...]
    source: Path
    shares: Target | None = None


@dataclass
class _Scope:
    table: dict[str, Target] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    instances: dict[str, tuple[str, list[int]]] = field(default_factory=dict)  # call name -> (block, nodes)


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.pending: list[_Pending] = [_Pending("input", None, [], (), ("input",))]
        self.scopes: list[_Scope] = []
        self.full_names: dict[str, Path] = {"input": ("input",)}
        self.instances = 0
        self.items = 0

    def error(self, message: str, path: Sequence[str | int], hint: str | None = None, key: bool = False) -> SpecError:
        return SpecError([Diagnostic(message, self.spec.locate(path, key=key), hint)])

    # --- walking the spec -------------------------------------------------------------------

    def build(self) -> Graph:
        items = [(item, ("layers", i)) for i, item in enumerate(self.spec.layers)]
        self.scope(items, "", (), 0, ())
        resolved: list[Node] = []
        for index, pending in enumerate(self.pending):
            resolved.append(self.resolve_node(index, pending, resolved))
        return Graph(nodes=self.order(resolved))

    def scope(
        self,
        items: Sequence[tuple[Any, Path]],
        prefix: str,
        block: tuple[str, ...],
        start: Target,
        stack: tuple[str, ...],
        output: tuple[str, Path] | None = None,
    ) -> Target:
        """Add the layers of one scope (the network, or one block instance); return its output."""
        sid = len(self.scopes)
        scope = _Scope(table={"input": start})
        self.scopes.append(scope)
        prev = start
        for item, path in items:
            if isinstance(item, BlockCall):
                prev = self.call(item, path, sid, prev, prefix, block, stack)
            else:
                prev = self.layer(item, path, sid, prev, prefix, block)
        if output is not None:
            if output[0] not in scope.table:
                close = difflib.get_close_matches(output[0], list(scope.table), n=1)
                raise self.error(
                    f"the block's output '{output[0]}' is not an id or a name in the block"
                    + (f" (did you mean '{close[0]}'?)" if close else ""),
                    output[1],
                    "name one of the block's layers, or remove `output:` to use its last layer",
                )
            return _Ref(sid, output[0], output[1])
        return prev

    def refs(self, refs: str | list[str] | None, sid: int, path: Path) -> list[Target]:
        if refs is None:
            return []
        if isinstance(refs, str):
            return [_Ref(sid, refs, (*path, "from"))]
        return [_Ref(sid, r, (*path, "from", i)) for i, r in enumerate(refs)]

    def register(self, sid: int, key: str | None, target: Target, path: Path, what: str) -> None:
        table = self.scopes[sid].table
        if key is None:
            return
        if key in table and what == "id":
            raise self.error(f"id '{key}' is defined twice in this scope", (*path, "id"), "ids must be unique")
        table.setdefault(key, target)

    def local_name(self, sid: int, given: str | None, stem: str) -> str:
        counters = self.scopes[sid].counters
        counters[stem] = counters.get(stem, 0) + 1
        return given or f"{stem}{counters[stem]}"

    def layer(self, item: LayerBase, path: Path, sid: int, prev: Target, prefix: str, block: tuple[str, ...]) -> Target:
        inputs = (self.refs(item.from_, sid, path) if item.from_ is not None else None) or [prev]
        local = self.local_name(sid, item.name, item.default_stem())
        if not item.when:  # skipped: the identity of its first input, which its id then means
            self.register(sid, item.id, inputs[0], path, "id")
            return inputs[0]
        full = prefix + local
        if len(self.pending) > MAX_LAYERS:
            raise self.error(
                f"the spec expands to more than {MAX_LAYERS:,} layers",
                path,
                "lower a `repeat:` or the number of block calls",
            )
        if full in self.full_names:
            first = self.spec.locate(self.full_names[full])
            raise self.error(
                f"layer name '{full}' is used twice" + (f" (first at line {first.line})" if first else ""),
                (*path, "name"),
                "names label rows and must be unique",
            )
        self.full_names[full] = path
        index = len(self.pending)
        shares = _Ref(sid, item.shares, (*path, "shares")) if item.shares else None
        self.pending.append(_Pending(full, item, inputs, block, path, shares))
        if item.id is not None:
            self.register(sid, item.id, index, path, "id")
        self.scopes[sid].table.setdefault(local, index)  # by name, unless an id took it
        return index

    def call(
        self,
        item: BlockCall,
        path: Path,
        sid: int,
        prev: Target,
        prefix: str,
        block: tuple[str, ...],
        stack: tuple[str, ...],
    ) -> Target:
        definition = self.spec.blocks.get(item.block)
        if definition is None:
            close = difflib.get_close_matches(item.block, list(self.spec.blocks), n=1)
            raise self.error(
                f"unknown block '{item.block}'" + (f" (did you mean '{close[0]}'?)" if close else ""),
                (*path, "block"),
                None if close else f"blocks defined: {', '.join(self.spec.blocks) or 'none'}",
            )
        if item.block in stack:
            chain = " -> ".join((*stack[stack.index(item.block) :], item.block))
            raise self.error(f"block '{item.block}' calls itself: {chain}", (*path, "block"), "blocks cannot recurse")
        inputs = self.refs(item.from_, sid, path) or [prev]
        if len(inputs) != 1:
            raise self.error("a block call reads exactly one input", (*path, "from"))
        if not item.when:
            self.register(sid, item.id, inputs[0], path, "id")
            return inputs[0]
        self.check_args(item, path, definition.args)
        if len(stack) >= MAX_BLOCK_DEPTH:
            raise self.error(
                f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", (*path, "block"), "flatten some of the blocks"
            )
        # counted before expanding: a `repeat:` of 10^9, or blocks that double each other, stop here
        self.instances += item.repeat
        self.items += item.repeat * len(definition.layers)
        if self.instances > MAX_INSTANCES or self.items > MAX_ITEMS:
            raise self.error(
                f"the block calls expand to more than {MAX_INSTANCES:,} instances or {MAX_ITEMS:,} layers",
                (*path, "repeat") if item.repeat > 1 else path,
                f"a network has at most {MAX_LAYERS:,} layers after expansion: lower `repeat:`",
            )
        base = self.local_name(sid, item.name, item.block)
        group = (*block, prefix + base) if item.repeat > 1 else block
        current = inputs[0]
        nodes: list[int] = []
        for r in range(item.repeat):
            instance = f"{base}.{r}" if item.repeat > 1 else base
            values = {**definition.args, **item.args, **(item.first if r == 0 else {})}
            self.check_values(item, path, values)
            missing = [k for k, v in values.items() if v is None]
            if missing:
                raise self.error(
                    f"block '{item.block}' needs argument(s) {', '.join(missing)}",
                    path,
                    f"add args: {{{', '.join(f'{m}: ...' for m in missing)}}}",
                )
            body = [
                self.instantiate(raw, values, ("blocks", item.block, "layers", j))
                for j, raw in enumerate(definition.layers)
            ]
            output = (definition.output, ("blocks", item.block, "output")) if definition.output else None
            first = len(self.pending)
            current = self.scope(
                body, f"{prefix}{instance}.", (*group, prefix + instance), current, (*stack, item.block), output
            )
            nodes += range(first, len(self.pending))
        if item.shares:
            self.share(item, path, sid, nodes)
        self.scopes[sid].instances[base] = (item.block, nodes)
        self.register(sid, item.id, current, path, "id")
        self.register(sid, base, current, path, "name")
        return current

    def check_args(self, item: BlockCall, path: Path, declared: Mapping[str, Any]) -> None:
        for field_name in ("args", "first"):
            for key in getattr(item, field_name):
                if key not in declared:
                    close = difflib.get_close_matches(key, list(declared), n=1)
                    raise self.error(
                        f"block '{item.block}' has no argument '{key}'"
                        + (f" (did you mean '{close[0]}'?)" if close else ""),
                        (*path, field_name, key),
                        f"its arguments: {', '.join(declared) or 'none'}",
                        key=True,
                    )

    def check_values(self, item: BlockCall, path: Path, values: Mapping[str, Any]) -> None:
        """Integer arguments within the bounds of a typed field, wherever they are used."""
        for key, value in values.items():
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ARGUMENT:
                where = next(((*path, f, key) for f in ("first", "args") if key in getattr(item, f)), None)
                raise self.error(
                    f"argument '{key}' of block '{item.block}' is {_digits(value)}; at most {MAX_ARGUMENT:,}",
                    where or ("blocks", item.block, "args", key),
                    "block arguments are sizes and counts, bounded as every field is",
                )

    def share(self, item: BlockCall, path: Path, sid: int, nodes: list[int]) -> None:
        assert item.shares is not None
        found = self.scopes[sid].instances.get(item.shares)
        if found is None or found[0] != item.block or len(found[1]) != len(nodes):
            raise self.error(
                f"'shares: {item.shares}' must name an earlier call of block '{item.block}' in this scope",
                (*path, "shares"),
                "shared weights need the same block, called before this one",
            )
        for mine, theirs in zip(nodes, found[1], strict=True):
            self.pending[mine].shares = theirs

    def instantiate(self, raw: dict[str, Any], values: Mapping[str, Any], path: Path) -> tuple[Any, Path]:
        """A block's layer with its arguments filled in, validated like any layer."""
        filled = _substitute(raw, values, path, self.error)
        try:
            return validate_item(filled), path
        except ValidationError as e:
            from cnncalc.spec.loader import item_diagnostics

            raise SpecError(item_diagnostics(e, filled, self.spec, path)) from None

    # --- resolving and ordering ---------------------------------------------------------------

    def resolve(self, target: Target) -> int:
        seen: set[tuple[int, str]] = set()
        first = target
        while isinstance(target, _Ref):
            key = (target.scope, target.name)
            if key in seen:
                assert isinstance(first, _Ref)
                raise self.error(f"'{first.name}' refers to itself through ids that loop", first.source)
            seen.add(key)
            table = self.scopes[target.scope].table
            if target.name not in table:
                close = difflib.get_close_matches(target.name, list(table), n=1)
                raise self.error(
                    f"unknown layer '{target.name}' in from/shares"
                    + (f" (did you mean '{close[0]}'?)" if close else ""),
                    target.source,
                    "refer to an id or a name defined in the same scope, or to `input`",
                )
            target = table[target.name]
        return target

    def resolve_node(self, index: int, p: _Pending, done: Sequence[Node]) -> Node:
        shares = self.resolve(p.shares) if p.shares is not None else None
        if shares is not None:
            where = (*p.source, "shares") if isinstance(p.shares, _Ref) else p.source
            if shares == index:
                raise self.error(f"layer '{p.name}' shares its own weights", where, "name an earlier layer")
            if shares > index or shares == 0:
                raise self.error(
                    f"'shares:' of layer '{p.name}' must name an earlier layer with weights",
                    where,
                    "a layer can reuse the weights of a layer written before it",
                )
            owner = done[shares].shares  # A shares B shares C: A uses C's weights
            shares = shares if owner is None else owner
        inputs = tuple([t if type(t) is int else self.resolve(t) for t in p.inputs])
        return _node_of((p.name, p.layer, inputs, p.block, p.source, shares))

    def order(self, nodes: list[Node]) -> tuple[Node, ...]:
        """Topological order, keeping file order wherever the graph allows it."""
        if all(i < j for j, n in enumerate(nodes) for i in n.inputs):
            return tuple(nodes)  # every layer reads earlier ones: file order is the order
        waiting = [len(set(n.inputs)) for n in nodes]
        readers: list[list[int]] = [[] for _ in nodes]
        for i, n in enumerate(nodes):
            for j in set(n.inputs):
                readers[j].append(i)
        ready = [i for i, w in enumerate(waiting) if w == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            for r in readers[i]:
                waiting[r] -= 1
                if waiting[r] == 0:
                    heapq.heappush(ready, r)
        if len(order) < len(nodes):
            done = set(order)
            stuck = [i for i in range(len(nodes)) if i not in done]
            names = " -> ".join(nodes[i].name for i in stuck[:6])
            raise self.error(
                f"the layers {names} form a cycle",
                (*nodes[stuck[0]].source, "from"),
                "a layer cannot read its own output",
            )
        new_index = {old: new for new, old in enumerate(order)}
        for old, n in enumerate(nodes):
            if n.shares is not None and new_index[n.shares] > new_index[old]:
                raise self.error(
                    f"layer '{n.name}' shares the weights of '{nodes[n.shares].name}', which runs after it",
                    (*n.source, "shares"),
                    "share the weights of a layer that runs before this one",
                )
        return tuple(
            Node(
                n.name,
                n.layer,
                tuple(new_index[i] for i in n.inputs),
                n.block,
                n.source,
                None if n.shares is None else new_index[n.shares],
            )
            for n in (nodes[i] for i in order)
        )


def _digits(value: int) -> str:
    """A huge int for a message, without converting all of its digits to text."""
    bits = value.bit_length()
    return f"{value:,}" if bits < 100 else f"a number of about {int(bits * 0.30103) + 1:,} digits"


# --- block arguments ------------------------------------------------------------------------------

_VARIABLE = re.compile(r"^\$([A-Za-z_]\w*)$")
_EXPRESSION = re.compile(r"^\$\{(.{1,200})\}$")
ErrorFactory = Callable[..., SpecError]


def _substitute(value: Any, values: Mapping[str, Any], path: Path, error: ErrorFactory) -> Any:
    """Replace `$name` by an argument and `${expression}` by its value, everywhere in `value`."""
    if isinstance(value, str):
        if match := _VARIABLE.match(value):
            return _argument(match.group(1), values, path, error)
        if match := _EXPRESSION.match(value):
            return evaluate(match.group(1), values, path, error)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, values, (*path, k), error) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values, (*path, i), error) for i, v in enumerate(value)]
    return value


def _argument(name: str, values: Mapping[str, Any], path: Path, error: ErrorFactory) -> Any:
    if name not in values:
        close = difflib.get_close_matches(name, list(values), n=1)
        raise error(
            f"unknown block argument '${name}'" + (f" (did you mean '${close[0]}'?)" if close else ""),
            path,
            f"declare it under the block's args: {name}: <default>",
        )
    return values[name]


def evaluate(text: str, values: Mapping[str, Any], path: Path, error: ErrorFactory) -> Any:
    """A block's `${expression}` over its arguments (cnncalc.core.evaluator, BLOCK dialect), errors located.

    >>> evaluate("filters * 4", {"filters": 64}, (), SpecError.single)
    256
    >>> evaluate("stride != 1 or project", {"stride": 2, "project": False}, (), SpecError.single)
    True
    """
    from cnncalc.core import evaluator as expr  # only specs with block expressions need it

    try:
        return expr.evaluate(text, expr.BLOCK, values)
    except expr.ExprError as e:
        if e.message.endswith("has no value"):
            name = e.message.split("'")[1]
            return _argument(name, values, path, error)  # raises, with a suggestion
        raise error(f"in '${{{text}}}': {e.message}", path, e.hint or "e.g. ${filters * 4}") from None
