"""Budgets: hold a network's numbers to limits, so that CI fails when a change breaks one.

Limits come from three places — a spec's own `budgets:`, a budgets file shared by several
specs, and command-line options — and every limit from every place is checked on its own
(no precedence to learn: the strictest one decides, and each outcome says where it was set).

The checking is pure: a Report and limits in, outcomes out. Outcomes carry the place in
the spec to blame — the budget's line, or the offending layer's line for per-layer limits —
which cnncalc.features.budgets.check_output turns into a table, JSON, JUnit XML and GitHub workflow annotations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path as FsPath
from typing import Literal

from pydantic import ValidationError

from cnncalc.core.report import LayerRow, Report
from cnncalc.errors import CnncalcError, Diagnostic, Location, SpecError
from cnncalc.spec.model import Budgets, Path, Spec

Status = Literal["ok", "exceeded", "invalid"]


@dataclass(frozen=True)
class Metric:
    """What one budget key limits: a total of the report, or the largest value of any layer."""

    what: str  # "params", "MACs", ... as a sentence names it
    unit: str  # shown after numbers: "params", "MACs", "FLOPs", "B"
    total: Callable[[Report], int] | None = None
    per_layer: Callable[[LayerRow], int] | None = None


METRICS: dict[str, Metric] = {
    "max_params": Metric("total params", "params", total=lambda r: r.totals.params),
    "max_trainable_params": Metric("trainable params", "params", total=lambda r: r.totals.trainable_params),
    "max_macs": Metric("MACs", "MACs", total=lambda r: r.totals.macs),
    "max_flops": Metric("FLOPs", "FLOPs", total=lambda r: r.totals.flops),
    "max_activation_memory": Metric("activation memory", "B", total=lambda r: r.totals.activation_bytes),
    "max_peak_memory": Metric("peak activation memory", "B", total=lambda r: r.totals.peak_activation_bytes),
    "max_param_memory": Metric("parameter memory", "B", total=lambda r: r.totals.param_bytes),
    "max_training_memory": Metric("training memory", "B", total=lambda r: r.totals.training_bytes),
    "max_layer_params": Metric("params", "params", per_layer=lambda row: row.params),
    "max_layer_macs": Metric("MACs", "MACs", per_layer=lambda row: row.macs),
}


@dataclass(frozen=True)
class Limit:
    """One budget to check: its key, its value, where it was set."""

    key: str
    value: int | tuple[int, ...]
    origin: str  # "spec", the budgets file's path, or the command-line option
    location: Location | None = None


@dataclass(frozen=True)
class LayerExcess:
    """A layer over a per-layer limit, and where the spec defines it."""

    name: str
    actual: int
    location: Location | None


@dataclass(frozen=True)
class Outcome:
    """One limit checked against one network."""

    limit: Limit
    actual: int | tuple[int, ...]
    ok: bool
    layer: str | None = None  # the largest layer, for per-layer limits
    excess: tuple[LayerExcess, ...] = ()

    @property
    def margin(self) -> int | None:
        """Headroom left: limit - actual (negative when exceeded); None for a shape."""
        if isinstance(self.actual, int) and isinstance(self.limit.value, int):
            return self.limit.value - self.actual
        return None

    @property
    def margin_fraction(self) -> Fraction | None:
        """Headroom as an exact fraction of the limit; None for shapes and zero limits."""
        margin = self.margin
        if margin is None or not isinstance(self.limit.value, int) or self.limit.value == 0:
            return None
        return Fraction(margin, self.limit.value)


@dataclass(frozen=True)
class SpecResult:
    """Every outcome for one spec, or the diagnostics that made it invalid."""

    spec: str  # as given on the command line
    name: str | None
    outcomes: tuple[Outcome, ...] = ()
    errors: tuple[Diagnostic, ...] = ()

    @property
    def status(self) -> Status:
        if self.errors:
            return "invalid"
        return "ok" if all(o.ok for o in self.outcomes) else "exceeded"


# --- collecting limits ------------------------------------------------------------------------


def limits_of(budgets: Budgets | None, origin: str, locate: Callable[[Path], Location | None], at: Path) -> list[Limit]:
    """The limits set in a Budgets model, each located at its value (`at` is the path of the mapping)."""
    if budgets is None:
        return []
    return [
        Limit(key, value, origin, locate((*at, key))) for key, value in budgets.model_dump(exclude_none=True).items()
    ]


def spec_limits(spec: Spec) -> list[Limit]:
    """The limits a spec sets in its own `budgets:` section."""
    return limits_of(spec.budgets, "spec", spec.locate, ("budgets",))


def load_budgets_file(path: str) -> list[Limit]:
    """Limits from a YAML budgets file: the keys of `budgets:`, at top level or under `budgets:`."""
    from cnncalc.spec.loader import parse_yaml, read_text_file, validation_diagnostics

    text = read_text_file(FsPath(path), "a budgets file")
    data, source_map = parse_yaml(text, path, "budgets file")
    at: Path = ()
    if isinstance(data, dict) and set(data) == {"budgets"}:
        data, at = data["budgets"], ("budgets",)
    if not isinstance(data, dict):
        raise SpecError.single(
            "a budgets file is a mapping of budgets", source_map.locate(at), hint="e.g. `max_params: 25M`"
        )
    try:
        budgets = Budgets.model_validate(data)
    except ValidationError as e:
        raise SpecError(validation_diagnostics(e, data, source_map, model=Budgets, at=at)) from None
    return limits_of(budgets, path, source_map.locate, at)


def option_limits(values: Mapping[str, str | None]) -> list[Limit]:
    """Limits given as command-line options, keyed by budget (`max_params`); None means not given."""
    from cnncalc.spec.loader import validation_diagnostics

    given = {key: value for key, value in values.items() if value is not None}
    try:
        budgets = Budgets.model_validate(given)
    except ValidationError as e:

        def option(path: Path) -> str:
            key = str(path[0]) if path else ""
            return f"--{key.replace('_', '-')} {given.get(key)!r}"

        raise SpecError(validation_diagnostics(e, given, model=Budgets, label=option)) from None
    return [
        Limit(key, value, "--" + key.replace("_", "-")) for key, value in budgets.model_dump(exclude_none=True).items()
    ]


def stray_unit(ref: str) -> bool:
    """Whether a spec argument is a unit that lost its number (`--max-params 50 K`): a word any
    budget reads as a unit (K, M, GFLOPs, MiB), and no file or bundled network of that name."""
    from cnncalc.units import UNIT_WORDS, UnitError, parse_quantity

    word = ref.strip()
    if not word or not word.replace("-", "").isalpha() or _exists(ref):
        return False
    for kind in UNIT_WORDS:
        try:
            parse_quantity(f"1 {word}", kind)
        except UnitError:
            continue
        return True
    return False


def unit_apart(ref: str, values: Mapping[str, str | None]) -> CnncalcError:
    """The error for a unit written apart from its number, naming the option it belongs to."""
    bare = [(key, value) for key, value in values.items() if value is not None and _BARE_NUMBER.fullmatch(value)]
    if bare:
        key, value = bare[-1]
        option, number = "--" + key.replace("_", "-"), value.strip()
        return SpecError.single(
            f"'{ref}' is not a spec: it is the unit of {option} {number}, written apart from its number",
            hint=f"write them as one argument: {option} {number}{ref.strip()} (or quoted: '{number} {ref}')",
        )
    return SpecError.single(
        f"'{ref}' is not a spec: it looks like a unit written apart from its number",
        hint="write a limit and its unit as one argument: --max-params 25M (or quoted: '25 M')",
    )


#: a limit given as a number alone, whose unit may have been written after a space
_BARE_NUMBER = re.compile(r"\s*[0-9][0-9,_.]*(?:[eE][-+]?[0-9]+)?\s*")


def expand_specs(refs: Iterable[str], root: FsPath | None = None) -> list[tuple[str, Diagnostic | None]]:
    """Spec files, bundled names and glob patterns -> (ref to load, None), or (pattern, diagnostic)
    for a pattern that matches nothing or reaches outside the working tree.

    The shell expands globs; quoted ones (`'models/**/*.yaml'`, as CI configs write them) are
    expanded here, recursively, inside `root` (the working directory) only: an absolute
    pattern or one with `..` is refused, links to directories are not followed, and the walk
    stops after MAX_GLOB_ENTRIES entries, so that `'/**/*.yaml'` cannot walk the filesystem.
    """
    out: list[tuple[str, Diagnostic | None]] = []
    for ref in refs:
        if any(c in ref for c in "*?[") and not _exists(ref):
            try:
                matches = glob_in_tree(ref, root or FsPath.cwd())
            except SpecError as e:
                out.append((ref, e.diagnostics[0]))
                continue
            out += [(m, None) for m in matches] or [(ref, Diagnostic(f"no file matches '{ref}'"))]
        else:
            out.append((ref, None))
    return out


MAX_GLOB_ENTRIES = 100_000


def _exists(ref: str) -> bool:
    try:
        return FsPath(ref).exists()
    except (OSError, ValueError):
        return False


def glob_in_tree(pattern: str, root: FsPath) -> list[str]:
    """Files under `root` whose path relative to it matches `pattern` (`*`, `?`, `[...]`, `**`)."""
    posix = pattern.replace("\\", "/")
    parts = posix.split("/")
    if posix.startswith(("/", "~")) or ".." in parts or (len(posix) > 1 and posix[1] == ":"):
        raise SpecError.single(
            f"the pattern '{pattern}' reaches outside the working directory",
            hint="globs are expanded inside the working directory only: write a relative pattern "
            "such as 'models/**/*.yaml', or let the shell expand it",
        )
    fixed: list[str] = []
    for part in parts[:-1]:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    top = root.joinpath(*fixed)
    regex = re.compile(_glob_regex([p for p in parts if p not in ("", ".")]))
    found: list[str] = []
    seen = 0
    for directory, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        seen += len(dirs) + len(files)
        if seen > MAX_GLOB_ENTRIES:
            raise SpecError.single(
                f"the pattern '{pattern}' walks more than {MAX_GLOB_ENTRIES:,} files and folders",
                hint="narrow it to the folder that holds the specs, e.g. 'models/**/*.yaml'",
            )
        base = FsPath(directory).relative_to(root).as_posix()
        for name in files:
            relative = name if base == "." else f"{base}/{name}"
            if (not name.startswith(".") or parts[-1].startswith(".")) and regex.fullmatch(relative):
                found.append(relative if not posix.startswith("./") else f"./{relative}")
    return sorted(found)


def _glob_regex(parts: Sequence[str]) -> str:
    pieces: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            pieces.append(".*" if last else "(?:[^/]+/)*")
            continue
        piece = ""
        j = 0
        while j < len(part):
            c = part[j]
            if c == "*":
                piece += "[^/]*"
            elif c == "?":
                piece += "[^/]"
            elif (c == "[" and "]" in part[j + 2 :]) or (c == "[" and part[j + 1 : j + 2] == "]"):
                end = part.index("]", j + 2)
                body = part[j + 1 : end]
                piece += "[" + ("^" + re.escape(body[1:]) if body.startswith("!") else re.escape(body)) + "]"
                j = end
            else:
                piece += re.escape(c)
            j += 1
        pieces.append(piece + ("" if last else "/"))
    return "".join(pieces)


# --- checking ---------------------------------------------------------------------------------


def check_report(report: Report, limits: Sequence[Limit], layer_locations: Sequence[Location | None]) -> list[Outcome]:
    """Each limit against the report; `layer_locations[i]` is where row i is defined."""
    return [_check(report, limit, layer_locations) for limit in limits]


def _check(report: Report, limit: Limit, locations: Sequence[Location | None]) -> Outcome:
    if limit.key == "output_shape":
        shape = report.shown(report.rows[-1].output_shape)
        return Outcome(limit, shape, shape == limit.value)
    assert isinstance(limit.value, int)
    metric = METRICS[limit.key]
    if metric.total is not None:
        actual = metric.total(report)
        return Outcome(limit, actual, actual <= limit.value)
    assert metric.per_layer is not None
    per_layer = metric.per_layer
    layers = report.rows[1:]
    largest = max(layers, key=per_layer, default=None)
    if largest is None:  # every layer skipped (`when: false`): nothing to exceed
        return Outcome(limit, 0, True)
    excess = tuple(
        LayerExcess(row.name, per_layer(row), locations[row.index] if row.index < len(locations) else None)
        for row in layers
        if per_layer(row) > limit.value
    )
    return Outcome(limit, per_layer(largest), not excess, largest.name, excess)


def check_spec(ref: str, shared: Sequence[Limit], load: Callable[[str], Spec] | None = None) -> SpecResult:
    """Load, analyse and check one spec against its own budgets and the shared ones.

    An invalid spec is a result (with its diagnostics), not an exception, so that one bad
    file does not hide the verdict on the others.
    """
    from cnncalc.core.graph import build_graph
    from cnncalc.core.walk import analyze
    from cnncalc.features.interop import load_spec

    try:
        spec = (load or load_spec)(ref)
        report = analyze(spec)
        locations = [spec.locate(node.source) for node in build_graph(spec).nodes]
    except CnncalcError as e:
        return SpecResult(ref, None, errors=tuple(e.diagnostics))
    outcomes = check_report(report, [*spec_limits(spec), *shared], locations)
    return SpecResult(ref, spec.name, tuple(outcomes))


def check_all(
    refs: Iterable[str], shared: Sequence[Limit], load: Callable[[str], Spec] | None = None
) -> list[SpecResult]:
    """Every spec the refs name (globs expanded), each against its own and the shared limits,
    loaded by `load` where given (the CLI's, which applies --input)."""
    return [
        SpecResult(ref, None, errors=(problem,)) if problem else check_spec(ref, shared, load)
        for ref, problem in expand_specs(refs)
    ]


def exit_code(results: Sequence[SpecResult]) -> int:
    """2 when any spec is invalid, else 1 when any budget is exceeded, else 0."""
    statuses = {r.status for r in results}
    return 2 if "invalid" in statuses else 1 if "exceeded" in statuses else 0


# --- words ------------------------------------------------------------------------------------


def format_value(value: int | tuple[int, ...], unit: str = "") -> str:
    """25557032 -> '25,557,032'; (7, 7, 512) -> '7x7x512'."""
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return f"{value:,} {unit}".rstrip() if unit == "B" else f"{value:,}"


def format_percent(fraction: Fraction | None) -> str:
    """An exact fraction as a signed percentage with one decimal, never rounding a miss to 0.

    >>> format_percent(Fraction(1, 40)), format_percent(Fraction(-1, 10**6)), format_percent(None)
    ('+2.5%', '-<0.1%', '')
    """
    if fraction is None:
        return ""
    percent = 100 * fraction
    if percent != 0 and abs(percent) < Fraction(1, 20):
        return ("+" if percent > 0 else "-") + "<0.1%"
    return f"{float(percent):+.1f}%"


def unit_of(key: str) -> str:
    return METRICS[key].unit if key in METRICS else ""


def describe(outcome: Outcome) -> str:
    """One line on an outcome, as the annotations and JUnit failures say it:
    `total params 87,018 > max_params 50,000 (37,018 over, +74.0%)`."""
    limit = outcome.limit
    if limit.key == "output_shape":
        relation = "is" if outcome.ok else "is not"
        return f"output shape {format_value(outcome.actual)} {relation} the expected {format_value(limit.value)}"
    metric = METRICS[limit.key]
    if outcome.excess:
        shown = ", ".join(f"'{e.name}' {format_value(e.actual, metric.unit)}" for e in outcome.excess[:3])
        more = f" and {len(outcome.excess) - 3} more" if len(outcome.excess) > 3 else ""
        return f"{len(outcome.excess)} layer(s) > {limit.key} {format_value(limit.value, metric.unit)}: {shown}{more}"
    what = f"{metric.what} of layer '{outcome.layer}'" if outcome.layer else metric.what
    return _compare(what, metric, limit, outcome.actual)


def describe_layer(outcome: Outcome, layer: LayerExcess) -> str:
    """The line for one layer over a per-layer limit: `layer 'fc': params 81,930 > max_layer_params 20,000 (...)`."""
    metric = METRICS[outcome.limit.key]
    return f"layer '{layer.name}': " + _compare(metric.what, metric, outcome.limit, layer.actual)


def _compare(what: str, metric: Metric, limit: Limit, actual: int | tuple[int, ...]) -> str:
    assert isinstance(actual, int) and isinstance(limit.value, int)
    unit = metric.unit
    margin = limit.value - actual
    share = format_percent(Fraction(-margin, limit.value)) if limit.value else ""
    if margin < 0:
        detail = f"{format_value(-margin, unit)} over" + (f", {share}" if share else "")
        return f"{what} {format_value(actual, unit)} > {limit.key} {format_value(limit.value, unit)} ({detail})"
    return f"{what} {format_value(actual, unit)} <= {limit.key} {format_value(limit.value, unit)}"


def set_in(limit: Limit) -> str:
    """Where a limit was set, for people: `net.yaml:12:15`, or the option that set it."""
    return str(limit.location) if limit.location else limit.origin


def summary_line(r: SpecResult) -> str:
    """`net.yaml: 3 budgets, 1 exceeded` — the verdict on one spec in plain words."""
    if r.errors:
        return f"{r.spec}: invalid spec ({len(r.errors)} error(s))"
    if not r.outcomes:
        return f"{r.spec}: valid, no budgets to check"
    failed = sum(not o.ok for o in r.outcomes)
    verdict = f"{failed} exceeded" if failed else "all hold"
    return f"{r.spec}: {len(r.outcomes)} budget(s), {verdict}"


__all__ = [
    "METRICS",
    "Limit",
    "Outcome",
    "SpecResult",
    "check_all",
    "check_report",
    "check_spec",
    "exit_code",
    "expand_specs",
    "load_budgets_file",
    "option_limits",
    "spec_limits",
]
