"""`cnncalc report` in a real browser: headless Chromium loads the page with no console message,
the page's script runs to its end (it marks the body data-ready="1"), sorts the table on a click or when
the address asks, and a screenshot shows the table and the diagram, checked by its pixels.

Skipped, saying why, where no Chromium is installed (CI installs Debian's `chromium`).
`CNNCALC_UPDATE_DOCS=1` also writes the screenshot shown in docs/report.md.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cnncalc.core.conventions import Conventions
from cnncalc.core.report import LayerRow, Report
from cnncalc.features.draw.diagram import architecture_svg
from cnncalc.features.explain.explanation import explain
from cnncalc.features.report_html.page import report_html
from cnncalc.spec import load_spec

ROOT = Path(__file__).resolve().parents[3]
DOCS_SHOT = ROOT / "docs" / "img" / "report-lenet5.png"
UPDATE = os.environ.get("CNNCALC_UPDATE_DOCS") == "1"
WINDOW = (1400, 1300)
TABLE_HEAD = (0xE8, 0xED, 0xF3)  # the header row of the table (--head in the page's CSS)
CONV_FILL = (0x8E, 0xCA, 0xE6)  # a convolution in the diagram (cnncalc.features.draw.diagram)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium installed (apt-get install chromium): the page is not opened in a browser")


def browse(page: Path, tmp_path: Path, *args: str, fragment: str = "") -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local file, with its console messages logged to stderr."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
        page.resolve().as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_messages(stderr: str) -> list[str]:
    """What the page wrote to the console (errors, failed loads, logs): Chromium's CONSOLE lines."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def write_page(name: str, folder: Path) -> tuple[Report, Path]:
    explanation = explain(load_spec(name), Conventions())
    path = folder / f"{name}.html"
    path.write_text(report_html(explanation, architecture_svg(explanation.report)), encoding="utf-8")
    return explanation.report, path


def read_png(data: bytes) -> np.ndarray:
    """The pixels of an 8-bit RGB or RGBA PNG (what Chromium writes) as a (height, width, channels) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, chunks, header = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int64)
    above = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).astype(np.int64)
        if kind == 1:  # Sub: a running sum along each channel
            line = np.cumsum(line.reshape(width, channels), axis=0).reshape(stride) % 256
        elif kind == 2:  # Up
            line = (line + above) % 256
        elif kind in (3, 4):  # Average, Paeth: each byte depends on the one before it
            line = _unfilter(kind, line.tolist(), above.tolist(), channels)
        out[y] = line
        above = line
    return out.reshape(height, width, channels).astype(np.uint8)


def _unfilter(kind: int, raw: list[int], above: list[int], bpp: int) -> np.ndarray:
    row = [0] * len(raw)
    for i, value in enumerate(raw):
        a = row[i - bpp] if i >= bpp else 0
        b = above[i]
        if kind == 3:
            row[i] = (value + (a + b) // 2) % 256
            continue
        c = above[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        row[i] = (value + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) % 256
    return np.array(row, dtype=np.int64)


def test_png_reader_reads_every_filter() -> None:
    """The reader against a PNG written here, one row per filter type, with known pixels."""
    width, rows = 5, [[(x * 40 + y * 7, 255 - x * 30, (x * y * 13) % 256) for x in range(5)] for y in range(5)]
    pixels = np.array(rows, dtype=np.int64)
    flat = pixels.reshape(5, width * 3)
    encoded = b""
    for y, kind in enumerate((0, 1, 2, 3, 4)):
        line, up = flat[y].tolist(), flat[y - 1].tolist() if y else [0] * (width * 3)
        out = []
        for i, v in enumerate(line):
            a = line[i - 3] if i >= 3 else 0
            b, c = up[i], (up[i - 3] if i >= 3 else 0)
            p = a + b - c
            paeth = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
            out.append((v - (0, a, b, (a + b) // 2, paeth)[kind]) % 256)
        encoded += bytes([kind, *out])

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, 5, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(encoded)) + chunk(b"IEND", b"")
    assert (read_png(png) == pixels).all()


def test_a_script_error_is_caught(tmp_path: Path) -> None:
    """The harness sees a page whose script fails: a console line, and no data-ready."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><body><script>missing(); document.body.dataset.ready = "1";</script>')
    done = browse(page, tmp_path, "--dump-dom")
    assert any("Uncaught" in line for line in console_messages(done.stderr))
    assert 'data-ready="1"' not in done.stdout


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "googlenet"])
def test_page_runs_and_sorts(name: str, tmp_path: Path) -> None:
    report, page = write_page(name, tmp_path)
    done = browse(page, tmp_path, "--dump-dom", fragment="#sort=-params")
    assert console_messages(done.stderr) == []
    body = re.search(r"<body[^>]*>", done.stdout)
    assert body is not None
    assert 'data-ready="1"' in body.group() and f'data-layers="{len(report.rows)}"' in body.group()
    assert '<table id="summary" data-sorted="-params">' in done.stdout
    shown = [int(i) for i in re.findall(r'<tr data-index="(\d+)">', done.stdout)]
    largest_first = sorted(report.rows, key=lambda row: (-row.params, row.index))
    assert shown == [row.index for row in largest_first]
    assert 'data-key="params" data-type="number" aria-sort="descending"' in done.stdout


