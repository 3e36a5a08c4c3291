"""Spec language: pydantic models, the YAML loader and the one-line DSL."""

from cnncalc.spec.loader import bundled_names, load_spec, load_spec_text, validate_spec
from cnncalc.spec.model import InputSpec, SourceMap, Spec

__all__ = ["InputSpec", "SourceMap", "Spec", "bundled_names", "load_spec", "load_spec_text", "validate_spec"]
