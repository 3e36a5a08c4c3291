"""Pausing Python's cycle collector while a spec is read and analysed, and for a whole CLI run.

Reading a 20,000-layer spec allocates a few hundred thousand small objects (values,
positions, models, rows) that all stay alive and hold no reference cycles; the cycle
collector would scan the growing heap again and again while they are made, for nothing
(about a third of the time of a 10,000-layer summary). Reference counting still frees
everything as usual; the collector is switched back on, as it was, when the work ends.
The command line pauses it for the whole run, rendering included (writing a long report's
rows is also a stream of small containers); the library pauses it only inside load and analyze.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with the cycle collector off, then restore it as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
