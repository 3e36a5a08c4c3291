"""`cnncalc verify` output: symbolic numbers against measured ones, as a table or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.features.verify.run import Check, VerifyResult
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.table import render_grid

COLUMNS = [
    numeric("#"),
    text("Layer"),
    text("Kind"),
    numeric("Output"),
    numeric("Params"),
    numeric("MACs"),
    numeric("Memory (B)"),
    numeric("ms", priority=1),
    text(""),
]


def _value(v: int | tuple[int, ...]) -> str:
    return "x".join(map(str, v[1:])) if isinstance(v, tuple) else f"{v:,}"


def _cell(check: Check) -> str:
    """The symbolic number; a differing measurement follows it after ≠."""
    shown = _value(check.symbolic)
    return shown if check.ok else f"{shown} \u2260 {_value(check.measured)}"


def verify_lines(result: VerifyResult, seed: int, width: int | None) -> list[str]:
    """The per-layer table, then the peak memory, the counts, the time and the verdict."""
    report = result.report
    rows: list[list[Cell]] = []
    for layer in result.layers:
        shape, params, macs, memory = layer.checks
        rows.append(
            [
                layer.index,
                layer.name,
                layer.kind,
                _cell(shape),
                _cell(params),
                _cell(macs),
                _cell(memory),
                f"{layer.seconds * 1000:.1f}",
                "ok" if layer.ok else "MISMATCH",
            ]
        )
    lines = render_grid(Grid(COLUMNS, rows, title=f"verify {report.name}: symbolic vs measured"), width)
    e = result.execution
    totals = report.totals
    flops = 2 * totals.macs / e.forward_seconds / 1e9 if e.forward_seconds > 0 else 0.0
    peak = result.peak
    bad = len(result.mismatches())
    after = [
        f"peak activation memory: {peak.symbolic:,} B symbolic, {peak.measured:,} B measured "
        + ("ok" if peak.ok else "MISMATCH"),
        f"params {totals.params:,}, MACs {totals.macs:,}; {report.dtype} counted at {report.dtype_bytes} B, "
        f"computed in {e.compute_dtype}, batch {report.batch}, seed {seed}",
        f"time: weights {e.init_seconds:.2f} s, forward {e.forward_seconds:.2f} s ({flops:.1f} GFLOP/s); "
        f"memory predicted {result.predicted_bytes:,} B of {result.limit_bytes:,} B allowed "
        f"(workspace {result.workspace:,} B)",
        f"verify: {len(result.layers)} rows, every number agrees" if bad == 0 else f"verify: {bad} number(s) differ",
    ]
    return lines + [terminal(line) for line in after]


def verify_json(result: VerifyResult, seed: int) -> dict[str, Any]:
    """Exact integers, as the summary's JSON; shapes per sample, in the report's layout."""
    report = result.report
    e = result.execution

    def check(c: Check) -> dict[str, object]:
        if isinstance(c.symbolic, tuple) and isinstance(c.measured, tuple):
            return {"symbolic": list(c.symbolic[1:]), "measured": list(c.measured[1:]), "ok": c.ok}
        return {"symbolic": c.symbolic, "measured": c.measured, "ok": c.ok}

    return {
        "name": report.name,
        "ok": result.ok,
        "dtype": report.dtype,
        "dtype_bytes": report.dtype_bytes,
        "compute_dtype": e.compute_dtype,
        "batch": report.batch,
        "seed": seed,
        "layers": [
            {
                "index": layer.index,
                "name": layer.name,
                "kind": layer.kind,
                "ok": layer.ok,
                "seconds": layer.seconds,
                **{c.what: check(c) for c in layer.checks},
            }
            for layer in result.layers
        ],
        "peak_activation_bytes": check(result.peak),
        "totals": {"params": report.totals.params, "macs": report.totals.macs},
        "timing": {"init_seconds": e.init_seconds, "forward_seconds": e.forward_seconds},
        "memory": {
            "predicted_bytes": result.predicted_bytes,
            "limit_bytes": result.limit_bytes,
            "workspace_bytes": result.workspace,
        },
        "output_finite": e.finite,
        "mismatches": result.mismatches(),
    }


@dataclass(frozen=True)
class VerifyView:
    """What `verify` prints: the run and the seed its weights came from."""

    result: VerifyResult
    seed: int


#: `verify`'s formats
WRITERS: Writers[VerifyView] = Writers(
    {
        OutputFormat.table: lambda v, width: joined_lines(verify_lines(v.result, v.seed, width)),
        OutputFormat.json: lambda v, width: json_parts(verify_json(v.result, v.seed)),
    }
)


__all__ = ["WRITERS", "VerifyView", "verify_json", "verify_lines"]