@pytest.mark.parametrize("name", ["lenet5", "resnet18"])
def test_screenshot_shows_the_table_and_the_diagram(name: str, tmp_path: Path) -> None:
    _, page = write_page(name, tmp_path)
    shot = tmp_path / "shot.png"
    done = browse(page, tmp_path, f"--screenshot={shot}")
    assert console_messages(done.stderr) == []
    pixels = read_png(shot.read_bytes())[:, :, :3]
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])

    def rows_of(colour: tuple[int, int, int]) -> np.ndarray:
        return np.nonzero(np.all(pixels == colour, axis=2).any(axis=1))[0]

    head, conv = rows_of(TABLE_HEAD), rows_of(CONV_FILL)
    assert head.size >= 15, "no table header in the screenshot"
    assert conv.size >= 20, "no convolution drawn in the screenshot"
    top_of_diagram = int(conv.min())
    assert head.min() < top_of_diagram, "the table comes before the diagram"
    # the table's body: dark text (the numbers) on a white ground, between its header and the diagram
    band = pixels[int(head.min()) + 20 : top_of_diagram - 80]
    dark = np.all(band < 110, axis=2).sum()
    assert dark > 2000, f"only {dark} dark pixels where the table's rows should be"
    # the diagram: its filled convolutions take a real area, not a stray pixel
    assert np.all(pixels[top_of_diagram:] == CONV_FILL, axis=2).sum() > 1500
    if UPDATE and name == "lenet5":
        DOCS_SHOT.write_bytes(shot.read_bytes())


def test_clicking_a_header_sorts(tmp_path: Path) -> None:
    """Clicks on the header buttons, made by a script the test adds after the page's own."""
    report, page = write_page("lenet5", tmp_path)
    clicks = """<script>
    var seen = [];
    function click(key) {
      document.querySelector('th[data-key="' + key + '"] button').click();
      var order = Array.prototype.map.call(document.querySelectorAll("#summary tbody tr"), function (r) {
        return r.dataset.index; });
      seen.push(document.getElementById("summary").dataset.sorted + ":" + order.join(","));
    }
    click("macs"); click("macs"); click("name");
    document.body.dataset.clicks = seen.join(" ");
    </script>"""
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", clicks + "\n</body>"), encoding="utf-8")
    done = browse(page, tmp_path, "--dump-dom")
    assert console_messages(done.stderr) == []
    found = re.search(r'data-clicks="([^"]*)"', done.stdout)
    assert found is not None
    rows = report.rows

    def order(key: Callable[[LayerRow], tuple[int, int] | tuple[str, int]]) -> str:
        return ",".join(str(row.index) for row in sorted(rows, key=key))

    assert found.group(1).split(" ") == [
        "-macs:" + order(lambda row: (-row.macs, row.index)),  # a number: largest first
        "macs:" + order(lambda row: (row.macs, row.index)),  # again: reversed
        "name:" + order(lambda row: (row.name.lower(), row.index)),  # a name: alphabetical
    ]
