"""Reading a Keras model file safely: a .keras zip archive's config.json, or a model.to_json() file.

A model file is untrusted input: the archive's directory, its entries' declared sizes and
config.json's compression ratio are checked before anything is decompressed, and the config's
size before it is parsed. Only config.json is read; the weights never are.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from cnncalc.errors import CnncalcError
from cnncalc.features.interop.common import InteropError
from cnncalc.spec.loader import read_text_file

#: largest config read, as a .json file or as a .keras archive's config.json: the largest real
#: Keras application measured, EfficientNetB7, has a 758,863-byte to_json() (ConvNeXtXLarge:
#: 256,521), and parsing JSON costs about 25x its size in memory, so 8 MiB is a 10x margin
#: that still parses in well under a second
MAX_CONFIG_BYTES = 8 * 1024 * 1024

#: entries of a .keras archive (Keras writes 3: config.json, metadata.json, model.weights.h5)
MAX_ARCHIVE_ENTRIES = 10_000

#: bytes of a .keras archive's central directory, read whole by zipfile before any entry
MAX_ARCHIVE_DIRECTORY_BYTES = 4 * 1024 * 1024

#: declared uncompressed size of all entries of a .keras archive together (the weights
#: included, which cnncalc never reads): 8x the largest model file read
MAX_ARCHIVE_BYTES = 16 * 1024**3

#: compression ratio above which a config.json larger than MIN_RATIO_CHECK_BYTES is refused
#: unread: Keras stores config.json uncompressed (1:1), a very repetitive config deflates about
#: 25:1, a zip bomb (whitespace, or one value repeated) by 1000:1
MAX_CONFIG_RATIO = 100

#: configs smaller than this are read whatever their ratio (a tiny config may compress well)
MIN_RATIO_CHECK_BYTES = 1024 * 1024

HINT_FILE = "save the model with model.save('model.keras'), or write model.to_json() to a file"

#: bytes at the start of a .json file too large to parse in which a Keras config names its class
#: (Keras writes `{"module": "keras.src.models.functional", "class_name": ...` first)
KERAS_HEAD_BYTES = 4096


def looks_like_keras_json(path: Path) -> bool:
    """A readable JSON file whose top level is a Keras model config (not, say, a spec in JSON).

    A file over the config limit is not parsed: it is taken for a Keras config when it starts
    as one does, so that the importer refuses it with its own limit, not the YAML reader with
    a spec's (a spec is never that large either).
    """
    try:
        if not path.is_file():
            return False
        if path.stat().st_size > MAX_CONFIG_BYTES:
            with path.open("rb") as stream:
                head = stream.read(KERAS_HEAD_BYTES)
            return head.lstrip().startswith(b"{") and b'"class_name"' in head
        data = json.loads(read_text_file(path, "a Keras model config", MAX_CONFIG_BYTES, InteropError))
    except (CnncalcError, OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "class_name" in data and isinstance(data.get("config"), dict)


def read_config(path: Path) -> dict[str, Any]:
    """The parsed config of a .keras archive or a .json file, each bound checked before the work it bounds."""
    if zipfile.is_zipfile(path):
        text = _read_archive(path)
    else:
        with path.open("rb") as stream:
            if stream.read(4) == b"PK\x03\x04":  # a zip's first entry, but no directory at the end
                raise InteropError.single(f"{path}: a truncated or damaged zip archive", hint=HINT_FILE)
        text = _read_json_file(path)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise InteropError.single(f"{path}: not a readable Keras model ({type(e).__name__})", hint=HINT_FILE) from None
    if not isinstance(data, dict) or "class_name" not in data or not isinstance(data.get("config"), dict):
        raise InteropError.single(f"{path}: not a Keras model config (no class_name and config)", hint=HINT_FILE)
    return data


def _read_json_file(path: Path) -> str:
    """A model.to_json() file, through the project's one reader of text files (regular files only, bounded)."""
    try:
        return read_text_file(path, "a Keras model config", MAX_CONFIG_BYTES, InteropError)
    except InteropError as e:  # name the file: the reader's location is the path, kept in the message
        raise InteropError.single(f"{path}: {e.diagnostics[0].message}", hint=HINT_FILE) from None


