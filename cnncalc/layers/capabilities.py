"""What a feature can do with each layer kind, declared in one table per feature.

The symbolic rules of a kind live in its class (cnncalc.layers.base.LayerBase), found through
the registry. Eight other parts of cnncalc treat layers by kind with rules of their own: the
numeric core, training memory, symbolic sizes, the peer tools' presets, the PyTorch export,
the ONNX and Keras importers, and draw. Each of them declares here, in one `Capabilities`
table, which kinds it covers and how (`handlers`: a layer class or a kind -> the function,
or whatever else says how it is treated), which kinds it deliberately does not cover and
why (`unsupported`: a class or a kind -> a reason), and whether every other kind is still
handled by a generic rule (`fallback`: how, in words).

A feature that meets a kind it has no rule for (one registered from outside the package
with `register_kind`, or one listed as unsupported) asks its table for the handler and gets
an error a user can act on (exit 2) naming the layer, its kind and the feature, never an
internal error. The list of all tables is `cnncalc.features.capabilities.TABLES` (the
features import this module, not the other way round); a test checks every registered kind
against every table, and the list in docs/architecture.md against that list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from cnncalc.errors import CnncalcError
from cnncalc.layers.base import LayerBase

H = TypeVar("H")

#: a table's key: a layer class (all its kinds) or one kind
Key = type[LayerBase] | str


class UncoveredKindError(CnncalcError):
    """A layer of a kind a feature has no rule for (exit 2)."""


@dataclass(frozen=True)
class Capabilities(Generic[H]):
    """One feature's table of the kinds it covers.

    A kind is looked up by its name first, then by its exact class (not a base class: a
    subclass registered from outside is a new kind, with rules this feature does not know).
    `unsupported` wins over `handlers`, so a class can be covered but for some of its kinds.
    """

    #: the feature, as a message names it: "the numeric core", "the PyTorch export"
    feature: str
    #: what the feature lacks for an uncovered kind: "a kernel" -> "... has no kernel for it"
    lacks: str
    handlers: Mapping[Key, H]
    unsupported: Mapping[Key, str] = field(default_factory=dict)
    #: how kinds in neither mapping are handled; empty: they are refused
    fallback: str = ""
    #: the error an uncovered kind raises (a CnncalcError subclass: exit 2)
    error: type[CnncalcError] = UncoveredKindError

    def _find(self, mapping: Mapping[Key, H] | Mapping[Key, str], cls: type[LayerBase], kind: str) -> Key | None:
        if kind in mapping:
            return kind
        return cls if cls in mapping else None

    def reason(self, cls: type[LayerBase], kind: str) -> str | None:
        """Why `kind` (of class `cls`) is not covered, or None when it is."""
        key = self._find(self.unsupported, cls, kind)
        if key is not None:
            return self.unsupported[key]
        return None

    def covers(self, cls: type[LayerBase], kind: str) -> bool:
        """Whether `kind` has a handler (not counting the fallback)."""
        return self.reason(cls, kind) is None and self._find(self.handlers, cls, kind) is not None

    def status(self, cls: type[LayerBase], kind: str) -> str | None:
        """ "covered", "unsupported: REASON", "fallback: HOW", or None: the table does not say."""
        reason = self.reason(cls, kind)
        if reason is not None:
            return f"unsupported: {reason}"
        if self.covers(cls, kind):
            return "covered"
        return f"fallback: {self.fallback}" if self.fallback else None

    def get(self, layer: LayerBase) -> H | None:
        """The handler of `layer`'s kind, or None when it is not covered (never raises)."""
        cls, kind = type(layer), layer.kind
        key = self._find(self.handlers, cls, kind) if self.reason(cls, kind) is None else None
        return self.handlers[key] if key is not None else None

    def lookup(self, layer: LayerBase, doing: str = "", name: str = "") -> H | None:
        """The handler of `layer`'s kind; None for a kind left to the fallback.

        Raises `error` (see `handler`) for a kind declared unsupported, and for any kind not
        covered when there is no fallback.
        """
        cls, kind = type(layer), layer.kind
        reason = self.reason(cls, kind)
        if reason is None:
            key = self._find(self.handlers, cls, kind)
            if key is not None:
                return self.handlers[key]
            if self.fallback:
                return None
        raise self.refusal(kind, reason, f"{doing} layer '{name}' of kind '{kind}': " if doing else "")

    def handler(self, layer: LayerBase, doing: str, name: str) -> H:
        """The handler of `layer`'s kind, or the error that names the layer, its kind and this
        feature: "{doing} layer 'NAME' of kind 'KIND': {feature} has no {lacks} for it"."""
        cls, kind = type(layer), layer.kind
        reason = self.reason(cls, kind)
        key = self._find(self.handlers, cls, kind) if reason is None else None
        if key is not None:
            return self.handlers[key]
        raise self.refusal(kind, reason, f"{doing} layer '{name}' of kind '{kind}': ")

    def refusal(self, kind: str, reason: str | None, lead: str = "") -> CnncalcError:
        """The error for a layer of `kind` this feature does not cover: the reason the table
        gives as the hint, or, for a kind it does not list, where a rule would go."""
        message = f"{lead}{self.feature} has no {self.lacks} for {'it' if lead else repr(kind)}"
        hint = reason or (
            f"'{kind}' is not a kind cnncalc ships, and {self.feature} has rules only for those; "
            "docs/architecture.md (How to add a layer kind) lists the tables a new kind needs"
        )
        return self.error.single(message, hint=hint)


__all__ = ["Capabilities", "Key", "UncoveredKindError"]
