"""A started process's heap is left out of the garbage collector's full collections."""

from __future__ import annotations

import gc

from workers.lifecycle import freeze_heap


def test_what_the_process_holds_once_started_is_not_walked_again() -> None:
    held = [object()]  # a container the collector tracks
    try:
        freeze_heap()
        assert gc.get_freeze_count() > 0
        assert not any(obj is held for g in range(3) for obj in gc.get_objects(generation=g))
        later = [object()]
        assert any(obj is later for obj in gc.get_objects(generation=0))  # still collected
    finally:
        gc.unfreeze()
