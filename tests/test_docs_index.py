"""docs/index.md names every command once, one line each, with a link to the page that documents it;
the Quick start page is in the site's navigation and says how wide the shown output is."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from cnncalc.cli.app import COMMAND_MODULE, app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: a row of the commands table: [`cnncalc NAME ...`](page.md) | what it does |
ROW = re.compile(r"^\| \[`cnncalc ([\w-]+)[^`]*`\]\(([\w-]+\.md)(#[\w-]+)?\) \| (.+) \|$")


def index_rows() -> dict[str, tuple[str, str]]:
    """command -> (linked page, its line), from the commands table of docs/index.md."""
    rows: dict[str, tuple[str, str]] = {}
    for line in (DOCS / "index.md").read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            name, page, _, what = found.groups()
            assert name not in rows, f"{name} is listed twice"
            rows[name] = (page, what)
    return rows


def cli_commands() -> set[str]:
    return {info.name or info.callback.__name__ for info in app.registered_commands if info.callback}


def test_the_index_names_every_command_of_the_cli() -> None:
    assert set(index_rows()) == cli_commands() == set(COMMAND_MODULE)


def test_each_command_links_to_a_page_that_shows_it() -> None:
    for name, (page, what) in index_rows().items():
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f"cnncalc {name}" in text, f"{name} links to {page}, which never names it"
        assert what.strip() and "\n" not in what


def test_the_quick_start_is_in_the_site_and_says_the_width() -> None:
    # mkdocs.yml's own tags (none today) would need a loader of their own; the nav is plain YAML
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    pages = [page for entry in nav for page in entry.values()]
    assert "quickstart.md" in pages and pages.index("quickstart.md") == 1
    text = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    assert "**100 columns wide** (`COLUMNS=100`)" in text


def test_readme_links_the_drawing_and_report_pages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/draw.md", "docs/report.md", "docs/quickstart.md"):
        assert f"]({page})" in readme
