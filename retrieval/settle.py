"""A long-running process (the bot, an ask worker), once started: its startup objects out of the cyclic
garbage collector's sight.

After the compiled scorer has loaded, a process holds about 146,000 objects the collector tracks (numba's
compiled-code registry and types, the modules imported); each full collection walked them all: a 65 ms pause
on whichever question it fell on, at any corpus size (measured on the 10M-passage e2e corpus; 0.3 ms after).
They live as long as the process, so `gc.freeze` moves them to the permanent generation, after one last
collection. Not done by Corpus itself: a process that opens many (the tests) would freeze their garbage.
"""

from __future__ import annotations

import gc
import logging
import threading

from .bm25 import compiled
from .corpus import Corpus

log = logging.getLogger(__name__)
WARM_UP_WAIT_S = 300.0  # a compiled scorer still loading after this (a cold numba cache on a slow disk): freeze anyway


def settle_after_start(corpus: Corpus) -> threading.Thread:
    """In the background: wait for the compiled scorer's loading (if it is loading), collect, freeze. When it
    has not loaded (a corpus too small for it), once more when it does: the corpus grew past its threshold."""
    def settle() -> None:
        warming = getattr(corpus.keeper, "warming", None)  # other engines' keepers load nothing later
        if warming is not None:
            warming.join(WARM_UP_WAIT_S)
        _freeze()
        if not compiled.warm():
            compiled.wait_warm()
            _freeze()

    thread = threading.Thread(target=settle, name="settle-after-start", daemon=True)
    thread.start()
    return thread


def _freeze() -> None:
    gc.collect()
    gc.freeze()
    log.debug("long-lived objects frozen: %d", gc.get_freeze_count())
