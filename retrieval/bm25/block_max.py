"""Exact top-k that skips postings: block-max MaxScore, compiled with numba.

Each term's postings are cut into blocks of BLOCK postings, and each block keeps the last row it holds
and a bound on its contributions: the exact maximum of its precomputed weights, or the contribution of
its largest term frequency at its shortest passage (either is >= every contribution in the block). As in
PISA's `block_max_maxscore`, terms whose bounds together cannot lift a passage over the k-th best score
so far are "non-essential": only the others' postings propose candidates, a candidate is dropped as soon
as the block bounds of the non-essential terms at its row say it cannot make the top k, and only then are
those terms' postings looked up, a block skipped at a time. Most postings of frequent terms are never read.

Scores stay rank-bm25's floats: each candidate kept is summed in query-term order from the very
contributions the exhaustive kernel adds (kernels.py), and every pruning test leaves a relative slack of
SLACK, far above the rounding of a sum, so a passage whose exact score could reach the k-th is always
scored in full. Used only when every query term's IDF is positive (contributions > 0); others go to the
exhaustive kernel. Opt-in (the "skipping" backend): on short passages it reads fewer postings but takes
longer than the exhaustive kernel (BENCHMARKS.md, "Skipping postings"). Hand-written because it is the
engine itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import _length_norm, _push, _sift_down, _term_score

BLOCK = 128  # postings per block, as PISA and tantivy keep them
SLACK = 1e-9  # relative margin of every pruning test: sums of bounds vs the k-th best score
_END = np.int64(1) << 62

MODE_WEIGHTS, MODE_NORM, MODE_SCOPED = 0, 1, 2  # precomputed weights / a norm per row / a scope set's table


@njit(cache=True, nogil=True)
def build_blocks(indptr, postings, tfs, doc_len, size: int):
    """Per term, its blocks' range (block_ptr), and per block: the last row, the largest term
    frequency, and a row of the shortest passage (whose length part is the smallest)."""
    n_terms = indptr.shape[0] - 1
    block_ptr = np.zeros(n_terms + 1, dtype=np.int64)
    for t in range(n_terms):
        block_ptr[t + 1] = block_ptr[t] + (indptr[t + 1] - indptr[t] + size - 1) // size
    n_blocks = block_ptr[n_terms]
    last = np.empty(n_blocks, dtype=np.int32)
    max_tf = np.empty(n_blocks, dtype=np.int32)
    short_row = np.empty(n_blocks, dtype=np.int32)
    for t in range(n_terms):
        bk = block_ptr[t]
        hi = indptr[t + 1]
        for start in range(indptr[t], hi, size):
            end = min(start + size, hi)
            top_tf, shortest, row = 0, np.iinfo(np.int32).max, postings[start]
            for p in range(start, end):
                if tfs[p] > top_tf:
                    top_tf = tfs[p]
                r = postings[p]
                if doc_len[r] < shortest:
                    shortest, row = doc_len[r], r
            last[bk], max_tf[bk], short_row[bk] = postings[end - 1], top_tf, row
            bk += 1
    return block_ptr, last, max_tf, short_row


@njit(cache=True, nogil=True)
def block_max_weights(indptr, weights, block_ptr, size: int):
    """The exact largest precomputed weight of every block."""
    out = np.empty(block_ptr[-1])
    for t in range(indptr.shape[0] - 1):
        bk = block_ptr[t]
        hi = indptr[t + 1]
        for start in range(indptr[t], hi, size):
            end = min(start + size, hi)
            best = weights[start]
            for p in range(start + 1, end):
                if weights[p] > best:
                    best = weights[p]
            out[bk] = best
            bk += 1
    return out


@njit(cache=True, nogil=True, inline="always")  # inlined: a call per posting costs more than the posting
def _contribution(mode: int, p: int, r: int, w: float, weights, tfs, norm, doc_len, table, k1: float, b: float,
                  avgdl: float, k1_plus_1: float) -> float:
    """Posting p's (row r's) contribution, as kernels.py computes it for the same mode."""
    if mode == MODE_WEIGHTS:
        return weights[p]
    if mode == MODE_NORM:
        return _term_score(w, np.float64(tfs[p]), k1_plus_1, norm[r])
    tf = np.float64(tfs[p])  # kernels._scoped_contribution, written out: numba inlines it only so
    d = doc_len[r]
    n = table[d] if d < table.shape[0] else _length_norm(np.float64(d), k1, b, avgdl)
    return _term_score(w, tf, k1_plus_1, n)


@njit(cache=True, nogil=True, inline="always")
def _bound(mode: int, bk: int, w: float, max_w, max_tf, short_row, norm, doc_len, table, k1: float, b: float,
           avgdl: float, k1_plus_1: float) -> float:
    """An upper bound of block bk's contributions (contributions rise with tf and fall with length)."""
    if mode == MODE_WEIGHTS:
        return max_w[bk]
    tf = np.float64(max_tf[bk])
    r = short_row[bk]
    if mode == MODE_NORM:
        n = norm[r]
    else:
        d = doc_len[r]
        n = table[d] if d < table.shape[0] else _length_norm(np.float64(d), k1, b, avgdl)
    return _term_score(w, tf, k1_plus_1, n) * (1.0 + SLACK)


