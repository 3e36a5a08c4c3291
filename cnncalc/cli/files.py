"""Writing the files a command was asked to write, safely.

A teacher runs `cnncalc grade lenet5 sheets/ --csv scores.csv` on files students sent;
a slip of the keyboard (or a planted symbolic link) must not cost them a file. So an
output file:

- is never one of the inputs of the same run (compared by resolved path and by inode,
  which also catches hard links), nor a file in a folder of sheets being graded;
- is never written through a symbolic link (the link is refused, not followed);
- never replaces an existing file unless `--force` is given;
- is written atomically: a temporary file in the same folder, then `os.replace`, so a
  failure leaves the old file (or none) and never half a file.

Every refusal is a located error (exit 2) with a hint; so is any OSError, e.g. a name
longer than the system allows.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cnncalc.errors import SpecError

#: longest file name (one path component) most file systems take, in bytes
NAME_MAX = 255
#: longest path Linux takes, in bytes
PATH_MAX = 4096


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path for a message: in full when short, else its start and end with its length."""
    text = os.fspath(path)
    if len(text) <= 120:
        return text
    return f"{text[:60]}...{text[-40:]} ({len(os.fsencode(text)):,} bytes)"


def check_path_length(path: str | os.PathLike[str], what: str) -> None:
    """Refuse a path with a name over NAME_MAX bytes, or longer than PATH_MAX, before any system call."""
    raw = os.fsencode(os.fspath(path))
    longest = max((len(part) for part in raw.split(b"/")), default=0)
    if longest > NAME_MAX or len(raw) > PATH_MAX:
        limit = f"a name may have at most {NAME_MAX} bytes" if longest > NAME_MAX else f"at most {PATH_MAX} bytes"
        raise SpecError.single(f"{what} {shown_path(path)}: the path is too long ({limit})", hint="give a shorter path")


def os_error_message(error: OSError, what: str = "") -> str:
    """'what PATH: reason' for an OSError, in words a user can act on."""
    name = error.filename if error.filename is not None else ""
    where = f"{what} {shown_path(name)}".strip() if name != "" else what or "a file"
    if error.errno == errno.ENAMETOOLONG:
        reason = f"the path is too long (a name may have at most {NAME_MAX} bytes)"
    else:
        reason = error.strerror or str(error)
    return f"{where}: {reason}"


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def check_output(path: Path, option: str, inputs: Sequence[Path], force: bool) -> None:
    """Refuse an output path that would lose or corrupt a file; see the module's docstring."""
    check_path_length(path, option)
    where = f"{option} {shown_path(path)}"
    try:
        link = path.lstat()
    except FileNotFoundError:
        link = None
    except OSError as e:
        raise SpecError.single(os_error_message(e, option), hint="give a path you can write to") from None
    if link is not None and stat.S_ISLNK(link.st_mode):
        raise SpecError.single(
            f"{where}: is a symbolic link; cnncalc does not write through links",
            hint="give the path of a regular file (or remove the link)",
        )
    if link is not None and stat.S_ISDIR(link.st_mode):
        raise SpecError.single(f"{where}: is a folder", hint="give the path of a file to write")
    if link is not None and not stat.S_ISREG(link.st_mode):
        raise SpecError.single(f"{where}: is not a regular file", hint="give the path of a regular file to write")
    target = path.resolve()
    for source in inputs:
        source_stat = _stat(source)
        if source_stat is None:  # not a file: a bundled network's name, say
            continue
        if stat.S_ISDIR(source_stat.st_mode):
            if target.parent == source.resolve():
                raise SpecError.single(
                    f"{where}: is inside the folder of sheets being graded ({shown_path(source)})",
                    hint="write it outside that folder, or the next run would read it as a sheet",
                )
            continue
        if target == source.resolve() or (link is not None and _same_file(link, source_stat)):
            raise SpecError.single(
                f"{where}: is an input of this run ({shown_path(source)}); writing it would destroy it",
                hint="give another file name",
            )
    if link is not None and not force:
        raise SpecError.single(f"{where}: already exists", hint="add --force to replace it, or give another name")


def write_text_safely(path: Path, text: str, option: str, inputs: Sequence[Path] = (), force: bool = False) -> None:
    """Write `text` to `path` after check_output: a temporary file in the same folder, then os.replace."""
    write_bytes_safely(path, text.encode("utf-8"), option, inputs, force)


def write_bytes_safely(path: Path, data: bytes, option: str, inputs: Sequence[Path] = (), force: bool = False) -> None:
    """Write `data` (a PNG, say) to `path` as write_text_safely writes text."""
    check_output(path, option, inputs, force)
    folder = path.parent
    try:
        old = path.lstat() if path.exists() else None
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name[:100]}.", suffix=".tmp")
    except OSError as e:
        raise SpecError.single(
            _cannot_write(path, option, e), hint="give a path in a folder you can write to"
        ) from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(stat.S_IMODE(old.st_mode) if old else _default_mode())
        temporary.replace(path)  # atomic; replaces a name, never follows a link planted there
    except OSError as e:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise SpecError.single(_cannot_write(path, option, e), hint="give a path you can write to") from None


def _cannot_write(path: Path, option: str, error: OSError) -> str:
    """The message names the file asked for, not the temporary one beside it."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENAMETOOLONG:
        reason = f"the path is too long (a name may have at most {NAME_MAX} bytes)"
    return f"{option} {shown_path(path)}: cannot write: {reason}"


def _default_mode() -> int:
    """What a newly created file gets: 0o666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


__all__ = [
    "check_output",
    "check_path_length",
    "os_error_message",
    "shown_path",
    "write_bytes_safely",
    "write_text_safely",
]
