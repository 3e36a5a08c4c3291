"""`cnncalc solve` output: the answer and the figures on both sides of the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.features.symbolic.solve import Solution, with_square_input
from cnncalc.render.envelope import envelope, json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.human import format_count, format_shape, format_si


def _size(solution: Solution, answer: int) -> str:
    if solution.what == "batch":
        return f"batch {answer}"
    return format_shape(tuple(with_square_input(solution.spec, answer).input.shape))


def solution_json(solution: Solution, training: bool = False, device: str = "cpu", threads: int = 1) -> dict[str, Any]:
    return envelope(
        {
            "name": solution.spec.name,
            "solve_for": solution.what,
            "budget": solution.budget,
            "quantity": solution.quantity,
            "answer": solution.answer,
            "input_shape": list(solution.spec.input.shape),
            "batch": solution.spec.batch,
            "value": solution.value,
            "next_value": solution.next_value,
            "margin": float(solution.margin),
            "limit": solution.limit,
            "estimate": training and device != "cpu",
            "threads": threads if training and device == "cpu" else None,
        }
    )


def _threads(threads: int) -> str:
    return f"{threads} thread" if threads == 1 else f"{threads} threads"


def solution_lines(
    solution: Solution, training: bool, optimizer: str, device: str = "cpu", threads: int = 1
) -> list[str]:
    """The answer, then the quantity at the answer and at the next size up."""
    suffix = "B" if solution.quantity == "bytes" else ""

    def amount(n: int) -> str:
        return f"{format_count(n)} {solution.quantity} ({format_si(n, suffix=suffix)})"

    if solution.what == "input":
        head = f"largest square input within {amount(solution.budget)}"
    else:
        if training:
            model = (
                "an estimate for CUDA"
                if device != "cpu"
                else f"modelled on PyTorch's CPU allocations, {_threads(threads)}"
            )
            memory = f"training peak, {optimizer}, {model}"
        else:
            memory = "params + peak activations"
        head = f"largest batch within {amount(solution.budget)} ({memory})"
        if solution.limit is not None:
            head += f", keeping a {float(solution.margin * 100):g}% margin: at most {amount(solution.limit)}"
    after = "refused by the network" if solution.next_value is None else amount(solution.next_value)
    lines = [
        f"{solution.spec.name}: {head}: {_size(solution, solution.answer)}",
        f"  {_size(solution, solution.answer)}: {amount(solution.value)}",
        f"  {_size(solution, solution.answer + 1)}: {after}",
    ]
    return [terminal(line) for line in lines]


@dataclass(frozen=True)
class SolveView:
    """What `solve` prints: the solution, and the training set-up its memory budget was met with."""

    solution: Solution
    training: bool = False
    optimizer: str = "sgd"
    device: str = "cpu"
    threads: int = 1


#: `solve`'s formats
WRITERS: Writers[SolveView] = Writers(
    {
        OutputFormat.table: lambda v, width: joined_lines(
            solution_lines(v.solution, v.training, v.optimizer, v.device, v.threads)
        ),
        OutputFormat.json: lambda v, width: json_parts(solution_json(v.solution, v.training, v.device, v.threads)),
    }
)
