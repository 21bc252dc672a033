"""A long-running process freezes its startup objects once the compiled scorer has loaded (retrieval/settle.py):
the collector's full passes stop walking them."""

from __future__ import annotations

import gc
import threading
import time

from retrieval.bm25 import compiled
from retrieval.corpus import Corpus
from retrieval.settle import settle_after_start


def test_the_startup_objects_are_frozen_after_the_scorer_has_loaded(settings, monkeypatch) -> None:
    monkeypatch.setattr(compiled, "_WARM", threading.Event())  # as in a fresh process: it loads in the background
    corpus = Corpus(settings.with_(scorer="compiled"))
    try:
        warming = corpus.keeper.warming
        assert warming is not None
        before = gc.get_freeze_count()
        settle_after_start(corpus).join(timeout=300)
        assert not warming.is_alive()  # frozen only after the scorer's objects exist
        assert gc.get_freeze_count() > before
        assert corpus.ask("when did Cuba recognize South Korea?").found
    finally:
        gc.unfreeze()  # this test process opens many corpora: their garbage must stay collectable
        corpus.close()


def test_a_scorer_loaded_later_freezes_again(settings, monkeypatch) -> None:
    # The bundled corpus is too small for the compiled scorer ("auto"): nothing loads at start, so the
    # objects are frozen at once, and once more when the scorer loads later (the corpus grew past it).
    monkeypatch.setattr(compiled, "_WARM", threading.Event())
    corpus = Corpus(settings)
    before = gc.get_freeze_count()
    try:
        thread = settle_after_start(corpus)
        deadline = time.monotonic() + 60
        while gc.get_freeze_count() == before and time.monotonic() < deadline:
            time.sleep(0.01)
        first = gc.get_freeze_count()
        assert first > before and thread.is_alive()  # frozen, and waiting for the scorer
        made_since = [[1]]  # a list: always tracked by the collector
        assert _collected(made_since)
        compiled.mark_warm()  # as BM25Index.warm_up does once the kernels are loaded
        thread.join(timeout=60)
        assert not thread.is_alive() and not _collected(made_since)  # frozen with the rest
    finally:
        compiled.mark_warm()  # never leave the thread waiting in this test process
        gc.unfreeze()
        corpus.close()


def _collected(obj: object) -> bool:
    """Whether the collector's passes see obj (frozen objects are in none of its generations)."""
    return any(o is obj for o in gc.get_objects())
