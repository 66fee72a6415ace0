"""The start-up heap is collected and frozen once a process is started (``bot.heap``)."""

from __future__ import annotations

import gc
import weakref

from bot import heap


class _Cycle:
    other: object


def test_settle_freezes_what_lives_and_collects_what_does_not() -> None:
    a, b = _Cycle(), _Cycle()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b  # cyclic garbage: only a collection frees it
    gc.unfreeze()
    try:
        heap.settle()
        assert gone() is None  # collected, not frozen with the rest
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
