"""Which engine answers: `Settings.engine` names it, and this opens its Keeper over the store.

"bm25" is the exact BM25 engine (retrieval/index_keeper.py). Any other name is a module to import: one
with `keeper(store, settings) -> Keeper` keeps itself in step with the store (a server engine updating
its own index); one with only `build(rows, settings) -> Retriever` is rebuilt from every stored passage
at start and after each change (`Rebuilt`: fine for a small corpus or a first version of an engine).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from .config import Settings
from .errors import BadSetting
from .models import IngestReport
from .retriever import IndexRow, Keeper, Retriever
from .store import Store
from .text.tokenize import tokenize

BUILT_IN = {"bm25": "retrieval.index_keeper"}
StoreRow = tuple[str, str, str, str, "str | None"]  # (passage_id, scope, tokens, title, heading), as stored


def open_keeper(store: Store, settings: Settings, reader: bool = False) -> Keeper:
    """The keeper of the configured engine, its retriever loaded or built and warmed up. reader: an ask
    worker's (retrieval/ask_pool.py), which never writes the index files (the built-in engine only)."""
    name = BUILT_IN.get(settings.engine, settings.engine)
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise BadSetting(f"RETRIEVAL_ENGINE must be bm25 or an importable module, not {settings.engine!r} "
                         f"({exc})") from None
    if hasattr(module, "keeper"):
        return module.keeper(store, settings, reader=True) if reader else module.keeper(store, settings)
    if hasattr(module, "build"):
        return Rebuilt(store, settings, module.build)
    raise BadSetting(f"RETRIEVAL_ENGINE {settings.engine!r} has neither keeper(store, settings) nor "
                     "build(rows, settings)")


def index_rows(raw: Iterable[StoreRow], settings: Settings) -> Iterator[IndexRow]:
    """Store rows -> (passage_id, scope, tokens), the title's and the section heading's tokens appended
    when configured: a passage is about its document and its section."""
    with_title = settings.title_in_passages
    cache: dict[str, list[str]] = {}

    def tokens_of(text: str) -> list[str]:
        if text not in cache:
            if len(cache) > 10_000:
                cache.clear()
            cache[text] = tokenize(text)
        return cache[text]

    for pid, scope, tokens, title, heading in raw:
        terms = tokens.split() if tokens else []
        if with_title and title:
            terms = terms + tokens_of(title)
        if with_title and heading:
            terms = terms + tokens_of(heading)
        yield pid, scope, terms


class Rebuilt:
    """The Keeper of an engine given as build(rows, settings) -> Retriever: rebuilt from the store at
    start and after every change that changed anything."""

    def __init__(self, store: Store, settings: Settings,
                 build: Callable[[Iterable[IndexRow], Settings], Retriever]) -> None:
        self.store, self.settings, self._build = store, settings, build
        self._lock = threading.Lock()
        self.retriever = self._built()

    def _built(self) -> Retriever:
        retriever = self._build(index_rows(self.store.iter_index_rows(), self.settings), self.settings)
        retriever.warm_up()
        return retriever

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._lock:
            yield

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def changed(self, report: IngestReport) -> None:
        if report.changed_anything:
            self.retriever = self._built()

    def refreshed(self, report: IngestReport) -> None:
        self.changed(report)

    def describe(self) -> dict[str, object]:
        return {"indexed_passages": self.retriever.passage_count()}

    def close(self) -> None:
        pass
