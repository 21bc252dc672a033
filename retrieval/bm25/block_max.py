"""Posting blocks and their bounds, for the skipping kernel (maxscore.py), compiled with numba.

Each term's postings are cut into blocks of BLOCK postings, as PISA and tantivy keep them, and each block
keeps the last row it holds and a bound on its contributions: the largest of its postings' tf parts
(pairs.py; times the term's IDF, and scaled for a later snapshot's statistics: compiled.part_maxima), or
within scopes the part of its largest term frequency at its shortest passage (>= every part in the block
at any statistics: a scope set's own). Scores stay rank-bm25's floats: every pruning test leaves a
relative slack of SLACK, far above the rounding of a sum, so a passage whose exact score could reach the
k-th best is always scored in full. Only for questions
whose every term has a positive IDF (contributions > 0); the others go to the exhaustive kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import formula

_tf_part = njit(cache=True, nogil=True)(formula.tf_part)  # the scoped bound's part, compiled
_length_norm = njit(cache=True, nogil=True)(formula.length_norm)

BLOCK = 128  # postings per block, as PISA and tantivy keep them
SLACK = 1e-9  # relative margin of every pruning test: sums of bounds vs the k-th best score
_END = np.int64(1) << 62


@njit(cache=True, nogil=True)
def build_blocks(indptr, postings, codes, pair_tf, pair_len, size: int):
    """Per term, its blocks' range (block_ptr), and per block: the last row, the largest term
    frequency, and the shortest passage's length (whose length part is the smallest). Both come from the
    postings' pair codes (pairs.py), read in order through a table that stays in cache: no look-up of each
    row's length (a cache miss per posting, 5x the time at 10M passages)."""
    n_terms = indptr.shape[0] - 1
    block_ptr = np.zeros(n_terms + 1, dtype=np.int64)
    for t in range(n_terms):
        block_ptr[t + 1] = block_ptr[t] + (indptr[t + 1] - indptr[t] + size - 1) // size
    n_blocks = block_ptr[n_terms]
    last = np.empty(n_blocks, dtype=np.int32)
    max_tf = np.empty(n_blocks, dtype=np.int32)
    min_len = np.empty(n_blocks, dtype=np.int32)
    for t in range(n_terms):
        bk = block_ptr[t]
        hi = indptr[t + 1]
        for start in range(indptr[t], hi, size):
            end = min(start + size, hi)
            top_tf, shortest = 0, np.iinfo(np.int32).max
            for p in range(start, end):
                code = codes[p]
                tf, d = pair_tf[code], pair_len[code]
                if tf > top_tf:
                    top_tf = tf
                if d < shortest:
                    shortest = d
            last[bk], max_tf[bk], min_len[bk] = postings[end - 1], top_tf, shortest
            bk += 1
    return block_ptr, last, max_tf, min_len


@njit(cache=True, nogil=True)
def block_max_parts(indptr, codes, parts, block_ptr, size: int):
    """The exact largest tf part (parts[codes[p]]) of every block."""
    out = np.empty(block_ptr[-1])
    for t in range(indptr.shape[0] - 1):
        bk = block_ptr[t]
        hi = indptr[t + 1]
        for start in range(indptr[t], hi, size):
            end = min(start + size, hi)
            best = parts[codes[start]]
            for p in range(start + 1, end):
                if parts[codes[p]] > best:
                    best = parts[codes[p]]
            out[bk] = best
            bk += 1
    return out


@njit(cache=True, nogil=True, inline="always")  # inlined: a call per block costs more than the block
def _bound(exact: bool, bk: int, w: float, max_part, scale: float, max_tf, min_len, k1: float, b: float,
           avgdl: float) -> float:
    """An upper bound of block bk's contributions at IDF w > 0: w x its largest part x scale when `exact`
    (compiled.part_maxima; scale 1 for the parts the maxima were taken from, and rounding is monotone),
    else (a scope set's parts) w x the part of its largest tf at its shortest length (parts rise with tf
    and fall with length), with SLACK."""
    if exact:
        return w * max_part[bk] * scale
    return w * _tf_part(np.float64(max_tf[bk]), k1 + 1.0, _length_norm(np.float64(min_len[bk]), k1, b, avgdl)) * (
        1.0 + SLACK)


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
