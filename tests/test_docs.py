"""The documentation's promises that a test can hold.

- Every ```console block of README.md and docs/*.md runs: each line `$ cnncalc ...` is a command
  (a trailing backslash continues it on the next line), the lines after it are what it prints,
  stdout and stderr together, at COLUMNS=100 with NO_COLOR=1, from the repository root. A line
  `...` in the shown output stands for lines left out; every other shown line must match.
  `$ echo $?` shows the exit code of the command before it.
- `CNNCALC_UPDATE_DOCS=1 python -m pytest tests/test_docs.py` rewrites the shown outputs in place
  (an excerpt keeps its `...` gaps: each shown part is re-anchored on the line most like its
  first), for when the renderer changes what a command prints. Review the diff before committing.
- `mkdocs build --strict` succeeds; every repository path the pages name exists; README stays
  under 15,000 bytes; every command is in README's table and has an example in the docs; the
  version is written once and `cnncalc --version` says it.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "LINES": "50"}
UPDATE = os.environ.get("CNNCALC_UPDATE_DOCS") == "1"
GAP = "..."
# the top of the repository: a path in the pages that starts with one of these must exist
TOP = ("examples/", "specs/", "cnncalc/", "tests/", "benchmarks/", "docs/", ".ci/")
ROOT_FILES = ("README.md", "CHANGELOG.md", "pyproject.toml", "mkdocs.yml", ".pre-commit-hooks.yaml")


@dataclass
class Command:
    """One `$ cnncalc ...` of a console block, with the output lines shown under it."""

    argv: list[str]
    shown: list[str]
    first: int  # index in the page's lines of the first shown line
    end: int  # index one past the last shown line


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    indent: str  # of the fence: a block inside a list item is indented
    commands: list[Command]


def console_blocks(page: Path) -> list[Block]:
    """The ```console blocks of a page (indented ones too), split into commands and shown output."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = re.fullmatch(r"(\s*)```console\s*", lines[i])
        if not fence:
            i += 1
            continue
        indent, start = fence.group(1), i
        i += 1
        commands: list[Command] = []
        while i < len(lines) and lines[i].strip() != "```":
            text = lines[i].removeprefix(indent)
            if text.startswith("$ "):
                command = text[2:]
                while command.endswith("\\"):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                commands.append(Command(shlex.split(command), [], i + 1, i + 1))
            elif not commands:
                raise AssertionError(f"{page.name}:{i + 1}: a console block must start with '$ '")
            else:
                commands[-1].shown.append(text)
                commands[-1].end = i + 1
            i += 1
        blocks.append(Block(page, start + 1, indent, commands))
        i += 1
    return blocks


def run(argv: list[str], last_code: int) -> tuple[list[str], int]:
    """Run one documented command as a user would type it; return its printed lines and exit code."""
    if argv == ["echo", "$?"]:
        return [str(last_code)], last_code
    if argv[0] == "cat" and len(argv) == 2:  # a file an earlier command of the block wrote
        return Path(argv[1]).read_text(encoding="utf-8").rstrip("\n").splitlines(), 0
    assert argv[0] == "cnncalc", f"only cnncalc, `echo $?` and `cat FILE` run in console blocks, not {argv[0]!r}"
    result = CliRunner().invoke(app, argv[1:], env=ENV, prog_name="cnncalc")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code != 3, result.output
    return [line.rstrip() for line in result.output.rstrip("\n").splitlines()], result.exit_code


def matches(shown: list[str], printed: list[str]) -> bool:
    """Shown lines equal the printed ones, `...` lines standing for any run of lines left out."""
    parts = [list(group) for group in _split(shown)]
    head, tail = parts[0], parts[-1]
    if len(parts) == 1:
        return shown == printed
    if printed[: len(head)] != head or (tail and printed[len(printed) - len(tail) :] != tail):
        return False
    at = len(head)
    for part in parts[1:-1]:
        found = _find(printed, part, at)
        if found < 0:
            return False
        at = found + len(part)
    return at <= len(printed) - len(tail)


def only_gaps(shown: list[str]) -> bool:
    """An excerpt that shows nothing but `...`: it would match any output, so it is refused."""
    return bool(shown) and all(line.strip() == GAP for line in shown)


