"""The statistics of a snapshot's live passages: base + delta - deleted rows.

N, avgdl, every term's document frequency and IDF are taken over the live passages, so scores stay
rank-bm25's over exactly them after any change (formula.rank_bm25_idf, the epsilon floor at the live
vocabulary's mean). Term ids are the snapshot's: the base's, then the terms only the delta has. A
question asked within scopes uses their own statistics instead (scope_stats.Visible).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import numpy as np

from .arrays import readonly
from . import pairs
from .formula import rank_bm25_idf
from .scope_stats import ScopeCounts
from .segment import Segment


class LiveStats:
    """Computed once per snapshot. `parts_base`, `parts_delta`: each segment's (tf, length) pairs' tf parts
    at these statistics (pairs.py): a posting contributes its term's IDF times its pair's part."""

    def __init__(self, base: Segment, delta: Segment | None, deleted: np.ndarray | None, *, k1: float, b: float,
                 epsilon: float) -> None:
        self.base, self.delta, self.k1 = base, delta, k1
        nb = len(base)
        df = base.df.copy()
        total, n = base.total_len, nb
        self.dead: np.ndarray | None = None
        self.deleted_counts: ScopeCounts | None = None
        if deleted is not None:
            self.dead = np.zeros(nb, dtype=bool)
            self.dead[deleted] = True
            rows = np.unique(deleted)
            ptr, tids, _ = base.forward(rows)  # the deleted rows' terms: one pass over the postings
            gone = np.bincount(tids, minlength=len(base.vocab))
            df -= gone
            total -= int(np.asarray(base.doc_len)[rows].sum(dtype=np.int64))
            n -= len(rows)
            # What the deleted rows take from each scope, for questions asked within scopes.
            self.deleted_counts = ScopeCounts.count(base.scope_ids[rows], len(base.scopes), base.doc_len[rows], ptr,
                                                    tids, gone)
        self.delta_only: dict[str, int] = {}
        self.delta_ids: np.ndarray | None = None  # delta term id -> snapshot term id (base ids, then the delta's)
        delta_df_only = np.zeros(0, dtype=np.int64)
        if delta is not None:
            in_base = np.array([base.vocab.get(t, -1) for t in delta.terms()], dtype=np.int64)
            shared = in_base >= 0
            self.delta_ids = np.where(shared, in_base, len(base.vocab) + np.arange(len(in_base), dtype=np.int64))
            np.add.at(df, in_base[shared], delta.df[shared])
            self.delta_only = {t: i for t, i in delta.vocab.items() if not shared[i]}  # ascending ids
            delta_df_only = delta.df[~shared]
            total += delta.total_len
            n += len(delta)
        self.n, self.total_len = n, total
        self.avgdl = total / n if n else 0.0
        self.df_base = df
        pristine = delta is None and deleted is None
        if pristine:
            idf_base, idf_only = np.asarray(base.idf), np.zeros(0)
            self.n_terms = len(base.vocab)
        else:
            alive = df > 0
            live_df = np.concatenate([df[alive], delta_df_only])
            idf = rank_bm25_idf(live_df, n, epsilon)
            idf_base = np.zeros(len(df))
            idf_base[alive] = idf[: int(alive.sum())]
            idf_only = idf[int(alive.sum()):]
            self.n_terms = len(live_df)
        idf_delta = np.zeros(0)
        if delta is not None:
            idf_delta = np.empty(len(delta.vocab))
            for t, i in delta.vocab.items():
                j = base.vocab.get(t)
                idf_delta[i] = idf_base[j] if j is not None else 0.0
            idf_delta[np.flatnonzero(~shared)] = idf_only
        self.dead, self.idf_base, self.idf_delta = readonly(self.dead), readonly(idf_base), readonly(idf_delta)
        self.parts_base = readonly(pairs.parts(base.pair_tf, base.pair_len, k1, b, self.avgdl))
        self.parts_delta = None if delta is None else readonly(pairs.parts(delta.pair_tf, delta.pair_len, k1, b,
                                                                                self.avgdl))

    def term_id(self, term: str) -> int | None:
        """The snapshot's id of a term some live passage holds; None otherwise."""
        tid = self.base.vocab.get(term)
        if tid is not None:
            return tid if self.df_base[tid] > 0 else None
        j = self.delta_only.get(term)
        return None if j is None else len(self.base.vocab) + j

    def doc_freq(self, term: str) -> int:
        tid = self.base.vocab.get(term)
        if tid is not None:
            return int(self.df_base[tid])
        j = self.delta_only.get(term)
        return 0 if j is None or self.delta is None else int(self.delta.df[j])

    def idf(self, term: str) -> float | None:
        tid = self.base.vocab.get(term)
        if tid is not None and self.df_base[tid] > 0:
            return float(self.idf_base[tid])
        j = self.delta_only.get(term)
        return None if j is None else float(self.idf_delta[j])


class LiveVocab(Mapping[str, int]):
    """Terms present in at least one live passage -> a snapshot-wide term id."""

    def __init__(self, live: LiveStats) -> None:
        self._live = live

    def __getitem__(self, term: str) -> int:
        tid = self._live.term_id(term)
        if tid is None:
            raise KeyError(term)
        return tid

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._live.term_id(term) is not None

    def __len__(self) -> int:
        return self._live.n_terms

    def __iter__(self) -> Iterator[str]:
        return (t for t in itertools.chain(self._live.base.vocab, self._live.delta_only) if t in self)
