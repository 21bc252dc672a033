"""The skipping top-k kernel: block-max MaxScore over windows of rows, compiled with numba.

A window of WINDOW rows at a time, as Lucene's MaxScoreBulkScorer goes. In each window the terms' block
bounds there (block_max.py) decide which terms are essential: those whose bounds, added to the others',
could lift a row over the k-th best score so far. The essential terms are added term at a time, in query
order, into a small accumulator that stays in the CPU caches; the rows they touch whose block bounds of
the other terms leave them hopeful then get those terms' contributions, one term at a time (biggest
bound first, the hopeless rows dropped after each): by reading the term's postings in the window when
they are few next to the hopeful rows, or else by looking each row up, a block skipped at a time. A row
that survives is summed again in query-term order from the same contributions, so its score is exactly
what kernels.top_k gives (rank-bm25's floats).

Why windows and not a document-at-a-time loop: on short passages (BENCHMARKS.md, "Skipping postings") the
loop's per-row work on every cursor cost more than the postings it skipped, and random look-ups into the
postings of frequent terms cost ~80 ns each against ~3 ns to add a posting. Hand-written: the engine itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .block_max import _END, SLACK, _bound, _lowest_bit, _seek
from .kernels import _push, _sift_down

WINDOW = 1 << 14  # rows per window: a 128 KB accumulator, in the core's second-level cache
PROBE_POSTINGS = 32  # reading a term's postings beats looking rows up when it has < this many per hopeful row


def window_scratch(size: int = WINDOW) -> tuple[np.ndarray, ...]:
    """The kernel's work arrays, clean: acc, bits, touched (one slot more: a row is written before it is
    known new), hope_rows, hope_s, slot (a hopeful row's index in hope_rows, -1 for the others)."""
    return (np.zeros(size), np.zeros(size // 64, np.uint64), np.empty(size + 1, np.int64), np.empty(size, np.int64),
            np.empty(size), np.full(size, -1, np.int64))


@njit(cache=True, nogil=True, inline="always")
def _find(postings, last, bp_t: int, first: int, stop: int, pos: int, bk: int, bk_stop: int, size: int,
          row: int) -> int:
    """The first position of a term's postings holding a row >= row (stop when none): blocks skipped by
    their last row from block bk, then bisection within the block, never before pos."""
    while bk < bk_stop and last[bk] < row:
        bk += 1
    if bk >= bk_stop:
        return stop
    lo = max(pos, first + (bk - bp_t) * size)
    return _seek(postings, lo, min(first + (bk - bp_t + 1) * size, stop), row)


@njit(cache=True, nogil=True)
def top_k_skipping(exact: bool, indptr, postings, codes, parts, k1: float, b: float, avgdl: float, term_idf,
                   tids, block_ptr, last, max_tf, min_len, max_part, scale: float, size: int, dead,
                   scope_ids, allowed, k: int, acc, bits, touched, hope_rows, hope_s, slot, out_rows,
                   out_scores) -> int:
    """The k best rows into out_rows/out_scores, best first, as kernels.top_k ranks them; returns how many.
    term_idf[j]: query term j's IDF (every one > 0); a posting contributes term_idf[j] x parts[codes[p]].
    exact: the block bounds are max_part's times scale (compiled.part_maxima), else from max_tf and
    min_len at k1, b and avgdl (a scope set's). Empty dead / allowed: no filter.
    Work arrays (`window_scratch`, kept between questions: allocating them costs page faults each time):
    acc, bits and slot come in clean (zeros, zeros, -1) and are left so; touched, hope_rows, hope_s not."""
    m = tids.shape[0]
    check_dead, check_scope = dead.shape[0] > 0, allowed.shape[0] > 0
    pos, stop, first = np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.int64)
    bp, blk, blk_stop = np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.int64)  # blocks: term's, current
    row_blk = np.empty(m, np.int64)  # a non-essential term's block at the row looked at
    lo_w, hi_w = np.empty(m, np.int64), np.empty(m, np.int64)  # each term's postings in the window
    bound, prefix, order = np.empty(m), np.empty(m), np.empty(m, np.int64)
    start = _END
    for j in range(m):
        t = tids[j]
        pos[j], stop[j], first[j] = indptr[t], indptr[t + 1], indptr[t]
        bp[j], blk[j], blk_stop[j] = block_ptr[t], block_ptr[t], block_ptr[t + 1]
        if pos[j] < stop[j] and postings[pos[j]] < start:
            start = postings[pos[j]]
    n_heap, floor = 0, -1.0  # every score is > 0: nothing is dropped until the heap holds k rows
    while start < _END:
        end = start + WINDOW
        for j in range(m):  # each term's bound in the window: its blocks that overlap it
            bk = blk[j]
            while bk < blk_stop[j] and last[bk] < start:
                bk += 1
            blk[j] = bk
            best = 0.0
            while bk < blk_stop[j]:
                best = max(best, _bound(exact, bk, term_idf[j], max_part, scale, max_tf, min_len, k1, b, avgdl))
                if last[bk] >= end:
                    break
                bk += 1
            bound[j] = best
        for i in range(m):  # smallest bound first (insertion sort: a few terms)
            x, h = i, i - 1
            while h >= 0 and bound[order[h]] > bound[x]:
                order[h + 1] = order[h]
                h -= 1
            order[h + 1] = x
        total = 0.0
        for i in range(m):
            total += bound[order[i]]
            prefix[i] = total * (1.0 + SLACK)
        n_lazy = 0  # order[:n_lazy]: the non-essential terms of this window
        while n_lazy < m and prefix[n_lazy] <= floor * (1.0 - SLACK):
            n_lazy += 1
        for j in range(m):
            lo_w[j] = _find(postings, last, bp[j], first[j], stop[j], pos[j], blk[j], blk_stop[j], size, start)
            hi_w[j] = _find(postings, last, bp[j], first[j], stop[j], lo_w[j], blk[j], blk_stop[j], size, end)
            pos[j] = hi_w[j]
        n_touched = 0
        for j in range(m):  # the essential terms, in query order, into the window's accumulator
            essential = True
            for i in range(n_lazy):
                essential = essential and order[i] != j
            if not essential:
                continue
            for q in range(lo_w[j], hi_w[j]):  # as kernels.top_k's loop: the row listed blindly
                local = postings[q] - start
                a = acc[local]
                touched[n_touched] = local
                n_touched += a == 0.0
                acc[local] = a + term_idf[j] * parts[codes[q]]
        for i in range(n_touched):
            bits[touched[i] >> 6] |= np.uint64(1) << np.uint64(touched[i] & 63)
        lazy_total = prefix[n_lazy - 1] if n_lazy > 0 else 0.0
        for i in range(n_lazy):
            row_blk[order[i]] = blk[order[i]]
        n_hope = 0
        for w in range(WINDOW // 64):  # the touched rows in row order: ranked now, or hopeful
            word = bits[w]
            bits[w] = 0
            while word != 0:
                local = w * 64 + _lowest_bit(word)
                word &= word - np.uint64(1)
                s = acc[local]
                acc[local] = 0.0
                row = start + local
                if (check_dead and dead[row]) or (check_scope and not allowed[scope_ids[row]]):
                    continue
                if n_lazy == 0:  # every term added in query order: s is the exact score
                    if s >= floor:
                        n_heap = _push(out_rows, out_scores, n_heap, k, row, s)
                        if n_heap == k:
                            floor = out_scores[0]
                    continue
                if (s + lazy_total) * (1.0 + SLACK) <= floor:
                    continue
                hope = s
                for i in range(n_lazy):  # the non-essential terms' blocks at this row: bounds, no posting read
                    j = order[i]
                    bk = row_blk[j]
                    while bk < blk_stop[j] and last[bk] < row:
                        bk += 1
                    row_blk[j] = bk
                    if bk < blk_stop[j]:
                        hope += _bound(exact, bk, term_idf[j], max_part, scale, max_tf, min_len, k1, b, avgdl)
                if hope * (1.0 + SLACK) > floor:
                    hope_rows[n_hope], hope_s[n_hope], slot[local] = local, s, n_hope
                    n_hope += 1
        alive = n_hope
        i = n_lazy - 1
        while i >= 0 and alive > 0:  # the non-essential terms, biggest bound first
            j = order[i]
            if hi_w[j] - lo_w[j] < alive * PROBE_POSTINGS:  # few postings: read them all
                for q in range(lo_w[j], hi_w[j]):
                    h = slot[postings[q] - start]
                    if h >= 0:
                        hope_s[h] += term_idf[j] * parts[codes[q]]
            else:  # look each hopeful row up, moving forward
                p = lo_w[j]
                for h in range(n_hope):
                    if hope_rows[h] >= 0:
                        row = start + hope_rows[h]
                        p = _seek(postings, p, hi_w[j], row)
                        if p < hi_w[j] and postings[p] == row:
                            hope_s[h] += term_idf[j] * parts[codes[p]]
            rest = prefix[i - 1] if i > 0 else 0.0  # the bounds of the terms still to add
            alive = 0
            for h in range(n_hope):
                if hope_rows[h] >= 0:
                    if (hope_s[h] + rest) * (1.0 + SLACK) <= floor:
                        slot[hope_rows[h]] = -1
                        hope_rows[h] = -1
                    else:
                        alive += 1
            i -= 1
        for h in range(n_hope):  # the survivors, summed again in rank-bm25's order: query terms in turn
            local = hope_rows[h]
            if local < 0:
                continue
            slot[local] = -1
            if alive == 0 or hope_s[h] * (1.0 + SLACK) <= floor:
                continue
            row = start + local
            score = 0.0
            for j in range(m):
                p = _seek(postings, lo_w[j], hi_w[j], row)
                if p < hi_w[j] and postings[p] == row:
                    score += term_idf[j] * parts[codes[p]]
            n_heap = _push(out_rows, out_scores, n_heap, k, row, score)
            if n_heap == k:
                floor = out_scores[0]
        start = _END  # the next window: where the next posting of any term is
        for j in range(m):
            if pos[j] < stop[j] and postings[pos[j]] < start:
                start = postings[pos[j]]
    for e in range(n_heap - 1, 0, -1):  # heap sort: the worst to the back, so the best comes first
        out_rows[0], out_rows[e] = out_rows[e], out_rows[0]
        out_scores[0], out_scores[e] = out_scores[e], out_scores[0]
        _sift_down(out_rows, out_scores, e, 0)
    return n_heap
