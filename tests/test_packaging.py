"""The package list in pyproject.toml names every package, and the wheel ships the bundled networks."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "cnncalc").rglob("__init__.py")} | {
        "cnncalc.specs"
    }
    assert set(config["packages"]) == on_disk
    assert config["package-dir"] == {"cnncalc.specs": "specs"}


def test_bundled_networks_ship_in_the_installed_distribution() -> None:
    """A wheel holds specs/*.yaml as cnncalc/specs/ (what `pip install .` puts in site-packages)."""
    import importlib.metadata

    import pytest

    # the copy pip installed, not the egg-info a build leaves beside the sources (on sys.path too)
    installed = [p for p in sys.path if p.endswith("site-packages")]
    found = [d for d in importlib.metadata.distributions(path=installed) if d.metadata["Name"] == "cnncalc"]
    if not found:
        pytest.skip("cnncalc is not installed in site-packages")
    files = [str(f) for f in found[0].files or []]
    shipped = {Path(f).name for f in files if f.startswith("cnncalc/specs/") and f.endswith(".yaml")}
    if not shipped and any("__editable__" in f for f in files):
        pytest.skip("an editable install ships no files; CI installs a wheel")
    assert shipped == {p.name for p in (ROOT / "specs").glob("*.yaml")}


def test_bundled_networks_are_found_by_name() -> None:
    from cnncalc.spec import bundled_names

    assert set(bundled_names()) == {p.stem for p in (ROOT / "specs").glob("*.yaml")}
    assert "vgg16" in bundled_names()
