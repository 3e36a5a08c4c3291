"""Start-up is a feature: what each entry point imports and builds, checked in a fresh process.

(The times themselves are measured by benchmarks/startup.py, never asserted here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh(code: str) -> object:
    """Run `code` in a new interpreter; it prints one JSON value, returned here."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    result: object = json.loads(out.stdout)
    return result


def test_import_cnncalc_imports_nothing_heavy() -> None:
    found = fresh(
        "import sys, json, cnncalc; print(json.dumps({m: m in sys.modules for m in "
        "('pydantic', 'yaml', 'numpy', 'rich', 'typer', 'cnncalc.layers')}))"
    )
    assert isinstance(found, dict)
    assert found == dict.fromkeys(found, False)


def test_public_names_import_on_first_use() -> None:
    found = fresh("import json, cnncalc; print(json.dumps([cnncalc.analyze.__module__, cnncalc.Spec.__name__]))")
    assert found == ["cnncalc.analysis", "Spec"]


def test_a_spec_builds_only_the_layer_kinds_it_uses() -> None:
    found = fresh(
        "import json, sys, cnncalc\n"
        "from cnncalc.layers import LAYER_CLASSES\n"
        "cnncalc.analyze(cnncalc.load_spec('vgg16'))\n"
        "print(json.dumps({'built': sorted(c.__name__ for c in LAYER_CLASSES if c.__pydantic_complete__),"
        " 'numpy': 'numpy' in sys.modules, 'rich': 'rich' in sys.modules}))"
    )
    kinds = {layer["kind"] for layer in _vgg16_layers()}
    assert isinstance(found, dict)
    assert found["numpy"] is False and found["rich"] is False
    built = found["built"]
    assert isinstance(built, list)
    # VGG-16 is convs, max pools, dense layers, dropout and activations: nothing else is built
    assert kinds <= {
        "conv",
        "maxpool",
        "max_pool",
        "pool",
        "dense",
        "fc",
        "flatten",
        "relu",
        "softmax",
        "activation",
        "dropout",
    }
    assert set(built) <= {"Conv", "Pool", "Dense", "Flatten", "Activation", "Dropout"}
    assert "Conv" in built and "LocalResponseNorm" not in built and "ConvTranspose" not in built


def _vgg16_layers() -> list[dict[str, object]]:
    import yaml

    data = yaml.safe_load((ROOT / "specs" / "vgg16.yaml").read_text(encoding="utf-8"))
    layers: list[dict[str, object]] = data["layers"]
    return layers
