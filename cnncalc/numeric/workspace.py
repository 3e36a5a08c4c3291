"""Scratch memory and window geometry, shared by the kernels of `conv` and `pool`.

`Workspace` holds the scratch buffers of the kernels (im2col tiles, padded copies) and the
activation buffers the executor has released, reused from layer to layer within a bound.
The helpers pad a map, take views of its sliding windows, count the windows that fit and
cut an output grid into tiles: array operations only, no symbolic rule of cnncalc.layers.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnncalc.numeric.blas import Array

Pair = tuple[int, int]

#: default bound of the scratch memory of kernels (im2col tiles, partial sums): 256 MiB
DEFAULT_WORKSPACE = 256 * 2**20

#: tiles aim at this size even when the workspace allows more: a tile that stays in the
#: caches makes the bias add and the sum of partial products cheap
TILE_BYTES = 16 * 2**20

#: freed activation buffers a Workspace keeps for reuse (the most recent ones)
SPARE_BUFFERS = 4


@dataclass
class Workspace:
    """Scratch memory of kernels, reused from layer to layer, within `limit` bytes.

    Reusing one buffer per purpose spares the page faults of fresh memory at every
    layer. Tiles are sized to TILE_BYTES (or the limit, if smaller); a tile exceeds
    that only when a single output row does, and never exceeds the limit where a finer
    tiling exists.
    """

    limit: int = DEFAULT_WORKSPACE
    buffers: dict[str, Array] = field(default_factory=dict)
    #: activation buffers the executor no longer reads, the most recent last, for a later output
    #: of the same size: a network repeats a few map sizes within a stage, so most outputs land
    #: in memory already touched instead of fresh pages (see `output` and `release`)
    spare: list[Array] = field(default_factory=list)

    @property
    def tile(self) -> int:
        return min(self.limit, TILE_BYTES)

    def take(self, name: str, count: int, dtype: np.dtype[Any]) -> Array:
        """A 1-D scratch array of `count` elements (contents undefined)."""
        buffer = self.buffers.get(name)
        if buffer is None or buffer.dtype != dtype or buffer.size < count:
            self.buffers.pop(name, None)
            # a whole tile at once: growing layer by layer would fault fresh pages in each time
            size = max(count, min(self.tile, self.limit) // dtype.itemsize) if name == "cols" else count
            buffer = np.empty(size, dtype=dtype)
            self.buffers[name] = buffer
        return buffer[:count]

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.buffers.values())

    def output(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
        """An array of `shape` for a kernel to write whole (contents undefined): a released
        buffer of that many elements when one is spare, else new memory. Either way the
        result owns a buffer of exactly prod(shape) elements, which is what activation
        memory is measured from."""
        count, kind = prod(shape), np.dtype(dtype)
        for i in range(len(self.spare) - 1, -1, -1):
            if self.spare[i].size == count and self.spare[i].dtype == kind:
                return self.spare.pop(i).reshape(shape)
        return np.empty(shape, dtype=dtype)

    def release(self, buffer: Array) -> None:
        """Keep `buffer` (an array that owns its memory, which no one reads any more) for a
        later `output` of its size. Only the last SPARE_BUFFERS are kept, within the workspace
        limit: a size the network has left behind is given back, not held to the end."""
        if not (buffer.flags.owndata and buffer.flags.c_contiguous and buffer.flags.writeable):
            return
        self.spare.append(buffer.reshape(-1))
        while len(self.spare) > SPARE_BUFFERS or sum(b.nbytes for b in self.spare) > self.limit:
            del self.spare[0]


def as_workspace(ws: int | Workspace) -> Workspace:
    """A kernel's `workspace` argument as a Workspace: a bare limit gets a fresh one."""
    return ws if isinstance(ws, Workspace) else Workspace(ws)


# --- window geometry -------------------------------------------------------------------------------


def padded(x: Array, pads: Sequence[Pair], value: float = 0.0, into: Array | None = None) -> Array:
    """x with `pads` (before, after) added to each trailing axis, filled with `value`.

    Returns x itself when there is nothing to add (no copy); `into` is a flat scratch
    array to build the result in instead of new memory.
    """
    if all(p == (0, 0) for p in pads):
        return x
    lead = x.shape[: x.ndim - len(pads)]
    shape = (*lead, *(n + a + b for n, (a, b) in zip(x.shape[len(lead) :], pads, strict=True)))
    out = np.empty(shape, dtype=x.dtype) if into is None else into[: prod(shape)].reshape(shape)
    spatial = x.shape[len(lead) :]
    # only the border is filled: the interior is overwritten by x at once
    for axis, (n, (a, z)) in enumerate(zip(spatial, pads, strict=True)):
        for edge in (slice(0, a), slice(a + n, a + n + z)):
            border: tuple[Any, ...] = (Ellipsis, edge, *(slice(None),) * (len(spatial) - 1 - axis))
            out[border] = value
    inner: tuple[Any, ...] = (Ellipsis, *(slice(a, a + n) for n, (a, _) in zip(spatial, pads, strict=True)))
    out[inner] = x
    return out


def windows(x: Array, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]) -> Array:
    """View of every window of the trailing len(kernel) axes: (..., *out, *kernel), no copy.

    The output positions are whatever number of windows fits, with the stride applied;
    dilation picks every d-th element inside a window.
    """
    nd = len(kernel)
    axes = tuple(range(x.ndim - nd, x.ndim))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    view = sliding_window_view(x, span, axis=axes)
    index: tuple[Any, ...] = (
        Ellipsis,
        *(slice(None, None, s) for s in stride),
        *(slice(None, None, d) for d in dilation),
    )
    result: Array = view[index]
    return result


def window_grid(
    sizes: Sequence[int], pads: Sequence[Pair], kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> tuple[int, ...]:
    """How many windows fit along each axis, read off a window view of a zero-stride array.

    Nothing is allocated: the view is of one broadcast zero of the padded size. Raises
    ValueError when a window is larger than the padded input.
    """
    shape = tuple(n + a + b for n, (a, b) in zip(sizes, pads, strict=True))
    return _grid(shape, tuple(kernel), tuple(stride), tuple(dilation))


@functools.lru_cache(maxsize=256)
def _grid(
    shape: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[int, ...]:
    """`window_grid` of a padded shape, remembered: a network asks for a few geometries many times,
    and building the view costs more than many a small layer's products."""
    try:
        view = windows(np.broadcast_to(np.float32(0), shape), kernel, stride, dilation)
    except ValueError:
        raise ValueError(f"a {kernel} window (dilation {dilation}) does not fit {shape}") from None
    return tuple(view.shape[: len(shape)])


def tiles(sizes: Sequence[int], per_position: int, budget: int) -> Iterator[tuple[slice, ...]]:
    """Boxes covering an output grid, each of at most `budget` bytes at `per_position` bytes.

    The box spans the trailing axes whole and splits the first axis j whose trailing
    block fits; the leading axes are taken one index at a time. At least one position
    per box, so a box exceeds the budget only when one position does.
    """
    block = per_position
    j = len(sizes)
    while j > 0 and block * sizes[j - 1] <= budget:
        block *= sizes[j - 1]
        j -= 1
    if j == 0:
        yield tuple(slice(0, n) for n in sizes)
        return
    axis = j - 1
    step = max(1, budget // block)
    for lead in itertools.product(*(range(n) for n in sizes[:axis])):
        for start in range(0, sizes[axis], step):
            yield (
                *(slice(i, i + 1) for i in lead),
                slice(start, min(start + step, sizes[axis])),
                *(slice(0, n) for n in sizes[axis + 1 :]),
            )
