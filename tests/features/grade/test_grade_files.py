"""`grade FOLDER` and the files it writes: links in the folder are never followed, and every
output (--csv, --gradebook, --feedback) is checked before any is written."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()

#: 001's LeNet table, all right
SHEET = (
    "layer,shape,size,params\nInput,32x32x3,3072,0\nCONV1,28x28x8,6272,608\nPOOL1,14x14x8,1568,0\n"
    "CONV2,10x10x16,1600,3216\nPOOL2,5x5x16,400,0\nFC3,120,120,48120\nFC4,84,84,10164\nSoftmax,10,10,850\n"
)


def class_folder(root: Path, *names: str) -> Path:
    folder = root / "class"
    folder.mkdir()
    for name in names:
        (folder / name).write_text(SHEET)
    return folder


def graded_files(output: str) -> set[str]:
    data = json.loads(output)
    return {Path(r["file"]).name for r in data["sheets"]} | {Path(u["file"]).name for u in data["unreadable"]}


def test_a_link_out_of_the_folder_is_skipped_and_never_read(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "alice.csv")
    secret = tmp_path / "secret.csv"
    secret.write_text(SHEET.replace("layer,", "Student: SECRET\nlayer,"))
    (folder / "stray.csv").symlink_to(secret)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "bob.csv").write_text(SHEET)
    (folder / "sub").symlink_to(outside)
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert graded_files(result.stdout) == {"alice.csv"}
    assert "SECRET" not in result.stdout
    assert "stray.csv: a symbolic link" in result.stderr and "sub: a symbolic link" in result.stderr


def test_a_link_inside_the_folder_is_not_followed_either(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "alice.csv")
    (folder / "again.csv").symlink_to(folder / "alice.csv")
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--format", "json"])
    assert result.exit_code == 0
    assert graded_files(result.stdout) == {"alice.csv"}
    assert "again.csv: a symbolic link" in result.stderr


def test_a_folder_of_links_only_has_no_sheets(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (tmp_path / "a.csv").write_text(SHEET)
    (folder / "a.csv").symlink_to(tmp_path / "a.csv")
    result = runner.invoke(app, ["grade", "lenet5", str(folder)])
    assert result.exit_code == 2 and "no answer sheets" in result.stderr


def test_one_refused_feedback_file_means_none_written(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "a.csv", "b.csv", "c.csv", "d.csv")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "c.feedback.md").write_text("mine")  # the 3rd target exists; no --force
    scores = tmp_path / "scores.csv"
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--feedback", str(notes), "--csv", str(scores)])
    assert result.exit_code == 2
    assert "c.feedback.md: already exists" in result.stderr
    assert sorted(p.name for p in notes.iterdir()) == ["c.feedback.md"]
    assert (notes / "c.feedback.md").read_text() == "mine"
    assert not scores.exists()


def test_a_link_in_the_way_of_one_feedback_file_means_none_written(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "a.csv", "b.csv")
    notes = tmp_path / "notes"
    notes.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (notes / "b.feedback.md").symlink_to(victim)
    book = tmp_path / "book.csv"
    args = ["grade", "lenet5", str(folder), "--feedback", str(notes), "--gradebook", str(book), "--force"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert sorted(p.name for p in notes.iterdir()) == ["b.feedback.md"]
    assert victim.read_text() == "keep" and not book.exists()


def test_a_refused_csv_means_no_feedback_written(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "a.csv", "b.csv")
    notes = tmp_path / "notes"
    scores = tmp_path / "scores.csv"
    scores.mkdir()  # a folder in the way
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--feedback", str(notes), "--csv", str(scores)])
    assert result.exit_code == 2 and "is a folder" in result.stderr
    assert not notes.exists() or not list(notes.iterdir())


def test_two_outputs_on_one_path_are_refused(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "a.csv")
    same = tmp_path / "out.csv"
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--csv", str(same), "--gradebook", str(same)])
    assert result.exit_code == 2 and "is also the file of --csv" in result.stderr
    assert not same.exists()


def test_all_targets_fine_all_written(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "a.csv", "b.csv", "c.csv")
    notes = tmp_path / "notes"
    book = tmp_path / "book.csv"
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--feedback", str(notes), "--gradebook", str(book)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in notes.iterdir()) == ["a.feedback.md", "b.feedback.md", "c.feedback.md"]
    assert book.exists()
