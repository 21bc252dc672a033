"""BM25 statistics per scope: a question is scored over exactly the passages its asker can see.

A server's question sees the bundled corpus and that server's own documents. Its N, avgdl, document
frequencies and rank-bm25's mean IDF (the floor for negative IDFs) must be those passages' alone:
statistics over every server would let one server's uploads move another's scores, and let a server
probe another's private words through its own scores.

Each segment keeps, per scope, its passage count, total length and every term's document frequency
(`ScopeCounts`, CSR by scope). Scopes are disjoint, so a scope set's statistics are sums over its
scopes: base + delta - deleted rows (`Visible`, made once per scope set and snapshot, then cached).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from . import pairs
from .arrays import ranges, readonly
from .formula import okapi_idf, one_idf

_CHUNK_ENTRIES = 1 << 22  # forward entries sorted at a time while counting: bounds the temporaries
_TERM_CACHE = 2048  # indexed terms whose df and IDF a view remembers (a question's terms, asked again and again)


class ScopeCounts:
    """Statistics per scope of some rows of one segment (all of them, or its deleted ones): passages,
    their total length, and document frequencies: scope s's term ids, ascending, in
    `tids[ptr[s]:ptr[s + 1]]`, how many of its rows hold each in `dfs`."""

    __slots__ = ("rows", "lengths", "ptr", "tids", "dfs")

    def __init__(self, rows: np.ndarray, lengths: np.ndarray, ptr: np.ndarray, tids: np.ndarray,
                 dfs: np.ndarray) -> None:
        self.rows, self.lengths, self.ptr, self.tids, self.dfs = rows, lengths, ptr, tids, dfs

    @classmethod
    def count(cls, scope_ids: np.ndarray, n_scopes: int, doc_len: np.ndarray, fwd_ptr: np.ndarray,
              fwd_tids: np.ndarray, df: np.ndarray) -> "ScopeCounts":
        """The counts of some rows: their scope ids, lengths and forward entries (row i's term ids in
        fwd_tids[fwd_ptr[i]:fwd_ptr[i + 1]]). df: those rows' document frequency per term, all
        scopes together. The most common scope's frequencies are df less the other scopes', so only the
        other scopes' forward entries are sorted: none at all in a segment of one scope."""
        n_terms = len(df)
        if not n_scopes:  # an empty segment
            zero = np.zeros(0, dtype=np.int64)
            return cls(zero, zero, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))
        row_scope = np.asarray(scope_ids, dtype=np.int64)
        lens = np.asarray(doc_len, dtype=np.int64)
        n_rows = _per_scope(row_scope, None, n_scopes)
        lengths = _per_scope(row_scope, lens, n_scopes)
        dominant = int(np.argmax(n_rows)) if len(row_scope) else 0
        others = np.flatnonzero(row_scope != dominant)
        keys, counts = _scope_term_pairs(row_scope[others], fwd_ptr[others], fwd_ptr[others + 1], fwd_tids)
        other_scope, other_tid = keys >> 32, (keys & 0xFFFFFFFF)
        rest = np.asarray(df, dtype=np.int64) - np.bincount(other_tid, weights=counts, minlength=n_terms).astype(np.int64)
        dominant_tids = np.flatnonzero(rest > 0)
        # Splice the dominant scope's run in among the others' (keys sort by scope, then term).
        at = int(np.searchsorted(other_scope, dominant))
        tids = np.concatenate([other_tid[:at], dominant_tids, other_tid[at:]]).astype(np.int32)
        dfs = np.concatenate([counts[:at], rest[dominant_tids], counts[at:]]).astype(np.int32)
        per_scope = np.bincount(other_scope, minlength=n_scopes)
        per_scope[dominant] += len(dominant_tids)
        ptr = np.zeros(n_scopes + 1, dtype=np.int64)
        np.cumsum(per_scope, out=ptr[1:])
        return cls(n_rows, lengths, ptr, tids, dfs)

    @classmethod
    def of_segment(cls, scope_ids: np.ndarray, n_scopes: int, doc_len: np.ndarray, ptr: np.ndarray,
                   tids: np.ndarray, dfs: np.ndarray) -> "ScopeCounts":
        """A saved segment's counts: the frequencies as stored, rows and lengths recounted (one pass)."""
        row_scope = np.asarray(scope_ids, dtype=np.int64)
        return cls(_per_scope(row_scope, None, n_scopes), _per_scope(row_scope, np.asarray(doc_len), n_scopes),
                   ptr, tids, dfs)

    def df(self, scope: int, tid: int) -> int:
        lo, hi = int(self.ptr[scope]), int(self.ptr[scope + 1])
        # the key in the array's own dtype: a Python int would make numpy convert the whole slice first
        i = lo + int(self.tids[lo:hi].searchsorted(np.int32(tid)))
        return int(self.dfs[i]) if i < hi and self.tids[i] == tid else 0

    def add_into(self, out: np.ndarray, scope: int, ids: np.ndarray | None, sign: int) -> None:
        """out[term] += sign x df of each of the scope's terms (ids: segment term id -> out's index)."""
        lo, hi = int(self.ptr[scope]), int(self.ptr[scope + 1])
        tids = self.tids[lo:hi] if ids is None else ids[self.tids[lo:hi]]
        out[tids] += sign * self.dfs[lo:hi].astype(np.int64)  # a scope lists a term once: no repeats

    def problem(self, n_terms: int, df: np.ndarray) -> str | None:
        """What is wrong with saved counts, or None. Offsets in range, each scope's terms ascending, and
        frequencies between 1 and the scope's rows, summing to the postings' df per term: so no IDF is
        taken of a frequency above its N (a log of a negative number)."""
        ptr, tids, dfs, n_scopes = self.ptr, self.tids, self.dfs, len(self.rows)
        if len(ptr) != n_scopes + 1 or ptr[0] != 0 or ptr[-1] != len(tids) or np.any(ptr[1:] < ptr[:-1]):
            return "scope term offsets out of range"
        if len(dfs) != len(tids) or (len(tids) and (tids.min() < 0 or tids.max() >= n_terms)):
            return "a scope's term id is out of range"
        ascending = tids[1:] > tids[:-1]
        starts = ptr[1:-1]
        ascending[starts[(starts > 0) & (starts < len(tids))] - 1] = True
        if not ascending.all():
            return "a scope's term ids are not strictly ascending"
        if len(dfs) and (dfs.min() < 1 or np.any(dfs > np.repeat(self.rows, np.diff(ptr)))):
            return "a scope's document frequency is out of range"
        if not np.array_equal(np.bincount(tids, weights=dfs, minlength=n_terms).astype(np.int64), df):
            return "scope document frequencies disagree with the postings"
        return None


