"""Option groups: options that belong together, taken by a command as one parameter.

typer makes one option of each parameter of a command's signature, so without groups every
command that loads a network would list the spec, --dsl, --dtype, --batch, --input and
--layout one by one and pass them on one by one. A group is a frozen dataclass whose fields
are declared as typer reads them (`Annotated[type, typer.Option(...)]`, with a default); a
command names it once, and `expand_groups` (under `handles_errors`) does the rest:

    @handles_errors
    @expand_groups
    def explain(network: Annotated[NetworkArgs, Take("spec", "dsl", "dtype")] = NetworkArgs(), ...):
        loaded = network.load()

typer sees the group's options where the group parameter stands, in the order the group
declares them; `Take` keeps only some of them (a group parameter without it takes them all),
and the others keep their defaults. When the command runs it gets one group object built
from the values given.

The expanded signature is worked out when typer first asks for it, which is when it builds
the click command of a run. Every run imports every command module, and resolving their
annotations there would cost start-up for each command that does not run.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from functools import cached_property, update_wrapper
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class OptionGroup:
    """Base of every group: a subclass is a frozen dataclass of options (see the module doc)."""

    @classmethod
    def declared(cls) -> dict[str, inspect.Parameter]:
        """The group's options as typer reads them, by field name, in the order of the fields."""
        hints = typing.get_type_hints(cls, include_extras=True)
        kind = inspect.Parameter.KEYWORD_ONLY
        return {
            f.name: inspect.Parameter(f.name, kind, default=_default(f), annotation=hints[f.name])
            for f in dataclasses.fields(cls)
        }


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return inspect.Parameter.empty  # typer makes it required


class Take:
    """The options of a group a command takes: `Annotated[Group, Take("spec", "dsl")]`.

    The names are the group's field names; the options not taken keep their defaults.
    """

    __slots__ = ("names",)

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def __repr__(self) -> str:
        return f"Take({', '.join(map(repr, sorted(self.names)))})"


class _Slot(NamedTuple):
    """A group parameter of a command: its name, its group and the fields it takes."""

    name: str
    group: type[OptionGroup]
    fields: tuple[str, ...]


def group_of(annotation: object) -> tuple[type[OptionGroup], Take | None] | None:
    """The group an annotation names and what it takes of it; None for any other annotation."""
    take = None
    if typing.get_origin(annotation) is Annotated:
        take = next((m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Take)), None)
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, OptionGroup):
        return annotation, take
    return None


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
        options = group.declared()
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
        # name, doc and module for typer; __annotations__ stay the command's own (typer resolves
        # with them only parameters that carry no typer declaration, and none of a group's does)
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
