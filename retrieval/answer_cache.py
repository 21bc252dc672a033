"""Recent answers, so a question asked again (a study group asks the same thing many times) is replied to
at once, without a thread or a deferral. An answer stays valid while the index snapshot it came from is the
one serving: any change to the documents swaps the snapshot, and every older entry is then ignored."""

from __future__ import annotations

import threading
from collections import OrderedDict

from .corpus import Corpus
from .models import Answer

DEFAULT_SIZE = 512


class AnswerCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], tuple[object, Answer]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(question: str, scope: str) -> tuple[str, str]:
        return scope, " ".join(question.split()).casefold()

    def get(self, corpus: Corpus, question: str, scope: str) -> Answer | None:
        """The answer given to this question in this server on the serving snapshot, if any."""
        key = self._key(question, scope)
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry[0] is not corpus.searcher:
                return None
            self._items.move_to_end(key)
            return entry[1]

    def ask(self, corpus: Corpus, question: str, scope: str) -> Answer:
        """Answer (from the cache when possible) and remember it; runs in a worker thread."""
        searcher = corpus.searcher  # the snapshot the answer is computed on
        cached = self.get(corpus, question, scope)
        if cached is not None:
            return cached
        answer = corpus.ask(question, scope=scope)
        with self._lock:
            self._items[self._key(question, scope)] = (searcher, answer)
            self._items.move_to_end(self._key(question, scope))
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return answer
