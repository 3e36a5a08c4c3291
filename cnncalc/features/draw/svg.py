"""A few helpers to write SVG by hand, deterministically (fixed number format, attributes in order)."""

from __future__ import annotations

from cnncalc.render.escape import svg_text


def num(value: float) -> str:
    """A coordinate with one decimal, without a trailing `.0`: the same input always gives the same bytes."""
    text = f"{value:.1f}"
    if text == "-0.0":
        return "0"
    return text[:-2] if text.endswith(".0") else text


def attrs(**values: str | float) -> str:
    """` name="value"` pairs in the order given; `_` in a name becomes `-`, floats through num()."""
    parts = []
    for key, value in values.items():
        shown = num(value) if isinstance(value, float | int) and not isinstance(value, bool) else str(value)
        parts.append(f' {key.rstrip("_").replace("_", "-")}="{shown}"')
    return "".join(parts)


def points(pairs: list[tuple[float, float]]) -> str:
    """The `points` attribute of a polygon or polyline."""
    return " ".join(f"{num(x)},{num(y)}" for x, y in pairs)


def text(x: float, y: float, content: str, *, size: float, css: str, anchor: str = "middle") -> str:
    """A <text> element; `content` is escaped here, once."""
    return f"<text{attrs(x=x, y=y, font_size=size, text_anchor=anchor, class_=css)}>{svg_text(content)}</text>"


def document(width: float, height: float, title: str, body: list[str]) -> str:
    """The whole SVG: size, a title for screen readers, arrow marker and styles, then the body."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg"{attrs(width=width, height=height)} '
        f'viewBox="0 0 {num(width)} {num(height)}" role="img" font-family="Helvetica, Arial, sans-serif">\n'
        f"<title>{svg_text(title)}</title>\n"
        "<defs>\n"
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>\n'
        "</defs>\n"
        "<style>\n"
        ".edge{fill:none;stroke:#444;stroke-width:1.3}\n"
        ".skip{stroke:#7a5195;stroke-dasharray:5 3}\n"
        ".face{stroke:#333;stroke-width:0.8;stroke-linejoin:round}\n"
        ".kernel{fill:#e63946;fill-opacity:0.55;stroke:#9d0208;stroke-width:0.8}\n"
        ".ray{stroke:#9d0208;stroke-width:0.6;stroke-dasharray:3 2}\n"
        ".name{font-weight:bold;fill:#111}\n"
        ".info{fill:#444}\n"
        ".title{font-weight:bold;fill:#111}\n"
        ".note{fill:#555;font-style:italic}\n"
        ".mark{stroke:#333;stroke-width:0.5}\n"
        ".badge{fill:#264653}\n"
        ".badge-text{fill:#fff;font-weight:bold}\n"
        "</style>\n"
        f"<rect{attrs(x=0, y=0, width=width, height=height, fill='white')}/>\n"
    )
    return head + "\n".join(body) + "\n</svg>\n"
