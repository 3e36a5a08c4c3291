"""SVG to PNG or PDF through an optional renderer: the cairosvg package, else librsvg's `rsvg-convert`.

cnncalc itself depends on neither; a user who asks for PNG or PDF without one gets an error
that names what to install (exit 2), never a traceback.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess

from cnncalc.errors import SpecError

INSTALL_HINT = (
    "install one: `pip install cairosvg`, or librsvg's rsvg-convert (Debian/Ubuntu: `apt-get install librsvg2-bin`, "
    "macOS: `brew install librsvg`); or write SVG (`--format svg`)"
)
#: cairo's image surfaces (cairosvg's and rsvg-convert's) hold at most this many pixels a side
MAX_SIDE = 32_767
#: the size the diagram's root element gives (cnncalc.features.draw.svg writes width, then height)
_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([0-9.]+)"[^>]*?\bheight="([0-9.]+)"')
#: the first bytes of each format a renderer makes
_MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF"}


def renderer() -> str | None:
    """The renderer PNG would be made with ("cairosvg" or "rsvg-convert"), or None if neither is there."""
    try:
        importlib.import_module("cairosvg")
    except ImportError:
        pass
    else:
        return "cairosvg"
    return "rsvg-convert" if shutil.which("rsvg-convert") else None


def fitted_scale(svg: str, wanted: float = 2.0) -> tuple[float, str | None]:
    """The scale to draw the PNG at: `wanted`, or less where the picture would pass the renderer's
    limit of pixels a side; with a note saying so (None when `wanted` fits)."""
    found = _SIZE.search(svg, 0, 4096)
    if found is None:
        return wanted, None
    width, height = float(found.group(1)), float(found.group(2))
    side = max(width, height)
    if side * wanted <= MAX_SIDE:
        return wanted, None
    scale = (MAX_SIDE - 1) / side
    note = (
        f"the diagram is {width:,g} x {height:,g} px; at {wanted:g}x it passes the renderer's limit of "
        f"{MAX_SIDE:,} pixels a side, so the PNG is drawn at {scale:.3g}x "
        f"({round(width * scale):,} x {round(height * scale):,} px); "
        "--depth 1 or 2 gives a shorter picture; SVG has no such limit"
    )
    return scale, note


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The PNG of an SVG document, `scale` times its size (2 for sharp slides)."""
    return _render(svg, "png", scale)


def svg_to_pdf(svg: str) -> bytes:
    """The PDF of an SVG document: vector graphics, one page the size of the picture."""
    return _render(svg, "pdf", 1.0)


def _render(svg: str, fmt: str, scale: float) -> bytes:
    which = renderer()
    if which == "cairosvg":
        module = importlib.import_module("cairosvg")
        try:
            data = getattr(module, f"svg2{fmt}")(bytestring=svg.encode("utf-8"), scale=scale)
        except (MemoryError, ValueError, OSError, RuntimeError) as e:  # cairo's own refusals
            raise SpecError.single(
                f"cairosvg could not make the {fmt.upper()}: {e}",
                hint="write SVG (--format svg), or draw less (--depth 1)",
            ) from None
        assert isinstance(data, bytes)
        return data
    if which == "rsvg-convert":
        program = shutil.which("rsvg-convert") or "rsvg-convert"
        done = subprocess.run(
            [program, "--format", fmt, "--zoom", str(scale)],
            input=svg.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=120,
        )
        if done.returncode != 0 or not done.stdout.startswith(_MAGIC[fmt]):
            reason = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
            raise SpecError.single(
                f"rsvg-convert could not make the {fmt.upper()}: {reason}", hint="write SVG (--format svg)"
            )
        return done.stdout
    raise SpecError.single(
        f"{fmt.upper()} needs a renderer, and none is installed (cairosvg or rsvg-convert)", hint=INSTALL_HINT
    )
