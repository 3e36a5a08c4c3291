"""The kind registry: every layer kind, found by name, with everything its class declares.

A layer class states all there is to know about its kinds in one place (cnncalc.layers.base
.LayerBase): the rules, the aliases, the DSL words, the words of an answer sheet, the family
the lecture counts it in, its non-trainable state and its explanation steps. Everything that
lists kinds reads them here, at the time it needs them: the spec models (`live_union`), the
DSL, the JSON Schema, explain, grading, the mistakes and verify's expectations. So a kind
registered later (`register_kind`) is known everywhere at once.

Its public names are listed once, where cnncalc.layers re-exports them (its `__all__`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Annotated, Any, Union

from pydantic import BaseModel, Discriminator, GetCoreSchemaHandler, GetJsonSchemaHandler, Tag, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from cnncalc.layers.base import ALIASES, DslWord, LayerBase, canonical_kind

_CLASSES: list[type[LayerBase]] = []

#: kind name -> model class (a live view: registration updates it)
REGISTRY: dict[str, type[LayerBase]] = {}

_version = 0


class RegistryError(ValueError):
    """A kind that cannot be registered: its name, an alias or a word is taken."""


def register_kind(cls: type[LayerBase]) -> type[LayerBase]:
    """Make `cls`'s kinds known to the spec loader, the DSL, the schema, explain and grading.

    Usable as a class decorator. Refuses a kind, alias or DSL word another class already has,
    so that no spelling silently changes meaning.
    """
    global _version
    if cls in _CLASSES:
        return cls
    kinds = cls.kinds()
    if not kinds:
        raise RegistryError(f"{cls.__name__} declares no kind (a Literal on its `kind` field)")
    taken = [k for k in (*kinds, *cls.aliases) if k in REGISTRY or k in ALIASES]
    if taken:
        raise RegistryError(f"{cls.__name__}: kind or alias {', '.join(taken)} is already registered")
    stray = sorted(a for a, target in cls.aliases.items() if target not in kinds)
    if stray:
        raise RegistryError(f"{cls.__name__}: aliases {', '.join(stray)} name a kind the class does not have")
    words = dsl_words()
    clash = [w.word for w in cls.dsl_words if w.word in words or w.kind not in kinds]
    if clash:
        raise RegistryError(f"{cls.__name__}: DSL word {', '.join(clash)} is taken or names another kind")
    _CLASSES.append(cls)
    REGISTRY.update(dict.fromkeys(kinds, cls))
    ALIASES.update(cls.aliases)
    _version += 1
    return cls


def unregister_kind(cls: type[LayerBase]) -> None:
    """Forget a kind registered with `register_kind` (a test's, or a plug-in's being unloaded)."""
    global _version
    if cls not in _CLASSES:
        return
    _CLASSES.remove(cls)
    for kind in cls.kinds():
        REGISTRY.pop(kind, None)
    for alias in cls.aliases:
        ALIASES.pop(alias, None)
    _version += 1


def registry_version() -> int:
    """A number that changes whenever a kind is registered or forgotten: what caches of
    anything the registry decides (validated layers, word tables) are keyed by."""
    return _version


def layer_classes() -> tuple[type[LayerBase], ...]:
    """The registered classes, in registration order (the order of reports and schema)."""
    return tuple(_CLASSES)


def kind_class(kind: str) -> type[LayerBase] | None:
    """The class of a kind or alias, or None for one that is not registered (`input`, `block`)."""
    return REGISTRY.get(canonical_kind(kind))


def family_kinds(family: str) -> tuple[str, ...]:
    """The kinds of one family: family_kinds("conv") is what the lecture calls convolutional layers."""
    return _family_kinds(_version, family)


@lru_cache(maxsize=64)
def _family_kinds(version: int, family: str) -> tuple[str, ...]:
    return tuple(kind for cls in _CLASSES if cls.family == family for kind in cls.kinds())


def dsl_words() -> dict[str, DslWord]:
    """Every DSL word (folded, without '_') -> how it is written."""
    return _dsl_words(_version)


@lru_cache(maxsize=8)
def _dsl_words(version: int) -> dict[str, DslWord]:
    return {w.word: w for cls in _CLASSES for w in cls.dsl_words}


def sheet_words() -> dict[str, tuple[str, ...]]:
    """Every answer-sheet label word -> the kinds it may mean, over all classes."""
    return _sheet_words(_version)


@lru_cache(maxsize=8)
def _sheet_words(version: int) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for cls in _CLASSES:
        for word, kinds in cls.sheet_words.items():
            merged[word] = (*merged.get(word, ()), *kinds)
    return merged


def state_per_channel(kind: str) -> int:
    """Non-trainable values per channel a layer of `kind` holds (0 for unknown kinds)."""
    cls = kind_class(kind)
    return cls.state_per_channel if cls is not None else 0


# --- the kind table of the docs ------------------------------------------------------------------

_SHARED_FIELDS = frozenset(LayerBase.model_fields)


def kind_table() -> str:
    """The registered kinds as a Markdown table: docs/kinds.md is this function's output.

    One row per kind: its aliases, how the DSL writes it, the words a sheet's row label may
    use for it, and its own fields (`*` marks the required ones; every kind also takes
    name, id, from, shares and when).
    """
    lines = [
        "# Layer kinds",
        "",
        "Every layer kind cnncalc knows, as its class declares it (`cnncalc.layers`).",
        "`kind:` in a spec takes the kind or any alias, in any case, with `-` for `_`.",
        "DSL words are written without `_`; sheet words are the words of an answer sheet's",
        "row label that name the kind. Fields marked `*` are required; every kind also takes",
        "`name`, `id`, `from`, `shares` and `when`.",
        "",
        "| Kind | Family | Aliases | DSL | Sheet words | Fields |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for cls in _CLASSES:
        fields = ", ".join(
            f"`{info.alias or name}`" + ("\\*" if info.is_required() else "")
            for name, info in cls.model_fields.items()
            if name not in _SHARED_FIELDS
        )
        for kind in cls.kinds():
            aliases = [a for a, target in cls.aliases.items() if target == kind]
            forms = dict.fromkeys(w.form for w in cls.dsl_words if w.kind == kind)
            words = [w for w, kinds in cls.sheet_words.items() if kind in kinds]
            cells = [
                f"`{kind}`",
                cls.family,
                _codes(aliases),
                _codes(forms),
                _codes(words),
                fields or "—",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _codes(items: Iterable[str]) -> str:
    """`a`, `b`; a dash for none."""
    text = ", ".join(f"`{item}`" for item in items)
    return text or "—"


# --- the union of the registered kinds, for pydantic fields ---------------------------------------


def layer_tag(value: Any) -> str | None:
    """The class name of the layer kind `value` (a dict or a model) names, or None."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    if not isinstance(kind, str):
        return None
    cls = kind_class(kind)
    return cls.__name__ if cls is not None else None


