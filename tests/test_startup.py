"""Start-up is a feature: what each entry point imports and builds, checked in a fresh process.

(The times themselves are measured by benchmarks/startup.py, never asserted here.)
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert found == ["cnncalc.core.walk", "Spec"]


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


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args], capture_output=True, text=True, env=env, cwd=ROOT, input=stdin
    )


def test_a_run_builds_only_the_command_it_names() -> None:
    from cnncalc.cli.app import COMMAND_MODULE, app, app_for

    one = app_for(["summarize", "vgg16"])
    assert one is not app
    assert sorted(info.callback.__name__ for info in one.registered_commands if info.callback) == [
        "convert",
        "summarize",
    ]
    # no command, a root option or a misspelt command: the whole application
    for args in ([], ["--help"], ["--version"], ["sumarize"]):
        assert app_for(args) is app
    # every command of the whole application is reachable by name, and by nothing else
    names = {info.name or info.callback.__name__ for info in app.registered_commands if info.callback}
    assert set(COMMAND_MODULE) == names


@pytest.mark.parametrize("command", sorted(importlib.import_module("cnncalc.cli.app").COMMAND_MODULE))
def test_a_command_alone_says_what_it_says_in_the_whole_application(command: str) -> None:
    from typer.testing import CliRunner

    from cnncalc.cli.app import app, app_for

    runner = CliRunner()
    alone = runner.invoke(app_for([command]), [command, "--help"], prog_name="cnncalc")
    whole = runner.invoke(app, [command, "--help"], prog_name="cnncalc")
    assert alone.exit_code == whole.exit_code == 0
    assert alone.stdout == whole.stdout
    wrong = runner.invoke(app_for([command]), [command, "--no-such-option"], prog_name="cnncalc")
    assert wrong.exit_code == 2
    assert "error: No such option: --no-such-option" in wrong.stderr


def test_the_process_ends_with_the_command_s_status_and_all_its_output() -> None:
    done = _cli("summarize", "lenet5", "-f", "json")
    assert done.returncode == 0 and json.loads(done.stdout)["name"] == "lenet5"
    assert _cli("summarize", "no-such-network").returncode == 2
    assert _cli("--version").stdout.startswith("cnncalc ")
    assert _cli().returncode == 2  # no command: help on stderr/stdout, usage status
    failed = _cli("check", "lenet5", "--max-params", "10")
    assert failed.returncode == 1 and failed.stdout


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_a_reader_that_leaves_early_ends_nothing_badly(tmp_path: Path, fmt: str) -> None:
    """`cnncalc ... | head -1`: the rest has nowhere to go; no message, and status 0."""
    spec = tmp_path / "long.yaml"
    spec.write_text(
        "input: 8x8x4\nlayers:\n" + "  - {kind: conv, filters: 4, kernel: 3, padding: same}\n" * 3000,
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", "summarize", str(spec), "-f", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    with process, process.stdout, process.stderr:
        process.stdout.readline()
        process.stdout.close()  # as `| head -1` does
        errors = process.stderr.read().decode()
        process.wait(timeout=60)
    assert errors == ""
    assert process.returncode == 0


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_output_that_cannot_show_a_name_escapes_it(tmp_path: Path, encoding: str) -> None:
    """A name in another script, printed where the encoding lacks its characters, is written
    as backslash escapes (and the table's rule as '-'): never an internal error."""
    spec = tmp_path / "net.yaml"
    spec.write_text(
        'name: "caf\u00e9 \u4e2d"\ninput: 8x8x1\nlayers:\n  - {kind: conv, filters: 2, kernel: 3, name: "\u4e2d"}\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PYTHONIOENCODING": encoding,
    }
    for command in (["summarize", str(spec)], ["explain", str(spec)], ["summarize", "nope", "--dsl", "\u4e2d"]):
        done = subprocess.run(
            [sys.executable, "-m", "cnncalc", *command], capture_output=True, env=env, cwd=ROOT, check=False
        )
        assert done.returncode in (0, 2), done.stderr
        assert b"internal error" not in done.stderr and b"Traceback" not in done.stderr
        done.stdout.decode(encoding)  # all of it in the stream's own encoding
    table = subprocess.run(
        [sys.executable, "-m", "cnncalc", "summarize", str(spec)], capture_output=True, env=env, cwd=ROOT, check=True
    ).stdout.decode(encoding)
    assert "\\u4e2d" in table and " ---" in table


@pytest.mark.parametrize(
    ("script", "args", "rows"),
    [
        ("bench_walk.py", ["--runs", "1", "--sizes", "10", "20"], ["json", "table", "library"]),
        ("startup.py", ["--runs", "1"], ["python -c pass", "summarize vgg16 (table)"]),
        ("bench_conv_shapes.py", ["--runs", "1", "--network", "lenet5"], ["3x32x32 -> 8, 5x5/1", "total (x count)"]),
    ],
)
def test_the_benchmarks_run(script: str, args: list[str], rows: list[str]) -> None:
    # what they print is measured, never asserted; that they run and print every row is
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for row in rows:
        assert row in done.stdout


def test_a_named_command_imports_no_other_command_module() -> None:
    found = fresh(
        "import io, json, sys, contextlib\n"
        "from cnncalc.cli.app import app_for\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        app_for(['summarize', 'vgg16'])(['summarize', 'vgg16'], standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('cnncalc.cli.'))))"
    )
    assert isinstance(found, list)
    assert "cnncalc.cli.summarize" in found
    others = {"grade", "assign", "check", "draw", "report", "verify", "worked", "explain", "solve", "match", "export"}
    assert not {f"cnncalc.cli.{name}" for name in others} & set(found)
