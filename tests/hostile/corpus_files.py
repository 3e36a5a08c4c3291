"""Hostile inputs around the files cnncalc reads and writes: names that reach generated code or a
YAML header, links in a folder of sheets, and output targets refused before any file is written.

Cases that must succeed carry exit_code 0 and the fragment the output must show (for export, the
name as the ASCII literal the generated module keeps in a comment). Checks beyond the exit code
and message (no file written, no payload run) are in tests/features/interop/test_export_names.py,
tests/features/grade/test_grade_files.py and tests/features/interop/test_import_names.py.
"""

from __future__ import annotations

import json

from cases import Case

#: 001's LeNet table, all right: a sheet that grades 0
SHEET = (
    b"layer,shape,size,params\nInput,32x32x3,3072,0\nCONV1,28x28x8,6272,608\nPOOL1,14x14x8,1568,0\n"
    b"CONV2,10x10x16,1600,3216\nPOOL2,5x5x16,400,0\nFC3,120,120,48120\nFC4,84,84,10164\nSoftmax,10,10,850\n"
)
#: the payload a name carries: it would leave a file behind if the generated module ever ran it
RUN = "import os; os.system('touch PWNED')"


def _spec(name: str, *layer_names: str) -> bytes:
    """A small spec (JSON is YAML) named `name`, one conv per layer name, and a shared block."""
    layers = [{"kind": "conv", "name": n, "filters": 4, "kernel": 3, "padding": "same"} for n in layer_names]
    layers += [{"block": "b", "name": "one"}, {"block": "b", "name": f"{name}#shared", "shares": "one"}]
    blocks = {"b": {"description": name, "layers": [{"kind": "conv", "name": name, "filters": 4, "kernel": 1}]}}
    data = {"name": name, "description": name, "input": "8x8x3", "blocks": blocks, "layers": layers}
    return json.dumps(data).encode()


def export(case_id: str, name: str, message: str, *layer_names: str) -> Case:
    """`export` of a spec with hostile names: it succeeds, and `message` is in the code written."""
    return Case(
        case_id, ("export", "{d}/net.yaml"), message, {"net.yaml": _spec(name, *(layer_names or (name,)))}, exit_code=0
    )


def _keras(name: str) -> bytes:
    def layer(cls: str, **config: object) -> dict[str, object]:
        return {"class_name": cls, "config": config}

    layers = [
        layer("InputLayer", batch_shape=[None, 8, 8, 3], name="in"),
        layer("Conv2D", name=name, filters=4, kernel_size=[3, 3]),
        layer("Flatten", name="flat"),
        layer("Dense", name="fc", units=2),
    ]
    return json.dumps({"class_name": "Sequential", "config": {"name": name, "layers": layers}}).encode()


def imported(case_id: str, file_name: str, message: str) -> Case:
    """`import` of a Keras model file whose name is hostile: the header shows it JSON-escaped."""
    return Case(case_id, ("import", "{d}/" + file_name), message, {file_name: _keras("net")}, exit_code=0)


def folder(case_id: str, message: str, special: tuple[str, ...], files: dict[str, bytes] | None = None) -> Case:
    """`grade` of the folder class/ holding alice.csv (all right), `files` and `special` files: the
    links are skipped, alice is graded, exit 0."""
    contents = {"class/alice.csv": SHEET, **(files or {})}
    return Case(case_id, ("grade", "lenet5", "{d}/class"), message, contents, special=special, exit_code=0)


def outputs(
    case_id: str,
    extra: tuple[str, ...],
    message: str,
    special: tuple[str, ...] = (),
    files: dict[str, bytes] | None = None,
) -> Case:
    """`grade` of class/ (a.csv, b.csv, c.csv) with --feedback notes/ and `extra` options: refused."""
    contents = {"class/a.csv": SHEET, "class/b.csv": SHEET, "class/c.csv": SHEET, **(files or {})}
    argv = ("grade", "lenet5", "{d}/class", "--feedback", "{d}/notes", *extra)
    return Case(case_id, argv, message, contents, special=special)


