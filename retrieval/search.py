"""The one search interface callers use: `search(question, k) -> ranked hits`.

Wraps an index snapshot plus the store (for passage text); the engine behind it can change without
touching callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .answer.weights import TermWeight
from .index import BM25Index
from .models import Hit
from .store import Store
from .text.tokenize import iter_terms, tokenize


class Searcher:
    """An immutable pairing of one index snapshot with the store it was built from."""

    def __init__(self, store: Store, index: BM25Index) -> None:
        self.store = store
        self.index = index
        # Live document frequencies: what the answer weighs a matched term by, as the scores do.
        self.weight = TermWeight(index.doc_freq, len(index))
        index.warm_up()  # a big index's compiled scorer is ready before the first question, not during it

    def weight_for(self, scopes: Iterable[str] | None) -> TermWeight:
        """Term weights over the passages these scopes see, as their scores are (all passages for None):
        the answer stage of a server's question never weighs words by another server's documents."""
        if scopes is None:
            return self.weight
        view = self.index.visible(scopes)
        return TermWeight(view.doc_freq, view.n)

    def doc_freq_for(self, scopes: Iterable[str] | None) -> Callable[[str], int]:
        """Document frequency over the passages these scopes see (all passages for None)."""
        return self.index.doc_freq if scopes is None else self.index.visible(scopes).doc_freq

    def search_terms(self, terms: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[Hit]:
        rows = self.index.top(terms, k, scopes)
        ids = [self.index.passage_ids[r.row] for r in rows]
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