WINDOW = 1 << 12  # rows scored together: their accumulator (32 KB) stays in the CPU's first cache
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_TABLE = np.array([0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22,
                            45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23,
                            11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6], dtype=np.int64)


@njit(cache=True, nogil=True, inline="always")
def _lowest_bit(word) -> int:
    """The index of a nonzero word's lowest set bit (de Bruijn multiplication)."""
    low = word & (~word + np.uint64(1))
    return _DEBRUIJN_TABLE[(low * _DEBRUIJN) >> np.uint64(58)]


@njit(cache=True, nogil=True, inline="always")
def _seek(postings, lo: int, hi: int, row: int) -> int:
    """The first position in [lo, hi) whose row is >= row (hi when none): a few steps forward first
    (a probe usually lands a few postings past the previous one, in the same cache line), then bisection."""
    near = min(hi, lo + 16)
    while lo < near and postings[lo] < row:
        lo += 1
    if lo < near:
        return lo
    while lo < hi:
        mid = (lo + hi) >> 1
        if postings[mid] < row:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def top_k_skipping(mode: int, indptr, postings, weights, tfs, norm, doc_len, table, k1: float, b: float,
                   avgdl: float, term_idf, tids, block_ptr, last, max_tf, short_row, max_w, size: int, dead,
                   scope_ids, allowed, k: int, out_rows, out_scores) -> int:
    """The k best rows into out_rows/out_scores, best first, exactly as kernels.top_k / top_k_scoped
    rank them; returns how many. term_idf[j]: query term j's IDF (every one > 0); empty dead / allowed:
    no such filter. A window of WINDOW rows at a time, as Lucene's MaxScoreBulkScorer goes: in each
    window the terms' block bounds there decide which are essential; those are added term at a time,
    in query order, into a small accumulator (no cursor juggling per row: a document-at-a-time loop cost
    more per row than the postings it skipped, BENCHMARKS.md), and only the rows that the non-essential
    terms' block bounds leave hopeful look those terms up. A row kept is summed again in query-term
    order unless every term was essential in its window, so its score is exact."""
    m = tids.shape[0]
    k1_plus_1 = k1 + 1.0
    check_dead, check_scope = dead.shape[0] > 0, allowed.shape[0] > 0
    pos = np.empty(m, dtype=np.int64)
    stop = np.empty(m, dtype=np.int64)
    first = np.empty(m, dtype=np.int64)
    blk = np.empty(m, dtype=np.int64)
    row_blk = np.empty(m, dtype=np.int64)
    blk_stop = np.empty(m, dtype=np.int64)
    window_start = np.empty(m, dtype=np.int64)
    bound = np.empty(m)
    order = np.empty(m, dtype=np.int64)
    prefix = np.empty(m)
    contrib = np.zeros(m)
    essential = np.zeros(m, dtype=np.bool_)
    acc = np.zeros(WINDOW)
    bits = np.zeros(WINDOW // 64, dtype=np.uint64)
    start = _END
    for j in range(m):
        t = tids[j]
        pos[j], stop[j], first[j] = indptr[t], indptr[t + 1], indptr[t]
        blk[j], blk_stop[j] = block_ptr[t], block_ptr[t + 1]
        if pos[j] < stop[j] and postings[pos[j]] < start:
            start = postings[pos[j]]
    n_heap = 0
    floor = -1.0
    while start < _END:
        end = start + WINDOW
        nxt = _END  # where the next window starts: the first row any term holds at or after `end`
        for j in range(m):  # each term's bound within the window, from the blocks that overlap it
            bk = blk[j]
            while bk < blk_stop[j] and last[bk] < start:
                bk += 1
            blk[j] = bk
            best = 0.0
            while bk < blk_stop[j]:
                v = _bound(mode, bk, term_idf[j], max_w, max_tf, short_row, norm, doc_len, table, k1, b, avgdl,
                           k1_plus_1)
                if v > best:
                    best = v
                if last[bk] >= end:
                    break
                bk += 1
            bound[j] = best
        for i in range(m):  # order: smallest window bound first (insertion sort: a few terms)
            order[i] = i
        for i in range(1, m):
            x = order[i]
            h = i - 1
            while h >= 0 and bound[order[h]] > bound[x]:
                order[h + 1] = order[h]
                h -= 1
            order[h + 1] = x
        total = 0.0
        for i in range(m):
            total += bound[order[i]]
            prefix[i] = total * (1.0 + SLACK)
        n_lazy = 0
        while n_lazy < m and prefix[n_lazy] <= floor * (1.0 - SLACK):
            n_lazy += 1
        for i in range(m):
            essential[order[i]] = i >= n_lazy
        for j in range(m):  # the essential terms, in query order, term at a time into the window's accumulator
            if not essential[j]:
                continue
            p = pos[j]
            bk = blk[j]
            if bk < blk_stop[j]:
                p = max(p, first[j] + (bk - block_ptr[tids[j]]) * size)
                p = _seek(postings, p, min(first[j] + (bk - block_ptr[tids[j]] + 1) * size, stop[j]), start)
            window_start[j] = p
            hi = stop[j]
            while p < hi:
                r = postings[p]
                if r >= end:
                    break
                c = _contribution(mode, p, r, term_idf[j], weights, tfs, norm, doc_len, table, k1, b, avgdl,
                                  k1_plus_1)
                local = r - start
                a = acc[local]
                bits[local >> 6] |= np.uint64(a == 0.0) << np.uint64(local & 63)
                acc[local] = a + c
                p += 1
            pos[j] = p
        lazy_total = prefix[n_lazy - 1] if n_lazy > 0 else 0.0
        for i in range(n_lazy):
            row_blk[order[i]] = blk[order[i]]
        for w in range(WINDOW // 64):  # the window's touched rows, in row order
            word = bits[w]
            if word == 0:
                continue
            bits[w] = 0
            while word != 0:
                local = w * 64 + _lowest_bit(word)
                word &= word - np.uint64(1)
                s = acc[local]
                acc[local] = 0.0
                row = start + local
                if check_dead and dead[row]:
                    continue
                if check_scope and not allowed[scope_ids[row]]:
                    continue
                if n_lazy > 0 and (s + lazy_total) * (1.0 + SLACK) <= floor:
                    continue
                keep = True
                if n_lazy > 0:
                    hope = s
                    for i in range(n_lazy):  # the non-essential terms' blocks at this row: bounds only
                        j = order[i]
                        bk = row_blk[j]
                        while bk < blk_stop[j] and last[bk] < row:
                            bk += 1
                        row_blk[j] = bk
                        if bk < blk_stop[j]:
                            hope += _bound(mode, bk, term_idf[j], max_w, max_tf, short_row, norm, doc_len, table,
                                           k1, b, avgdl, k1_plus_1)
                    keep = hope * (1.0 + SLACK) > floor
                    i = n_lazy - 1
                    while keep and i >= 0:  # look the row up, biggest bounds first
                        if (s + prefix[i]) * (1.0 + SLACK) <= floor:
                            keep = False
                            break
                        j = order[i]
                        bk = row_blk[j]
                        if bk < blk_stop[j]:
                            lo = max(pos[j], first[j] + (bk - block_ptr[tids[j]]) * size)
                            hi = min(first[j] + (bk - block_ptr[tids[j]] + 1) * size, stop[j])
                            p = _seek(postings, lo, hi, row)
                            pos[j] = p
                            if p < hi and postings[p] == row:
                                c = _contribution(mode, p, row, term_idf[j], weights, tfs, norm, doc_len, table,
                                                  k1, b, avgdl, k1_plus_1)
                                contrib[j] = c
                                s += c
                        i -= 1
                if n_lazy == 0:  # every term added in query order: s is the exact score already
                    if s >= floor:
                        n_heap = _push(out_rows, out_scores, n_heap, k, row, s)
                        if n_heap == k:
                            floor = out_scores[0]
                elif keep and s * (1.0 + SLACK) > floor:
                    score = 0.0
                    for j in range(m):  # rank-bm25's order: query terms in turn (an absent one adds 0.0)
                        if essential[j]:
                            p = _seek(postings, window_start[j], pos[j], row)
                            if p < pos[j] and postings[p] == row:
                                score += _contribution(mode, p, row, term_idf[j], weights, tfs, norm, doc_len,
                                                       table, k1, b, avgdl, k1_plus_1)
                        else:
                            score += contrib[j]
                    n_heap = _push(out_rows, out_scores, n_heap, k, row, score)
                    if n_heap == k:
                        floor = out_scores[0]
                for i in range(n_lazy):
                    contrib[order[i]] = 0.0
        for j in range(m):  # the next window starts where some essential term, or any block, goes on
            if essential[j]:
                if pos[j] < stop[j] and postings[pos[j]] < nxt:
                    nxt = postings[pos[j]]
            else:
                bk = blk[j]
                while bk < blk_stop[j] and last[bk] < end:
                    bk += 1
                if bk < blk_stop[j]:
                    nxt = min(nxt, max(end, postings[first[j] + (bk - block_ptr[tids[j]]) * size]))
        start = nxt
    for e in range(n_heap - 1, 0, -1):  # heap sort: the worst to the back, so the best comes first
        out_rows[0], out_rows[e] = out_rows[e], out_rows[0]
        out_scores[0], out_scores[e] = out_scores[e], out_scores[0]
        _sift_down(out_rows, out_scores, e, 0)
    return n_heap
