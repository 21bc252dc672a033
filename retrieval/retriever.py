"""What the search and the answer need from an engine: the `Retriever` protocol, and the `Keeper` that
holds an engine's retriever in step with the store.

The exact BM25 engine (retrieval/bm25/, kept by retrieval/index_keeper.py) is one implementation. Another
engine (a dense retriever, a server such as OpenSearch) is one module plus its name in the settings
(`Settings.engine`, retrieval/engines.py): a module with `build(rows, settings) -> Retriever` is rebuilt
from the store after every change; one with `keeper(store, settings) -> Keeper` maintains itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol, runtime_checkable

from .models import IngestReport

IndexRow = tuple[str, str, Sequence[str]]  # (passage_id, scope, tokens): what every engine indexes


class ScoredRow(NamedTuple):
    """A passage's row in a retriever's snapshot and its score (a tuple: made a few per query, cheaply)."""

    row: int
    score: float


@runtime_checkable
class Retriever(Protocol):
    """An immutable snapshot of passages that ranks them for a question's terms.

    `scopes`: only passages in these scopes, scored as if they were the whole corpus (None: every
    passage). Document frequency and passage count are what the answer stage weighs words by, over the
    same passages the scores see."""

    def top(self, terms: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[ScoredRow]:
        """The k best passages holding at least one of the terms, best first."""
        ...

    def passage_id(self, row: int) -> str:
        """The passage id of a row `top` returned."""
        ...

    def doc_freqs(self, scopes: Iterable[str] | None = None) -> Callable[[str], int]:
        """term -> how many passages (of these scopes) contain it."""
        ...

    def passage_count(self, scopes: Iterable[str] | None = None) -> int:
        """How many passages (of these scopes) there are."""
        ...

    def warm_up(self) -> None:
        """Made ready before the first question (compiled, loaded, connected), not during it."""
        ...


class Keeper(Protocol):
    """Holds an engine's current retriever in step with the store. Corpus writes to the store inside
    `writing()` (one change at a time, for every server) and then reports the change with `changed`;
    a new retriever replaces the old one with one assignment, so a question keeps the one it started with."""

    retriever: Retriever

    def writing(self) -> AbstractContextManager[None]: ...

    @property
    def busy(self) -> bool: ...

    def changed(self, report: IngestReport) -> None:
        """The store was changed as the report says (inside `writing()`)."""
        ...

    def refreshed(self, report: IngestReport) -> None:
        """A refresh of the bundled folder ran (inside `writing()`): the time to rebuild from scratch."""
        ...

    def describe(self) -> dict[str, object]:
        """Figures for `stats` (indexed passages and the like)."""
        ...

    def close(self) -> None: ...
