"""The passes split over threads (cnncalc.numeric.parallel) give exactly the unsplit results.

Each test runs a kernel twice on the same random data: once on one thread, once split into
an odd number of parts with the size threshold at zero (so even these small arrays are
split), and asks for bit-equal outputs. Sizes are odd so that parts are uneven.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from cnncalc.numeric import conv, parallel, pointwise
from cnncalc.numeric.blas import MacCounter
from cnncalc.numeric.conv import Workspace

Array = Any


@pytest.fixture
def split_always(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """A switch between 1 thread and n threads, with every pass split however small."""
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)

    def use(n: int) -> None:
        monkeypatch.setenv(parallel.THREADS_ENV, str(n))

    yield use


def both(use: Callable[[int], None], compute: Callable[[], Array]) -> tuple[Array, Array]:
    """compute() on one thread, then split over three threads; fresh results each time."""
    use(1)
    single = np.array(compute(), copy=True)
    use(3)
    split = np.array(compute(), copy=True)
    return single, split


def rand(*shape: int, seed: int = 0) -> Array:
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def test_bounds_cover_the_range_in_aligned_nonempty_parts() -> None:
    assert parallel.bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert parallel.bounds(2500, 2, unit=1024) == [(0, 1024), (1024, 2500)]
    assert parallel.bounds(1000, 4, unit=1024) == [(0, 1000)]  # one unit: no split
    assert parallel.bounds(2, 5) == [(0, 1), (1, 2)]
    assert parallel.bounds(0, 3) == [(0, 0)]
    for length, parts, unit in ((4669, 3, 1024), (7, 2, 1), (100_003, 4, 1024)):
        cut = parallel.bounds(length, parts, unit)
        assert cut[0][0] == 0 and cut[-1][1] == length
        assert all(a < b for a, b in cut)
        assert all(b == c for (_, b), (c, _) in itertools.pairwise(cut))
        assert all(a % unit == 0 for a, _ in cut)


def test_threads_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (parallel.THREADS_ENV, "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert parallel.threads() == 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert parallel.threads() == 2
    monkeypatch.setenv(parallel.THREADS_ENV, "1")
    assert parallel.threads() == 1


def test_parts_run_on_other_threads_and_errors_reach_the_caller(split_always: Callable[[int], None]) -> None:
    split_always(3)
    seen: dict[tuple[int, int], str] = {}

    def task(start: int, stop: int) -> None:
        seen[(start, stop)] = threading.current_thread().name

    parallel.split_range(task, 9, 1)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 9)]
    assert seen[(0, 3)] == threading.current_thread().name
    assert all(name.startswith("cnncalc-split") for key, name in seen.items() if key != (0, 3))

    def failing(start: int, stop: int) -> None:
        if start > 0:
            raise ValueError("part failed")

    with pytest.raises(ValueError, match="part failed"):
        parallel.split_range(failing, 9, 1)


def test_below_the_threshold_nothing_is_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.THREADS_ENV, "2")
    calls: list[tuple[int, int]] = []
    parallel.split_range(lambda a, b: calls.append((a, b)), 100, parallel.MIN_BYTES - 1)
    assert calls == [(0, 100)]


@pytest.mark.parametrize("name", sorted(pointwise._ACTIVATIONS))
@pytest.mark.parametrize("inplace", [False, True])
def test_split_activation_equals_unsplit(split_always: Callable[[int], None], name: str, inplace: bool) -> None:
    contiguous = rand(1, 7, 23, 29)
    wide = rand(2, 7, 23, 58)
    makers: list[Callable[[], Array]] = [
        contiguous.copy,
        lambda: wide.copy()[..., ::2],  # not contiguous: split along the first axis
    ]
    for fresh in makers:
        single, split = both(split_always, lambda: pointwise.activation(fresh(), name, 0.1, inplace=inplace))  # noqa: B023
        np.testing.assert_array_equal(split, single)


def test_split_add_equals_unsplit(split_always: Callable[[int], None]) -> None:
    a, b, c = rand(1, 7, 23, 29, seed=1), rand(1, 7, 23, 29, seed=2), rand(1, 7, 23, 29, seed=3)
    single, split = both(split_always, lambda: pointwise.add([a, b, c], into=np.empty_like(a)))
    np.testing.assert_array_equal(split, single)
    np.testing.assert_array_equal(single, (a + b) + c)


@pytest.mark.parametrize(
    ("channels", "kernel", "stride", "pad"),
    [(37, (3, 3), (1, 1), 1), (5, (3, 3), (2, 2), 1), (11, (1, 1), (2, 2), 0), (33, (5, 3), (1, 1), 2)],
)
def test_split_conv_equals_unsplit(
    split_always: Callable[[int], None], channels: int, kernel: tuple[int, int], stride: tuple[int, int], pad: int
) -> None:
    """The row copies of the stride-1 path, the window copies of im2col, the padding and the bias fill."""
    x = rand(2, channels, 19, 23, seed=4)
    w = rand(13, channels, *kernel, seed=5)
    b = rand(13, seed=6)
    pads = ((pad, pad), (pad, pad))

    def run() -> Array:
        return conv.conv(x, w, b, stride, pads, (1, 1), 1, MacCounter(), Workspace(), activation="relu")

    single, split = both(split_always, run)
    np.testing.assert_array_equal(split, single)


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool", "sum_pool"])
def test_split_pool_equals_unsplit(split_always: Callable[[int], None], kind: str) -> None:
    x = rand(2, 7, 23, 29, seed=7)

    def run() -> Array:
        return conv.pool(x, kind, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), True, Workspace())

    single, split = both(split_always, run)
    np.testing.assert_array_equal(split, single)


def test_split_network_equals_unsplit(split_always: Callable[[int], None]) -> None:
    """A residual network end to end: folded batch norms with their ReLU, adds, max pooling."""
    from cnncalc import load_spec
    from cnncalc.numeric.executor import execute

    spec = load_spec("resnet18")
    single, split = both(split_always, lambda: execute(spec).output)
    np.testing.assert_array_equal(split, single)