def _per_scope(row_scope: np.ndarray, values: np.ndarray | None, n_scopes: int) -> np.ndarray:
    """Row count (values None) or sum of values per scope, exact in int64 (bincount adds in float64:
    exact below 2**53 tokens)."""
    return np.rint(np.bincount(row_scope, weights=values, minlength=n_scopes)).astype(np.int64)


def _scope_term_pairs(row_scope: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      fwd_tids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (scope << 32 | term) keys over these rows' forward entries, sorted, with how many rows
    hold each (a row lists a term once): sorted a chunk of rows at a time, then merged."""
    lens = (ends - starts).astype(np.int64)
    total = np.cumsum(lens)
    keys_parts, count_parts = [], []
    lo = 0
    while lo < len(lens):
        hi = max(lo + 1, int(np.searchsorted(total, (total[lo - 1] if lo else 0) + _CHUNK_ENTRIES, side="right")))
        idx = ranges(starts[lo:hi], ends[lo:hi])
        keys = (np.repeat(row_scope[lo:hi], lens[lo:hi]) << 32) | fwd_tids[idx].astype(np.int64)
        del idx
        keys.sort()
        keys, counts = _distinct(keys)
        keys_parts.append(keys)
        count_parts.append(counts)
        lo = hi
    if not keys_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(keys_parts) == 1:
        return keys_parts[0], count_parts[0]
    keys, counts = np.concatenate(keys_parts), np.concatenate(count_parts)
    order = np.argsort(keys, kind="stable")
    keys, starts = _distinct(keys[order], starts_only=True)
    return keys, np.add.reduceat(counts[order], starts)


def _distinct(keys: np.ndarray, starts_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys -> the distinct ones and how often each occurs (or where each run starts)."""
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return keys[starts], starts if starts_only else np.diff(np.append(starts, len(keys)))


class Part:
    """One addend of a snapshot's statistics: a segment's counts (sign 1), or its deleted rows' (-1).
    scopes: the local ids of the view's scopes in that segment; ids: segment term id -> snapshot term id."""

    __slots__ = ("counts", "vocab", "scopes", "ids", "sign")

    def __init__(self, counts: ScopeCounts, vocab: Mapping[str, int], scopes: list[int], ids: np.ndarray | None,
                 sign: int) -> None:
        self.counts, self.vocab, self.scopes, self.ids, self.sign = counts, vocab, scopes, ids, sign


class Visible:
    """What one scope set sees in one snapshot, as rank-bm25 built over just those passages would have it:
    N, total length, avgdl, each term's document frequency and IDF, and the mean IDF (over the visible
    vocabulary) that replaces a negative one."""

    def __init__(self, parts: Sequence[Part], n_terms: int, *, k1: float, b: float, epsilon: float) -> None:
        self._parts = [p for p in parts if p.scopes]
        self._n_terms, self.k1, self.b, self.epsilon = n_terms, k1, b, epsilon
        self.n = sum(p.sign * int(p.counts.rows[s]) for p in self._parts for s in p.scopes)
        self.total_len = sum(p.sign * int(p.counts.lengths[s]) for p in self._parts for s in p.scopes)
        self.avgdl = self.total_len / self.n if self.n else 0.0
        self._average_idf: float | None = None
        self._df: dict[str, int] = {}
        self._idf: dict[str, float | None] = {}
        self._parts_by_segment: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def doc_freq(self, term: str) -> int:
        """Visible passages containing the term."""
        df = self._df.get(term)
        if df is None:
            df, indexed = 0, False
            for p in self._parts:
                tid = p.vocab.get(term)
                if tid is not None:
                    indexed = True
                    df += p.sign * sum(p.counts.df(s, tid) for s in p.scopes)
            df = min(max(df, 0), self.n)  # in range even for counts no check could vouch for
            if indexed:  # a term no segment has costs nothing to look up again (spelling tries hundreds)
                if len(self._df) >= _TERM_CACHE:
                    self._df.clear()
                self._df[term] = df
        return df

    def idf(self, term: str) -> float | None:
        """rank-bm25's IDF of the term over the visible passages; None when none of them has it (rank-bm25
        then adds nothing for it)."""
        if term in self._idf:
            return self._idf[term]
        value = one_idf(self.doc_freq(term), self.n, self.epsilon, lambda: self.average_idf)
        if value is not None:
            if len(self._idf) >= _TERM_CACHE:
                self._idf.clear()
            self._idf[term] = value
        return value

    def idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """Each distinct visible term's IDF (terms no visible passage has are left out)."""
        out = {}
        for term in dict.fromkeys(terms):
            value = self.idf(term)
            if value is not None:
                out[term] = value
        return out

    def parts_of(self, pair_tf: np.ndarray, pair_len: np.ndarray) -> np.ndarray:
        """A segment's (tf, length) pairs' tf parts at the visible avgdl (pairs.py): a few thousand
        divisions, made once per segment and scope set."""
        key = id(pair_tf)
        held = self._parts_by_segment.get(key)
        if held is None or held[0] is not pair_tf:
            table = readonly(pairs.parts(pair_tf, pair_len, self.k1, self.b, self.avgdl))
            held = self._parts_by_segment[key] = (pair_tf, table)
        return held[1]

    @property
    def average_idf(self) -> float:
        """rank-bm25's mean IDF over the visible vocabulary (before negatives are replaced). Summed per
        distinct df value, exactly rounded (math.fsum), so it depends only on which passages are visible,
        never on term ids or row order: another server's changes leave it bit-identical."""
        if self._average_idf is None:
            df = np.zeros(self._n_terms, dtype=np.int64)
            for p in self._parts:
                for s in p.scopes:
                    p.counts.add_into(df, s, p.ids, p.sign)
            seen = df[df > 0]
            if not len(seen):
                self._average_idf = 0.0
            else:
                hist = np.bincount(np.minimum(seen, self.n))
                values = np.flatnonzero(hist)
                idf = okapi_idf(values, self.n)
                self._average_idf = math.fsum((hist[values] * idf).tolist()) / len(seen)
        return self._average_idf


class ViewCache:
    """Views by scope set for one snapshot (a snapshot never changes, so neither do they); bounded."""

    def __init__(self, limit: int = 256) -> None:
        self._views: dict[frozenset[str], Visible] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, key: frozenset[str], make) -> Visible:
        view = self._views.get(key)
        if view is None:
            view = make()
            with self._lock:
                if len(self._views) >= self._limit:
                    self._views.pop(next(iter(self._views)))
                self._views[key] = view
        return view