def _directory_size(path: Path) -> tuple[int, int] | None:
    """(entries, bytes) of a zip's central directory, as its end record declares them (Zip64 too).

    zipfile reads and parses the whole directory when it opens an archive, whatever the
    entry count says, so its declared size and count are checked here first; None where no
    end record is found (zipfile then refuses the file itself).
    """
    with path.open("rb") as stream:
        size = stream.seek(0, 2)
        tail_size = min(size, 22 + 0xFFFF + 20)  # end record, longest comment, Zip64 locator
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
        if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # Zip64: the record before says
            (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
            if offset < size:
                stream.seek(offset)
                record = stream.read(56)
                if len(record) == 56 and record[:4] == b"PK\x06\x06":
                    entries, directory = struct.unpack("<QQ", record[32:48])
    return entries, directory


def _read_archive(path: Path) -> str:
    """config.json of a .keras archive, refused unread if the archive's own numbers promise a bomb."""
    try:
        declared = _directory_size(path)
        if declared is not None and declared[0] > MAX_ARCHIVE_ENTRIES:
            raise InteropError.single(
                f"{path}: the archive has {declared[0]:,} entries; "
                f"a .keras model is limited to {MAX_ARCHIVE_ENTRIES:,}",
                hint=HINT_FILE,
            )
        if declared is not None and declared[1] > MAX_ARCHIVE_DIRECTORY_BYTES:
            raise InteropError.single(
                f"{path}: the archive's directory is {declared[1]:,} bytes; "
                f"a .keras model's is limited to {MAX_ARCHIVE_DIRECTORY_BYTES:,}",
                hint=HINT_FILE,
            )
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ARCHIVE_ENTRIES:
                raise InteropError.single(
                    f"{path}: the archive has {len(infos):,} entries; "
                    f"a .keras model is limited to {MAX_ARCHIVE_ENTRIES:,}",
                    hint=HINT_FILE,
                )
            total = sum(info.file_size for info in infos)
            if total > MAX_ARCHIVE_BYTES:
                raise InteropError.single(
                    f"{path}: the archive's entries unpack to {total:,} bytes; "
                    f"a .keras model is limited to {MAX_ARCHIVE_BYTES:,}",
                    hint="is it a zip bomb?",
                )
            try:
                info = archive.getinfo("config.json")
            except KeyError:
                raise InteropError.single(f"{path}: a zip without config.json, not a .keras model") from None
            return _read_entry(path, archive, info)
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zipfile.BadZipFile, zlib.error) as e:
        # a truncated, corrupt, encrypted or oddly compressed archive; nothing was extracted
        raise InteropError.single(
            f"{path}: not a readable .keras archive ({type(e).__name__})", hint=HINT_FILE
        ) from None


def _read_entry(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """config.json's text: its declared size and ratio checked, and read no further than the limit."""
    if info.file_size > MAX_CONFIG_BYTES:
        raise InteropError.single(
            f"{path}: config.json is {info.file_size:,} bytes; a Keras config is limited to {MAX_CONFIG_BYTES:,}",
            hint="is it a zip bomb?",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > MAX_CONFIG_RATIO and info.file_size > MIN_RATIO_CHECK_BYTES:
        raise InteropError.single(
            f"{path}: config.json is compressed {ratio:,.0f}:1; a Keras config is refused above {MAX_CONFIG_RATIO}:1",
            hint="is it a zip bomb?",
        )
    with archive.open(info) as stream:  # the header may lie about the size: never read past the limit
        data = stream.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise InteropError.single(
            f"{path}: config.json is larger than {MAX_CONFIG_BYTES:,} bytes, not the size its header declares",
            hint="is it a zip bomb?",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InteropError.single(f"{path}: config.json is not UTF-8 text (byte {e.start})", hint=HINT_FILE) from None
