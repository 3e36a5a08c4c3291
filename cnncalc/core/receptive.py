"""Receptive fields by the recurrence of Araujo, Norris & Sim (Distill, 2019).

Per spatial axis, a layer with effective kernel k, stride s and left padding p maps
the field of its input (size r, jump j, start u) to

    r' = r + (k - 1) * j        j' = j * s        u' = u + ((k - 1) / 2 - p) * j

where u is the centre of the first output position's field in input pixels. Layers
that keep positions (activations, norms) pass the field through; a merge takes the
largest field over its inputs, axis by axis, as the article does for graphs. Dense, flatten, global
pooling, upsampling and transposed convolutions end it (no longer a window on the input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class ReceptiveField:
    """Per spatial axis: the field's size, the jump between neighbouring outputs, and twice the
    centre of the first output's field (an even field is centred on a half pixel; integers
    keep the walk exact without the cost of fractions)."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    twice_start: tuple[int, ...]

    @property
    def start(self) -> tuple[Fraction, ...]:
        """The centre of the first output position's field, in input pixels."""
        return tuple(Fraction(v, 2) for v in self.twice_start)


#: a field wider than this many pixels is no longer tracked: no image is that large, and the
#: numbers (which grow by a stride's factor per layer) would soon be too long to print
MAX_FIELD = 10**60


def beyond_limit(field: ReceptiveField | None) -> bool:
    """True when a field's size, jump or start has outgrown MAX_FIELD."""
    if field is None:
        return False
    # sizes and jumps are positive; the start may be negative
    return max(field.size) > MAX_FIELD or max(field.jump) > MAX_FIELD or max(map(abs, field.twice_start)) > MAX_FIELD


def input_field(spatial_rank: int) -> ReceptiveField | None:
    """One pixel of the input sees itself; a flat input has no field."""
    if spatial_rank == 0:
        return None
    return ReceptiveField((1,) * spatial_rank, (1,) * spatial_rank, (0,) * spatial_rank)


def next_field(
    inputs: Sequence[ReceptiveField | None],
    window: Sequence[tuple[int, int, int]] | None,
    ends: bool,
) -> ReceptiveField | None:
    """The field of a layer's output from its inputs' fields and its window.

    >>> conv7 = next_field([input_field(2)], [(7, 2, 3), (7, 2, 3)], False)
    >>> conv7.size, conv7.jump, conv7.start
    ((7, 7), (2, 2), (Fraction(0, 1), Fraction(0, 1)))
    >>> next_field([conv7], [(3, 2, 1), (3, 2, 1)], False).size
    (11, 11)
    """
    if ends or not inputs:
        return None
    first = inputs[0]
    if first is None:
        return None
    if len(inputs) == 1:
        if window is None:
            return first  # positions kept: the same field
        r, j, u = first.size, first.jump, first.twice_start
    else:
        if any(f is None for f in inputs):
            return None
        fields = [f for f in inputs if f is not None]
        # each axis on its own, as the article does: the widest input along that axis
        axes = [
            max(((f.size[a], f.jump[a], f.twice_start[a]) for f in fields), key=lambda t: t[0])
            for a in range(len(first.size))
        ]
        if window is None:
            return ReceptiveField(*(tuple(t[i] for t in axes) for i in range(3)))
        r, j, u = (tuple(t[i] for t in axes) for i in range(3))
    if len(window) != len(r):
        raise ValueError(f"a window of {len(window)} axes on a field of {len(r)}")
    return ReceptiveField(
        tuple([ri + (k - 1) * ji for ri, ji, (k, _, _) in zip(r, j, window)]),  # noqa: B905 (lengths checked)
        tuple([ji * s for ji, (_, s, _) in zip(j, window)]),  # noqa: B905
        tuple([ui + (k - 1 - 2 * p) * ji for ui, ji, (k, _, p) in zip(u, j, window)]),  # noqa: B905
    )
