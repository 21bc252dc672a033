"""The inner loop of BM25 top-k, compiled with numba.

Hand-written because it is the engine itself: one pass over the query terms' postings adding each
term's contribution into a per-thread accumulator (rank-bm25's summation order), then one pass over the
touched rows keeping the k best in a small heap. numpy needs five passes per posting for the same work
(BENCHMARKS.md, Scale); compiled, it is one. A contribution is the term's IDF times its (tf, length)
pair's tf part (pairs.py), so the floats are the numpy path's and rank-bm25's. compiled.py imports this
module only when a segment is to be compiled (importing numba takes a few tenths of a second), and the
numpy path scores when numba is missing. Compiled code is cached by numba between runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _worse(score_a: float, row_a: int, score_b: float, row_b: int) -> bool:
    """Ranking order: higher score first, the lower row on a tie."""
    return score_a < score_b or (score_a == score_b and row_a > row_b)


@njit(cache=True, nogil=True)
def _sift_down(rows, scores, m: int, i: int) -> None:
    while True:
        left, right, worst = 2 * i + 1, 2 * i + 2, i
        if left < m and _worse(scores[left], rows[left], scores[worst], rows[worst]):
            worst = left
        if right < m and _worse(scores[right], rows[right], scores[worst], rows[worst]):
            worst = right
        if worst == i:
            return
        rows[i], rows[worst] = rows[worst], rows[i]
        scores[i], scores[worst] = scores[worst], scores[i]
        i = worst


@njit(cache=True, nogil=True)
def _push(out_rows, out_scores, m: int, k: int, row: int, score: float) -> int:
    """Offer (row, score) to the k-heap (worst at the root); returns the heap's new size."""
    if m < k:
        c = m
        out_rows[c], out_scores[c] = row, score
        m += 1
        while c > 0:
            parent = (c - 1) // 2
            if _worse(out_scores[c], out_rows[c], out_scores[parent], out_rows[parent]):
                out_rows[c], out_rows[parent] = out_rows[parent], out_rows[c]
                out_scores[c], out_scores[parent] = out_scores[parent], out_scores[c]
                c = parent
            else:
                break
    elif _worse(out_scores[0], out_rows[0], score, row):
        out_rows[0], out_scores[0] = row, score
        _sift_down(out_rows, out_scores, m, 0)
    return m


@njit(cache=True, nogil=True)
def top_k(indptr, postings, codes, parts, term_idf, tids, acc, seen, touched, dead, scope_ids, allowed, k: int,
          out_rows, out_scores) -> int:
    """The k best rows into out_rows/out_scores, best first; returns how many.

    A posting of query term j contributes term_idf[j] x parts[codes[p]] (its (tf, length) pair's tf part
    at the statistics scored with: the snapshot's, or a scope set's own; pairs.py).
    dead / allowed: empty to skip that filter. acc, seen: all zero on entry and on return.
    touched: rows + 1 slots (each posting's row is written before it is known to be new).
    Branch-free bookkeeping of the touched rows (a row's first touch is not predictable), the first
    term written rather than added, rows below the heap's worst skipped, and the accumulator as its own
    touched-flag when every contribution is positive: about 1.6x the plain loop at 100k rows.
    """
    positive = True
    for j in range(tids.shape[0]):
        if not term_idf[j] > 0.0:
            positive = False
    if positive:  # the usual case: a row's accumulator stays 0.0 until its first touch
        n_touched = _accumulate(indptr, postings, codes, parts, term_idf, tids, acc, touched)
    else:
        n_touched = _accumulate_flagged(indptr, postings, codes, parts, term_idf, tids, acc, seen, touched)
    return _select(touched, n_touched, acc, dead, scope_ids, allowed, k, out_rows, out_scores)


@njit(cache=True, nogil=True)
def _accumulate(indptr, postings, codes, parts, term_idf, tids, acc, touched) -> int:
    """Every query term's contributions added into acc, in query-term order (rank-bm25's order, so the
    same floats); the rows touched listed once each. Every contribution is > 0, so acc[r] == 0.0 tells
    a row's first touch: one random access per posting instead of two with a flag array."""
    n_touched = 0
    for j in range(tids.shape[0]):
        term, w = tids[j], term_idf[j]
        if n_touched == 0:  # the first term: every row is new; rank-bm25 adds to 0.0, the same float
            for p in range(indptr[term], indptr[term + 1]):
                r = postings[p]
                touched[n_touched] = r
                n_touched += 1
                acc[r] = w * parts[codes[p]]
            continue
        for p in range(indptr[term], indptr[term + 1]):
            r = postings[p]
            contribution = w * parts[codes[p]]
            a = acc[r]
            touched[n_touched] = r
            n_touched += a == 0.0  # branch-free: a row's first touch is not predictable
            acc[r] = a + contribution
    return n_touched


@njit(cache=True, nogil=True)
def _accumulate_flagged(indptr, postings, codes, parts, term_idf, tids, acc, seen, touched) -> int:
    """_accumulate for queries with a term of IDF <= 0 (its contributions can be 0 or negative): a flag
    array marks the touched rows, and is cleared again before returning."""
    n_touched = 0
    for j in range(tids.shape[0]):
        term, w = tids[j], term_idf[j]
        for p in range(indptr[term], indptr[term + 1]):
            r = postings[p]
            touched[n_touched] = r
            n_touched += 1 - seen[r]
            seen[r] = 1
            acc[r] += w * parts[codes[p]]
    for i in range(n_touched):
        seen[touched[i]] = 0
    return n_touched


@njit(cache=True, nogil=True)
def _select(touched, n_touched: int, acc, dead, scope_ids, allowed, k: int, out_rows, out_scores) -> int:
    """The k best touched rows (filters applied), best first, clearing acc behind."""
    check_dead = dead.shape[0] > 0
    check_scope = allowed.shape[0] > 0
    m = 0
    floor = -np.inf
    for i in range(n_touched):
        r = touched[i]
        s = acc[r]
        acc[r] = 0.0
        if s < floor:  # below the heap's worst: cannot enter (a tie still may: it goes to the lower row)
            continue
        if check_dead and dead[r]:
            continue
        if check_scope and not allowed[scope_ids[r]]:
            continue
        m = _push(out_rows, out_scores, m, k, r, s)
        if m == k:
            floor = out_scores[0]
    for end in range(m - 1, 0, -1):  # heap sort: the worst to the back, so the best comes first
        out_rows[0], out_rows[end] = out_rows[end], out_rows[0]
        out_scores[0], out_scores[end] = out_scores[end], out_scores[0]
        _sift_down(out_rows, out_scores, end, 0)
    return m


@njit(cache=True, nogil=True)
def postings_of_rows(postings, mask, out) -> int:
    """The positions of the postings whose row is flagged in mask, ascending, into out; how many, or -1
    when out is too short (Segment.forward: the terms of deleted rows, without a forward index)."""
    m = 0
    for p in range(postings.shape[0]):
        if mask[postings[p]]:
            if m == out.shape[0]:
                return -1
            out[m] = p
            m += 1
    return m