def _split(shown: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == GAP:
            parts.append([])
        else:
            parts[-1].append(line.rstrip())
    return parts


def _find(printed: list[str], part: list[str], start: int) -> int:
    for i in range(start, len(printed) - len(part) + 1):
        if printed[i : i + len(part)] == part:
            return i
    return -1


def _anchor(printed: list[str], line: str, start: int) -> int:
    """Index at or after start of the printed line most like `line` (for regenerating excerpts)."""
    best, best_ratio = start, -1.0
    for i in range(start, len(printed)):
        ratio = difflib.SequenceMatcher(None, line, printed[i]).ratio()
        if ratio > best_ratio:
            best, best_ratio = i, ratio
    return best


def regenerate(shown: list[str], printed: list[str]) -> list[str]:
    """New shown lines for a changed output: the whole output, or the same excerpt re-anchored."""
    parts = _split(shown)
    if len(parts) == 1 or only_gaps(shown):
        return printed
    out: list[str] = []
    at = 0
    for n, part in enumerate(parts):
        if n:
            out.append(GAP)
        if not part:
            continue
        if n == len(parts) - 1:  # the last part shows the end of the output
            begin = max(at, len(printed) - len(part))
        elif n == 0:
            begin = 0
        else:
            begin = _anchor(printed, part[0], at)
        out.extend(printed[begin : begin + len(part)])
        at = begin + len(part)
    return out


def workdir(tmp_path: Path) -> Path:
    """A folder that looks like the repository root to relative paths, where commands may write files."""
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def test_console_blocks_print_what_the_pages_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir(tmp_path))
    failures: list[str] = []
    total = 0
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        replacements: list[tuple[int, int, list[str], str]] = []
        for block in console_blocks(page):
            code = 0
            for command in block.commands:
                total += 1
                printed, code = run(command.argv, code)
                if matches(command.shown, printed) and not only_gaps(command.shown):
                    continue
                if UPDATE:
                    replacements.append((command.first, command.end, regenerate(command.shown, printed), block.indent))
                else:
                    diff = "\n".join(difflib.unified_diff(command.shown, printed, "shown", "printed", lineterm=""))
                    failures.append(f"{page.name}:{command.first}: $ {shlex.join(command.argv)}\n{diff}")
        if replacements:
            for first, end, new, indent in reversed(replacements):
                lines[first:end] = [indent + line if line else line for line in new]
            page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert total > 20, "the pages lost their examples"
    assert not failures, "\n\n".join(failures) + "\n\n(regenerate with CNNCALC_UPDATE_DOCS=1, then review the diff)"


def fenced(page: Path, language: str) -> list[tuple[int, str]]:
    """(line, text) of each ```language block of a page."""
    found = re.finditer(rf"^```{language}\n(.*?)^```$", page.read_text(encoding="utf-8"), re.S | re.M)
    return [(page.read_text(encoding="utf-8")[: m.start()].count("\n") + 1, m.group(1)) for m in found]


def test_yaml_blocks_named_after_a_file_show_that_file() -> None:
    """A ```yaml block whose first line is `# examples/...` shows that file (its leading comments left out)."""
    shown = 0
    for page in PAGES:
        for line, text in fenced(page, "yaml"):
            first, _, body = text.partition("\n")
            named = re.fullmatch(r"# ((?:examples|specs)/\S+)", first)
            if named is None:
                continue
            shown += 1
            content = (ROOT / named.group(1)).read_text(encoding="utf-8").splitlines()
            while content and content[0].startswith("#"):
                content.pop(0)
            assert body.splitlines() == content, f"{page.name}:{line}: differs from {named.group(1)}"
    assert shown >= 3


