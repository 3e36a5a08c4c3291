"""SVG to PNG through an optional renderer: the cairosvg package, else librsvg's `rsvg-convert`.

cnncalc itself depends on neither; a user who asks for PNG without one gets an error
that names what to install (exit 2), never a traceback.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess

from cnncalc.errors import SpecError

INSTALL_HINT = (
    "install one: `pip install cairosvg`, or librsvg's rsvg-convert (Debian/Ubuntu: `apt-get install librsvg2-bin`, "
    "macOS: `brew install librsvg`); or write SVG (`--format svg`)"
)


def renderer() -> str | None:
    """The renderer PNG would be made with ("cairosvg" or "rsvg-convert"), or None if neither is there."""
    try:
        importlib.import_module("cairosvg")
    except ImportError:
        pass
    else:
        return "cairosvg"
    return "rsvg-convert" if shutil.which("rsvg-convert") else None


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The PNG of an SVG document, `scale` times its size (2 for sharp slides)."""
    which = renderer()
    if which == "cairosvg":
        module = importlib.import_module("cairosvg")
        data = module.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
        assert isinstance(data, bytes)
        return data
    if which == "rsvg-convert":
        program = shutil.which("rsvg-convert") or "rsvg-convert"
        done = subprocess.run(
            [program, "--format", "png", "--zoom", str(scale)],
            input=svg.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=120,
        )
        if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
            reason = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
            raise SpecError.single(f"rsvg-convert could not make the PNG: {reason}", hint="write SVG (--format svg)")
        return done.stdout
    raise SpecError.single("PNG needs a renderer, and none is installed (cairosvg or rsvg-convert)", hint=INSTALL_HINT)
