"""Shared fixtures, and a deterministic Hypothesis profile for CI (`CI` set in the environment)."""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# in CI the same examples every run: a red build is a bug to fix, never a roll of the dice
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def keras() -> Any:
    """Keras 3 on the PyTorch backend, the oracle of the Keras import tests; they skip without it."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip("keras runs on another backend here")
    return module