def test_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ```python blocks are whole programs and run here; ```py marks an excerpt (of generated code,
    # or code that needs PyTorch), which the page's own test checks instead
    monkeypatch.chdir(workdir(tmp_path))
    blocks = [(page, line, text) for page in PAGES for line, text in fenced(page, "python")]
    assert blocks
    for page, line, text in blocks:
        try:
            exec(compile(text, f"{page.name}:{line}", "exec"), {})
        except Exception as error:
            raise AssertionError(f"{page.name}:{line}: the Python example fails: {error!r}") from error


def test_excerpts_match_with_gaps() -> None:
    printed = ["a", "b", "c", "d", "e"]
    assert matches(["a", GAP, "c", GAP, "e"], printed)
    assert matches(["a", "b", GAP], printed)
    assert matches([GAP, "d", "e"], printed)
    assert not matches(["a", GAP, "x", GAP], printed)
    assert not matches(["b", GAP], printed)
    assert not matches(["a", "b"], printed)
    assert not matches(["a", GAP, "d", GAP, "c"], printed)
    assert regenerate(["a", GAP, "c!", GAP, "e"], printed) == ["a", GAP, "c", GAP, "e"]
    assert only_gaps([GAP]) and not only_gaps(["a", GAP]) and not only_gaps([])
    assert regenerate([GAP], printed) == printed


def test_mkdocs_builds_strictly(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        # .ci/run sets CNNCALC_REQUIRE_MKDOCS=1: in CI the docs build must run, never skip
        assert os.environ.get("CNNCALC_REQUIRE_MKDOCS") != "1", "mkdocs is not installed"
        pytest.skip("mkdocs is not installed (pip install '.[test]' installs it)")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def repository_paths(text: str) -> set[str]:
    """Every path of this repository a page names: it starts with a top-level folder or root file."""
    tops = "|".join(re.escape(t) for t in (*TOP, *ROOT_FILES))
    found = re.findall(rf"(?<![\w/.$-])((?:{tops})[\w./*-]*)", text)
    return {path.rstrip(".,:;") for path in found}


def prose_and_commands(page: Path) -> str:
    """A page without the printed output of its console blocks (that is what cnncalc prints, not a reference)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    for block in console_blocks(page):
        for command in block.commands:
            lines[command.first : command.end] = [""] * (command.end - command.first)
    return "\n".join(lines)


def test_every_path_the_pages_name_exists() -> None:
    missing = []
    for page in PAGES:
        for path in sorted(repository_paths(prose_and_commands(page))):
            exists = any(ROOT.glob(path.rstrip("/"))) if "*" in path else (ROOT / path).exists()
            if not exists:
                missing.append(f"{page.name}: {path}")
    assert not missing, missing


def test_paths_are_found_in_text() -> None:
    text = "see `examples/class/`, examples/lenet5.yaml. and docs/budgets.md; not my/examples/x or $examples/y"
    assert repository_paths(text) == {"examples/class/", "examples/lenet5.yaml", "docs/budgets.md"}


def test_readme_is_a_front_page() -> None:
    size = (ROOT / "README.md").stat().st_size
    assert size <= 15_000, f"README.md is {size:,} bytes; move reference material to docs/"


def test_every_command_is_documented() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    commands = re.findall(r"^  (\w+)\s{2,}", result.stdout.split("Commands:")[1], re.M)
    assert {"summarize", "convert", "list", "verify", "explain", "grade", "conv", "pool", "check", "diff"} <= set(
        commands
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `cnncalc"))
    examples = {" ".join(c.argv[:2]) for page in PAGES for b in console_blocks(page) for c in b.commands}
    for command in commands:
        assert f"`cnncalc {command}" in table, f"{command} is not in README's commands table"
        assert f"cnncalc {command}" in examples, f"{command} has no console example in README or docs"


def test_readme_test_command_is_what_ci_runs() -> None:
    command = "pip install '.[test]' && python -m pytest"
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_no_page_installs_cnncalc_from_the_index() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"pip3? install (-U |--upgrade )?cnncalc\b", text), page.name


def test_version_is_written_once_and_printed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cnncalc.__version__"}
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cnncalc {cnncalc.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", cnncalc.__version__)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{cnncalc.__version__}]" in changelog or "## [Unreleased]" in changelog


def test_installed_metadata_agrees() -> None:
    try:
        dist = importlib.metadata.distribution("cnncalc")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("cnncalc is not installed (pip install . records its version)")
    origin = dist.read_text("direct_url.json") or ""
    if '"editable": true' in origin and ROOT.as_uri() not in origin:
        pytest.skip(f"the installed cnncalc is an editable install of another checkout: {origin}")
    assert dist.version == cnncalc.__version__
