"""Shared fixtures: a CLI runner and a helper to load inline specs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