def tagged_layers() -> tuple[Any, ...]:
    """Each registered layer class tagged with its name, for a discriminated union."""
    return tuple(Annotated[cls, Tag(cls.__name__)] for cls in _CLASSES)


#: a discriminator over the registered kinds, for a union a caller builds itself
UNKNOWN_KIND = Discriminator(layer_tag, custom_error_type="unknown_kind", custom_error_message="unknown layer kind")


def _unknown_kind() -> PydanticCustomError:
    return PydanticCustomError("unknown_kind", "unknown layer kind")


class LiveUnion:
    """A pydantic annotation: validates against the classes registered at validation time.

    `tag(value)` names the class of a value (a layer class name, or the name of one of
    `extra`); None is the `unknown_kind` error. Only the class named is validated, so a spec
    builds the models of the kinds it uses and no others. The JSON Schema is the union of
    the classes registered when the schema is made.
    """

    def __init__(self, tag: Callable[[Any], str | None], extra: tuple[type[BaseModel], ...] = ()) -> None:
        self.tag = tag
        self.extra = {cls.__name__: cls for cls in extra}

    def _classes(self) -> dict[str, type[BaseModel]]:
        return {**{cls.__name__: cls for cls in _CLASSES}, **self.extra}

    def validate(self, value: Any) -> BaseModel:
        name = self.tag(value)
        cls = self._classes().get(name) if name is not None else None
        if cls is None:
            raise _unknown_kind()
        if isinstance(value, cls):
            return value
        return cls.model_validate(value)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        members = tuple(Annotated[cls, Tag(name)] for name, cls in self._classes().items())
        union: Any = Annotated[Union[members], Discriminator(self.tag)]  # noqa: UP007
        return handler(TypeAdapter(union).core_schema)


def live_union(tag: Callable[[Any], str | None], extra: tuple[type[BaseModel], ...] = ()) -> Any:
    """A field type over the registered kinds (and `extra` models): see LiveUnion."""
    return Annotated[Any, LiveUnion(tag, extra)]
