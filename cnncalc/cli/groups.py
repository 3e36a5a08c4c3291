"""Option groups: options that belong together, taken by a command as one parameter.

typer makes one option of each parameter of a command's signature, so without groups every
command that loads a network would list the spec, --dsl, --dtype, --batch, --input and
--layout one by one and pass them on one by one. A group is a NamedTuple whose fields are
declared as typer reads them (`Annotated[type, typer.Option(...)]`, with a default); a
command names it once, and `expand_groups` (under `handles_errors`) does the rest:

    @handles_errors
    @expand_groups
    def explain(*, network: Annotated[NetworkArgs, Take("spec", "dsl", "dtype")], ...) -> None:
        loaded = network.load()

typer sees the group's options where the group parameter stands, in the order the group
declares them; `Take` keeps only some of them (a group parameter without it takes them all),
and the others keep their defaults. When the command runs it gets one group object built
from the values given. typer passes every parameter by name, so the command's parameters
are keyword-only (`*,`) and a group parameter needs no default of its own.

Both halves are kept off the start-up path, which every run pays for every command module:
a group is a NamedTuple (a frozen dataclass would generate and compile its methods at import,
about 1.5 ms a class here), and the expanded signature is worked out only when typer first
asks for it, which is when it builds the click command that runs.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from functools import cached_property, update_wrapper
from typing import Annotated, Any, Generic, TypeGuard, TypeVar

R = TypeVar("R")

#: a group: a NamedTuple class (the checks below see it as a class of tuples with `_fields`)
Group = type[tuple[Any, ...]]


def is_group(annotation: object) -> TypeGuard[Group]:
    """Whether an annotation names a group: a NamedTuple class (see the module doc)."""
    return isinstance(annotation, type) and issubclass(annotation, tuple) and hasattr(annotation, "_field_defaults")


def declared(group: Group) -> dict[str, inspect.Parameter]:
    """The group's options as typer reads them, by field name, in the order of the fields."""
    hints = typing.get_type_hints(group, include_extras=True)
    defaults: dict[str, Any] = getattr(group, "_field_defaults", {})
    kind = inspect.Parameter.KEYWORD_ONLY
    return {
        name: inspect.Parameter(name, kind, default=defaults.get(name, inspect.Parameter.empty), annotation=hints[name])
        for name in getattr(group, "_fields", ())
    }


class Take:
    """The options of a group a command takes: `Annotated[Group, Take("spec", "dsl")]`.

    The names are the group's field names; the options not taken keep their defaults.
    """

    __slots__ = ("names",)

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def __repr__(self) -> str:
        return f"Take({', '.join(map(repr, sorted(self.names)))})"


def group_of(annotation: object) -> tuple[Group, Take | None] | None:
    """The group an annotation names and what it takes of it; None for any other annotation."""
    take = None
    if typing.get_origin(annotation) is Annotated:
        take = next((m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Take)), None)
        annotation = typing.get_args(annotation)[0]
    return (annotation, take) if is_group(annotation) else None


class _Slot:
    """A group parameter of a command: its name, its group and the fields it takes."""

    __slots__ = ("fields", "group", "name")

    def __init__(self, name: str, group: Group, fields: tuple[str, ...]) -> None:
        self.name, self.group, self.fields = name, group, fields


def _expand(command: Callable[..., Any]) -> tuple[inspect.Signature, tuple[_Slot, ...]]:
    """The signature typer reads (each group parameter replaced by its options) and the groups."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    slots: list[_Slot] = []
    where = f"{command.__module__}.{command.__qualname__}"
    for parameter in signature.parameters.values():
        found = group_of(parameter.annotation)
        if found is None:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        group, take = found
        options = declared(group)
        wanted = set(options) if take is None else take.names
        if unknown := wanted - set(options):
            raise TypeError(f"{where}: {group.__name__} has no option {', '.join(sorted(unknown))}")
        if needed := [n for n, o in options.items() if n not in wanted and o.default is inspect.Parameter.empty]:
            raise TypeError(f"{where}: {group.__name__} needs {', '.join(needed)}, which has no default")
        taken = tuple(name for name in options if name in wanted)
        parameters.extend(options[name] for name in taken)
        slots.append(_Slot(parameter.name, group, taken))
    names = [p.name for p in parameters]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise TypeError(f"{where}: more than one parameter named {', '.join(twice)}")
    return signature.replace(parameters=parameters), tuple(slots)


class _Expanded(Generic[R]):
    """A command whose group parameters typer sees as their options (see expand_groups)."""

    def __init__(self, command: Callable[..., R]) -> None:
        # name, doc and module for typer. __annotations__ stay the command's own, unresolved:
        # typer resolves them (get_type_hints) only to read a parameter whose annotation is a
        # string, and __signature__ holds every annotation resolved already, a group's included
        update_wrapper(self, command)
        self._command = command

    @cached_property
    def _expanded(self) -> tuple[inspect.Signature, tuple[_Slot, ...]]:
        return _expand(self._command)

    @property
    def __signature__(self) -> inspect.Signature:
        return self._expanded[0]

    def __call__(self, **values: Any) -> R:
        for slot in self._expanded[1]:
            values[slot.name] = slot.group(**{name: values.pop(name) for name in slot.fields})
        return self._command(**values)


def expand_groups(command: Callable[..., R]) -> Callable[..., R]:
    """The command with each option-group parameter shown to typer as the group's options.

    Called by typer with every option by name, it passes the command one group object per
    group parameter. Nothing is resolved here: only when typer reads the signature.
    """
    return _Expanded(command)
