"""A long-running process freezes its startup objects once the compiled scorer has loaded (retrieval/settle.py):
the collector's full passes stop walking them."""

from __future__ import annotations

import gc
import threading

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


def test_a_corpus_with_nothing_loading_is_frozen_at_once(settings) -> None:
    corpus = Corpus(settings)
    try:
        settle_after_start(corpus).join(timeout=60)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        corpus.close()
