"""The inner loop of BM25 top-k, compiled with numba.

Hand-written because it is the engine itself: one pass over the query terms' postings adding each
term's contribution into a per-thread accumulator (rank-bm25's expression and summation order, so the
floats are the same), then one pass over the touched rows keeping the k best in a small heap. numpy
needs five passes per posting for the same work (BENCHMARKS.md, Scale); compiled, it is one.
index.py imports this module only for large segments (importing numba takes a few tenths of a second),
and keeps its numpy path when numba is missing. Compiled code is cached by numba between runs.
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
def top_k(postings, weights, tfs, norm, idf, k1_plus_1: float, starts, ends, tids, acc, seen, touched,
          dead, scope_ids, allowed, k: int, out_rows, out_scores) -> int:
    """The k best rows (unordered) into out_rows/out_scores; returns how many.

    weights: precomputed per-posting contributions, or empty to compute them from tfs and norm.
    dead / allowed: empty to skip that filter. acc, seen: all zero/False on entry and on return.
    """
    use_weights = weights.shape[0] > 0
    n_touched = 0
    for j in range(starts.shape[0]):
        term_idf = idf[tids[j]]
        for p in range(starts[j], ends[j]):
            r = postings[p]
            if use_weights:
                contribution = weights[p]
            else:
                tf = np.float64(tfs[p])
                contribution = term_idf * (tf * k1_plus_1 / (tf + norm[r]))
            if not seen[r]:
                seen[r] = True
                touched[n_touched] = r
                n_touched += 1
            acc[r] += contribution
    check_dead = dead.shape[0] > 0
    check_scope = allowed.shape[0] > 0
    m = 0
    for i in range(n_touched):
        r = touched[i]
        s = acc[r]
        acc[r] = 0.0
        seen[r] = False
        if check_dead and dead[r]:
            continue
        if check_scope and not allowed[scope_ids[r]]:
            continue
        if m < k:  # grow the heap (worst at the root)
            c = m
            out_rows[c], out_scores[c] = r, s
            m += 1
            while c > 0:
                parent = (c - 1) // 2
                if _worse(out_scores[c], out_rows[c], out_scores[parent], out_rows[parent]):
                    out_rows[c], out_rows[parent] = out_rows[parent], out_rows[c]
                    out_scores[c], out_scores[parent] = out_scores[parent], out_scores[c]
                    c = parent
                else:
                    break
        elif _worse(out_scores[0], out_rows[0], s, r):
            out_rows[0], out_scores[0] = r, s
            _sift_down(out_rows, out_scores, m, 0)
    return m
