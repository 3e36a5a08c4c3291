"""Shared fixtures, and a deterministic Hypothesis profile for CI (`CI` set in the environment)."""

from __future__ import annotations

import os

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