MODEL_FILES: list[Case] = [
    # export: every name made an identifier; the original kept as an escaped literal in a comment
    export("export-docstring-break", f'"""\n{RUN}\n"""', '# network: \'"""\\nimport os'),
    export("export-single-quotes", f"'''\n{RUN}\n'''", "# network: \"'''\\nimport os"),
    export("export-comment-newline", f"x\n{RUN}", "# \"x\\nimport os; os.system('touch PWNED')\" -> 4x8x8"),
    export("export-carriage-return", f"x\r{RUN}", '# network: "x\\rimport os'),
    export("export-line-separator", f"x\u2028{RUN}", '# network: "x\\u2028import os'),
    export("export-next-line", f"x\x85{RUN}", '# network: "x\\x85import os'),
    export("export-backslash", "a\\", "# network: 'a\\\\'"),
    export("export-bidi", "\u202etxet", "# network: '\\u202etxet'"),
    export("export-superscript", "net", "self.layer_2 = nn.Conv2d", "²"),
    export("export-fullwidth-collision", "net", "self.x__2 = nn.Conv2d", "x", "ｘ"),
    export("export-fraktur", "net", "self.H = nn.Conv2d", "ℌ"),
    export("export-keyword", "net", "self.class_ = nn.Conv2d", "class"),
    export("export-soft-keyword", "net", "self.match_ = nn.Conv2d", "match"),
    export("export-underscore", "net", "self.layer = nn.Conv2d", "_"),
    export("export-builtin", "net", "self.print_ = nn.Conv2d", "print"),
    export("export-dunder-import", "net", "self.import_ = nn.Conv2d", "__import__"),
    export("export-forward", "net", "self.forward_ = nn.Conv2d", "forward"),
    export("export-to", "net", "self.to_ = nn.Conv2d", "to"),
    export("export-training", "net", "self.training_ = nn.Conv2d", "training"),
    export("export-modules", "net", "self.modules_ = nn.Conv2d", "_modules"),
    export("export-register-buffer", "net", "self.register_buffer_ = nn.Conv2d", "register_buffer"),
    export("export-self", "net", "self.self_ = nn.Conv2d", "self"),
    export("export-functional", "F", "class F_(nn.Module)", "F"),
    export("export-torch", "net", "self.torch_ = nn.Conv2d", "torch"),
    export("export-dash-collision", "net", "self.a_b_2 = nn.Conv2d", "a-b", "a_b"),
    export("export-shared-comment", f"s\n{RUN}", "# \"s\\nimport os; os.system('touch PWNED')#shared.s\\nimport os"),
    # export: the output file is checked like every other
    Case(
        "export-over-input",
        ("export", "{d}/net.yaml", "-o", "{d}/net.yaml", "--force"),
        "is an input",
        {"net.yaml": _spec("n", "c")},
    ),
    Case(
        "export-through-link",
        ("export", "{d}/net.yaml", "-o", "{d}/out.py"),
        "symbolic link",
        {"net.yaml": _spec("n", "c"), "victim.py": b"keep\n"},
        special=("link:out.py->victim.py",),
    ),
    # import: the file name is written JSON-escaped in the header, never as YAML
    imported("import-newline-name", "a\nname: evil.json", '# imported from "a\\nname: evil.json"'),
    imported("import-cr-name", "b\rinput: 1x1x3.json", '# imported from "b\\rinput: 1x1x3.json"'),
    imported("import-line-separator-name", "c\u2028d: 1.json", '# imported from "c\\u2028d: 1.json"'),
    imported("import-next-line-name", "e\x85f: 2.json", '# imported from "e\\u0085f: 2.json"'),
    imported("import-hash-name", "g # h.json", '# imported from "g # h.json"'),
    imported("import-colon-name", "i: j.json", '# imported from "i: j.json"'),
    Case(
        "import-through-link",
        ("import", "{d}/m.json", "-o", "{d}/out.yaml"),
        "symbolic link",
        {"m.json": _keras("net"), "victim.yaml": b"keep\n"},
        special=("link:out.yaml->victim.yaml",),
    ),
    # grade FOLDER: links are never followed, inside or out; each is named and skipped
    folder(
        "grade-link-out", "stray.csv: a symbolic link", ("link:class/stray.csv->secret.csv",), {"secret.csv": SHEET}
    ),
    folder("grade-link-dir", "sub: a symbolic link", ("dir:elsewhere", "link:class/sub->elsewhere")),
    folder("grade-link-inside", "again.csv: a symbolic link", ("link:class/again.csv->class/alice.csv",)),
    folder("grade-link-dangling", "gone.csv: a symbolic link", ("link:class/gone.csv->nowhere.csv",)),
    folder("grade-link-to-dev", "zero.csv: a symbolic link", ("link:class/zero.csv->../../../dev/zero",)),
    Case(
        "grade-only-links",
        ("grade", "lenet5", "{d}/class"),
        "no answer sheets",
        {"a.csv": SHEET},
        special=("dir:class", "link:class/a.csv->a.csv"),
    ),
    # --feedback and the other outputs: every target checked before any is written
    outputs("feedback-third-exists", (), "c.feedback.md: already exists", files={"notes/c.feedback.md": b"mine"}),
    outputs(
        "feedback-link",
        (),
        "symbolic link",
        ("link:notes/b.feedback.md->victim.txt",),
        {"notes/x": b"", "victim.txt": b"keep"},
    ),
    outputs("feedback-folder-in-the-way", (), "is a folder", ("dir:notes", "dir:notes/a.feedback.md")),
    outputs("feedback-not-a-folder", (), "is not a folder", files={"notes": b"a file"}),
    outputs("feedback-folder-link", (), "is not a folder", ("dir:real", "link:notes->real")),
    outputs(
        "feedback-csv-exists", ("--csv", "{d}/scores.csv"), "scores.csv: already exists", files={"scores.csv": b"old"}
    ),
    outputs("feedback-csv-is-folder", ("--csv", "{d}/scores"), "is a folder", ("dir:scores",)),
    outputs("outputs-same-path", ("--csv", "{d}/o.csv", "--gradebook", "{d}/o.csv"), "is also the file of --csv"),
    outputs("feedback-csv-is-input", ("--csv", "{d}/class/a.csv", "--force"), "class/a.csv"),
    outputs(
        "gradebook-link",
        ("--gradebook", "{d}/book.csv"),
        "symbolic link",
        ("link:book.csv->victim.txt",),
        {"victim.txt": b"k"},
    ),
]
