"""compare --plot at scale: the grid the label placement asks gives labels that overlap neither
each other nor any point, for hundreds of networks, as the exhaustive search did for a few."""

from __future__ import annotations

import random

from cnncalc.features.compare.labels import POINT_RADIUS, Box, place_labels


def test_hundreds_of_labels_are_placed_clear_of_each_other_and_of_the_points() -> None:
    rng = random.Random(3)
    points = [(rng.uniform(100, 780), rng.uniform(60, 5000)) for _ in range(300)]
    widths = [rng.uniform(30, 200) for _ in points]
    boxes, failed = place_labels(points, widths, Box(98, 58, 692, 4960))
    good = [i for i in range(len(points)) if i not in set(failed)]
    assert len(good) > 250
    r = POINT_RADIUS + 1
    dots = [Box(x - r, y - r, 2 * r, 2 * r) for x, y in points]
    for i in good:
        assert boxes[i].inside(Box(98, 58, 692, 4960))
        assert not any(boxes[i].overlaps(boxes[j]) for j in good if j != i)
        assert not any(boxes[i].overlaps(dot) for dot in dots)
