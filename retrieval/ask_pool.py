"""Questions answered on every core (RETRIEVAL_ASK_WORKERS).

Most of an ask is Python (reading the question, the answer layer, rendering) and holds the GIL, so more
threads add no throughput: measured, asks/s stayed flat from 1 to 8 questions in flight (BENCHMARKS.md).
Worker processes do scale. Each opens the same store and the same index files as a reader (Corpus(reader=
True)): the index is memory-mapped, so its pages are shared through the OS, and the worker never writes it.
Before each question a worker catches up (IndexKeeper.follow): it takes up the index the bot's process saved
at the store's generation, or applies the store's change log until that is saved, so an answer includes every
change committed before it was asked and ranks as an answer from the bot's own process would.

A worker that dies (killed, out of memory) costs no answer: that question is answered in the bot's own
process and the pool is started again for the next ones.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .config import Settings
from .models import Answer

log = logging.getLogger(__name__)
_CORPUS = None  # in a worker: its reader Corpus


def _open(settings: Settings) -> None:
    """A worker's start: its own reader corpus over the shared store and index files."""
    global _CORPUS
    from .corpus import Corpus
    from .settle import settle_after_start

    _CORPUS = Corpus(settings, seed=False, reader=True)
    settle_after_start(_CORPUS)


def _answer(question: str, scope: str | None, k: int) -> Answer:
    return _CORPUS.answer(question, scope, k)


def _ready() -> bool:
    return _CORPUS is not None


class AskPool:
    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings, self.workers = settings, workers
        self._lock = threading.Lock()
        self._closed = False
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        """Workers started with spawn (a fork would copy this process's threads' locks mid-use), each
        opening its corpus at once, so the first questions do not wait for them."""
        executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_open, initargs=(self.settings,))
        for _ in range(self.workers):
            executor.submit(_ready)
        return executor

    def ask(self, question: str, scope: str | None, k: int, here: Callable[[], Answer]) -> Answer:
        """The answer from a worker; `here` answers in this process when the pool is broken or closing."""
        executor = self._executor
        try:
            return executor.submit(_answer, question, scope, k).result()
        except BrokenProcessPool:
            log.warning("an ask worker stopped; answering here and starting the workers again")
            with self._lock:
                if self._executor is executor and not self._closed:
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = self._start()
            return here()
        except (RuntimeError, CancelledError):  # closing: submit refused, or the question cancelled
            if not self._closed:
                raise
            return here()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)
