"""The one search interface callers use: question terms -> ranked hits (passages with their text).

Pairs one retriever snapshot (any engine implementing retrieval.retriever.Retriever) with the store that
holds the passages' text; the engine behind it can change without touching callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .answer.weights import TermWeight
from .models import Hit
from .retriever import Retriever
from .store import Store
from .text.tokenize import iter_terms, tokenize


class Searcher:
    """An immutable pairing of one retriever snapshot (`index`) with the store it was built from."""

    def __init__(self, store: Store, index: Retriever) -> None:
        self.store = store
        self.index = index
        # Live document frequencies: what the answer weighs a matched term by, as the scores do.
        self.weight = TermWeight(index.doc_freqs(None), index.passage_count(None))

    def weight_for(self, scopes: Iterable[str] | None) -> TermWeight:
        """Term weights over the passages these scopes see, as their scores are (all passages for None):
        the answer stage of a server's question never weighs words by another server's documents."""
        if scopes is None:
            return self.weight
        return TermWeight(self.index.doc_freqs(scopes), self.index.passage_count(scopes))

    def doc_freq_for(self, scopes: Iterable[str] | None) -> Callable[[str], int]:
        """Document frequency over the passages these scopes see (all passages for None)."""
        return self.index.doc_freqs(scopes)

    def rank(self, terms: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """(passage_id, score), best first, without reading passage text: for evaluation and benchmarks."""
        return [(self.index.passage_id(r.row), r.score) for r in self.index.top(terms, k, scopes)]

    def search_terms(self, terms: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[Hit]:
        rows = self.index.top(terms, k, scopes)
        ids = [self.index.passage_id(r.row) for r in rows]
        info = self.store.passage_rows(ids)
        wanted = set(terms)
        hits = []
        for pid, r in zip(ids, rows):
            row = info.get(pid)
            if row is None:  # removed since this snapshot was built; the next snapshot drops it
                continue
            # The stored tokens are tokenize(text) (re-derived whenever the tokenizer changes), so this is
            # the set iter_terms(text) would give, without re-tokenizing every hit of every question.
            tokens = row.get("tokens")
            found = tokens.split() if tokens is not None else [t for t, _, _ in iter_terms(row["text"])]
            matched = tuple(sorted(wanted.intersection(found)))
            hits.append(Hit(pid, row["doc_id"], r.score, row["text"], row["title"], row["source"], row["ordinal"],
                            matched, row.get("heading") or ""))
        return hits

    def search(self, query: str, k: int = 10, scopes: Iterable[str] | None = None) -> list[Hit]:
        return self.search_terms(tokenize(query), k, scopes)
