"""Process-level performance helpers."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause cyclic GC while a snapshot is decoded and audited.

    An audit allocates millions of small acyclic objects (messages, timeline entries); every
    generation-2 pass would walk all of them and find nothing to free. Reference counting
    still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
