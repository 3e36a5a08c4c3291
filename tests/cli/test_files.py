"""Writing safety: output files never destroy an input, never follow a link, never clobber without
--force, are written atomically; and a path the system refuses is exit 2, never a crash."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.cli.files import write_text_safely
from cnncalc.errors import CnncalcError

SHEET = "layer,params\nCONV1,608\nCONV2,3216\n"  # lenet5: ((5*5*3)+1)*8 and ((5*5*8)+1)*16, from the slides


@pytest.fixture
def class_dir(tmp_path: Path) -> Path:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    (sheets / "alice.csv").write_text(SHEET, encoding="utf-8")
    return sheets


def _said(result: object) -> str:
    return " ".join(str(getattr(result, "output", "")).split())


def test_scores_csv_written_atomically_and_nothing_left_behind(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "alice.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    scores = tmp_path / "out" / "scores.csv"
    scores.parent.mkdir()
    result = runner.invoke(app, ["grade", "lenet5", str(sheet), "--csv", str(scores)])
    assert result.exit_code == 1, result.output  # graded: the sheet leaves out layers
    assert scores.read_text(encoding="utf-8").startswith("student,file,right,graded")
    assert sorted(p.name for p in scores.parent.iterdir()) == ["scores.csv"]  # no temporary file left
    mode = stat.S_IMODE(scores.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


@pytest.mark.parametrize("spelling", ["same", "dotted", "relative"])
def test_csv_never_overwrites_the_sheet_being_graded(
    runner: CliRunner, tmp_path: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = tmp_path / "alice.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    target = {"same": str(sheet), "dotted": str(tmp_path / "x" / ".." / "alice.csv"), "relative": "./alice.csv"}
    (tmp_path / "x").mkdir()
    for force in ([], ["--force"]):
        result = runner.invoke(app, ["grade", "lenet5", str(sheet), "--csv", target[spelling], *force])
        assert result.exit_code == 2, result.output
        assert "is an input of this run" in _said(result) and "hint:" in result.output
        assert sheet.read_text(encoding="utf-8") == SHEET


def test_csv_never_overwrites_a_hard_link_to_an_input(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "alice.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    link = tmp_path / "scores.csv"
    os.link(sheet, link)
    result = runner.invoke(app, ["grade", "lenet5", str(sheet), "--csv", str(link), "--force"])
    assert result.exit_code == 2, result.output
    assert sheet.read_text(encoding="utf-8") == SHEET


def test_template_never_overwrites_the_spec(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    text = "input: 32x32x3\nlayers: [{kind: conv, filters: 8, kernel: 5}]\n"
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["grade", str(spec), "--template", "-o", str(spec), "--force"])
    assert result.exit_code == 2, result.output
    assert "is an input of this run" in _said(result)
    assert spec.read_text(encoding="utf-8") == text


def test_csv_inside_the_folder_of_sheets_is_refused(runner: CliRunner, class_dir: Path) -> None:
    result = runner.invoke(app, ["grade", "lenet5", str(class_dir), "--csv", str(class_dir / "scores.csv")])
    assert result.exit_code == 2, result.output
    assert "inside the folder of sheets" in _said(result)
    assert not (class_dir / "scores.csv").exists()


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symbolic_link_is_never_written_through(runner: CliRunner, tmp_path: Path, dangling: bool) -> None:
    victim = tmp_path / "victim.txt"
    if not dangling:
        victim.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "sheet.md"
    link.symlink_to(victim)
    for command in (
        ["grade", "lenet5", "--template", "-o", str(link), "--force"],
        ["grade", "lenet5", "--template", "-o", str(link)],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "symbolic link" in _said(result)
    assert link.is_symlink()
    assert victim.read_text(encoding="utf-8") == "precious\n" if not dangling else not victim.exists()


def test_an_existing_file_is_replaced_only_with_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "sheet.csv"
    out.write_text("mine\n", encoding="utf-8")
    out.chmod(0o640)
    refused = runner.invoke(app, ["grade", "lenet5", "--template", "-o", str(out)])
    assert refused.exit_code == 2
    assert "already exists" in _said(refused) and "--force" in refused.output
    assert out.read_text(encoding="utf-8") == "mine\n"
    forced = runner.invoke(app, ["grade", "lenet5", "--template", "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8").startswith("Layer,")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # the replaced file keeps its permissions


def test_scores_are_refused_before_any_grading(runner: CliRunner, class_dir: Path, tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("last week\n", encoding="utf-8")
    result = runner.invoke(app, ["grade", "lenet5", str(class_dir), "--csv", str(scores)])
    assert result.exit_code == 2
    assert "graded against" not in result.stdout
    assert scores.read_text(encoding="utf-8") == "last week\n"


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_only_a_regular_file_is_written(runner: CliRunner, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out.csv"
    if kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    result = runner.invoke(app, ["grade", "lenet5", "--template", "-o", str(target), "--force"])
    assert result.exit_code == 2, result.output
    assert ("is a folder" if kind == "folder" else "not a regular file") in _said(result)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "scores.csv"
    out.write_text("old\n", encoding="utf-8")

    def fail(self: Path, target: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(CnncalcError) as raised:
        write_text_safely(out, "new\n", "--csv", force=True)
    assert (
        "--csv" in str(raised.value.diagnostics[0].message) and "No space left" in raised.value.diagnostics[0].message
    )
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_a_missing_folder_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", "lenet5", "--template", "-o", str(tmp_path / "no" / "such" / "x.csv")])
    assert result.exit_code == 2
    assert "cannot write" in _said(result) and "x.csv" in result.output and ".tmp" not in result.output


LONG = "a" * 300 + ".yaml"


@pytest.mark.parametrize(
    "command",
    [
        ["summarize", LONG],
        ["explain", LONG],
        ["verify", LONG],
        ["check", LONG],
        ["diff", LONG, "vgg16"],
        ["diff", "vgg16", LONG],
        ["grade", LONG, "x.csv"],
        ["grade", "lenet5", LONG],
        ["grade", "lenet5", "--template", "-o", LONG],
        ["grade", "lenet5", "--template", "-o", "x/" * 2100 + "y.csv"],
        ["conv", f"@{LONG}", "-k", "1"],
        ["pool", f"@{LONG}"],
        ["check", "lenet5", "-b", LONG],
    ],
)
def test_a_path_too_long_is_exit_2_with_a_message(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and "error" in result.output
    assert "Traceback" not in result.output


def test_a_path_too_long_for_the_scores(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "alice.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    result = runner.invoke(app, ["grade", "lenet5", str(sheet), "--csv", str(tmp_path / LONG)])
    assert result.exit_code == 2
    assert "too long" in _said(result) and "255 bytes" in result.output


def test_an_unreadable_folder_is_exit_2(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "sheets"
    folder.mkdir()

    def deny(self: Path) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", deny)
    result = runner.invoke(app, ["grade", "lenet5", str(folder)])
    assert result.exit_code == 2, result.output
    assert "Permission denied" in result.output and "internal error" not in result.output


def test_an_unreadable_sheet_in_a_folder_is_skipped(
    runner: CliRunner, class_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (class_dir / "bob.csv").write_text(SHEET, encoding="utf-8")
    import cnncalc.features.grade.sheet as sheet_module

    real = sheet_module.read_sheet

    def read(path: Path) -> object:
        if Path(path).name == "bob.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(sheet_module, "read_sheet", read)
    result = runner.invoke(app, ["grade", "lenet5", str(class_dir)])
    assert result.exit_code == 1, result.output
    assert "1 sheet graded against lenet5" in result.stdout
    assert "Permission denied" in result.output and "skipped" in result.output


def test_a_bundled_name_is_not_a_file_input(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["grade", "lenet5", "--template", "-o", "lenet5"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lenet5").read_text(encoding="utf-8").startswith("Layer,")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_inputs_that_are_not_regular_files_are_refused_at_once(runner: CliRunner, tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        odd = tmp_path / "odd.csv"
        os.mkfifo(odd)  # reading it would wait for a writer forever
    elif kind == "device":
        odd = Path("/dev/zero")  # reading it would never end
    else:
        odd = tmp_path / "folder.csv"
        odd.mkdir()
    commands = [["conv", f"@{odd}", "-k", "1"], ["pool", f"@{odd}"], ["check", "lenet5", "-b", str(odd)]]
    if kind != "folder":
        commands.append(["grade", "lenet5", str(odd)])
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        said = _said(result)
        # the one reader names the kind of file it found; the pre-check of paths says "not a regular file"
        assert re.search(r"not a regular file|is a folder|FIFO|device|directory", said), result.output


def test_a_matrix_file_is_read_bounded(runner: CliRunner, tmp_path: Path) -> None:
    from cnncalc.features.worked.matrix import MAX_TEXT_CHARS

    big = tmp_path / "big.csv"
    big.write_text("1 " * (MAX_TEXT_CHARS // 2 + 10), encoding="utf-8")
    result = runner.invoke(app, ["pool", f"@{big}"])
    assert result.exit_code == 2
    assert f"limited to {MAX_TEXT_CHARS:,}" in _said(result)
