"""One hostile input and the refusal it must get: the record every corpus module builds.

It lives apart from the corpus so that the model-file corpora (corpus_onnx, corpus_keras,
corpus_files) and hostile_corpus, which gathers them all, import it without importing each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

Content = bytes | Callable[[], bytes]


@dataclass(frozen=True)
class Case:
    """One hostile input and the refusal it must get."""

    id: str
    argv: tuple[str, ...]
    message: str
    files: Mapping[str, Content] = field(default_factory=dict)
    #: special files made by the runner: "fifo:NAME", "dir:NAME", "link:NAME->TARGET"
    special: tuple[str, ...] = ()
    exit_code: int = 2

    def materialise(self) -> dict[str, bytes]:
        return {name: content() if callable(content) else content for name, content in self.files.items()}

    def prepare(self, root: Path) -> list[str]:
        """Write the case's files and special files under `root`; its command line there."""
        for name, content in self.materialise().items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        for special in self.special:
            what, _, spec = special.partition(":")
            if what == "fifo":
                os.mkfifo(root / spec)
            elif what == "dir":
                (root / spec).mkdir()
            elif what == "link":
                name, _, target = spec.partition("->")
                (root / name).symlink_to(root / target)
            else:
                raise ValueError(special)
        return [arg.replace("{d}", str(root)) for arg in self.argv]
