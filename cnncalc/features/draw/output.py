"""`draw`'s formats: the SVG picture (PNG and PDF are made from it), DOT and Mermaid sources."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.core.report import Report
from cnncalc.errors import SpecError
from cnncalc.features.draw.diagram import architecture_svg
from cnncalc.features.draw.dot import architecture_dot
from cnncalc.features.draw.mermaid import architecture_mermaid
from cnncalc.features.draw.model import picture
from cnncalc.render.formats import OutputFormat, Writers


@dataclass(frozen=True)
class DrawView:
    """What `draw` prints: the report, the levels asked (a number, 'all', or None: fit a slide)
    and the SVG style (auto, volumes or graph)."""

    report: Report
    depth: int | str | None
    style: str

    @property
    def levels(self) -> int | None:
        """The levels DOT and Mermaid open: every layer unless a number was asked."""
        return self.depth if isinstance(self.depth, int) else None


def draw_svg(v: DrawView, width: int | None = None) -> str:
    """The SVG picture; volumes asked of a network that is not a chain are refused with a hint."""
    if v.style == "volumes" and v.depth is not None and not picture(v.report, v.levels).is_chain():
        raise SpecError.single(
            f"{v.report.name} is not a chain (some layer reads another than the one before it), "
            "so it cannot be drawn as volumes",
            hint="use --style graph (or auto)",
        )
    try:
        return architecture_svg(v.report, depth=v.depth, style=v.style)
    except ValueError as error:  # a picture of volumes that fits a slide: none at any level
        raise SpecError.single(f"{v.report.name}: {error}", hint="use --style graph (or auto)") from None


#: `draw`'s text formats; PNG and PDF are the SVG converted (cnncalc.features.draw.png)
WRITERS: Writers[DrawView] = Writers(
    {
        OutputFormat.svg: draw_svg,
        OutputFormat.dot: lambda v, width: architecture_dot(v.report, depth=v.levels),
        OutputFormat.mermaid: lambda v, width: architecture_mermaid(v.report, depth=v.levels),
    }
)


__all__ = ["WRITERS", "DrawView", "draw_svg"]
