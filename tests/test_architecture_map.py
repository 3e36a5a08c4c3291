"""docs/architecture.md's "What lives where" is the tree as it is: every path it names exists, and
every module of the package is named, by its own name, in the row of the folder that holds it.

A newcomer reads that table to decide where a change goes; a module added, moved or split
without its row would send them to the wrong place, so the table is checked, not trusted.
"""

from __future__ import annotations

import re
from pathlib import Path

from cnncalc.cli.app import COMMAND_MODULE

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
#: a row of the table: | `path` (, `path`)* | what it holds |
ROW = re.compile(r"^\| (`[^|]+`) \| (.+) \|$")
CODE = re.compile(r"`([^`]+)`")


def rows() -> dict[str, str]:
    """Each path of the table -> the text of its row (paths sharing a row share the text)."""
    text = PAGE.read_text(encoding="utf-8")
    table = text.split("## What lives where", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in table.splitlines():
        match = ROW.match(line)
        if match:
            for path in CODE.findall(match.group(1)):
                found[path] = match.group(2)
    return found


def modules() -> list[Path]:
    """The package's modules and data files, relative to the root; package faces aside."""
    package = ROOT / "cnncalc"
    found = []
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or path.suffix not in (".py", ".json"):
            continue
        if path.name in ("__init__.py", "__main__.py", "py.typed"):
            continue
        found.append(path.relative_to(ROOT))
    return found


def test_every_path_the_table_names_exists() -> None:
    missing = [path for path in rows() if not (ROOT / path.rstrip("/")).exists()]
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_module_is_named_in_the_row_of_its_folder() -> None:
    table = rows()
    unnamed = []
    for module in modules():
        path = module.as_posix()
        if path in table:
            continue
        folder = f"{module.parent.as_posix()}/"
        if module.parent.name == "specs":
            continue  # the bundled networks are data, listed by `cnncalc list`
        if folder == "cnncalc/cli/" and module.stem in COMMAND_MODULE.values():
            continue  # "one module per command, named after it": app.COMMAND_MODULE is the list
        row = table.get(folder)
        names = set(CODE.findall(row)) if row else set()
        words = {name.strip("()").split("/")[-1].split(".")[0] for name in names}
        if module.stem not in words and module.name not in words:
            unnamed.append(path)
    assert unnamed == [], (
        "docs/architecture.md (What lives where) does not name these modules in their folder's row: "
        f"{unnamed}; write each as `name` with what it holds"
    )
