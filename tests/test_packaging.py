"""The package list in pyproject.toml names every package, and the wheel ships the bundled networks."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "cnncalc").rglob("__init__.py")} | {
        "cnncalc.specs"
    }
    assert set(config["packages"]) == on_disk
    assert config["package-dir"] == {"cnncalc.specs": "specs"}


def test_bundled_networks_are_found_as_package_data() -> None:
    shipped = {p.name for p in resources.files("cnncalc.specs").iterdir() if p.name.endswith(".yaml")}
    assert shipped == {p.name for p in (ROOT / "specs").glob("*.yaml")}
    assert "vgg16.yaml" in shipped
